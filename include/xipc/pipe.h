/* xipc/pipe.h: anonymous pipes, one-way (xipc_pipe) and full-duplex (xipc_duplex). Each end is an xipc_stream (xipc/stream.h): read, write, pass to
 * a child and close it with the stream calls.
 *
 * POSIX: a pipe end is a pipe(2) descriptor, close-on-exec and O_NONBLOCK; waits use poll().
 * Windows: an anonymous pipe is a uniquely named, overlapped named-pipe pair (CreatePipe gives no
 * timeouts), owner-only, rejecting remote clients.
 */
#ifndef XIPC_PIPE_H
#define XIPC_PIPE_H

#include "xipc/base.h"
#include "xipc/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates an anonymous pipe: bytes written to *wr are read from *rd. Both ends are
 * non-inheritable; list one in xipc_spawn_opts to hand it to a child. flags must be 0 (reserved).
 * Returns 0; XIPC_EINVAL (unknown flags, NULL rd or wr); XIPC_EMFILE, XIPC_ENFILE, XIPC_ENOMEM;
 * XIPC_EOS (another OS failure: xipc_last_os_error). On failure *rd and *wr are NULL. */
XIPC_API int xipc_pipe(unsigned flags, xipc_stream **rd, xipc_stream **wr);

/* Creates a full-duplex pipe: two connected stream ends, each reading what the other writes.
 * Each end may be half-closed (xipc_stream_shutdown: the other end then reads the end of the
 * stream and may still write back) and passed to a child like any stream. Both ends are
 * non-inheritable. flags must be 0 (reserved).
 * POSIX: socketpair(AF_UNIX, SOCK_STREAM), close-on-exec. Windows: one duplex named pipe (a
 * uniquely named, owner-only sole instance, as xipc_pipe makes), overlapped. Named pipes have no
 * half-close: xipc_stream_shutdown writes a zero-length message, which ReadFile reports as 0
 * bytes read (its documentation: "the other end of the pipe called the WriteFile function with
 * nNumberOfBytesToWrite set to zero"), and the other end's reads take it for the end of the
 * stream. So a half-close reaches xipc processes only: a program that is not xipc, given an end
 * as its standard stream, reads a zero-byte read and goes on.
 * Returns 0; XIPC_EINVAL (unknown flags, NULL a or b); XIPC_EMFILE, XIPC_ENFILE, XIPC_ENOMEM;
 * XIPC_EOS (another OS failure: xipc_last_os_error). On failure *a and *b are NULL. */
XIPC_API int xipc_duplex(unsigned flags, xipc_stream **a, xipc_stream **b);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_PIPE_H */
