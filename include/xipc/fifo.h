/* xipc/fifo.h: FIFOs (named pipes in the file system), with the POSIX rules on both platforms:
 * opening for reading waits until a writer opens and the other way round (each with a timeout),
 * unless the open asks not to wait (XIPC_FIFO_NOWAIT); many writers and one reader; the reader
 * sees end of stream when the last writer closes; a write of at most XIPC_FIFO_ATOMIC bytes never
 * interleaves with another writer's.
 *
 * An open FIFO end is an xipc_stream (xipc/stream.h), read-only or write-only.
 *
 * Creating and removing: xipc_fifo_open takes the shared flags of every named family
 * (xipc/base.h): XIPC_CREATE makes the FIFO (XIPC_EEXIST if anything is at the path), XIPC_OPEN
 * opens an existing one (XIPC_ENOENT if there is none), both open it or make it. Lifetime, as
 * for the sync families: the end whose open created the FIFO removes it when it is closed, in
 * the process that opened it (a child that got the end, passed or by fork, leaves it alone); ends
 * already open keep working. A creator that dies without closing leaves the FIFO behind:
 * xipc_fifo_unlink removes it, as it removes any FIFO. The path is removed by name, as unlink(2)
 * does: whatever FIFO is at the path then goes. A program that makes a FIFO for another to open
 * first (a shell, cat, a client that starts later) keeps a XIPC_FIFO_NOWAIT end open, made with
 * XIPC_CREATE, for as long as the FIFO should exist.
 *
 * One reader at a time: a second xipc reader gets XIPC_EBUSY while the first is open (POSIX
 * would let both read, each getting unpredictable parts of the data).
 *
 * Owner only: a FIFO is created for its owner alone, and opening one that another user owns, or
 * that gives its group or others any access, is XIPC_EACCES unless the open says XIPC_FIFO_SHARED:
 * another user could have made it to read what is written or to write what is read. A symbolic
 * link at the path (its last component; Windows: a reparse point) is always XIPC_EACCES, and
 * nothing that checks a path blocks or follows a link. Creating does not follow a link either:
 * anything at the path, a link included, is XIPC_EEXIST.
 *
 * POSIX: mkfifo(path, 0600) and open(2), so a FIFO made by xipc works with programs that never
 * heard of xipc (cat, shell redirects); an xipc reader holds an exclusive flock(2) on it, which
 * such programs do not check. A reader holds no data of its own: every end can be passed to a
 * child (xipc_handle_export, or a child's stdin/stdout/stderr), and the child reads every byte
 * that this process has not read. Windows has no FIFO: xipc makes a small owner-only marker file
 * at path, and the ends meet on a named pipe whose name is derived from the file's identity
 * (its volume, its file id, and a stamp the marker holds, so that a file id the file system
 * reuses after a delete never reaches an older FIFO's reader), so every path that reaches the
 * file (relative or absolute, in any case, a short 8.3 name, a second hard link) reaches the
 * same FIFO, as on POSIX; the reader
 * makes that pipe's first instance exclusively (a pipe another program made first on that name
 * is XIPC_EADDRINUSE), and a writer refuses a pipe that another user owns (XIPC_EACCES, nothing
 * written) unless it opens with XIPC_FIFO_SHARED; inside an AppContainer (a Windows sandbox,
 * which may make pipes only under \\.\pipe\LOCAL\) a reader's open is XIPC_ENOTSUP;
 * each writer gets its own pipe instance and sends each write with its length, so writes stay
 * whole, and a reader keeps one thread to let writers in while it is not reading. Only xipc
 * writers can write to it. A Windows FIFO reader cannot be passed to a child: that is the one
 * FIFO end whose xipc_handle_export gives XIPC_ENOTSUP (and xipc_spawn XIPC_ENOTSUP when it is a
 * child's standard stream), and it has no native a wait can use (xipc_handle_native:
 * XIPC_ENOTSUP). A Windows writer can be passed to a child that imports it, but it cannot be a
 * child's stdin/stdout/stderr (XIPC_ENOTSUP from xipc_spawn), since a program that is not xipc
 * would not send its writes with their lengths.
 *
 * Paths are UTF-8. Paths a platform cannot take are refused the same way by every call:
 * XIPC_EINVAL for NULL or empty, and on Windows for a control character, one of <>"|?*, or a
 * last component that names a device (CON, NUL, COM1, LPT1..., with or without an extension);
 * XIPC_ENAMETOOLONG for a path longer than the platform allows (POSIX: PATH_MAX or NAME_MAX;
 * Windows: more than 259 UTF-16 units once made absolute, or a component of more than 255).
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

/* The FIFO's own flags for xipc_fifo_open, ORed with XIPC_CREATE and XIPC_OPEN. Exactly one of
 * XIPC_FIFO_READ and XIPC_FIFO_WRITE. */
#define XIPC_FIFO_READ  0x100u
#define XIPC_FIFO_WRITE 0x200u
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
#define XIPC_FIFO_NOWAIT 0x400u
/* Open a FIFO that another user owns, or that gives its group or others access: for programs
 * that mean to share a FIFO with other users. A symbolic link is refused all the same. */
#define XIPC_FIFO_SHARED 0x800u

/* Opens one end of the FIFO at path, creating the FIFO first (owner-only) as the flags say. The
 * end reads (XIPC_FIFO_READ) or writes (XIPC_FIFO_WRITE). Waits up to timeout_ms for the other
 * side to open (0: only if it is already open); with XIPC_FIFO_NOWAIT it does not wait for the
 * other side (on Windows a writer may still wait, up to timeout_ms, for the reader's next free
 * pipe instance). An open that created the FIFO and then fails removes it again.
 * Returns 0;
 * XIPC_ETIMEDOUT (the other side did not come in time);
 * XIPC_ENOENT (XIPC_OPEN alone, and no FIFO at path; or no such directory);
 * XIPC_EEXIST (XIPC_CREATE alone, and something at path, a link included);
 * XIPC_ECONNREFUSED (an XIPC_FIFO_NOWAIT writer, and no reader);
 * XIPC_EBUSY (a second reader);
 * XIPC_EADDRINUSE (Windows: a reader, and another program has made the pipe the FIFO's ends meet
 *   on, see the top of this file; also a second reader in another session of the same user,
 *   whose reader the per-session XIPC_EBUSY check cannot see, and, as Windows keeps a pipe while
 *   any end of it is open, while writers of a reader that closed still hold their ends);
 * XIPC_ENOTSUP (Windows: a reader inside an AppContainer);
 * XIPC_EACCES (a symbolic link at path, or, without XIPC_FIFO_SHARED, a FIFO of another user or
 *   with group or other access, or (Windows, a writer) a pipe of another user on the FIFO's pipe
 *   name; or no permission for the directory or the FIFO);
 * XIPC_EINVAL (NULL out; something at path that is not a FIFO; neither or both of
 *   XIPC_FIFO_READ and XIPC_FIFO_WRITE, neither XIPC_CREATE nor XIPC_OPEN, an unknown flag; a bad
 *   timeout; the paths of the top of this file);
 * XIPC_ENAMETOOLONG (the paths of the top of this file);
 * XIPC_ENOTDIR, XIPC_ENOSPC (POSIX: a component of path is not a directory; the disk is full);
 * XIPC_ENOMEM; XIPC_EMFILE, XIPC_ENFILE; XIPC_EOS (another OS failure: xipc_last_os_error).
 * *out is NULL on failure. */
XIPC_API int xipc_fifo_open(const char *path, unsigned flags, xipc_stream **out, int timeout_ms);

/* Removes the FIFO at path, such as one a creator that died left behind; ends already open keep
 * working. A symbolic link at path is not followed: it is XIPC_EACCES, and neither it nor what it
 * points to is removed. The owner is not checked, as unlink(2) does not: the directory's
 * permissions decide.
 * Returns 0; XIPC_ENOENT (nothing at path); XIPC_EINVAL (something at path that is not a FIFO;
 * the paths of the top of this file); XIPC_EACCES (a link, or no permission); XIPC_ENAMETOOLONG;
 * XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_fifo_unlink(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_FIFO_H */
