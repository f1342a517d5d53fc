/* xipc/base.h: error codes, timeouts, names and the generic handle shared by every family.
 *
 * Conventions (see DESIGN.md):
 * - Every call returns int: 0 on success or a negative XIPC_E* code. The values below are ABI,
 *   identical on every platform; never renumber them.
 * - Every blocking call takes int timeout_ms: XIPC_FOREVER (-1) waits forever, 0 only tries,
 *   > 0 waits at most that many milliseconds. Any other negative value is XIPC_EINVAL.
 *   Expiry returns XIPC_ETIMEDOUT.
 * - Out-parameters are written only on success, unless a function says otherwise (a stream write
 *   always reports how many bytes went).
 */
#ifndef XIPC_BASE_H
#define XIPC_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "xipc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XIPC_VERSION_MAJOR 0
#define XIPC_VERSION_MINOR 1

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
 *   "XIPC_EINVAL: flags: neither XIPC_SYNC_CREATE nor XIPC_SYNC_OPEN [sync.c:27]";
 * - an empty string when the failure had nothing to add to its code (XIPC_ETIMEDOUT, say).
 * Returns 0, or XIPC_EINVAL if buf is NULL or cap 0 (the record stays as it was). */
XIPC_API int xipc_last_os_error_describe(char *buf, size_t cap);

/* Nanoseconds on a monotonic clock (CLOCK_MONOTONIC, QueryPerformanceCounter): for measuring
 * intervals, not for telling the time. */
XIPC_API uint64_t xipc_now_ns(void);

/* Longest object name, in characters (the leading '/', if any, not counted). */
#define XIPC_NAME_MAX 64

/* Checks an object name against the rules every named object uses: 1 to XIPC_NAME_MAX characters
 * from [A-Za-z0-9._-], not starting with '.'; one leading '/' is accepted and ignored. Returns 0,
 * or XIPC_EINVAL (NULL, empty, too long, or any other character: '/', '\\', space, non-ASCII).
 * Every call that takes a name applies this check first. */
XIPC_API int xipc_name_check(const char *name);

/* The same check for a name of len bytes that need not be NUL-terminated (a name read from a
 * file or a socket): a NUL among those bytes is XIPC_EINVAL, never a shorter name. */
XIPC_API int xipc_name_check_len(const char *name, size_t len);

/* The generic handle. Every xipc object (stream, process, event, ...) is also an xipc_handle,
 * obtained with the family's xipc_<family>_handle() call; spawn and export take it. */
typedef struct xipc_handle xipc_handle;

/* Room for the longest text xipc_handle_export() writes, including its NUL. The longest today is
 * a named semaphore's on POSIX, "xipc1:sem:n:/" and a name of XIPC_NAME_MAX characters: 78 bytes;
 * a stream's and a Windows mutex's (two 64-bit handle values) are shorter. */
#define XIPC_HANDLE_TEXT_MAX 96

/* Turns a handle into a short text that a spawned child gives to the family's _import call
 * (e.g. xipc_stream_import()) to get the same object, provided the handle was listed in
 * xipc_spawn_opts.handles. The text is valid in the parent and in that child only; pass it on the
 * command line or in the environment. Writes at most cap bytes including the NUL.
 * Returns 0; XIPC_EINVAL (NULL h or buf); XIPC_EBADF (closed handle); XIPC_ENAMETOOLONG (cap is
 * too small; XIPC_HANDLE_TEXT_MAX always suffices); XIPC_ENOTSUP (a kind that cannot be passed:
 * a process, a named-pipe server, a message-mode connection, a stream from xipc_stream_stdio(),
 * and the FIFO ends xipc/fifo.h names). */
XIPC_API int xipc_handle_export(const xipc_handle *h, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_BASE_H */
