/* common/platform.h: the internal contract. posix/ and win32/ each implement every function
 * declared here; CMake compiles exactly one of them. common/ implements the public API on top:
 * it checks arguments, allocates handles and calls xipc__os_*.
 *
 * Rules every implementation keeps:
 * - Return 0 or a negative XIPC_E* code; an OS failure goes through XIPC__OS_FAIL, and any other
 *   failure with something to say through XIPC__FAIL, so that xipc_last_os_error_describe() can
 *   report it ("Errors").
 * - Never return EINTR (or its like): retry with the time left to the deadline.
 * - Create every OS object non-inheritable.
 * - A zeroed struct xipc__os_* is "not open"; closing it is a no-op.
 */
#ifndef XIPC_COMMON_PLATFORM_H
#define XIPC_COMMON_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xipc/base.h"
#include "xipc/fifo.h"
#include "xipc/npipe.h"
#include "xipc/proc.h"
#include "xipc/sock.h"
#include "xipc/shm.h"
#include "xipc/signal.h"
#include "xipc/sync.h"
#include "xipc/waitset.h"

/* The kinds of xipc object are the public enum xipc_kind (xipc/base.h); the kind table
 * (common/kinds.h) says what the handle layer does with each. A platform needs the kinds for the
 * synchronisation objects. */

/* The most native handles one object hands to a child (a Windows mutex: mutex and section). */
#define XIPC__NATIVES_MAX 2

/* ---- Waiting on objects --------------------------------------------------------------------- */

/* How a wait can be made on an object: each platform answers for every kind (the waitable column
 * of the kind table), object by object, since one kind may be several things (a Windows stream
 * over a synchronous standard handle is not an overlapped pipe). xipc_handle_native() gives the
 * native of the first three; the wait sets to come build on all of them (include/xipc/waitset.h). */
enum xipc__wait_how {
    /* Nothing to wait on: the object has no readiness, or no way at all is known to wait for it
     * on this platform. xipc_handle_native(): XIPC_ENOTSUP. */
    XIPC__WAIT_NONE = 0,
    /* A descriptor that poll() and epoll report ready (POSIX): pipe and FIFO ends, sockets
     * (named-pipe connections, message pipes, a listening server), a pidfd (ended). Windows: a
     * SOCKET, which WSAPoll reports ready the same way (TCP and AF_UNIX connections, listeners,
     * UDP endpoints), and which no WaitForMultipleObjects takes. */
    XIPC__WAIT_FD = 1,
    /* A HANDLE that WaitForMultipleObjects reports signalled with no call in flight (Windows):
     * processes, events, semaphores and mutexes (a wait takes an auto-reset event, a semaphore
     * unit or a mutex, which xipc must then account for: a mutex's recovery record), and a
     * named-pipe server's connect event (the server keeps its spare instance's connect
     * pending). */
    XIPC__WAIT_SIGNALLED = 2,
    /* A HANDLE that is signalled only once an overlapped call has been started on it, which the
     * waiter must arm first (Windows pipe ends: a zero-byte overlapped ReadFile for "readable";
     * a write's completion for "writable"). */
    XIPC__WAIT_ARMED = 3,
    /* No native the OS can wait on: a helper must make one (a thread that waits, or an event the
     * object sets) before a wait set can take the object. POSIX events, semaphores and mutexes
     * (a futex or sem_t in shared memory); a POSIX process where the kernel has no pidfds
     * (SIGCHLD); a Windows FIFO reader (its writers' instances report to its own completion
     * port, which no wait takes); a Windows stream over a synchronous standard handle. */
    XIPC__WAIT_HELPER = 4,
};

/* One object's answer. Data xipc already holds in user space is not one of the ways above but
 * comes on top of one, so it is a flag: while held, the object is ready now whatever its native
 * says, and once the data is taken the object waits the way `how` says again (a Windows FIFO
 * reader's buffered frames; a Windows message pipe's kept message head). */
struct xipc__wait {
    enum xipc__wait_how how;
    intptr_t native; /* for XIPC__WAIT_FD, _SIGNALLED and _ARMED: the fd or HANDLE, borrowed */
    bool held; /* data is held in user space: ready for reading now */
};

/* ---- Time ---------------------------------------------------------------------------------- */

/* A point on the monotonic clock, in nanoseconds. XIPC__DEADLINE_NEVER means no limit. */
typedef uint64_t xipc__deadline;
#define XIPC__DEADLINE_NEVER UINT64_MAX

/* Nanoseconds on a clock that never goes back (CLOCK_MONOTONIC, QueryPerformanceCounter). */
uint64_t xipc__os_clock_ns(void);

/* The deadline timeout_ms from now (XIPC_FOREVER: XIPC__DEADLINE_NEVER). timeout_ms must already
 * be checked with xipc__timeout_check(). */
xipc__deadline xipc__deadline_in(int timeout_ms);

/* Milliseconds left before dl, rounded up so a wait never ends early: XIPC_FOREVER for
 * XIPC__DEADLINE_NEVER, 0 once dl has passed. */
int xipc__deadline_left_ms(xipc__deadline dl);

/* 0 if timeout_ms is XIPC_FOREVER or >= 0, else XIPC_EINVAL. */
int xipc__timeout_check(int timeout_ms);

/* A timeout whose deadline is fixed only when a call first has to wait, so that a transfer that
 * goes at once never reads the clock: on this project's VM a clock read costs about 25 ns, an
 * eighth of a 64-byte pipe write. The wait then starts late by the one try made before it,
 * microseconds. */
struct xipc__lazy_deadline {
    int timeout_ms; /* checked by xipc__timeout_check() */
    bool fixed;
    xipc__deadline dl; /* once fixed */
};

/* timeout_ms (checked) as a lazy deadline, not fixed yet. */
static inline struct xipc__lazy_deadline
xipc__lazy_deadline_in(int timeout_ms)
{
    struct xipc__lazy_deadline ld = { timeout_ms, false, 0 };
    return ld;
}

/* The deadline, fixed now if it was not yet: for the calls that need one. */
xipc__deadline xipc__lazy_deadline_get(struct xipc__lazy_deadline *ld);

/* Sleeps about ms milliseconds (nanosleep, Sleep); an interrupted sleep just ends early. */
void xipc__os_sleep_ms(unsigned ms);

/* For the waits the OS offers no timeout for, which can only try again (a FIFO's open(2), a full
 * connection backlog, a FIFO reader that has not opened, waitpid without a pidfd): pauses
 * *pause_ms, or what is left before dl if less, then doubles *pause_ms up to max_ms. Start
 * *pause_ms at 1. XIPC_ETIMEDOUT, without pausing, once dl has passed. (common/clock.c) */
int xipc__pause_before_retry(xipc__deadline dl, unsigned *pause_ms, unsigned max_ms);

/* ---- Errors (common/error.c records; posix_error.c / win32_error.c translate) ---------------
 * One record per thread says why the last failed call failed (xipc_last_os_error_describe), and
 * never speaks of an older call:
 * - every public call that returns an XIPC_E* code starts with xipc__error_clear(), one
 *   thread-local store, before it checks anything; the name checks, which other calls use
 *   inside, need none, since each failure they report records itself;
 * - a failure records itself where it is found: XIPC__OS_FAIL for a failed OS call, XIPC__FAIL
 *   with a reason for any other failure worth a word, a misuse above all. A failure that records
 *   nothing (XIPC_ETIMEDOUT, say) leaves the record empty: its code says all there is.
 * A later record in the same call replaces an earlier one, so a call that fails after it
 * recovered from something (a retried connect) reports what made it fail. */

/* Translates an OS error code (errno, GetLastError() or WSAGetLastError()) into an XIPC_E* code.
 * A code with no equivalent becomes XIPC_EOS, never a guess. */
int xipc__os_error_map(long os_code);

/* Writes the OS's own text for os_code into buf (strerror_r, FormatMessageW), NUL-terminated. */
void xipc__os_error_text(long os_code, char *buf, size_t cap);

/* Records a failed OS call for xipc_last_os_error() and returns its XIPC_E* code. Use the macro,
 * with the OS code saved right after the failing call, before anything can overwrite it. */
int xipc__os_fail(long os_code, const char *call, const char *object, const char *file, int line);
#define XIPC__OS_FAIL(os_code, call, object) \
    xipc__os_fail((long)(os_code), (call), (object), __FILE__, __LINE__)

/* Records a failure that is no OS call's and returns code. why is a string literal naming the
 * argument first and what is wrong with it ("flags: neither XIPC_CREATE nor
 * XIPC_OPEN"), kept by pointer: no formatting, no copy. */
int xipc__fail(int code, const char *why, const char *file, int line);
#define XIPC__FAIL(code, why) xipc__fail((code), (why), __FILE__, __LINE__)

/* Empties this thread's record: the first thing every public call that can fail does. */
void xipc__error_clear(void);

/* Parses a non-negative decimal number with no leading zeros that fills [p, end) exactly
 * (end NULL: up to the NUL), as export texts write native handles. XIPC_EINVAL otherwise. */
int xipc__parse_native(const char *p, const char *end, intptr_t *out);

/* ---- Handles owned by this process (common/handle.c) ------------------------------------ */

/* Whether a live xipc handle of this process already holds the native handle (fd or HANDLE
 * value), as anything it holds (the holds column of the kind table). An import calls it before it
 * changes anything about the native (close-on-exec, mapping), and refuses an owned one with
 * XIPC_EEXIST: two owners of one OS handle would close it under each other. */
bool xipc__handle_owns_native(intptr_t native);

/* ---- Process-wide lock ---------------------------------------------------------------------- */

/* One process-wide mutex, statically initialised, for short critical sections in common/ (the
 * handle registry's changes: its check of a live handle takes no lock). Not recursive. */
void xipc__os_global_lock(void);
void xipc__os_global_unlock(void);

/* The platform's types: posix/platform_types.h or win32/platform_types.h, whichever directory CMake
 * puts on the include path. They define struct xipc__os_stream, xipc__os_proc, xipc__os_sync and
 * xipc__os_npipe. */
#include "platform_types.h"

/* Storage per thread: C11's _Thread_local, unless the platform's types say how its compilers
 * spell it (cl has no _Thread_local in C). */
#ifndef XIPC__THREAD_LOCAL
#define XIPC__THREAD_LOCAL _Thread_local
#endif

/* ---- Streams -------------------------------------------------------------------------------- */

/* Creates an anonymous pipe: rd is the reading end, wr the writing end. Both non-inheritable.
 * On failure both structs stay zeroed ("not open"). */
int xipc__os_pipe(struct xipc__os_stream *rd, struct xipc__os_stream *wr);

/* The two transfers take the caller's timeout_ms (checked), not a deadline, because
 * xipc_stream_read and _write hand over to them as their last step, a tail call: the OS call is
 * then one return away from the program, as a raw read() is. On this project's VM every call
 * level around a syscall costs ~5 ns (the returns after it are mispredicted: the kernel's
 * speculation mitigations refill the return stack buffer), against ~200 ns for a 64-byte pipe
 * write; the levels this saves measured ~12 ns a call. The timeout also lets a platform fix the
 * deadline lazily (above), as POSIX does.
 *
 * Each stream variant of a platform (a pipe, a FIFO end, a byte-mode connection, a standard
 * handle; the sockets to come) has its own transfers, chosen when the stream is made: the struct
 * carries a variant tag, and the platform's read and write dispatch on it once, instead of
 * testing a flag per variant. A plain pipe's transfer stays inline behind one test of the tag,
 * so that its OS call is still one call below xipc_stream_read; the other variants are a tail
 * call away. (A table of functions indexed by the tag, one indirect jump, measured the same.)
 *
 * Waits up to timeout_ms for at least one byte, then reads what is there, up to cap (> 0) bytes,
 * and sets *got. 0 with *got == 0 is end of stream. XIPC_ETIMEDOUT when nothing came in time (a
 * timeout of 0 still tries once). On failure *got is left alone or set to 0. */
int xipc__os_stream_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, int timeout_ms);

/* Writes all len bytes, waiting up to timeout_ms in all for room. *put gets how many went, also
 * on failure. XIPC_ETIMEDOUT when the time ran out first; XIPC_EPIPE when no reader is left
 * (never a SIGPIPE). A platform implements it as xipc__stream_write_all(its own write_some). */
int xipc__os_stream_write(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, int timeout_ms);

/* One OS write of a platform (static in its file): waits until the deadline for room, then writes
 * as much of len (> 0) bytes as goes without waiting further. *put gets the count, also on
 * failure. Returns 0 when *put > 0, else the error. */
typedef int xipc__write_some_fn(struct xipc__os_stream *s, const void *buf, size_t len,
    size_t *put, struct xipc__lazy_deadline *ld);

/* xipc__os_stream_write on top of a platform's write_some: the one deadline for the whole write,
 * and the loop until every byte went or one write_some failed. Inline, so that the platform's
 * static write_some inlines into its xipc__os_stream_write and the OS call stays one call deep. */
static inline int
xipc__stream_write_all(xipc__write_some_fn *write_some, struct xipc__os_stream *s,
    const void *buf, size_t len, size_t *put, int timeout_ms)
{
    const unsigned char *p = buf;
    struct xipc__lazy_deadline ld = xipc__lazy_deadline_in(timeout_ms);
    size_t done = 0;
    int rc = 0;
    while (done < len) {
        size_t n = 0;
        rc = write_some(s, p + done, len - done, &n, &ld);
        done += n;
        if (rc != 0)
            break;
    }
    *put = done;
    return rc;
}

/* xipc_sigpipe_ignore(): SIGPIPE's action becomes SIG_IGN for the whole process, and stream
 * writes stop blocking it around each write. Windows has no SIGPIPE: 0. */
int xipc__os_sigpipe_ignore(void);

/* Closes the OS object(s); a zeroed struct is a no-op. */
void xipc__os_stream_close(struct xipc__os_stream *s);

/* The OS handle a child inherits for this stream (fd, HANDLE), as an integer. */
intptr_t xipc__os_stream_native(const struct xipc__os_stream *s);

/* Whether native is one of the OS handles the stream holds, whatever it uses it for (its
 * descriptor or pipe, its events; a Windows FIFO reader's every pipe instance, port, thread and
 * event). Called with the registry's lock held, from any thread (xipc__handle_owns_native): it
 * must neither block nor call back into the registry. */
bool xipc__os_stream_holds(const struct xipc__os_stream *s, intptr_t native);

/* How a wait on the stream is made (struct xipc__wait). Message pipes, whose OS part is a
 * struct xipc__os_stream too, answer through it. */
void xipc__os_stream_waitable(const struct xipc__os_stream *s, struct xipc__wait *w);

/* Adopts a native handle inherited from the parent (the value xipc__os_stream_native gave there).
 * Before it changes anything about the native, checks that it is open (XIPC_EBADF otherwise),
 * that no xipc handle of this process holds it (XIPC_EEXIST, see xipc__handle_owns_native), and
 * that it is a stream this platform can use (XIPC_EINVAL otherwise: POSIX takes a pipe, a FIFO
 * or a connected SOCK_STREAM socket that does not listen, Windows a named or anonymous pipe).
 * Then makes it non-inheritable again and sets it up as an xipc stream. */
int xipc__os_stream_adopt(intptr_t native, struct xipc__os_stream *s);

/* Adopts, as xipc__os_stream_adopt, a native that xipc__os_pass_recv just received from a peer
 * (xipc_stream_receive). It came non-inheritable (POSIX: with MSG_CMSG_CLOEXEC; Windows:
 * duplicated in with bInheritHandle FALSE), so nothing about its inheritance is asked or changed;
 * the other checks and codes are xipc__os_stream_adopt's. */
int xipc__os_stream_adopt_passed(intptr_t native, struct xipc__os_stream *s);

/* Adopts, as xipc__os_stream_adopt, a message-mode connection inherited from the parent. Before
 * it changes anything about the native, checks that it is open (XIPC_EBADF otherwise), that it is
 * a message connection (XIPC_EINVAL otherwise: POSIX takes a connected AF_UNIX SOCK_SEQPACKET
 * socket that does not listen, Windows a named pipe of type PIPE_TYPE_MESSAGE), and that no xipc
 * handle of this process holds it (XIPC_EEXIST). Then makes it non-inheritable again and sets it
 * up for xipc__os_msg_send and _recv. Its peer pid: POSIX as before; Windows XIPC_ENOTSUP, as for
 * a stream passed on. */
int xipc__os_msgpipe_adopt(intptr_t native, struct xipc__os_stream *s);

/* A stream over a non-inheritable duplicate of this process's standard stream which (0 stdin,
 * 1 stdout, 2 stderr), so that closing the stream leaves the standard stream open. Its open file
 * description (POSIX) or file object (Windows) is shared with others (the parent, a shell, a
 * terminal), so nothing about it changes: POSIX never sets O_NONBLOCK on it. Such a stream is
 * not passable (xipc__os_stream_share): a child's import would change it. XIPC_EBADF
 * when that standard stream is closed or absent; Windows: XIPC_ENOTSUP for a handle whose I/O
 * xipc cannot time out (a socket, an overlapped file). */
int xipc__os_stream_stdio(int which, struct xipc__os_stream *s);

/* ---- Events, semaphores, mutexes ----------------------------------------------------------- */

/* One struct xipc__os_sync serves the three kinds; kind says which, and the platform keeps it.
 *
 * Opens or creates an object. name: checked by common/ and without its leading '/', or NULL for
 * a new anonymous object. flags: XIPC_CREATE and/or XIPC_OPEN (ignored for NULL name)
 * plus the kind's own (XIPC_EVENT_*). initial: a semaphore's initial value, else 0. *created
 * tells whether this call created the named object. Errors: XIPC_EEXIST (create-only, name
 * taken by anything but an object of the other kind), XIPC_ENOENT (open-only, no such name),
 * XIPC_EINVAL (the name holds another kind), XIPC_EACCES (POSIX: another user's object, one open
 * to group or others, or a link at the name), XIPC_ECORRUPT (what the name holds is not a whole
 * xipc object: a creator died half way, or our own file of the wrong type or size),
 * XIPC_EBUSY (POSIX, anonymous: memfd_create is missing and every temporary name was taken).
 * Nothing that inspects what a name holds may block on it or follow a link to it. On failure
 * the struct stays zeroed. */
int xipc__os_sync_open(enum xipc_kind kind, const char *name, unsigned flags, unsigned initial,
    struct xipc__os_sync *s, bool *created);

/* Closes this process's handle; the object and its name stay. A zeroed struct is a no-op. */
void xipc__os_sync_close(struct xipc__os_sync *s);

/* Removes a name: 0, or XIPC_ENOENT when nothing has it, XIPC_EINVAL when an object of another
 * kind has it (on Windows, where the kinds share one namespace, also a semaphore), XIPC_EACCES
 * (POSIX) when it is not ours to remove. Windows: names cannot be removed; 0 when an object of
 * this kind still has the name (left alone), XIPC_ENOENT otherwise. */
int xipc__os_sync_unlink(enum xipc_kind kind, const char *name);

/* The value part of the export text (numbers, or a name), NUL-terminated; XIPC_ENAMETOOLONG. */
int xipc__os_sync_export(const struct xipc__os_sync *s, char *buf, size_t cap);

/* In a child: the object behind an export value. Checks at once, before it changes anything:
 * XIPC_EINVAL for a malformed value or a native that is not an object of this kind (a pipe, a
 * file, another kind), XIPC_EBADF when the handles it names are not open here, XIPC_EEXIST when
 * a live handle of this process holds them already (xipc__handle_owns_native). Then makes them
 * non-inheritable again. */
int xipc__os_sync_import(enum xipc_kind kind, const char *value, struct xipc__os_sync *s);

/* The native handles a child must inherit (0 to XIPC__NATIVES_MAX). */
size_t xipc__os_sync_natives(const struct xipc__os_sync *s, intptr_t out[XIPC__NATIVES_MAX]);

/* Whether native is one of the OS handles the object holds; as xipc__os_stream_holds. */
bool xipc__os_sync_holds(const struct xipc__os_sync *s, intptr_t native);

/* How a wait on the object is made (struct xipc__wait). */
void xipc__os_sync_waitable(const struct xipc__os_sync *s, struct xipc__wait *w);

/* Events: set, reset, and wait until dl (an auto-reset event is consumed by the wait).
 * XIPC_ETIMEDOUT; XIPC_ECORRUPT if the shared state holds a value no xipc process writes. */
int xipc__os_event_set(struct xipc__os_sync *s);
int xipc__os_event_reset(struct xipc__os_sync *s);
int xipc__os_event_wait(struct xipc__os_sync *s, xipc__deadline dl);

/* Semaphores: post (XIPC_ELIMIT at XIPC_SEM_VALUE_MAX, nothing changed), wait until dl, and
 * value, a snapshot of the count (never negative). */
int xipc__os_sem_post(struct xipc__os_sync *s);
int xipc__os_sem_wait(struct xipc__os_sync *s, xipc__deadline dl);
int xipc__os_sem_value(struct xipc__os_sync *s, unsigned *value);

/* Mutexes, recursive and robust: lock until dl (0, XIPC_EOWNERDEAD held, XIPC_ENOTRECOVERABLE
 * not held, XIPC_ETIMEDOUT), consistent (XIPC_EINVAL unless held after XIPC_EOWNERDEAD), unlock
 * (XIPC_EPERM when not the owner; unlocking while inconsistent makes it not recoverable). */
int xipc__os_mutex_lock(struct xipc__os_sync *s, xipc__deadline dl);
int xipc__os_mutex_consistent(struct xipc__os_sync *s);
int xipc__os_mutex_unlock(struct xipc__os_sync *s);

/* ---- Named pipes and FIFOs ------------------------------------------------------------------ */

/* A connection (either end, byte or message mode) and a FIFO end are struct xipc__os_stream too:
 * xipc__os_stream_read/write/close work on byte-mode ones; the msg calls on message-mode
 * ones. name: checked by common/, in its xipc__npipe_name form. mode: XIPC_NPIPE_BYTE or
 * _MESSAGE. */

/* The form of a checked name that every part of one named pipe is named from: without its
 * leading '/', and folded to lower case. Windows pipe names are case-insensitive and
 * machine-wide, while the Local\ events that go with a server (its claim, its mode) and POSIX
 * file names are case-sensitive: folded once, "Foo" and "foo" are one server on both platforms,
 * for every part of it. (common/name.c) */
void xipc__npipe_name(const char *name, char out[XIPC_NAME_MAX + 1]);

/* Starts a server: XIPC_EADDRINUSE when a live server has the name, xipc's or not (POSIX takes
 * over a socket file whose server is gone, and leaves a live one alone); POSIX: XIPC_EEXIST when
 * something other than a socket has the path (left alone too), XIPC_EACCES for a runtime
 * directory that is not the user's alone, XIPC_ENAMETOOLONG when the path does not fit
 * sun_path. */
int xipc__os_npipe_listen(const char *name, unsigned mode, struct xipc__os_npipe *srv);

/* Waits until dl for the next client; conn becomes the server's end. XIPC_ETIMEDOUT. */
int xipc__os_npipe_accept(
    struct xipc__os_npipe *srv, struct xipc__os_stream *conn, xipc__deadline dl);

/* Connects; XIPC_ENOENT at once when no server has the name, XIPC_ETIMEDOUT when the server,
 * whoever made it, stayed busy (every instance taken, backlog full) until dl, XIPC_EINVAL for a
 * server of the other mode. A name missing, after a busy server or with XIPC_NPIPE_WAIT_SERVER
 * in flags (checked by common/), follows struct xipc__npipe_patience. */
int xipc__os_npipe_connect(const char *name, unsigned mode, unsigned flags,
    struct xipc__os_stream *conn, xipc__deadline dl);

/* Closes this process's hold on the server. The name lasts while any process holds the server
 * (its maker, a child it was passed to, a copy made by fork): only the last holder's close
 * releases it (POSIX: unlinks the socket file and the lock file; Windows: the claim event goes
 * with its last handle). A holder that dies releases its hold as a close does, but leaves the
 * files to the next listen (POSIX). */
void xipc__os_npipe_close(struct xipc__os_npipe *srv);

/* Passing a server to a child. The child inherits two natives, out[0] and out[1] (POSIX: the
 * listening socket and the lock file's descriptor, which shares the holders' lock; Windows: the
 * claim event, which keeps the name claimed, and the mode mark), gets the name and mode from the
 * export text, and accepts on the same name (Windows: on pipe instances of its own, made after
 * the first). */
void xipc__os_npipe_natives(const struct xipc__os_npipe *srv, intptr_t out[XIPC__NATIVES_MAX]);

/* The server's name, without the leading '/'. */
const char *xipc__os_npipe_name(const struct xipc__os_npipe *srv);

/* In a child: adopts the server behind natives (the values xipc__os_npipe_natives gave in the
 * parent), with the name and mode the text gave (the name checked by common/). Before it changes
 * anything, checks that they are open (XIPC_EBADF), that they
 * are that server's (XIPC_EINVAL: POSIX a listening AF_UNIX socket of the mode bound at
 * <runtime dir>/NAME and the lock file beside it; Windows the claim event of NAME and its mark
 * of the mode), and that no xipc handle of this process holds them (XIPC_EEXIST). Then makes
 * them non-inheritable again and starts listening (Windows: a spare instance, not a first
 * one). */
int xipc__os_npipe_adopt(
    const char *name, unsigned mode, const intptr_t natives[2], struct xipc__os_npipe *srv);

/* Whether native is one of the OS handles the server holds (its socket and lock file; its claim,
 * events, lock and spare instance); as xipc__os_stream_holds. */
bool xipc__os_npipe_holds(const struct xipc__os_npipe *srv, intptr_t native);

/* How a wait for the server's next client is made (struct xipc__wait). */
void xipc__os_npipe_waitable(const struct xipc__os_npipe *srv, struct xipc__wait *w);

/* How a connect tells a server between two instances from no server (common/npipe.c). Until the
 * call has seen the server busy, a missing name (no pipe, no socket file, or one nobody listens
 * on) is final: XIPC_ENOENT at once. Once it has, the name may be missing for up to
 * XIPC__NPIPE_GAP_MS in a row, as when a server closes its only, busy instance and then makes the
 * next (Windows: no instance exists in between, and WaitNamedPipeW says ERROR_FILE_NOT_FOUND),
 * before it counts as gone. A connect with XIPC_NPIPE_WAIT_SERVER (wait_server) looks again until
 * dl instead, however long the name is missing. Zeroed at the start of each connect, but for
 * wait_server. */
#define XIPC__NPIPE_GAP_MS 1000
struct xipc__npipe_patience {
    bool wait_server;
    bool seen_busy;
    bool missing; /* the name has been missing since the last sign of the server */
    xipc__deadline gap_end; /* while missing: when the server counts as gone */
    unsigned pause_ms; /* the next pause before looking again */
};

/* The server was busy: a name missing after this may be a server between instances. */
void xipc__npipe_saw_busy(struct xipc__npipe_patience *p);

/* The name was missing. 0 after a short pause: look again. XIPC_ENOENT: no server (final).
 * XIPC_ETIMEDOUT: dl passed while a server that was busy, or one waited for, had not come. */
int xipc__npipe_after_missing(struct xipc__npipe_patience *p, xipc__deadline dl);

/* Sends one message (1..XIPC_MSGPIPE_MAX bytes, checked by common/) whole or not at all:
 * XIPC_ETIMEDOUT, XIPC_EPIPE or XIPC_ECLOSED (peer gone). */
int xipc__os_msg_send(struct xipc__os_stream *s, const void *buf, size_t len, xipc__deadline dl);

/* Receives one message. Too large for cap: XIPC_EMSGSIZE with *len = its size, and the message
 * stays queued. XIPC_ECLOSED when the peer closed and nothing is left. */
int xipc__os_msg_recv(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *len, xipc__deadline dl);

/* Whether a message pipe holds the start of a message in this process (Windows, after a
 * receive with too small a buffer; POSIX never does): it cannot be passed to a child then, since
 * those bytes would not go along. */
bool xipc__os_msg_held(const struct xipc__os_stream *s);

/* The peer's process id for a named-pipe connection; XIPC_ENOTSUP for other streams. */
int xipc__os_stream_peer_pid(const struct xipc__os_stream *s, uint64_t *pid);

/* Readies the stream for another process to hold it too (an extra handle for a child, an export
 * text, a handle sent to a running process): from now on its transfers must not count on a
 * descriptor mode only this process sets (POSIX FIFO ends, posix_stream.c). XIPC_ENOTSUP for a
 * stream that cannot be passed on (a Windows FIFO reader, a stream over a standard handle), or
 * the OS failure. */
int xipc__os_stream_share(struct xipc__os_stream *s);

/* FIFOs (xipc/fifo.h): path is UTF-8, non-empty; none of these follows a symbolic link (or
 * reparse point) at path, and none blocks on what it finds there. create: XIPC_EEXIST (anything at
 * path, a link included). remove: XIPC_ENOENT, XIPC_EINVAL (not a FIFO), XIPC_EACCES (a link).
 * open: mode is XIPC_FIFO_READ or _WRITE, ORed with XIPC_FIFO_NOWAIT and _SHARED (checked by
 * common/); XIPC_ENOENT for no FIFO at path, XIPC_EINVAL for a path that is not a FIFO,
 * XIPC_EACCES for a link, or without _SHARED a FIFO of another user or open to group or others
 * (checked before the open locks or waits), XIPC_EBUSY for a second reader. Without _NOWAIT it
 * waits until dl for the other side (XIPC_ETIMEDOUT); with it a reader returns at once, and a
 * writer returns XIPC_ECONNREFUSED at once when there is no reader. A reader holds no byte of the
 * FIFO's: what it has not returned stays in the FIFO for whoever reads next (POSIX). Every path
 * the platform cannot name is XIPC_EINVAL or XIPC_ENAMETOOLONG. */
int xipc__os_fifo_create(const char *path);
int xipc__os_fifo_remove(const char *path);
int xipc__os_fifo_open(
    const char *path, unsigned mode, struct xipc__os_stream *s, xipc__deadline dl);

/* ---- Processes ------------------------------------------------------------------------------ */

/* Everything xipc_spawn() checked and prepared, in the form the platform needs. */
struct xipc__spawn_plan {
    const char *file; /* as given: the platform resolves it (PATH, ".exe") */
    const char *const *argv; /* NULL-terminated, argv[0] present */
    const char *const *env; /* the child's whole environment, or NULL for the parent's */
    const char *cwd; /* or NULL */
    int stdio_mode[3]; /* enum xipc_stdio_mode */
    struct xipc__os_stream *stdio_stream[3]; /* for XIPC_STDIO_STREAM */
    /* For XIPC_STDIO_PIPE, filled by xipc__os_spawn: it makes the pipe, gives the child its end,
     * made for a program that is not xipc (POSIX blocking; Windows synchronous, opened without
     * FILE_FLAG_OVERLAPPED), closes that end in this process, and on success leaves this
     * process's end open here, an ordinary stream as xipc__os_pipe makes them (stdin: the end
     * that writes; stdout, stderr: the end that reads). On failure all three stay zeroed. */
    struct xipc__os_stream stdio_pipe[3];
    const intptr_t *inherit; /* native handles to pass on, each keeping its value */
    size_t inherit_count;
    unsigned flags; /* XIPC_SPAWN_* */
};

/* Starts the child described by plan. XIPC_ENOENT for a missing program or cwd (reported from
 * the child on POSIX, whose exec failure reaches the parent through a close-on-exec pipe). */
int xipc__os_spawn(struct xipc__spawn_plan *plan, struct xipc__os_proc *p);

/* Waits until dl for the child to end and fills *status (XIPC_EXIT_KILLED, code 0, when it ended by
 * xipc__os_proc_kill). Reaps it on POSIX; a later call gives the same status. XIPC_ECHILD, then and
 * on every later call, when the status is gone (POSIX: the OS reaped the child on its own, SIGCHLD
 * being ignored, or another part of the program did, and the kernel kept no status for the child's
 * pidfd). */
int xipc__os_proc_wait(struct xipc__os_proc *p, xipc_exit_status *status, xipc__deadline dl);

/* Ends the child now; success if it already ended or its status is gone (never a signal to a
 * pid that may have been reused). */
int xipc__os_proc_kill(struct xipc__os_proc *p);

uint64_t xipc__os_proc_pid(const struct xipc__os_proc *p);
void xipc__os_proc_close(struct xipc__os_proc *p);

/* Whether native is one of the OS handles the process handle holds (a pidfd; the process
 * HANDLE); as xipc__os_stream_holds. */
bool xipc__os_proc_holds(const struct xipc__os_proc *p, intptr_t native);

/* How a wait for the child's end is made (struct xipc__wait). */
void xipc__os_proc_waitable(const struct xipc__os_proc *p, struct xipc__wait *w);
uint64_t xipc__os_self_pid(void);

/* The running program's absolute path, UTF-8, NUL-terminated in buf. XIPC_ENAMETOOLONG when it
 * does not fit in cap bytes. */
int xipc__os_self_exe(char *buf, size_t cap);

/* A copy of this process's environment as a NULL-terminated array of UTF-8 "KEY=VALUE" strings,
 * one malloc'd block that the caller frees with free(). */
int xipc__os_env_snapshot(char ***out);

/* Whether environment keys compare case-insensitively (Windows) or not (POSIX). */
bool xipc__os_env_keys_fold_case(void);

/* ---- Shared memory sections ----------------------------------------------------------------- */

/* struct xipc__os_shm (platform_types.h) has, on every platform, the members common/ reads:
 * `void *ptr`, the mapping's first byte, and `size_t size`, the section's size as its creator
 * asked. NULL ptr: not open.
 *
 * Opens or creates a section and maps it. name: checked by common/ and without its leading '/',
 * or NULL for a new anonymous section. flags: XIPC_CREATE and/or XIPC_OPEN (ignored for a NULL
 * name) and XIPC_SHM_READONLY (only with XIPC_OPEN alone: checked by common/). size: > 0 for a
 * section this call may create (checked by common/); for an existing one, the least size it must
 * have, 0 for any. *created tells whether this call created the named section. An opener never
 * maps a section whose creator has not set its size yet: it waits up to XIPC__SHM_INIT_WAIT_MS.
 * Errors: as xipc_shm_open (xipc/shm.h) lists them. On failure the struct stays zeroed and a
 * name this call created is removed again. */
#define XIPC__SHM_INIT_WAIT_MS 2000
int xipc__os_shm_open(
    const char *name, unsigned flags, size_t size, struct xipc__os_shm *s, bool *created);

/* Unmaps and closes this process's handle; the section and its name stay. Zeroed: no-op. */
void xipc__os_shm_close(struct xipc__os_shm *s);

/* Removes a name, as xipc_shm_unlink documents it (Windows: a probe only). */
int xipc__os_shm_unlink(const char *name);

/* The close of the handle s that created the section name, in the process that created it,
 * before s is closed: the name goes, with one check instead of those of xipc__os_shm_unlink:
 * POSIX leaves it when the object s holds was given to another user since. Windows: nothing, the
 * name goes with the last handle. */
void xipc__os_shm_drop_name(const struct xipc__os_shm *s, const char *name);

/* The value part of the export text, NUL-terminated; XIPC_ENAMETOOLONG. */
int xipc__os_shm_export(const struct xipc__os_shm *s, char *buf, size_t cap);

/* In a child: the section behind an export value, mapped. Checks at once, before it changes
 * anything: XIPC_EINVAL for a malformed value or a native that is not a section (or is smaller
 * than the value says), XIPC_EBADF when it is not open here, XIPC_EEXIST when a live handle of
 * this process holds it (xipc__handle_owns_native). Then makes it non-inheritable again. */
int xipc__os_shm_import(const char *value, struct xipc__os_shm *s);

/* The native handles a child must inherit (1). */
size_t xipc__os_shm_natives(const struct xipc__os_shm *s, intptr_t out[XIPC__NATIVES_MAX]);

/* Whether native is one of the OS handles the section holds; as xipc__os_stream_holds. */
bool xipc__os_shm_holds(const struct xipc__os_shm *s, intptr_t native);

/* ---- File mappings -------------------------------------------------------------------------- */

/* struct xipc__os_filemap has, on every platform, `void *ptr` (the byte at the offset asked for;
 * NULL: not open), `size_t size` (len) and `bool writable` (mapped read-write), which common/
 * reads.
 *
 * Maps len (> 0) bytes of the file at path from offset; flags and the range are checked by
 * common/ (XIPC_CREATE and/or XIPC_OPEN, XIPC_FILEMAP_*, offset + len within INT64_MAX). Errors:
 * as xipc_filemap_open lists them. On failure the struct stays zeroed (a file this call created
 * stays, empty or grown). */
int xipc__os_filemap_open(
    const char *path, unsigned flags, uint64_t offset, size_t len, struct xipc__os_filemap *m);

/* Makes [offset, offset + len) of a writable mapping durable (checked by common/). XIPC_EIO. */
int xipc__os_filemap_flush(struct xipc__os_filemap *m, size_t offset, size_t len);

/* Unmaps and closes. Zeroed: no-op. */
void xipc__os_filemap_close(struct xipc__os_filemap *m);

/* Whether native is one of the OS handles the mapping holds; as xipc__os_stream_holds. */
bool xipc__os_filemap_holds(const struct xipc__os_filemap *m, intptr_t native);

/* ---- Wait sets ------------------------------------------------------------------------------ */

/* A wait set's OS side (posix/posix_waitset.c, win32/win32_waitset.c): its entries, its lock and
 * whatever it sleeps in. common/waitset.c checks the arguments and keeps the list of live sets
 * that a handle's close walks. Every call may run while another thread waits on the set. */
struct xipc__os_waitset;

int xipc__os_waitset_open(struct xipc__os_waitset **out);

/* No thread waits on ws any more. */
void xipc__os_waitset_close(struct xipc__os_waitset *ws);

/* Adds h (live, checked), which waits as w says, for events (checked). XIPC_EEXIST when h is in
 * the set; XIPC_ENOTSUP for a way the platform cannot wait on; XIPC_EBUSY (Windows: a socket that
 * another set holds, one WSAEventSelect per socket); XIPC_ELIMIT; XIPC_ENOMEM. */
int xipc__os_waitset_add(struct xipc__os_waitset *ws, struct xipc_handle *h,
    const struct xipc__wait *w, unsigned events, void *user);

/* XIPC_ENOENT when h is not in the set. */
int xipc__os_waitset_modify(
    struct xipc__os_waitset *ws, struct xipc_handle *h, unsigned events, void *user);

/* Takes h out: XIPC_ENOENT when it is not in. Also the close of h (xipc__waitset_forget), before
 * h's OS handles close: when this returns, no wait uses them any more. Must not take the
 * process-wide lock, which the close holds. */
int xipc__os_waitset_remove(struct xipc__os_waitset *ws, struct xipc_handle *h);

/* Waits until dl; see xipc_waitset_wait. out has cap > 0 entries. */
int xipc__os_waitset_wait(struct xipc__os_waitset *ws, xipc_waitset_entry *out, size_t cap,
    size_t *n, xipc__deadline dl);

int xipc__os_waitset_wake(struct xipc__os_waitset *ws);

/* For the platforms (common/waitset.c). Whether a kind is taken by the wait that reports it
 * (events, semaphores, mutexes): at most one per call. */
bool xipc__waitset_acquiring(enum xipc_kind kind);

/* One look, without waiting, at an object that no OS handle reports ready (XIPC__WAIT_HELPER):
 * takes it if it is an acquiring one. 0 ready (taken); XIPC_ETIMEDOUT not ready;
 * XIPC_EOWNERDEAD taken (a mutex whose owner died); another code: report it in the entry (a
 * mutex not recoverable, a corrupt event). */
int xipc__waitset_try(struct xipc_handle *h);

/* The close of a live handle: takes it out of every set (common/kinds.c). */
void xipc__waitset_forget(struct xipc_handle *h);

/* ---- Sockets -------------------------------------------------------------------------------
 * TCP connections are struct xipc__os_stream (a stream socket variant of the platform: blocking
 * with the deadline in SO_RCVTIMEO/SO_SNDTIMEO on POSIX, as posix_socket.c does for named
 * pipes; non-blocking with WSAPoll waits on Windows), read, written and closed by the stream
 * calls. A listener is struct xipc__os_listener. Addresses are xipc_sockaddr (xipc/sock.h),
 * whose storage holds the OS's sockaddr; common/ checks everything but the address itself.
 * Windows starts Winsock (once) in each of these before its first socket call. */

/* The address of host (NULL: loopback) at port (checked, 0..65535), of the family flags ask
 * for (XIPC_SOCK_IPV4, _IPV6 or neither: the resolver's first). XIPC_ENOENT when there is
 * none. */
int xipc__os_sockaddr_resolve(const char *host, int port, unsigned flags, xipc_sockaddr *out);

/* Text of an IPv4 or IPv6 address ("a.b.c.d:p", "[v6]:p") and its port; XIPC_EINVAL for
 * another family. */
int xipc__os_sockaddr_format(const xipc_sockaddr *a, char *buf, size_t cap);
int xipc__os_sockaddr_port(const xipc_sockaddr *a, int *port);

/* The AF_UNIX address of path (checked: not empty). XIPC_ENAMETOOLONG when it does not fit
 * sun_path. */
int xipc__os_sockaddr_unix(const char *path, xipc_sockaddr *out);

/* AF_UNIX (xipc/sock.h): a listener at addr's path (the file made 0600 before it listens,
 * removed by close while still its own), a connection to one (XIPC_ENOENT, XIPC_ECONNREFUSED;
 * a full backlog is retried until dl), and a datagram endpoint bound at addr's path, or unbound
 * for addr NULL. XIPC_ENOTSUP where the OS has no such sockets. */
int xipc__os_unix_listen(const xipc_sockaddr *addr, struct xipc__os_listener *l);
int xipc__os_unix_connect(const xipc_sockaddr *addr, struct xipc__os_stream *s, xipc__deadline dl);
int xipc__os_unix_dgram_open(const xipc_sockaddr *addr, struct xipc__os_dgram *d);

/* Binds and listens on addr (IPv4 or IPv6; address reuse as xipc/sock.h says).
 * XIPC_EADDRINUSE, XIPC_EACCES, XIPC_EINVAL (not an address of this machine). */
int xipc__os_tcp_listen(const xipc_sockaddr *addr, struct xipc__os_listener *l);

/* Waits until dl for a client, then makes its connection the stream s. XIPC_ETIMEDOUT. */
int xipc__os_listener_accept(
    struct xipc__os_listener *l, struct xipc__os_stream *s, xipc__deadline dl);

/* Connects to addr by dl: XIPC_ECONNREFUSED, XIPC_ETIMEDOUT. */
int xipc__os_tcp_connect(const xipc_sockaddr *addr, struct xipc__os_stream *s, xipc__deadline dl);

int xipc__os_listener_addr(const struct xipc__os_listener *l, xipc_sockaddr *out);
void xipc__os_listener_close(struct xipc__os_listener *l);
bool xipc__os_listener_holds(const struct xipc__os_listener *l, intptr_t native);
void xipc__os_listener_waitable(const struct xipc__os_listener *l, struct xipc__wait *w);

/* UDP endpoints (struct xipc__os_dgram). open binds a new socket to addr. send sends one
 * datagram whole (to NULL: the connected peer), waiting until dl for room: XIPC_ETIMEDOUT,
 * XIPC_EMSGSIZE. recv waits until dl for one datagram and scatters it into buf (cap bytes) and
 * then spill (spill_cap bytes), so nothing of a datagram up to cap + spill_cap is cut; *len gets
 * its whole length, *from (if not NULL) its sender. An ICMP error that a receive reports for an
 * earlier send (ECONNREFUSED, WSAECONNRESET) is skipped. */
int xipc__os_udp_open(const xipc_sockaddr *addr, struct xipc__os_dgram *d);
int xipc__os_dgram_send(struct xipc__os_dgram *d, const void *buf, size_t len,
    const xipc_sockaddr *to, xipc__deadline dl);
int xipc__os_dgram_recv(struct xipc__os_dgram *d, void *buf, size_t cap, void *spill,
    size_t spill_cap, size_t *len, xipc_sockaddr *from, xipc__deadline dl);
int xipc__os_dgram_connect(struct xipc__os_dgram *d, const xipc_sockaddr *peer);
int xipc__os_dgram_addr(const struct xipc__os_dgram *d, xipc_sockaddr *out);
void xipc__os_dgram_close(struct xipc__os_dgram *d);
bool xipc__os_dgram_holds(const struct xipc__os_dgram *d, intptr_t native);
void xipc__os_dgram_waitable(const struct xipc__os_dgram *d, struct xipc__wait *w);

/* Passing listeners and datagram endpoints to a child: the native it inherits (POSIX the socket;
 * Windows the socket's share section, win32_sock.c), and the adoption in the child, checked
 * before anything changes: XIPC_EBADF (not open), XIPC_EEXIST (held by an xipc handle here),
 * XIPC_EINVAL (not a listening socket; not a datagram socket). Then non-inheritable, and in the
 * mode the platform's calls on it expect (a listener non-blocking; a datagram socket blocking on
 * POSIX, non-blocking on Windows). dgram_adopt gives the socket's address family. */
intptr_t xipc__os_listener_native(const struct xipc__os_listener *l);
int xipc__os_listener_adopt(intptr_t native, struct xipc__os_listener *l);
intptr_t xipc__os_dgram_native(const struct xipc__os_dgram *d);
int xipc__os_dgram_adopt(intptr_t native, struct xipc__os_dgram *d, int *family);

/* Passing handles to a running peer (common/pass.c). prepare: checks that conn can carry
 * handles (XIPC_ENOTSUP: POSIX not an AF_UNIX socket; Windows not a named-pipe connection) and
 * gives the values the peer will know the natives by (POSIX the same; Windows duplicates made
 * in the peer, sockets duplicated for it first), and *peer, a context for finish; what it learns
 * of conn once (POSIX its family, Windows the peer's process handle) it keeps in conn. send: the
 * record (len bytes), with the natives attached (POSIX SCM_RIGHTS), whole by ld. finish: after
 * send or a failure (sent false: the duplicates made in the peer are closed there). recv: one
 * record, whole, by ld, and the natives that came with it (POSIX, *count of them, open
 * close-on-exec; Windows none: the text names them); XIPC_ECLOSED when the peer closed first.
 * discard: closes natives that came and were not adopted. */
int xipc__os_pass_prepare(struct xipc__os_stream *conn, const intptr_t *natives, size_t count,
    intptr_t *remote, intptr_t *peer);
int xipc__os_pass_send(struct xipc__os_stream *conn, bool message, const void *rec, size_t len,
    const intptr_t *natives, size_t count, struct xipc__lazy_deadline *ld);
void xipc__os_pass_finish(intptr_t peer, const intptr_t *remote, size_t count, bool sent);
int xipc__os_pass_recv(struct xipc__os_stream *conn, bool message, void *rec, size_t len,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count, struct xipc__lazy_deadline *ld);
void xipc__os_pass_discard(const intptr_t *natives, size_t count);
/* Whether the natives travel beside the record (POSIX: recv gives them, and the text's numbers
 * are the sender's), or the text names them in the receiver (Windows). */
extern const bool xipc__os_pass_natives_beside;

/* A full-duplex pipe (xipc_duplex): two connected ends that each read and write, and can be
 * half-closed. Both non-inheritable; on failure both stay zeroed. */
int xipc__os_duplex(struct xipc__os_stream *a, struct xipc__os_stream *b);

/* Half-close (xipc_stream_shutdown): XIPC_ENOTSUP for a stream that is not a stream socket or a
 * duplex pipe end. */
int xipc__os_stream_shutdown(struct xipc__os_stream *s);

/* The local (peer false) or peer address of a TCP connection; XIPC_ENOTSUP for other streams. */
int xipc__os_stream_sockaddr(const struct xipc__os_stream *s, bool peer, xipc_sockaddr *out);

/* ---- Signals (common/signal.c; posix_signal.c, win32_signal.c) ------------------------------
 * The process-wide part (which watch holds which signal, the handlers or the shared section)
 * is each platform's own, under a lock of its own. struct xipc__os_signal (platform_types.h) has
 * on every platform `unsigned set`, the watch's signals; zeroed means "not open". */

/* Starts a watch over set (checked: non-empty, portable bits only). XIPC_EBUSY when another
 * watch of this process holds one of them; else as xipc_signal_watch lists. On failure s stays
 * zeroed and nothing changed. */
int xipc__os_signal_watch(unsigned set, struct xipc__os_signal *s);

/* One pending signal of the watch, waiting until dl: 0 and *sig, XIPC_ETIMEDOUT, or as
 * xipc_signal_next lists. Never returns EINTR. */
int xipc__os_signal_next(struct xipc__os_signal *s, int *sig, xipc__deadline dl);

/* Gives the watch's signals back their previous action and releases it; s is zeroed. */
void xipc__os_signal_close(struct xipc__os_signal *s);

bool xipc__os_signal_holds(const struct xipc__os_signal *s, intptr_t native);
void xipc__os_signal_waitable(const struct xipc__os_signal *s, struct xipc__wait *w);

/* Sends sig (checked: one portable bit) to pid (checked: not 0), as xipc_signal_send. */
int xipc__os_signal_send(uint64_t pid, int sig);

/* What both platforms share (common/signal.c). The bit position of the portable signal bit. */
#define XIPC__SIGNAL_KINDS 5
int xipc__signal_index(unsigned bit);

/* Takes one pending signal of set, looking first at the one after *last (the bit reported last,
 * 0 at first), so that a signal sent again and again does not hide the others: take(i) takes
 * signal i's pending mark if it is set. Its bit, kept in *last, or 0 when none was pending. */
unsigned xipc__signal_take_next(unsigned set, unsigned *last, bool (*take)(int index));

/* The portable signal whose default action ended a process that the OS reports as status (kind
 * and code filled in by xipc__os_proc_wait), or 0 for an end by anything else. */
int xipc__os_exit_signal(const xipc_exit_status *status);

/* ---- File locks ----------------------------------------------------------------------------- */

/* struct xipc__os_flock: an open file, read-write, whose byte-range locks belong to it (POSIX an
 * open file description, Windows a file object). common/flock.c checks every argument, keeps the
 * table of ranges the handle holds and refuses overlaps, so the platform sees only a lock of a
 * range the handle holds in no part, and an unlock of a range exactly as it was locked. Ranges:
 * offset and offset + len within INT64_MAX; len 0 is "to the end of the file, however it grows".
 *
 * Opens path as xipc_flock_open says (flags checked: XIPC_CREATE and/or XIPC_OPEN); errors as it
 * lists them. On failure the struct stays zeroed. */
int xipc__os_flock_open(const char *path, unsigned flags, struct xipc__os_flock *f);

/* Locks the range, shared or exclusive, waiting up to timeout_ms (checked): 0, XIPC_ETIMEDOUT
 * (a conflicting lock elsewhere; nothing held afterwards, also when the OS granted the lock as the
 * wait gave up), XIPC_ELIMIT, XIPC_ENOMEM, XIPC_EOS. */
int xipc__os_flock_lock(
    struct xipc__os_flock *f, uint64_t offset, uint64_t len, bool exclusive, int timeout_ms);

/* Unlocks a range held exactly so: 0 or XIPC_EOS. */
int xipc__os_flock_unlock(struct xipc__os_flock *f, uint64_t offset, uint64_t len);

/* One read of up to len bytes at offset (*got: 0 at the end), and a write of all len bytes at
 * offset (offset + len within INT64_MAX), through the handle. Errors as xipc_flock_read_at and
 * xipc_flock_write_at list them. */
int xipc__os_flock_read_at(
    struct xipc__os_flock *f, uint64_t offset, void *buf, size_t len, size_t *got);
int xipc__os_flock_write_at(
    struct xipc__os_flock *f, uint64_t offset, const void *buf, size_t len);

/* Closes the file, which drops its locks. Zeroed: no-op. */
void xipc__os_flock_close(struct xipc__os_flock *f);

/* Whether native is the OS handle the lock handle holds; as xipc__os_stream_holds. */
bool xipc__os_flock_holds(const struct xipc__os_flock *f, intptr_t native);

#endif /* XIPC_COMMON_PLATFORM_H */
