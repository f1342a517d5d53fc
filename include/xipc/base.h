/* xipc/base.h: error codes, timeouts, names, the flags every named family shares, the version,
 * and the generic handle.
 *
 * Conventions (see docs/design.md, "The rules every family follows"):
 * - Every call returns int: 0 on success or a negative XIPC_E* code. The values below are ABI,
 *   identical on every platform; never renumber them.
 * - xipc_<type>_<verb> acts on an xipc_<type> and on nothing else. Parameters come in one order:
 *   the object first, then inputs, then out-parameters, and timeout_ms last.
 * - Every blocking call takes int timeout_ms: XIPC_FOREVER (-1) waits forever, 0 only tries,
 *   > 0 waits at most that many milliseconds. Any other negative value is XIPC_EINVAL.
 *   Expiry returns XIPC_ETIMEDOUT.
 * - Out-parameters are written only on success, unless a function says otherwise (a stream write
 *   always reports how many bytes went); an object out-parameter is NULL after a failure.
 * - Every type has _close (void; NULL is a no-op; the object is dead afterwards) and _handle (its
 *   xipc_handle), and _import where it can be passed to a child; where it cannot, its header
 *   says why.
 */
#ifndef XIPC_BASE_H
#define XIPC_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "xipc/export.h"
#include "xipc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of these headers: XIPC_VERSION_MAJOR, _MINOR, _PATCH and XIPC_VERSION_STRING come
 * from CMake's project version, through the generated xipc/version.h. */

/* The version of the library that is loaded, "MAJOR.MINOR.PATCH" (a static string): with the
 * shared library, the one found at run time, which may differ from XIPC_VERSION_STRING, the
 * version the program was compiled against. Never fails. */
XIPC_API const char *xipc_version(void);

/* Wait without a time limit. */
#define XIPC_FOREVER (-1)

/* The error table: name, value, description. Values below -1000 are xipc's own; the others are
 * the Linux errno numbers, negated, so they read familiarly in a debugger. */
#define XIPC_ERRNO_MAP(XX)                                           \
    XX(EPERM, -1, "operation not permitted")                         \
    XX(ENOENT, -2, "no such file, object or program")                \
    XX(EIO, -5, "input/output error")                                \
    XX(EBADF, -9, "handle is closed or not an xipc handle")          \
    XX(ECHILD, -10, "no such child process")                         \
    XX(ENOMEM, -12, "out of memory")                                 \
    XX(EACCES, -13, "permission denied")                             \
    XX(EBUSY, -16, "resource busy")                                  \
    XX(EEXIST, -17, "object already exists")                         \
    XX(ENOTDIR, -20, "not a directory")                              \
    XX(EISDIR, -21, "is a directory")                                \
    XX(EINVAL, -22, "invalid argument")                              \
    XX(ENFILE, -23, "too many open files in the system")             \
    XX(EMFILE, -24, "too many open files")                           \
    XX(ENOSPC, -28, "no space left")                                 \
    XX(EPIPE, -32, "broken pipe: the reading end is closed")         \
    XX(ENAMETOOLONG, -36, "name too long")                           \
    XX(EMSGSIZE, -90, "message too long for the buffer")             \
    XX(ENOTSUP, -95, "operation not supported on this platform")     \
    XX(EADDRINUSE, -98, "name or address already in use")            \
    XX(ECONNRESET, -104, "connection reset by peer")                 \
    XX(ETIMEDOUT, -110, "timed out")                                 \
    XX(ECONNREFUSED, -111, "connection refused")                     \
    XX(EOWNERDEAD, -130, "previous owner died")                      \
    XX(ENOTRECOVERABLE, -131, "state not recoverable")               \
    XX(ECLOSED, -1000, "the other side closed")                      \
    XX(ELIMIT, -1001, "limit exceeded")                              \
    XX(EOS, -1002, "operating system error with no xipc equivalent") \
    XX(ECORRUPT, -1003, "shared data is corrupt")

enum xipc_errno {
#define XIPC__ERRNO_ENUM(name, value, text) XIPC_##name = (value),
    XIPC_ERRNO_MAP(XIPC__ERRNO_ENUM)
#undef XIPC__ERRNO_ENUM
};

/* The code's name ("XIPC_ETIMEDOUT"); "OK" for 0 (success, which is no XIPC_E* code), and
 * "XIPC_UNKNOWN" for any other value not in the table. The string is static. */
XIPC_API const char *xipc_errname(int err);

/* A one-line description of the code ("timed out"); "unknown error" for a value not in the table,
 * "success" for 0. The string is static. */
XIPC_API const char *xipc_strerror(int err);

/* Why the last failed call failed. Each thread keeps one record, where a call that fails leaves
 * its own failure, or nothing, but never an older call's: read it right after the failure, as
 * the next xipc call may empty or replace it. For diagnostics only: program logic should test
 * the XIPC_E* code. */

/* The raw OS code (errno on POSIX, GetLastError() on Windows) behind that failure, or 0 when it
 * was no OS call's (a misuse, a timeout). */
XIPC_API long xipc_last_os_error(void);

/* Writes a description of that failure into buf (always NUL-terminated when cap > 0):
 * - a failed OS call: "CreateNamedPipeW(xipc-anon-42-1): error 231: All pipe instances are
 *   busy. [win32_pipe.c:88]";
 * - any other failure with a reason, a misuse above all, names the argument first:
 *   "XIPC_EINVAL: flags: neither XIPC_CREATE nor XIPC_OPEN [sync.c:27]";
 * - an empty string when the failure had nothing to add to its code (XIPC_ETIMEDOUT, say).
 * Returns 0, or XIPC_EINVAL if buf is NULL or cap 0 (the record stays as it was). */
XIPC_API int xipc_last_os_error_describe(char *buf, size_t cap);

/* Nanoseconds on a monotonic clock (CLOCK_MONOTONIC, QueryPerformanceCounter): for measuring
 * intervals, not for telling the time. Never fails. */
XIPC_API uint64_t xipc_now_ns(void);

/* Sleeps about ms milliseconds (POSIX nanosleep, Windows Sleep): at least ms, unless a signal
 * handler ran meanwhile (POSIX), which ends it early. Never fails. */
XIPC_API void xipc_sleep_ms(unsigned ms);

/* Longest object name, in characters (the leading '/', if any, not counted). */
#define XIPC_NAME_MAX 64

/* Opening a named object, for every named family (FIFOs, events, semaphores, mutexes):
 *   XIPC_CREATE              create it; XIPC_EEXIST if the name exists
 *   XIPC_OPEN                open an existing one; XIPC_ENOENT if there is none
 *   XIPC_CREATE | XIPC_OPEN  open it if it exists, else create it
 * At least one of the two is required where a name is given. A family's own flags start at 0x100.
 * The name belongs to the handle whose open created it: closing that handle, in the process that
 * opened it, removes the name; a creator that dies leaves the name where the OS keeps names
 * (POSIX), and the family's _unlink removes it. */
#define XIPC_CREATE 0x1u
#define XIPC_OPEN   0x2u

/* Checks an object name against the rules every named object uses: 1 to XIPC_NAME_MAX characters
 * from [A-Za-z0-9._-], not starting with '.'; one leading '/' is accepted and ignored. Returns 0,
 * or XIPC_EINVAL (NULL, empty, too long, or any other character: '/', '\\', space, non-ASCII).
 * Every call that takes a name applies this check first.
 * Case: named-pipe names (xipc/npipe.h) are case-insensitive on every platform, as Windows pipe
 * names are: "Foo" and "foo" name one server. Event, semaphore and mutex names are
 * case-sensitive on every platform, as POSIX names and Windows Local\ names are: "Foo" and
 * "foo" are two objects. FIFO paths follow the file system (xipc/fifo.h). */
XIPC_API int xipc_name_check(const char *name);

/* The same check for a name of len bytes that need not be NUL-terminated (a name read from a
 * file or a socket): a NUL among those bytes is XIPC_EINVAL, never a shorter name. Returns 0 or
 * XIPC_EINVAL. */
XIPC_API int xipc_name_check_len(const char *name, size_t len);

/* ---- Handles -------------------------------------------------------------------------------- */

/* The generic handle. Every xipc object (stream, process, event, ...) is also an xipc_handle,
 * obtained with the family's xipc_<type>_handle() call; spawn, export and the calls below take
 * it. The handle is the object: it is not closed separately. */
typedef struct xipc_handle xipc_handle;

/* The kinds of xipc object, as xipc_handle_kind() reports them. The values are ABI: never
 * renumbered; a new family adds the next one. */
enum xipc_kind {
    XIPC_KIND_STREAM = 1, /* xipc_stream: a pipe end, FIFO end or byte-mode connection */
    XIPC_KIND_PROC = 2, /* xipc_proc: a spawned child */
    XIPC_KIND_EVENT = 3, /* xipc_event */
    XIPC_KIND_SEM = 4, /* xipc_sem */
    XIPC_KIND_MUTEX = 5, /* xipc_mutex */
    XIPC_KIND_NPIPE = 6, /* xipc_npipe: a listening named-pipe server */
    XIPC_KIND_MSGPIPE = 7, /* xipc_msgpipe: a message-mode named-pipe connection */
    XIPC_KIND_SHM = 8, /* xipc_shm: a shared memory section */
    XIPC_KIND_FILEMAP = 9, /* xipc_filemap: a mapped range of a file */
    XIPC_KIND_LISTENER = 10, /* xipc_listener: a listening TCP or AF_UNIX socket */
    XIPC_KIND_DGRAM = 11, /* xipc_dgram: a UDP endpoint */
    XIPC_KIND_MQ = 12 /* xipc_mq: a message queue */
};

/* The kind of a live handle: one of enum xipc_kind (> 0), or a negative code: XIPC_EINVAL (NULL);
 * XIPC_EBADF (closed, or not an xipc handle). */
XIPC_API int xipc_handle_kind(const xipc_handle *h);

/* The OS handle that a wait on the object uses, borrowed: a file descriptor on POSIX, a HANDLE
 * on Windows, as an integer. It stays owned by the object (do not close it) and is valid until
 * the object is closed. For waiting on xipc objects together with other OS objects (poll, epoll,
 * WaitForMultipleObjects) until xipc has wait sets. What a wait sees, by kind:
 * - stream, message pipe: POSIX the descriptor (poll: POLLIN when a read would not wait, POLLOUT
 *   when a write would make progress). Windows the pipe HANDLE, which is signalled only while an
 *   overlapped call is pending on it: a caller must start one (a zero-byte ReadFile) first.
 * - process: POSIX a pidfd (POLLIN once the child ended), where Linux has pidfds. Windows the
 *   process HANDLE, signalled once it ended.
 * - socket (a TCP or AF_UNIX connection, a listener, a datagram endpoint; xipc/sock.h): the
 *   socket, which poll (POSIX) or WSAPoll (Windows) reports ready: POLLIN / POLLRDNORM for data
 *   or a client waiting, POLLOUT / POLLWRNORM for room. A datagram xipc keeps after
 *   XIPC_EMSGSIZE is not seen there.
 * - named-pipe server: POSIX the listening socket (POLLIN while a client waits to be accepted).
 *   Windows a manual-reset event, signalled while a client waits to be accepted.
 * - event, semaphore, mutex: Windows the object's HANDLE; a wait on an auto-reset event, a
 *   semaphore or a mutex takes it, outside xipc (a mutex taken so is not known to xipc_mutex_*:
 *   release it with the OS call). POSIX: none, they live in shared memory (futexes).
 * - shared section, file mapping: none (bytes have nothing to wait for).
 * A Windows FIFO reader's data comes from many pipe instances through a thread: none there.
 * Also none on POSIX for a process where the kernel has no pidfds, and on Windows for a stream
 * over a synchronous standard handle (xipc_stream_stdio()).
 * Returns 0; XIPC_ENOTSUP (no OS handle a wait can use, as listed); XIPC_EINVAL (NULL h or
 * native); XIPC_EBADF (closed handle). */
XIPC_API int xipc_handle_native(const xipc_handle *h, intptr_t *native);

/* Room for the longest text xipc_handle_export() writes, including its NUL. The longest today is
 * a named semaphore's on POSIX, "xipc1:sem:n:/" and a name of XIPC_NAME_MAX characters: 78 bytes;
 * a stream's and a Windows mutex's (two 64-bit handle values) are shorter. */
#define XIPC_HANDLE_TEXT_MAX 96

/* Turns a handle into a short text that a spawned child gives to the family's _import call
 * (e.g. xipc_stream_import()) to get the same object, provided the handle was listed in
 * xipc_spawn_opts.handles. The text is valid in the parent and in that child only; pass it on the
 * command line or in the environment. Writes at most cap bytes including the NUL (an empty
 * string on failure, when cap > 0).
 * Returns 0; XIPC_EINVAL (NULL h or buf, cap 0); XIPC_EBADF (closed handle); XIPC_ENAMETOOLONG
 * (cap is too small; XIPC_HANDLE_TEXT_MAX always suffices); XIPC_ENOTSUP (a kind that cannot be
 * passed, each header says why: a process, a file mapping; a stream from xipc_stream_stdio(), the
 * FIFO ends xipc/fifo.h names, and a message pipe holding a message that a receive with too small
 * a buffer took, xipc/npipe.h). */
XIPC_API int xipc_handle_export(const xipc_handle *h, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_BASE_H */
