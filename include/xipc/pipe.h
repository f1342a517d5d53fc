/* xipc/pipe.h: anonymous pipes. Each end is an xipc_stream (xipc/stream.h): read, write, pass to
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

#ifdef __cplusplus
}
#endif

#endif /* XIPC_PIPE_H */
