/* tools/bench_os.h: what `xipc bench` needs from the OS directly, once per platform in
 * tools/posix/bench_os.c and tools/win32/bench_os.c: CPU pinning, a terminal check, and the raw
 * transfers the xipc figures are compared with. The raw side uses the same OS objects xipc made
 * (xipc_handle_native), with the plainest calls a program would make on them. */
#ifndef XIPC_BENCH_OS_H
#define XIPC_BENCH_OS_H

#include <stddef.h>
#include <stdint.h>

/* Pins the calling thread to one CPU. Returns 0, or -1 where the OS refuses (the bench then runs
 * unpinned and says so). */
int bench_os_pin(int cpu);

/* Number of CPUs this process may use. */
int bench_os_cpu_count(void);

/* CPU time (user + system) this process has used, in nanoseconds. */
uint64_t bench_os_cpu_ns(void);

/* One step of a spin: tells the CPU that the thread is waiting (x86 pause). */
void bench_os_cpu_relax(void);

/* Sleeps about us microseconds. */
void bench_os_sleep_us(int us);

/* Whether stderr is a terminal (for the progress line). */
int bench_os_stderr_is_tty(void);

/* A raw endpoint on a native stream handle. POSIX: the descriptor is made blocking and used with
 * read(2)/write(2). Windows: ReadFile/WriteFile with one OVERLAPPED and an event, waited for with
 * WaitForSingleObject(INFINITE), as overlapped handles require. */
struct bench_raw;
struct bench_raw *bench_raw_open(intptr_t native);
void bench_raw_close(struct bench_raw *r);
/* Reads what is there (blocking for at least one byte); 0 bytes is end of stream. -1 on error. */
long bench_raw_read(struct bench_raw *r, void *buf, size_t cap);
/* Writes all len bytes (blocking). 0 or -1. */
int bench_raw_write(struct bench_raw *r, const void *buf, size_t len);
/* A raw endpoint whose every read and write ends by limit_ms (-1: none, bench_raw_open), made
 * as a program that must not wait forever makes its calls. POSIX: a socket gets SO_RCVTIMEO and
 * SO_SNDTIMEO once and stays blocking; a pipe or FIFO is made O_NONBLOCK, and each call tries,
 * and polls with the limit only when it would wait. Windows: the overlapped call is waited for
 * with WaitForSingleObject(limit_ms) and cancelled at the limit; a socket as on POSIX. A call that
 * reaches the limit fails (-1). */
struct bench_raw *bench_raw_open_limited(intptr_t native, int limit_ms);

/* Whether the OS has FIFOs of its own. Where it does not (Windows), the raw side of the fifo
 * rows runs on a named-pipe pair, the OS object xipc builds its FIFOs on: a FIFO reader there
 * is many pipe instances, with no one handle a raw reader could use. */
int bench_os_has_fifo(void);

/* Whether the OS has SIGPIPE, so that the run's SIGPIPE policy matters. */
int bench_os_has_sigpipe(void);

/* A directory for scratch files (the FIFOs), UTF-8, without a trailing separator. */
const char *bench_os_temp_dir(void);

/* "Linux", "Windows", or "Wine <version>". */
const char *bench_os_platform(void);

/* What the raw side of each mechanism calls, for the table's header and the JSON rows. */
extern const char bench_os_raw_pipe[];
/* How the raw side of the "limits" rows waits with a limit on every call. */
extern const char bench_os_raw_limits[];
extern const char bench_os_raw_npipe[];
extern const char bench_os_raw_tcp[];
extern const char bench_os_raw_duplex[];
extern const char bench_os_raw_udp[];
extern const char bench_os_raw_unix[];
extern const char bench_os_raw_unixdgram[];
extern const char bench_os_raw_pass[];
extern const char bench_os_raw_msgpipe[];
extern const char bench_os_raw_fifo[];
extern const char bench_os_raw_event[];
extern const char bench_os_raw_sem[];
extern const char bench_os_raw_waitset[];
extern const char bench_os_raw_shm[];
extern const char bench_os_raw_flock[];

extern const char bench_os_raw_mq[];
extern const char bench_os_raw_mqos[];

/* One whole life of a named section of size bytes, with the raw calls: created (named from
 * name), mapped, one byte written every 4096, unmapped, closed, its name removed. 0 or -1. */
int bench_raw_shm_cycle(const char *name, size_t size);

/* A raw ping/pong pair of named OS objects for the signalling mechanisms (BENCH_RAW_EVENT: an
 * auto-reset event made of a futex word on Linux, CreateEventW on Windows; BENCH_RAW_SEM:
 * sem_open or CreateSemaphoreW), named from tag. The creator makes them, the peer opens them. */
enum bench_raw_sig_kind { BENCH_RAW_EVENT, BENCH_RAW_SEM };
struct bench_raw_sig;
struct bench_raw_sig *bench_raw_sig_open(enum bench_raw_sig_kind kind, const char *tag, int create);
/* Signals (which 0: ping, 1: pong), or waits without a limit. 0 or -1. */
int bench_raw_sig_post(struct bench_raw_sig *s, int which);
int bench_raw_sig_wait(struct bench_raw_sig *s, int which);
/* Waits as bench_raw_sig_wait without its spin, for a caller that spun on a condition of its own
 * (the ring of the mq mechanism). 0 or -1. */
int bench_raw_sig_sleep(struct bench_raw_sig *s, int which);
/* Closes; the creator also removes the names. */
void bench_raw_sig_close(struct bench_raw_sig *s);

/* The OS's own message queue, the raw side of the mqos mechanism, named from tag. Linux: a POSIX
 * queue (mq_open), blocking mq_send and mq_receive, holding at most capacity messages and no more
 * than fs.mqueue.msg_max (the limit of a user without CAP_SYS_RESOURCE). Windows has no queue: a
 * message-mode named pipe, one instance per producer, which the consumer reads with an
 * overlapped ReadFile kept pending on each and WaitForMultipleObjects. The consumer creates it for
 * `producers` senders (at most 8) and messages of msg_size bytes; each producer opens it and only
 * sends. recv returns the message's size or -1; send 0 or -1. The creator's close removes it. */
struct bench_raw_queue;
struct bench_raw_queue *bench_raw_queue_create(
    const char *tag, int producers, size_t capacity, size_t msg_size);
struct bench_raw_queue *bench_raw_queue_open(const char *tag);
int bench_raw_queue_send(struct bench_raw_queue *q, const void *buf, size_t len);
long bench_raw_queue_recv(struct bench_raw_queue *q, void *buf, size_t cap);
void bench_raw_queue_close(struct bench_raw_queue *q);

/* The raw side of the waitset mechanism: the plain wait a program makes on one pipe's read end,
 * native, among idle others, then a read. Linux: an epoll set holding native and the idle ones,
 * epoll_wait, then read(2). Windows: an overlapped ReadFile on native, WaitForMultipleObjects on
 * its event, and its result; the idle ones are left out (each would need a read of its own, and
 * the call takes 64 handles). read blocks for at least one byte; -1 on error. */
struct bench_raw_waiter *bench_raw_waiter_open(intptr_t native, const intptr_t *idle, size_t n_idle);
long bench_raw_waiter_read(struct bench_raw_waiter *w, void *buf, size_t cap);
void bench_raw_waiter_close(struct bench_raw_waiter *w);

/* The raw side of the pass mechanism: one handle to the peer process over the connection conn
 * (a bench_raw on a byte-mode named-pipe connection), as a program does it without xipc.
 * Linux: sendmsg with the descriptor as SCM_RIGHTS beside one byte, recvmsg. Windows:
 * DuplicateHandle into the peer (a process handle opened once per peer), then the value's 8
 * bytes over the pipe. send: 0 or -1; recv: the handle now in this process, or -1. */
int bench_raw_pass_send(struct bench_raw *conn, intptr_t native, uint64_t peer_pid);
intptr_t bench_raw_pass_recv(struct bench_raw *conn);
void bench_raw_pass_close(intptr_t native);

/* Lets this process hold at least want descriptors (POSIX: raises the soft RLIMIT_NOFILE); 0 or
 * -1. */
int bench_os_raise_fd_limit(unsigned want);

/* A raw lock file for the flock mechanism: opened read-write as a program that never heard of
 * xipc opens it, and locked with the OS's blocking call (POSIX open(2) + fcntl F_OFD_SETLKW;
 * Windows a synchronous CreateFileW + LockFileEx without LOCKFILE_FAIL_IMMEDIATELY), the first
 * byte exclusively. */
struct bench_raw_file;
struct bench_raw_file *bench_raw_file_open(const char *path);
/* Locks byte 0 exclusively, waiting without a limit; unlocks it. 0 or -1. */
int bench_raw_file_lock(struct bench_raw_file *f);
int bench_raw_file_unlock(struct bench_raw_file *f);
void bench_raw_file_close(struct bench_raw_file *f);

#endif /* XIPC_BENCH_OS_H */
