/* posix/platform_types.h: the POSIX definitions of the contract's structs (common/platform.h).
 * A zeroed struct means "not open", so descriptors are stored plus one: 0 is "none". */
#ifndef XIPC_POSIX_PLATFORM_TYPES_H
#define XIPC_POSIX_PLATFORM_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* How a stream's transfers are made: one set of functions per variant (posix_stream.c), chosen
 * when the stream is made, so that a read or write tests one tag, not a flag per variant. Zero
 * is a plain pipe, the hot path. */
enum xipc__posix_stream_variant {
    /* An anonymous pipe end, where the OS can try a transfer without O_NONBLOCK (RWF_NOWAIT): its
     * description blocking or not, a call without a limit is the plain blocking call (polling
     * only if someone made the description O_NONBLOCK); one with a limit tries without waiting
     * first and polls (posix_stream.c). One that turns out not to take RWF_NOWAIT (a FIFO passed
     * on as a pipe) becomes a NONBLOCK. */
    XIPC__POSIX_STREAM_PIPE = 0,
    /* A NONBLOCK pipe or FIFO whose open file description a child made blocking (it got it as a
     * standard stream and cleared O_NONBLOCK): poll first, and write no more than PIPE_BUF,
     * which poll() guarantees will not block. A FIFO reader that still awaited its first writer needs nothing
     * more: Linux's poll waits for that writer, as xipc__posix_fifo_await_writer does. */
    XIPC__POSIX_STREAM_POLL_FIRST = 1,
    /* A duplicate of this process's stdin, stdout or stderr (xipc_stream_stdio): transfers as
     * POLL_FIRST (xipc never makes its description non-blocking; a socket is used as a plain
     * descriptor too, since SO_RCVTIMEO would change it for everyone). Never passed to a child
     * as an extra handle, whose import would make the shared description non-blocking. */
    XIPC__POSIX_STREAM_STD = 2,
    /* A FIFO reader opened with XIPC_FIFO_NOWAIT before any writer came: reading 0 bytes means
     * "no writer yet", not end of stream, until a writer has come; it is a FIFO from then on
     * (posix_fifo.c). */
    XIPC__POSIX_STREAM_FIFO_AWAITING = 3,
    /* A named-pipe connection, or an adopted stream socket: a blocking socket, read and written
     * by posix_socket.c. */
    XIPC__POSIX_STREAM_SOCKET = 4,
    /* A pipe or FIFO end where the OS cannot try without O_NONBLOCK, and whose description
     * others may share: an O_NONBLOCK descriptor; try the transfer, poll only when it would
     * wait. */
    XIPC__POSIX_STREAM_NONBLOCK = 5,
    /* A TCP connection, an AF_UNIX connection at a path of the user's, or a duplex pipe end
     * (posix_sock.c): transfers as SOCKET; it can be half-closed, has no peer pid, and a TCP or
     * AF_UNIX connection has addresses. */
    XIPC__POSIX_STREAM_SOCK = 6,
    /* A FIFO end this process opened, whose description no other process holds: its mode
     * follows the calls, blocking while only calls without a limit wait (posix_stream.c, "FIFO
     * ends"); a NONBLOCK once it may be shared. */
    XIPC__POSIX_STREAM_FIFO = 7,
};

/* A socket stream's timeouts that another process may change at any time (posix_socket.c). */
#define XIPC__POSIX_TIMEOUTS_SHARED (-2)

struct xipc__os_stream {
    int fd_plus1;
    enum xipc__posix_stream_variant variant;
    /* SOCKET: SO_RCVTIMEO and SO_SNDTIMEO in ms as last set by this process; 0 is none (a new
     * socket's), -1 not known, or XIPC__POSIX_TIMEOUTS_SHARED once another process may hold the
     * socket (passed on, or adopted): never set then (posix_socket.c). */
    int recv_timeout_ms;
    int send_timeout_ms;
    /* SOCKET, SOCK: whether the socket can carry descriptors (AF_UNIX, posix_pass.c), asked once:
     * 0 not asked yet, 1 yes, -1 no. */
    signed char carries_fds;
    /* Message pipes: room for the part of a message that does not fit the caller's buffer
     * (XIPC_MSGPIPE_MAX + 1 bytes, made at the first receive that needs it), and the length of
     * a message held there whole, after a receive into too small a buffer (0: none). */
    unsigned char *spill;
    size_t held_len;
    /* FIFO, FIFO_AWAITING: whether the description is blocking now, changed only under
     * mode_lock; and the count of forks this process had made when the end was opened. */
    bool fifo_blocking;
    atomic_flag mode_lock;
    unsigned fork_count;
};

struct xipc__os_npipe {
    int fd_plus1; /* the listening socket */
    char path[108]; /* the socket file it bound (sun_path's size) */
    dev_t dev; /* and that file's identity, so close removes only our own */
    ino_t ino;
    int lock_fd_plus1; /* the name's lock file, flock'ed while this server lives */
    char lock_path[120]; /* <runtime dir>/.lock-NAME */
};

/* The socket file an AF_UNIX listener or datagram endpoint bound, and its identity, so that
 * close removes only our own (posix_sock.c). path[0] 0: none. */
struct xipc__posix_bound_path {
    char path[108]; /* sun_path's size */
    dev_t dev;
    ino_t ino;
};

/* A listening socket (posix_sock.c): non-blocking, so that accept waits in poll() until its
 * deadline. */
struct xipc__os_listener {
    int fd_plus1;
    bool is_unix; /* AF_UNIX: its connections get no TCP_NODELAY */
    struct xipc__posix_bound_path bound; /* the listener that bound it; a child's has none */
};

/* A UDP endpoint (posix_sock.c): non-blocking, waited on with poll(). */
struct xipc__os_dgram {
    int fd_plus1;
    struct xipc__posix_bound_path bound;
};

struct xipc__os_proc {
    pid_t pid; /* 0: not open */
    int pidfd_plus1; /* a pidfd to wait on with a timeout, where the kernel has them */
    bool reaped;
    /* waitpid said ECHILD and the pidfd kept no status: the OS reaped the child on its own
     * (SIGCHLD ignored) or something else did. The pid may name another process now. */
    bool status_lost;
    bool killed; /* xipc__os_proc_kill sent SIGKILL */
    int wait_status; /* from waitpid, once reaped */
};

struct xipc__posix_sync_shm; /* the shared header, posix/posix_sync.h */

struct xipc__os_sync {
    int kind; /* enum xipc_kind; 0: not open */
    int fd_plus1; /* the shared memory (events, mutexes, anonymous semaphores) */
    struct xipc__posix_sync_shm *shm; /* its mapping */
    bool manual_reset; /* events: read once when opened, never again from shm */
    void *named_sem; /* named semaphores: the sem_t * from sem_open */
    char sem_name[66]; /* and its "/NAME", which a child reopens */
    _Atomic uint32_t spin_ns; /* events, semaphores: the adaptive spin budget (posix_spin.c) */
};

/* A shared section (posix_shm.c). */
struct xipc__os_shm {
    void *ptr; /* the mapping; NULL: not open */
    size_t size; /* the section's size, and the mapping's */
    int fd_plus1; /* the shm_open or memfd descriptor, kept for passing to a child */
    bool root_made; /* a named section root created: its close checks the owner first */
};

/* A file mapping (posix_shm.c). The descriptor is closed once mapped. */
struct xipc__os_filemap {
    void *ptr; /* the byte at the offset asked for; NULL: not open */
    size_t size; /* len as asked */
    void *base; /* the mapping, from the page boundary at or before the offset */
    size_t map_len;
    bool writable;
};

/* A signal watch (posix_signal.c): the signals it holds and its self-pipe, whose write end the
 * handler writes a byte into. set 0: not open. */
struct xipc__os_signal {
    unsigned set;
    int rd; /* the pipe's read end, non-blocking: what a wait set polls */
    int wr; /* its write end, non-blocking */
    unsigned last; /* the bit reported last: the next report starts after it */
};

/* A file to lock: its descriptor, opened O_RDWR | O_CLOEXEC, whose open file description owns the
 * locks (posix_flock.c). */
struct xipc__os_flock {
    int fd_plus1;
};

#endif /* XIPC_POSIX_PLATFORM_TYPES_H */
