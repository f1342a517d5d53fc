/* posix/posix_msgpeek.c: Linux-only: the size of the next message on a SOCK_SEQPACKET connection,
 * without taking it (message-mode named pipes, posix_npipe.c). Linux's recv reports a packet's
 * whole length with MSG_TRUNC however small the buffer (for AF_UNIX SOCK_SEQPACKET since 3.4);
 * POSIX knows MSG_TRUNC only as an output flag of recvmsg. A port replaces this file: it peeks
 * with recvmsg into a scratch buffer of XIPC_MSGPIPE_MAX + 1 bytes (no message is longer) and takes
 * the size from the bytes it got. */
#include "posix_internal.h"

#include <sys/socket.h>

int
xipc__posix_msg_peek_size(struct xipc__os_stream *s, struct xipc__lazy_deadline *ld, size_t *size)
{
    char probe;
    return xipc__posix_socket_recv(s, &probe, 1, MSG_PEEK | MSG_TRUNC, ld, size);
}
