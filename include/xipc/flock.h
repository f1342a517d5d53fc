/* xipc/flock.h: byte-range file locks, shared or exclusive, with timeouts.
 *
 * A lock belongs to the handle that took it, on both platforms: POSIX open-file-description
 * locks (F_OFD_SETLK, F_OFD_SETLKW), Windows LockFileEx on the handle's file object. So two
 * handles of one process on one file conflict as two processes do, and closing one handle never
 * drops a lock another handle holds (classic fcntl locks belong to the process: closing any
 * descriptor of the file drops them all). The locks are the OS's own: a program that never heard
 * of xipc and locks the same bytes (POSIX fcntl F_SETLK, F_OFD_SETLK or lockf; Windows LockFileEx)
 * conflicts with xipc's locks. A holder that dies, or closes its handle, releases its locks.
 * POSIX: a process forked without exec shares the handle's open file description, and so its
 * locks, until it closes its copy or execs (xipc's handles are close-on-exec).
 *
 * Ranges: offset and len are bytes of the file; len 0 is "from offset to the end of the file,
 * however it grows" (POSIX l_len 0; Windows a range up to the largest file offset). A range may
 * lie past the file's end. Offsets and ends are at most INT64_MAX (the largest file offset): an
 * offset above it (a negative number made unsigned) or offset + len past it is XIPC_EINVAL.
 *
 * One lock per range, never stacked or converted (the platforms differ there: POSIX replaces a
 * held range's type in place and merges ranges; Windows stacks a second lock on the same bytes
 * and unlocks only an exact range). So:
 * - a lock on a range that overlaps, in any part, a range this handle holds (or is waiting for in
 *   another thread) is XIPC_EBUSY, whatever the types: to convert between shared and exclusive,
 *   unlock, then lock again (not atomic: another process may take the range in between);
 * - an unlock names a range exactly as it was locked (offset and len); any other range is
 *   XIPC_ENOENT, and nothing is unlocked.
 *
 * Windows locks are mandatory: while a handle holds a range, reads and writes of those bytes
 * through any other handle fail (even in the same process), and a shared lock refuses writes to
 * its bytes through every handle, its own included. So reads and writes go through the locking
 * handle, xipc_flock_read_at and xipc_flock_write_at, and writes under an exclusive lock. POSIX
 * locks are advisory; the calls behave the same there, minus the refusals.
 *
 * Timeouts (timeout_ms, xipc/base.h): 0 tries once; XIPC_FOREVER waits as the OS's blocking call
 * does (POSIX F_OFD_SETLKW; Windows LockFileEx); a limit waits at most that long. A call that
 * returns XIPC_ETIMEDOUT holds nothing: a lock the OS grants just as the wait gives up is either
 * reported (0) or given back before the call returns. POSIX: Linux has no timed lock call; a helper
 * thread makes the blocking call on the handle's own description and is cancelled at the deadline.
 * The helper threads are the process's, shared by its lock handles: idle between waits, as many
 * as threads have waited with a limit at once, ended when the last lock handle closes. They block
 * every signal and install no handler. A call with a limit is no cancellation point (one without
 * is, as F_OFD_SETLKW). Windows: an overlapped LockFileEx, cancelled at the deadline
 * (CancelIoEx). Wine: an overlapped LockFileEx that waits reports success without the lock, so
 * under Wine the handle is synchronous, XIPC_FOREVER is the blocking LockFileEx and a limit polls
 * a non-blocking one (back to back for a budget that adapts to how soon the handle's locks came,
 * then after pauses of an eighth of the time waited, up to a millisecond).
 *
 * Passing on: a lock handle cannot be passed to a child (xipc_handle_export: XIPC_ENOTSUP); the
 * child opens the path itself (its locks are then its own). A lock handle has nothing to wait on
 * (xipc_handle_native: XIPC_ENOTSUP).
 *
 * Errors every call of this header may return besides those it names: XIPC_EINVAL for a NULL
 * handle or a handle of another kind, and XIPC_EBADF for a closed one.
 *
 * Threads: every call may be used from several threads on the same handle, except _close, which
 * no other call on the handle may overlap.
 */
#ifndef XIPC_FLOCK_H
#define XIPC_FLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "xipc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_flock xipc_flock;

/* Lock types for xipc_flock_lock. */
#define XIPC_FLOCK_SHARED    1 /* many holders at once; conflicts with an exclusive lock */
#define XIPC_FLOCK_EXCLUSIVE 2 /* one holder; conflicts with every other lock */

/* Opens the file at path (UTF-8) for reading and writing, to lock it. flags: XIPC_CREATE (create
 * it: owner-only, POSIX 0600, Windows an owner DACL; XIPC_EEXIST if it exists) and XIPC_OPEN (an
 * existing file; XIPC_ENOENT if there is none), one or both. The handle is not inherited by
 * children; on Windows the file stays open to other handles for reading, writing and deletion.
 * Returns 0; XIPC_EINVAL (NULL or empty path or out; neither XIPC_CREATE nor XIPC_OPEN; an
 * unknown flag; a path that is not a regular file); XIPC_ENOENT; XIPC_EEXIST; XIPC_EACCES;
 * XIPC_EISDIR (POSIX: a directory); XIPC_ENOTDIR; XIPC_ENAMETOOLONG; XIPC_EMFILE; XIPC_ENFILE;
 * XIPC_EOS (another OS failure: xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_flock_open(const char *path, unsigned flags, xipc_flock **out);

/* Locks len bytes from offset (len 0: to the end of the file, however it grows) as type
 * (XIPC_FLOCK_SHARED or XIPC_FLOCK_EXCLUSIVE), waiting up to timeout_ms while another handle
 * (of any process) holds a conflicting lock. Returns 0 (held); XIPC_ETIMEDOUT (a conflicting lock
 * is held elsewhere; with timeout 0 at once; nothing is held); XIPC_EBUSY (the range overlaps one
 * this handle holds or waits for: see the header's comment); XIPC_EINVAL (a bad type or timeout;
 * offset or offset + len past INT64_MAX); XIPC_ENOMEM; XIPC_ELIMIT (the OS's lock table is full:
 * POSIX ENOLCK); XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_flock_lock(
    xipc_flock *f, uint64_t offset, uint64_t len, int type, int timeout_ms);

/* Unlocks the range locked with exactly this offset and len. Returns 0; XIPC_ENOENT (this handle
 * holds no lock on exactly that range; nothing changed); XIPC_EINVAL (offset or offset + len
 * past INT64_MAX); XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_flock_unlock(xipc_flock *f, uint64_t offset, uint64_t len);

/* Reads up to len bytes at offset into buf through the locking handle; *got is how many (0 at or
 * past the end of the file). Never waits for a lock (POSIX: locks are advisory; Windows: a range
 * another handle locks fails at once). Returns 0; XIPC_EINVAL (NULL buf or got; offset past
 * INT64_MAX); XIPC_EBUSY (Windows: another handle locks some of those bytes); XIPC_EIO;
 * XIPC_EOS (another OS failure: xipc_last_os_error). *got is 0 on failure. */
XIPC_API int xipc_flock_read_at(xipc_flock *f, uint64_t offset, void *buf, size_t len, size_t *got);

/* Writes all len bytes of buf at offset through the locking handle (the file grows as needed).
 * Returns 0; XIPC_EINVAL (NULL buf; offset + len past INT64_MAX); XIPC_EBUSY (Windows: another
 * handle locks some of those bytes, or a handle holds a shared lock on them; bytes before them
 * may have been written); XIPC_ENOSPC; XIPC_EIO; XIPC_EOS (another OS failure:
 * xipc_last_os_error). */
XIPC_API int xipc_flock_write_at(xipc_flock *f, uint64_t offset, const void *buf, size_t len);

/* Closes the handle; the OS drops every lock it holds (no other handle's). NULL, or a handle
 * closed already, is a no-op. */
XIPC_API void xipc_flock_close(xipc_flock *f);

/* The lock handle as a generic handle, for xipc_handle_kind(). NULL for NULL. */
XIPC_API xipc_handle *xipc_flock_handle(xipc_flock *f);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_FLOCK_H */
