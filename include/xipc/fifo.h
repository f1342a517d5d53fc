/* xipc/fifo.h: FIFOs (named pipes in the file system), with the POSIX rules on both platforms:
 * opening for reading waits until a writer opens and the other way round (each with a timeout);
 * many writers and one reader; the reader sees end of stream when the last writer closes; a write
 * of at most XIPC_FIFO_ATOMIC bytes never interleaves with another writer's.
 *
 * An open FIFO end is an xipc_stream (read-only or write-only).
 *
 * One reader at a time: a second xipc reader gets XIPC_EBUSY while the first is open (POSIX
 * would let both read, each getting unpredictable parts of the data).
 *
 * POSIX: mkfifo(path, 0600) and open(2), so a FIFO made by xipc works with programs that never
 * heard of xipc (cat, shell redirects); an xipc reader holds an exclusive flock(2) on it, which
 * such programs do not check. A reader holds no data of its own: every end can be passed to a
 * child (xipc_handle_export, or a child's stdin/stdout/stderr), and the child reads every byte
 * that this process has not read. Windows has no FIFO: xipc_fifo_create makes a small owner-only
 * marker file at path, and the ends meet on a named pipe whose name is derived from the file's
 * full path; each writer gets its own pipe instance and sends each write with its length, so
 * writes stay whole, and a reader keeps one thread to let writers in while it is not reading.
 * Only xipc writers can write to it. A Windows FIFO reader cannot be passed to a child: that is
 * the one FIFO end whose xipc_handle_export gives XIPC_ENOTSUP (and xipc_spawn XIPC_ENOTSUP when
 * it is a child's standard stream). A Windows writer can be passed to a child that imports it, but
 * it cannot be a child's stdin/stdout/stderr (XIPC_ENOTSUP from xipc_spawn), since a program that
 * is not xipc would not send its writes with their lengths.
 */
#ifndef XIPC_FIFO_H
#define XIPC_FIFO_H

#include "xipc/base.h"
#include "xipc/pipe.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes up to this size are atomic (PIPE_BUF on Linux). */
#define XIPC_FIFO_ATOMIC 4096

#define XIPC_FIFO_READ  0x1u
#define XIPC_FIFO_WRITE 0x2u

/* Creates a FIFO at path (UTF-8), owner-only. flags must be 0.
 * Returns 0; XIPC_EEXIST; XIPC_ENOENT (no such directory); XIPC_EACCES; XIPC_ENAMETOOLONG (path
 * longer than the platform allows: PATH_MAX or NAME_MAX on POSIX; on Windows more than 259
 * UTF-16 units once made absolute, or a component of more than 255); XIPC_EINVAL (NULL or empty
 * path, flags; Windows: a control character in path, or a last component that names a device,
 * such as CON, NUL, COM1 or LPT1, with or without an extension). */
XIPC_API int xipc_fifo_create(const char *path, unsigned flags);

/* Opens one end: mode is XIPC_FIFO_READ or XIPC_FIFO_WRITE. Waits up to timeout_ms for the
 * other side to open (0: only if it is already open). Returns 0; XIPC_ETIMEDOUT; XIPC_ENOENT (no
 * FIFO at path); XIPC_EINVAL (not a FIFO, bad mode; Windows: the path cases of
 * xipc_fifo_create); XIPC_EBUSY (a second reader); XIPC_EACCES; XIPC_ENAMETOOLONG; XIPC_EOS. */
XIPC_API int xipc_fifo_open(const char *path, unsigned mode, int timeout_ms, xipc_stream **out);

/* Removes the FIFO at path; open ends keep working. Returns 0; XIPC_ENOENT; XIPC_EINVAL (not a
 * FIFO; Windows: the path cases of xipc_fifo_create); XIPC_EACCES; XIPC_ENAMETOOLONG. */
XIPC_API int xipc_fifo_remove(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_FIFO_H */
