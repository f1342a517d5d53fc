/* xipc/fifo.h: FIFOs (named pipes in the file system), with the POSIX rules on both platforms:
 * opening for reading waits until a writer opens and the other way round (each with a timeout),
 * unless the open asks not to wait (XIPC_FIFO_NOWAIT); many writers and one reader; the reader
 * sees end of stream when the last writer closes; a write of at most XIPC_FIFO_ATOMIC bytes never
 * interleaves with another writer's.
 *
 * An open FIFO end is an xipc_stream (read-only or write-only).
 *
 * One reader at a time: a second xipc reader gets XIPC_EBUSY while the first is open (POSIX
 * would let both read, each getting unpredictable parts of the data).
 *
 * Owner only: a FIFO is created for its owner alone, and opening one that another user owns, or
 * that gives its group or others any access, is XIPC_EACCES unless the open says XIPC_FIFO_SHARED:
 * another user could have made it to read what is written or to write what is read. A symbolic
 * link at the path (its last component; Windows: a reparse point) is always XIPC_EACCES, and
 * nothing that checks a path blocks or follows a link.
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
 * it is a child's standard stream). A Windows writer can be passed to a child that imports it,
 * but it cannot be a child's stdin/stdout/stderr (XIPC_ENOTSUP from xipc_spawn), since a program
 * that is not xipc would not send its writes with their lengths.
 */
#ifndef XIPC_FIFO_H
#define XIPC_FIFO_H

#include "xipc/base.h"
#include "xipc/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes up to this size are atomic (PIPE_BUF on Linux). */
#define XIPC_FIFO_ATOMIC 4096

#define XIPC_FIFO_READ  0x1u
#define XIPC_FIFO_WRITE 0x2u

/* Flags ORed into xipc_fifo_open's mode. */

/* Open without waiting for the other side. A reader's end exists at once; its reads wait (with
 * their timeouts) for data or for a writer, and it sees end of stream only once a writer has
 * opened and every writer has closed again: before any writer came, a read times out
 * (XIPC_ETIMEDOUT), it never reports end of stream. After that the POSIX rules hold as for any
 * reader. This lets a server keep its FIFO open for reading before any client comes (and hold a
 * writer of its own, so that it never sees end of stream between clients), and a client hold its
 * reply FIFO open before it sends its first request. A writer's open fails at once with
 * XIPC_ECONNREFUSED when no reader has the FIFO open (POSIX's ENXIO). POSIX: a reader opened so
 * and passed to a child before any writer came follows POSIX's own rule there: the child's reads
 * see end of stream until a writer opens. */
#define XIPC_FIFO_NOWAIT 0x100u
/* Open a FIFO that another user owns, or that gives its group or others access: for programs
 * that mean to share a FIFO with other users. A symbolic link is refused all the same. */
#define XIPC_FIFO_SHARED 0x200u

/* Creates a FIFO at path (UTF-8), owner-only. flags must be 0. Does not follow a symbolic link at
 * path: anything there, a link included, is XIPC_EEXIST.
 * Returns 0; XIPC_EEXIST; XIPC_ENOENT (no such directory); XIPC_EACCES; XIPC_ENAMETOOLONG (path
 * longer than the platform allows: PATH_MAX or NAME_MAX on POSIX; on Windows more than 259
 * UTF-16 units once made absolute, or a component of more than 255); XIPC_EINVAL (NULL or empty
 * path, flags; Windows: a control character in path, or a last component that names a device,
 * such as CON, NUL, COM1 or LPT1, with or without an extension). */
XIPC_API int xipc_fifo_create(const char *path, unsigned flags);

/* Opens one end: mode is XIPC_FIFO_READ or XIPC_FIFO_WRITE, ORed with XIPC_FIFO_NOWAIT and
 * XIPC_FIFO_SHARED as wanted. Waits up to timeout_ms for the other side to open (0: only if it is
 * already open); with XIPC_FIFO_NOWAIT it does not wait for the other side (on Windows a writer
 * may still wait, up to timeout_ms, for the reader's next free pipe instance).
 * Returns 0; XIPC_ETIMEDOUT; XIPC_ENOENT (no FIFO at path); XIPC_ECONNREFUSED (XIPC_FIFO_NOWAIT
 * writer, no reader); XIPC_EBUSY (a second reader); XIPC_EACCES (a symbolic link at path, or,
 * without XIPC_FIFO_SHARED, a FIFO of another user or with group or other access; or no
 * permission); XIPC_ENAMETOOLONG; XIPC_EINVAL (NULL or empty path or out, not a FIFO, bad mode or
 * unknown flags, bad timeout; Windows: the path cases of xipc_fifo_create); XIPC_ENOMEM;
 * XIPC_EMFILE, XIPC_ENFILE; XIPC_EOS. */
XIPC_API int xipc_fifo_open(const char *path, unsigned mode, int timeout_ms, xipc_stream **out);

/* Removes the FIFO at path; open ends keep working. A symbolic link at path is not followed: it
 * is XIPC_EACCES, and neither it nor what it points to is removed.
 * Returns 0; XIPC_ENOENT; XIPC_EINVAL (NULL or empty path, not a FIFO; Windows: the path cases of
 * xipc_fifo_create); XIPC_EACCES; XIPC_ENAMETOOLONG. */
XIPC_API int xipc_fifo_remove(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_FIFO_H */
