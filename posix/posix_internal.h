/* posix/posix_internal.h: helpers the POSIX files share. Not part of the contract. */
#ifndef XIPC_POSIX_INTERNAL_H
#define XIPC_POSIX_INTERNAL_H

#include "platform.h"

/* Waits until fd reports one of events (or an error or hang-up), or dl passes. Returns 0 when
 * ready, XIPC_ETIMEDOUT, or a poll() failure. EINTR is retried with the time left. */
int xipc__posix_poll_fd(int fd, short events, xipc__deadline dl);

/* A close-on-exec pipe with extra file status flags (O_NONBLOCK or 0) on both ends. */
int xipc__posix_pipe(int fds[2], int flags);

/* One read or write on a pipe that does not wait, whatever the description's O_NONBLOCK says:
 * read(2)/write(2)'s result, EAGAIN where it would wait; -1 with EOPNOTSUPP where the OS cannot
 * (posix_nowait.c). */
ssize_t xipc__posix_read_nowait(int fd, void *buf, size_t cap);
ssize_t xipc__posix_write_nowait(int fd, const void *buf, size_t len);

/* The variant of a pipe or FIFO end of this process's: XIPC__POSIX_STREAM_PIPE where
 * xipc__posix_read_nowait works (found once per process), else XIPC__POSIX_STREAM_NONBLOCK, whose
 * descriptor must be O_NONBLOCK (posix_stream.c). */
enum xipc__posix_stream_variant xipc__posix_pipe_variant(void);

/* Called once a child got s as a standard stream and cleared O_NONBLOCK on the open file
 * description they share: s's transfers poll first from now on (XIPC__POSIX_STREAM_POLL_FIRST). */
void xipc__posix_stream_child_made_blocking(struct xipc__os_stream *s);

/* Connected named-pipe sockets (posix_socket.c): blocking, with the deadline in the socket's
 * timeouts. _blocking clears O_NONBLOCK. _recv takes extra recv flags (MSG_DONTWAIT); _recvv
 * is _recv into several buffers, in one call (recvmsg). A peer that reset the connection reads
 * as the end (0 bytes). _send is XIPC_EPIPE
 * when the peer is gone, without SIGPIPE. Both: XIPC_ETIMEDOUT when nothing moved by the
 * deadline, which a first try fixes if it is not yet. */
int xipc__posix_socket_blocking(int fd);
/* Clears both timeouts: before a socket becomes a child's standard stream, where a program that
 * is not xipc would see its blocking reads fail with EAGAIN. */
int xipc__posix_socket_no_timeouts(struct xipc__os_stream *s);
int xipc__posix_socket_recv(struct xipc__os_stream *s, void *buf, size_t cap, int extra_flags,
    struct xipc__lazy_deadline *ld, size_t *got);
struct iovec;
int xipc__posix_socket_recvv(struct xipc__os_stream *s, struct iovec *iov, int iovcnt,
    int extra_flags, struct xipc__lazy_deadline *ld, size_t *got);
int xipc__posix_socket_send(struct xipc__os_stream *s, const void *buf, size_t len,
    struct xipc__lazy_deadline *ld, size_t *put);
/* _recv and _send (no extra flags) after the caller's own plain blocking recv(2) or send(2) on
 * the socket failed: they take errno as that call left it, as if their own first try had failed
 * so (a fatal error is reported once by the socket, and must not be lost to a second call). */
int xipc__posix_socket_recv_failed(struct xipc__os_stream *s, void *buf, size_t cap,
    struct xipc__lazy_deadline *ld, size_t *got);
int xipc__posix_socket_send_failed(struct xipc__os_stream *s, const void *buf, size_t len,
    struct xipc__lazy_deadline *ld, size_t *put);
/* _recv and _send of one msghdr, with its control data (descriptors passed, posix_pass.c):
 * msg_controllen and msg_flags as recvmsg(2) leaves them (msg_controllen 0 at the end). */
struct msghdr;
int xipc__posix_socket_recvmsg(struct xipc__os_stream *s, struct msghdr *mh, int extra_flags,
    struct xipc__lazy_deadline *ld, size_t *got);
int xipc__posix_socket_sendmsg(struct xipc__os_stream *s, const struct msghdr *mh,
    struct xipc__lazy_deadline *ld, size_t *put);

/* Whether the connected stream socket fd is one xipc/sock.h or xipc_duplex makes (a TCP
 * connection, an unnamed AF_UNIX pair), not a named-pipe connection (posix_sock.c). */
bool xipc__posix_socket_is_sock(int fd);

/* FIFOs (posix_fifo.c, posix_fifo_probe.c). _writer_came: whether a writer has the FIFO whose
 * read end is fd open now, or has left data in it, found out without reading anything and (where
 * tee exists) without poll's lasting mark. _writer_left: whether data waits or a writer came and
 * went since fd was opened, which only a poll (marking the FIFO) tells. _await_writer: for a read
 * that found 0 bytes on a reader that has not yet had a writer (XIPC__POSIX_STREAM_FIFO_AWAITING,
 * XIPC_FIFO_NOWAIT): waits until dl for data or for a writer that came and went, then makes s a
 * FIFO; XIPC_ETIMEDOUT. */
int xipc__posix_fifo_writer_came(int fd, bool *came);
int xipc__posix_fifo_writer_left(int fd, bool *left);
int xipc__posix_fifo_await_writer(struct xipc__os_stream *s, xipc__deadline dl);

/* FIFO ends' modes (posix_stream.c, "FIFO ends"). _opened: s, a FIFO end this process is about
 * to open O_NONBLOCK, is a FIFO (a NONBLOCK where forks cannot be counted); the open may make it
 * a FIFO_AWAITING. _writer_seen: a FIFO_AWAITING becomes a FIFO. _forking_to_exec: xipc_spawn
 * brackets its fork with it (true, then false), so that a child that only execs leaves FIFO
 * ends as they are. */
void xipc__posix_fifo_opened(struct xipc__os_stream *s);
void xipc__posix_fifo_writer_seen(struct xipc__os_stream *s);
void xipc__posix_forking_to_exec(bool forking);

/* ---- Names in the shm namespace (posix_syncshm.c) -------------------------------------------
 * Shared by the objects that live there: events and mutexes ("/xipc:NAME"), shared sections
 * ("/NAME"). Nothing here follows a link or blocks on what it finds at a name. */

struct stat;

/* Checks what an opened name holds before anything else touches it: another user's object, or
 * one open to group or others, is XIPC_EACCES; anything of ours but a regular file (a FIFO, a
 * device) is XIPC_ECORRUPT. *st gets what fstat said. */
int xipc__posix_shm_check_object(int fd, const char *name, struct stat *st);

/* Opens the file at path, close-on-exec, with access (O_RDONLY or O_RDWR) as flags ask
 * (XIPC_CREATE: a new file, 0600; XIPC_OPEN: an existing one; both: either), for file mappings
 * and file locks (posix_shm.c). A FIFO at the path does not make it wait. The open's failure
 * (XIPC_EINVAL for a socket or device with nothing behind it); on failure *fd is -1. */
int xipc__posix_open_file(const char *path, unsigned flags, int access, int *fd);

/* Opens the shm object at path (name: the user's, for error records) as flags ask (XIPC_CREATE,
 * XIPC_OPEN): a new one 0600 whatever the umask, or an existing one with access (O_RDWR,
 * O_RDONLY) once it passed xipc__posix_shm_check_object. *created tells whether this call made
 * it; *st is what fstat says of it. XIPC_EEXIST (create-only, the name taken), XIPC_ENOENT
 * (open-only, none), XIPC_EACCES, XIPC_ECORRUPT, XIPC_EBUSY (others kept creating and removing
 * the name), or the failure. On failure *fd is -1. */
int xipc__posix_shm_name_open(const char *path, const char *name, unsigned flags, int access,
    int *fd, bool *created, struct stat *st);

/* Opens the shm object at path read-only, never waiting or following a link, to look at it:
 * XIPC_ENOENT, XIPC_EACCES (a link or socket at the name), or another failure. */
int xipc__posix_shm_peek(const char *path, const char *name, int *fd);

/* What shared sections and message queues (posix_shm.c, posix_mq.c) do to remove the object at
 * path, their own spelling of name. _unlink_at: as xipc__os_shm_unlink (what is not ours stays:
 * XIPC_EACCES). _drop_at: the creator's close, as xipc__os_shm_drop_name. */
int xipc__posix_shm_unlink_at(const char *path, const char *name);
void xipc__posix_shm_drop_at(const struct xipc__os_shm *s, const char *path);

/* ---- What a port to another Unix replaces ---------------------------------------------------
 * Each of these is Linux's (or glibc's) own, in a file named for the mechanism whose header says
 * what a BSD or macOS port puts there. The other Linux-only files: posix_futex.c,
 * posix_futex_waitv.c, posix_glibc_waiters.c (glibc's semaphore and mutex words; a port answers
 * xipc__posix_waiters_work() with false) and posix_memfd.c (posix_sync.h), posix_fifo_probe.c
 * (above), and posix_selfexe.c, which implements xipc__os_self_exe of the contract itself. */

/* Linux pidfds (posix_pidfd.c): a descriptor that becomes readable when the child exits, so a
 * wait with a timeout needs no SIGCHLD handler. -1 where the kernel has none; callers then poll
 * waitpid(WNOHANG). */
int xipc__posix_pidfd_open(pid_t pid);

/* Sends sig to the process behind pidfd, which names that process and no other, even once its
 * pid is reused. 0, or -1 with errno: ESRCH once it was reaped, ENOSYS where the kernel has no
 * pidfd_send_signal (the caller then kills by pid). */
int xipc__posix_pidfd_send_signal(int pidfd, int sig);

/* The wait status (as waitpid gives it) of the ended process behind pidfd, which the kernel keeps
 * for pidfd holders even once the process was reaped, by the OS itself while SIGCHLD is ignored
 * or by someone else's waitpid (Linux 6.15+, PIDFD_INFO_EXIT). 0, or -1 where the kernel kept
 * none (older kernels, or a process that has not ended). */
int xipc__posix_pidfd_exit_status(int pidfd, int *wait_status);

/* In a child between fork and exec (async-signal-safe), for XIPC_SPAWN_DIE_WITH_PARENT: has the
 * kernel SIGKILL this process when parent ends (posix_pdeathsig.c). 0 once armed; ESRCH when
 * parent ended before the request took effect; else the errno of the request. _exists: whether
 * the OS has such a request at all (without one, the flag is XIPC_ENOTSUP). */
bool xipc__posix_pdeathsig_exists(void);
int xipc__posix_pdeathsig_arm(pid_t parent);

/* In a child between fork and exec (async-signal-safe): marks every descriptor from first up
 * close-on-exec in one call (posix_closerange.c). false where the kernel cannot; the caller then
 * marks them one by one. */
bool xipc__posix_cloexec_from(unsigned first);

/* The process id of the peer of the connected AF_UNIX socket fd (posix_peercred.c). 0,
 * XIPC_ENOTSUP where the OS cannot tell, or a getsockopt failure. */
int xipc__posix_socket_peer_pid(int fd, uint64_t *pid);

/* Checks the file the C library keeps for the named semaphore "/NAME" before sem_open opens it,
 * which gives no descriptor to check (posix_semfile.c, glibc's /dev/shm/sem.NAME). 0 when it is
 * ours: a regular file of this user's, open to nobody else, as large as a sem_t; XIPC_ENOENT when
 * there is none; XIPC_EACCES for a link, another user's file or one open to group or others;
 * XIPC_ECORRUPT for one of ours that is not a semaphore's. */
int xipc__posix_sem_file_check(const char *name);

/* The runtime directory of named-pipe sockets, made if missing (posix_npipe.c): $XDG_RUNTIME_DIR/xipc
 * when XDG_RUNTIME_DIR is the user's, else /tmp/xipc-<uid>. 0; XIPC_EACCES when it is not the
 * user's alone (another owner, a link, wider permissions than 0700); XIPC_ENAMETOOLONG; XIPC_EOS. */
int xipc__posix_runtime_dir(char *buf, size_t cap);

#endif /* XIPC_POSIX_INTERNAL_H */
