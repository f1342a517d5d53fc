/* xipc/stream.h: byte streams, whatever made them.
 *
 * An xipc_stream is one end of a byte stream: an anonymous pipe end (xipc/pipe.h), a FIFO end
 * (xipc/fifo.h), a byte-mode named-pipe connection (xipc/npipe.h), the process's own standard
 * streams (xipc_stream_stdio below), a duplex pipe end (xipc/pipe.h) and TCP and AF_UNIX
 * stream connections (xipc/sock.h). Whatever made it, a stream
 * is read, written, passed to a child and closed with the calls here. Read returns what is there
 * (0 bytes means end of stream); write writes everything or reports how much went. A stream
 * reads, writes or both, as the call that made it says; the other direction is XIPC_EINVAL.
 *
 * Threads: one thread may read while another writes the same stream. Two threads reading (or two
 * writing) the same stream at once is not supported. Closing a stream while another thread uses
 * it is not allowed.
 *
 * Passing to a child: list xipc_stream_handle() in xipc_spawn_opts.handles; the child fetches
 * it by its index in that list, xipc_stream_inherited() (xipc/proc.h, "Passing handles"), or
 * from the text of xipc_handle_export() given some other way, xipc_stream_import(). Or make
 * the stream a child's stdin, stdout or stderr (xipc_spawn_opts.stdio). What cannot be passed says
 * so where it is made (a stream of xipc_stream_stdio(), a Windows FIFO reader).
 */
#ifndef XIPC_STREAM_H
#define XIPC_STREAM_H

#include "xipc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_stream xipc_stream;

/* Reads at most cap bytes into buf, waiting up to timeout_ms for at least one byte. *got receives
 * the count; 0 with a return of 0 means end of stream (every writer closed).
 * Windows: a stream's first read makes its read event, and the first read, write or shutdown
 * of a stream a peer passed (xipc_stream_receive) asks what kind of pipe end it is.
 * Returns 0; XIPC_ETIMEDOUT (nothing arrived; *got is 0); XIPC_EINVAL (NULL buf or got, cap 0,
 * bad timeout, a stream that only writes, NULL s; Windows: a passed handle that is no pipe);
 * XIPC_EBADF (closed handle); XIPC_ENOTSUP (Windows: a timeout other than XIPC_FOREVER on a
 * console, see xipc_stream_stdio()); XIPC_ENOMEM (Windows: no event could be made); XIPC_EIO,
 * XIPC_EOS (another OS failure: xipc_last_os_error). *got is 0 on every failure. */
XIPC_API int xipc_stream_read(xipc_stream *s, void *buf, size_t cap, size_t *got, int timeout_ms);

/* Reads exactly len bytes into buf, waiting up to timeout_ms in all (one deadline for the whole
 * read, not one per OS read): for fixed-size records and headers. *got, which may be NULL,
 * receives how many bytes arrived, also on failure: bytes read before a timeout or the end of
 * the stream are consumed and in buf. len 0 reads nothing and returns 0. A timeout of 0 takes
 * what is there without waiting.
 * Returns 0 (all len bytes came); XIPC_ECLOSED (the stream ended first: every writer closed;
 * *got < len); XIPC_ETIMEDOUT (*got < len); XIPC_EINVAL (NULL buf with len > 0, bad timeout, a
 * stream that only writes, NULL s; as xipc_stream_read); XIPC_EBADF (closed handle);
 * XIPC_ENOTSUP, XIPC_ENOMEM, XIPC_EIO, XIPC_EOS (as xipc_stream_read). */
XIPC_API int xipc_stream_read_exact(
    xipc_stream *s, void *buf, size_t len, size_t *got, int timeout_ms);

/* Writes len bytes from buf, waiting up to timeout_ms in all for room. *put always receives the
 * number of bytes that went, also on failure: a timeout or a broken pipe after a partial write
 * reports exactly how much the reader can still get. put may be NULL: the caller then learns
 * only whether all len bytes went. len 0 writes nothing and returns 0.
 * Never raises SIGPIPE: a write to a pipe whose readers are all gone returns XIPC_EPIPE, and a
 * SIGPIPE this write caused is consumed (a SIGPIPE already pending and blocked is left alone;
 * see xipc_sigpipe_ignore() for the faster way).
 * Windows: a stream's first write makes its write event (see xipc_stream_read).
 * Returns 0 (all len bytes went); XIPC_ETIMEDOUT (*put < len); XIPC_EPIPE (every reader is gone;
 * also a named-pipe connection whose peer closed or reset it); XIPC_EINVAL (NULL buf, bad
 * timeout, a stream that only reads, NULL s; Windows: a passed handle that is no pipe);
 * XIPC_EBADF (closed handle); XIPC_ENOMEM (Windows: no event could be made); XIPC_EIO, XIPC_EOS
 * (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_stream_write(
    xipc_stream *s, const void *buf, size_t len, size_t *put, int timeout_ms);

/* Half-close: this end writes no more. The peer reads everything written before, then end of
 * stream, and may still write to this end, which may still read. For stream sockets (TCP,
 * AF_UNIX; xipc/sock.h) and duplex pipe ends (xipc_duplex, xipc/pipe.h). Writes on this end
 * afterwards give XIPC_EPIPE. A second shutdown does nothing more. Copies of the end held by
 * children are shut too (POSIX: the socket is shared).
 * Returns 0; XIPC_ENOTSUP (a stream of one direction, a named-pipe connection, a standard
 * stream); XIPC_EINVAL (NULL s; Windows: a passed handle that is no pipe, see xipc_stream_read);
 * XIPC_EBADF (closed handle); XIPC_ENOMEM (Windows: a duplex end's event); XIPC_EOS. */
XIPC_API int xipc_stream_shutdown(xipc_stream *s);

/* Closes this end. A reader then sees end of stream once every writer end (including copies
 * held by children) is closed; a writer sees XIPC_EPIPE once every reader end is. NULL is a
 * no-op, and so is a stream closed already. Never fails in a way the caller must handle; s is
 * dead afterwards. A FIFO end that created its FIFO also removes it (xipc/fifo.h). */
XIPC_API void xipc_stream_close(xipc_stream *s);

/* The stream as a generic handle, for xipc_spawn_opts.handles, xipc_handle_export(),
 * xipc_handle_kind() and xipc_handle_native() (POSIX: the descriptor; Windows: the pipe HANDLE,
 * opened for overlapped I/O). NULL for NULL. */
XIPC_API xipc_handle *xipc_stream_handle(xipc_stream *s);

/* In a spawned child: adopts the stream the parent exported with xipc_handle_export() and listed
 * in xipc_spawn_opts.handles. Import each text once; the stream is closed with
 * xipc_stream_close(). The adopted stream is made non-inheritable again. What the text names is
 * checked before anything about it changes, so a refused import leaves it as it was.
 * Returns 0; XIPC_EINVAL (NULL argument, malformed text, text naming another kind, or naming
 * something that is not a stream: POSIX takes a pipe, a FIFO or a connected stream socket, not
 * a listening, unconnected or datagram socket, a file, a directory or a device; Windows takes a
 * pipe, or the section a TCP connection travels in, made for this process, xipc/sock.h);
 * XIPC_EEXIST (an xipc handle of this process already holds it: the text was imported
 * before, and a second owner would close it under the first); XIPC_EBADF (the text names
 * nothing open in this process: not listed at spawn, or already closed); XIPC_ENOMEM; XIPC_EOS
 * (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_stream_import(const char *text, xipc_stream **out);

/* In a spawned child: imports (as xipc_stream_import) the stream the parent listed at this index
 * of xipc_spawn_opts.handles (xipc/proc.h, "Passing handles"). Returns 0; XIPC_ENOENT (index is
 * not below xipc_inherited_count()); XIPC_EINVAL (NULL out; the handle at index is of another
 * kind); XIPC_EEXIST (fetched or imported already); and the other codes of xipc_stream_import.
 * *out is NULL on failure. */
XIPC_API int xipc_stream_inherited(size_t index, xipc_stream **out);

/* What the caller asserts an adopted native does (xipc_stream_adopt_native): read, write, or
 * both. */
#define XIPC_STREAM_READ  0x100u
#define XIPC_STREAM_WRITE 0x200u

/* Adopts a descriptor (POSIX) or HANDLE (Windows) this process owns, such as one it inherited
 * from a parent that is not xipc, or a socket from another library, as a stream. flags:
 * XIPC_STREAM_READ, XIPC_STREAM_WRITE or both, which the caller asserts (the OS cannot always
 * tell). The stream owns the native afterwards: xipc_stream_close() closes it, so the caller
 * must not. It is made non-inheritable. Checked as xipc_stream_import() checks, before anything
 * about it changes: POSIX takes a pipe, a FIFO or a connected stream socket (and sets O_NONBLOCK
 * on a pipe's or FIFO's open file description, which every process sharing it sees: for this
 * process's own standard streams use xipc_stream_stdio(), which changes nothing); Windows takes
 * a pipe HANDLE opened for overlapped I/O (a synchronous one, as CreatePipe makes, is not
 * detected and its reads would not time out).
 * Returns 0; XIPC_EINVAL (NULL out, flags neither read nor write or unknown, a native that is not
 * a stream); XIPC_EEXIST (an xipc handle of this process already holds it); XIPC_EBADF (nothing
 * is open under native); XIPC_ENOMEM; XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_stream_adopt_native(intptr_t native, unsigned flags, xipc_stream **out);

/* This process's own standard input (which 0: a stream that reads), output (1) or error (2; both
 * write) as an xipc_stream, for a program whose stdio is a pipe, such as a filter a parent spawned,
 * that wants timeouts and exact byte counts there. The stream owns a non-inheritable duplicate of
 * the standard handle: closing it leaves the process's own stdin, stdout or stderr open, and each
 * call makes a new duplicate. Bytes pass unchanged on every platform ("\r\n", "\x1a" and "\0"
 * too; Windows: ReadFile and WriteFile, never the C runtime's text mode). Mixing it with the C
 * library's buffered stdio on the same stream mixes their orders.
 * The standard handle is shared with others (the parent, a shell, a terminal), so the stream
 * changes nothing about it, and it cannot be listed in xipc_spawn_opts.handles (XIPC_ENOTSUP;
 * give it as a child's stdio instead).
 * A read waits past its timeout only when another process takes the bytes of the same stdin
 * between xipc seeing them and reading them.
 * POSIX: O_NONBLOCK is never set on it: a read waits in poll() and then reads, a write waits in
 * poll() and then writes at most PIPE_BUF bytes, so timeouts hold on pipes, FIFOs, sockets and
 * terminals, and a regular file never waits.
 * Windows: a pipe end opened for overlapped I/O (what an xipc parent passes) is used as any
 * stream; a synchronous one (CreatePipe's, a shell's), a file or a character device is read and
 * written in the calling thread, and a call with a timeout is cancelled at its deadline
 * (CancelSynchronousIo). A console cannot cut a read at a deadline without losing what was
 * typed: there a read with a timeout other than XIPC_FOREVER returns XIPC_ENOTSUP. Only the
 * overlapped kind has a native a wait can use (xipc_handle_native(); XIPC_ENOTSUP for the
 * others).
 * Returns 0; XIPC_EINVAL (which not 0, 1 or 2; NULL out); XIPC_EBADF (that standard stream is
 * closed or absent); XIPC_ENOTSUP (Windows: a socket, a pipe end that may not ask for its buffer
 * size, or a file or device opened for overlapped I/O); XIPC_EMFILE; XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_stream_stdio(int which, xipc_stream **out);

/* The process id of the other end of a byte-mode named-pipe connection (xipc/npipe.h). POSIX:
 * SO_PEERCRED; Windows: GetNamedPipeClientProcessId / GetNamedPipeServerProcessId.
 * Returns 0; XIPC_ENOTSUP (a stream with no single peer: a pipe end, a FIFO end, a standard
 * stream; Windows: a connection that was passed to a child, which no longer knows its peer);
 * XIPC_EINVAL (NULL s or pid); XIPC_EBADF (closed handle); XIPC_EOS. */
XIPC_API int xipc_stream_peer_pid(const xipc_stream *s, uint64_t *pid);

/* Opt-in for programs that write many small messages to pipes and FIFOs: makes SIGPIPE's action
 * SIG_IGN for the whole process (as Python and Rust programs have it from the start), after which
 * xipc_stream_write() no longer blocks SIGPIPE around each write. That guard costs two
 * pthread_sigmask calls per write, more than a 64-byte pipe write itself (xipc bench measures
 * both). Writes to a broken pipe still return XIPC_EPIPE.
 * The program must then leave SIGPIPE ignored: a handler or SIG_DFL set afterwards would run,
 * or end the process, when a write finds its reader gone, as for a raw write(2). Children that
 * xipc_spawn() starts get SIGPIPE's default action back. Call it once, early; it cannot be undone.
 * Windows has no SIGPIPE: returns 0 and changes nothing.
 * Returns 0; XIPC_EOS (sigaction failed). */
XIPC_API int xipc_sigpipe_ignore(void);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_STREAM_H */
