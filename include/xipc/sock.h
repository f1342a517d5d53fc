/* xipc/sock.h: sockets. A TCP or AF_UNIX stream connection is an xipc_stream (xipc/stream.h):
 * read, write, half-close (xipc_stream_shutdown), pass to a child and close it with the stream
 * calls. A listener (xipc_listener) accepts them.
 *
 * Addresses. An xipc_sockaddr holds one socket address (IPv4, IPv6 or an AF_UNIX path) in a
 * form no OS type shows through; xipc_sockaddr_resolve() makes one from a host and a port,
 * xipc_sockaddr_format() turns it into text ("127.0.0.1:80", "[::1]:80") and
 * xipc_sockaddr_port() reads its port.
 *
 * What xipc decides:
 * - A listener with no host binds loopback only (127.0.0.1, or ::1 with XIPC_SOCK_IPV6): a wider
 *   bind is asked for by naming the host ("0.0.0.0", "::", a machine's address).
 * - Address reuse. POSIX: SO_REUSEADDR on every listener, so a server restarted while its old
 *   connections linger in TIME_WAIT binds again at once; Linux still refuses a second listener
 *   on a port in use (XIPC_EADDRINUSE). Windows: SO_EXCLUSIVEADDRUSE, since Windows'
 *   SO_REUSEADDR would let another process bind the same port and take its connections; a port
 *   whose old connections linger may then stay refused (XIPC_EADDRINUSE) for a while. Port 0
 *   avoids both: the OS picks a free port, xipc_listener_port() reports it.
 * - Never SIGPIPE: a write to a connection whose peer is gone is XIPC_EPIPE (POSIX
 *   MSG_NOSIGNAL). A peer that reset the connection reads as end of stream.
 * - Every socket is made non-inheritable (SOCK_CLOEXEC, WSA_FLAG_NO_HANDLE_INHERIT) and reaches
 *   a child only when listed in xipc_spawn_opts.handles. Windows: a TCP connection goes to the
 *   child through WSADuplicateSocketW (an inherited socket handle is no socket under Wine), and
 *   cannot be a child's stdin, stdout or stderr (xipc_spawn: XIPC_ENOTSUP); POSIX: it can, as
 *   inetd gives a connection to a server. TCP connections have TCP_NODELAY set:
 *   IPC wants each write sent at once.
 * - Windows: Winsock is started once, lazily and thread-safely, by the first call that needs it,
 *   and never stopped (a WSACleanup would break every other user of Winsock in the process).
 *
 * Threads: a listener may accept in several threads at once; connections follow the
 * xipc_stream rules.
 */
#ifndef XIPC_SOCK_H
#define XIPC_SOCK_H

#include "xipc/base.h"
#include "xipc/npipe.h"
#include "xipc/stream.h"
#include "xipc/sync.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One socket address: len bytes of the OS's own sockaddr (sockaddr_in, _in6, _un), aligned
 * for it. Fill it with xipc_sockaddr_resolve() or take it from a call that reports one. */
typedef struct xipc_sockaddr {
    uint32_t len; /* 0: none */
    uint32_t reserved;
    uint64_t storage[16]; /* 128 bytes: a sockaddr_storage */
} xipc_sockaddr;

/* Flags of the calls below (the family's own start at 0x100). */
#define XIPC_SOCK_IPV4 0x100u /* resolve to IPv4 only; with no host, 127.0.0.1 (the default) */
#define XIPC_SOCK_IPV6 0x200u /* resolve to IPv6 only; with no host, ::1 */

/* Longest text xipc_sockaddr_format() writes, including its NUL: "[" IPv6 with scope "]:65535". */
#define XIPC_SOCKADDR_TEXT_MAX 72

/* The address of host (a numeric IPv4 or IPv6 address, or a host name, resolved with the OS's
 * resolver: the first address of the family asked for) at port (0..65535). host NULL is the
 * loopback address. flags: 0, XIPC_SOCK_IPV4 or XIPC_SOCK_IPV6.
 * Returns 0; XIPC_EINVAL (NULL out, empty host, port out of range, unknown flags, both
 * families); XIPC_ENOENT (no address of that family for host: unknown name, or the resolver
 * failed); XIPC_ENOMEM; XIPC_EOS (Windows: Winsock did not start). */
XIPC_API int xipc_sockaddr_resolve(const char *host, int port, unsigned flags, xipc_sockaddr *out);

/* The address as text: "a.b.c.d:port", "[v6]:port", or an AF_UNIX path ("" when unnamed).
 * Returns 0; XIPC_EINVAL (NULL a or buf, an address of none of these families); XIPC_ENAMETOOLONG
 * (cap too small: XIPC_SOCKADDR_TEXT_MAX always does). buf is empty on failure when cap > 0. */
XIPC_API int xipc_sockaddr_format(const xipc_sockaddr *a, char *buf, size_t cap);

/* The port of an IPv4 or IPv6 address, into *port. Returns 0; XIPC_EINVAL (NULL argument, an
 * address of another family). */
XIPC_API int xipc_sockaddr_port(const xipc_sockaddr *a, int *port);

/* The address of the AF_UNIX socket at path (UTF-8; POSIX: at most 107 bytes, sun_path's room).
 * xipc_sockaddr_format() gives the path back ("" for an unnamed socket).
 * Returns 0; XIPC_EINVAL (NULL or empty path or out); XIPC_ENAMETOOLONG. */
XIPC_API int xipc_sockaddr_unix(const char *path, xipc_sockaddr *out);

/* ---- Listeners and connections ------------------------------------------------------------- */

typedef struct xipc_listener xipc_listener;

/* Listens for TCP connections on host (see xipc_sockaddr_resolve: NULL is loopback only) and
 * port (0: a free port the OS picks; xipc_listener_port() tells which). flags: 0,
 * XIPC_SOCK_IPV4 or XIPC_SOCK_IPV6 (how host is resolved). An IPv6 listener takes IPv6 only
 * (IPV6_V6ONLY). Address reuse: see the top of this file.
 * Returns 0; XIPC_EINVAL (NULL out, bad host, port or flags; host not an address of this
 * machine); XIPC_ENOENT (host does not resolve); XIPC_EADDRINUSE (another socket has the port);
 * XIPC_EACCES (a port the user may not bind); XIPC_EMFILE, XIPC_ENFILE, XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_tcp_listen(const char *host, int port, unsigned flags, xipc_listener **out);

/* Connects to host and port (see xipc_sockaddr_resolve) within timeout_ms; *out is a stream that
 * reads and writes. flags as xipc_tcp_listen.
 * Returns 0; XIPC_ECONNREFUSED (nothing listens there); XIPC_ETIMEDOUT (no answer in time);
 * XIPC_EINVAL (NULL out, bad host, port 0 or out of range, bad flags or timeout); XIPC_ENOENT
 * (host does not resolve); XIPC_EMFILE, XIPC_ENFILE, XIPC_ENOMEM; XIPC_EOS (another failure:
 * unreachable network, xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_tcp_connect(
    const char *host, int port, unsigned flags, xipc_stream **out, int timeout_ms);

/* Connects to an address (xipc_sockaddr_resolve) within timeout_ms; as xipc_tcp_connect. */
XIPC_API int xipc_tcp_connect_addr(const xipc_sockaddr *addr, xipc_stream **out, int timeout_ms);

/* AF_UNIX stream sockets at a path the user chooses (not xipc's runtime directory: for that, and
 * for one name on both platforms, see xipc/npipe.h). A connection is an xipc_stream as a TCP
 * one is. The listener makes the socket file owner-only (0600, set after bind and before it
 * listens, so no client connects in between) and removes it when closed, if the file is still
 * its own. Anything at path already (a file, a live or a stale socket) is XIPC_EADDRINUSE: a
 * program that knows the path is its own removes a stale socket first. flags must be 0.
 * POSIX: AF_UNIX SOCK_STREAM. Windows: AF_UNIX of afunix.h (Windows 10 1803 and later);
 * XIPC_ENOTSUP where the OS has none, as Wine 8 (socket() fails with WSAEAFNOSUPPORT).
 * listen returns 0; XIPC_EADDRINUSE; XIPC_ENOENT (no such directory); XIPC_EACCES;
 * XIPC_EINVAL (NULL or empty path, NULL out, flags); XIPC_ENAMETOOLONG; XIPC_ENOTSUP;
 * XIPC_EMFILE, XIPC_ENFILE, XIPC_ENOMEM; XIPC_EOS.
 * connect returns 0; XIPC_ENOENT (nothing at path); XIPC_ECONNREFUSED (a socket nobody listens
 * on, or something that is no socket); XIPC_ETIMEDOUT (the listener's backlog stayed full);
 * XIPC_EACCES; XIPC_EINVAL; XIPC_ENAMETOOLONG; XIPC_ENOTSUP; XIPC_EMFILE, XIPC_ENFILE,
 * XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_unix_listen(const char *path, unsigned flags, xipc_listener **out);
XIPC_API int xipc_unix_connect(const char *path, xipc_stream **out, int timeout_ms);

/* Waits up to timeout_ms for the next client and gives its connection, a stream that reads and
 * writes. Returns 0; XIPC_ETIMEDOUT; XIPC_EINVAL (NULL l or out, bad timeout); XIPC_EBADF
 * (closed listener); XIPC_EMFILE, XIPC_ENFILE, XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_listener_accept(xipc_listener *l, xipc_stream **out, int timeout_ms);

/* The address the listener is bound to, and its port alone. Returns 0; XIPC_EINVAL (NULL
 * argument); XIPC_EBADF (closed listener). */
XIPC_API int xipc_listener_addr(const xipc_listener *l, xipc_sockaddr *out);
XIPC_API int xipc_listener_port(const xipc_listener *l, int *port);

/* Stops listening; clients waiting to be accepted are refused. NULL is a no-op. */
XIPC_API void xipc_listener_close(xipc_listener *l);

/* The listener as a generic handle (xipc_handle_kind; xipc_handle_native: the listening socket,
 * readable (poll, WSAPoll) while a client waits). NULL for NULL. */
XIPC_API xipc_handle *xipc_listener_handle(xipc_listener *l);

/* Passing a listener to a child (xipc_spawn_opts.handles), for a pre-forked server whose
 * workers all accept on one port: the child adopts it by its export text or its index, as for
 * a stream (xipc/stream.h). The socket is shared: every holder accepts from the one backlog,
 * and the port stays bound until the last holder closes it. An AF_UNIX listener's socket file
 * is removed by the process that listened, when it closes its listener. POSIX: the descriptor
 * is inherited; Windows: duplicated for the child with WSADuplicateSocketW, as a connection
 * is.
 * Returns 0; XIPC_EINVAL (NULL argument, malformed text, text of another kind, or naming
 * something that is not a listening socket); XIPC_EEXIST (imported already); XIPC_EBADF
 * (nothing open under it); XIPC_ENOENT (index past the end, _inherited); XIPC_ENOMEM;
 * XIPC_EOS. */
XIPC_API int xipc_listener_import(const char *text, xipc_listener **out);
XIPC_API int xipc_listener_inherited(size_t index, xipc_listener **out);

/* ---- Stream sockets ------------------------------------------------------------------------ */

/* The local and the peer address of a TCP or AF_UNIX connection (an AF_UNIX client that bound no
 * path is unnamed: its address formats as ""). Returns 0; XIPC_ENOTSUP (a stream that is not
 * such a connection: a pipe, a duplex pipe end, a named-pipe connection); XIPC_EINVAL (NULL
 * argument); XIPC_EBADF (closed stream); XIPC_EOS. */
XIPC_API int xipc_stream_local_addr(const xipc_stream *s, xipc_sockaddr *out);
XIPC_API int xipc_stream_peer_addr(const xipc_stream *s, xipc_sockaddr *out);

/* ---- Datagrams ----------------------------------------------------------------------------- */

/* A datagram endpoint (UDP, or AF_UNIX datagrams below): sends and receives whole messages, each to
 * or from an address, boundaries kept. Delivery is UDP's: a datagram may be lost, duplicated or
 * reordered (not on loopback in practice), nothing waits for a receiver. Threads: one thread may
 * receive while another sends. Passed to a child as a listener is (xipc_dgram_import,
 * xipc_dgram_inherited, with the same codes): the socket is shared, and a datagram xipc keeps
 * for one process after XIPC_EMSGSIZE stays with that process. */
typedef struct xipc_dgram xipc_dgram;

/* The largest datagram xipc sends or receives: UDP's largest payload over IPv4. */
#define XIPC_DGRAM_MAX 65507

/* Opens a UDP endpoint bound to host (see xipc_sockaddr_resolve: NULL is loopback only) and
 * port (0: a free port; xipc_dgram_addr tells which). flags: 0, XIPC_SOCK_IPV4 or _IPV6.
 * Returns 0; XIPC_EINVAL (NULL out, bad host, port or flags; host not an address of this
 * machine); XIPC_ENOENT (host does not resolve); XIPC_EADDRINUSE; XIPC_EACCES; XIPC_EMFILE,
 * XIPC_ENFILE, XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_udp_open(const char *host, int port, unsigned flags, xipc_dgram **out);

/* Sends one datagram of len bytes (0..XIPC_DGRAM_MAX) to the address to, whole or not at all,
 * waiting up to timeout_ms for room in the socket's buffer.
 * Returns 0; XIPC_ETIMEDOUT; XIPC_EMSGSIZE (len over XIPC_DGRAM_MAX, or over what the path
 * takes); XIPC_EINVAL (NULL d, buf with len > 0, or to; to of another family than d's; bad
 * timeout); XIPC_EBADF (closed endpoint); XIPC_EOS (unreachable network and the like). */
XIPC_API int xipc_dgram_send_to(
    xipc_dgram *d, const void *buf, size_t len, const xipc_sockaddr *to, int timeout_ms);

/* Receives the next datagram, waiting up to timeout_ms: its bytes into buf, its length into
 * *len, and the sender's address into *from (which may be NULL). A datagram larger than cap is
 * not lost: XIPC_EMSGSIZE with *len = its size, and the next receive gets it (xipc keeps it in
 * user space; the OS's receive would cut it).
 * Returns 0; XIPC_ETIMEDOUT; XIPC_EMSGSIZE (as said); XIPC_EINVAL (NULL d, buf or len, bad
 * timeout); XIPC_EBADF (closed endpoint); XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_dgram_recv_from(
    xipc_dgram *d, void *buf, size_t cap, size_t *len, xipc_sockaddr *from, int timeout_ms);

/* Connected mode: from now on d sends to peer alone (xipc_dgram_send) and receives only what
 * peer sends. Returns 0; XIPC_EINVAL (NULL argument, an address of another family);
 * XIPC_EBADF; XIPC_EOS. */
XIPC_API int xipc_dgram_connect(xipc_dgram *d, const xipc_sockaddr *peer);

/* xipc_dgram_send_to and _recv_from to and from the connected peer. XIPC_EINVAL also when d is
 * not connected. */
XIPC_API int xipc_dgram_send(xipc_dgram *d, const void *buf, size_t len, int timeout_ms);
XIPC_API int xipc_dgram_recv(xipc_dgram *d, void *buf, size_t cap, size_t *len, int timeout_ms);

/* An AF_UNIX datagram endpoint bound at path (UTF-8), so that its receivers learn its path as
 * the sender's address; path NULL makes an unbound one, which can send (its datagrams' sender is
 * unnamed: no reply can reach it). The socket file is made owner-only (0600) right after bind
 * and removed when the endpoint closes, if still its own; anything at path already is
 * XIPC_EADDRINUSE. flags must be 0. Messages are sent with xipc_dgram_send_to to an address of
 * xipc_sockaddr_unix. Datagrams are reliable and kept in order on one machine; a send to a
 * receiver whose queue is full waits up to its timeout.
 * Windows has no AF_UNIX datagrams (afunix.h takes SOCK_STREAM only): XIPC_ENOTSUP there.
 * Returns 0; XIPC_EADDRINUSE; XIPC_ENOENT; XIPC_EACCES; XIPC_EINVAL (empty path, NULL out,
 * flags); XIPC_ENAMETOOLONG; XIPC_ENOTSUP; XIPC_EMFILE, XIPC_ENFILE, XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_unix_dgram_open(const char *path, unsigned flags, xipc_dgram **out);

/* The address d is bound to. Returns 0; XIPC_EINVAL (NULL argument); XIPC_EBADF. */
XIPC_API int xipc_dgram_addr(const xipc_dgram *d, xipc_sockaddr *out);

/* Closes the endpoint; a datagram xipc kept for it is dropped. NULL is a no-op. */
XIPC_API void xipc_dgram_close(xipc_dgram *d);

/* The endpoint as a generic handle (xipc_handle_native: the socket, for poll or WSAPoll). NULL
 * for NULL. */
XIPC_API xipc_handle *xipc_dgram_handle(xipc_dgram *d);

XIPC_API int xipc_dgram_import(const char *text, xipc_dgram **out);
XIPC_API int xipc_dgram_inherited(size_t index, xipc_dgram **out);

/* ---- Passing handles between running processes -------------------------------------------- */

/* Sends the handle h to the process at the other end of the connection conn, which receives a
 * working handle of the same kind with xipc_<type>_receive. For a process that is running
 * already: a pre-forked server hands each accepted connection to a worker, a service gives a
 * client an event. (A child being spawned gets its handles through xipc_spawn_opts.handles.)
 * conn is a named-pipe connection, byte mode (xipc_npipe_accept/_connect, an xipc_stream) or
 * message mode (an xipc_msgpipe, cast with xipc_msgpipe_handle); POSIX also takes any AF_UNIX
 * stream connection (xipc_unix_connect, a duplex pipe end). The handle travels in the
 * connection's own data as one record of XIPC_HANDLE_TEXT_MAX + 4 bytes, so the two sides must
 * agree on when one comes, as for any message of their protocol. h may be a stream (a pipe end,
 * a FIFO writer, a TCP, AF_UNIX or named-pipe connection, a duplex end), a message pipe, an
 * event, a semaphore, a mutex, a socket listener or a datagram endpoint; the sender keeps its own
 * handle (close it to hand over alone). POSIX: the descriptors go as SCM_RIGHTS beside the record
 * (a named semaphore by its name). Windows: DuplicateHandle into the peer, whose process is
 * opened once per connection, at its first pass (from the pid GetNamedPipeClientProcessId /
 * ServerProcessId report), and kept until conn closes, so that no later pass can reach another
 * process that got the pid of a peer that ended; a socket through WSADuplicateSocketW; the
 * duplicates exist in the peer once the call returns, and stay there, unused, if the peer never
 * receives them. Returns 0; XIPC_ETIMEDOUT (the record did not go in time; nothing was passed);
 * XIPC_EPIPE, XIPC_ECLOSED (the peer is gone: it closed conn, or its process ended); XIPC_ENOTSUP
 * (a conn that cannot carry handles: a pipe end, a TCP connection, a Windows duplex end; an h
 * that cannot be passed, as for xipc_handle_export); XIPC_EINVAL (NULL or bad argument, conn of
 * another kind, h the connection itself, bad timeout); XIPC_EBADF (a closed conn or h); XIPC_EACCES
 * (Windows: the peer process may not be opened); XIPC_EOS. */
XIPC_API int xipc_handle_send(xipc_handle *conn, xipc_handle *h, int timeout_ms);

/* Receives, over conn (as xipc_handle_send), the next handle the peer sent, waiting up to
 * timeout_ms, as a new handle of this kind owned by the caller. A handle of another kind, or
 * anything else in the connection's data at that point, is XIPC_EINVAL (a handle that came is
 * closed); so is a record that names handles which did not come with it (POSIX: the descriptors
 * travel beside it) or which an xipc object of this process holds (Windows: the record names the
 * duplicates), and nothing of this process's is adopted or closed for it. Windows: a stream's
 * handle came non-inheritable and is asked only what kind of object it is; what kind of pipe end
 * it is (duplex, FIFO writer) is asked at its first read, write or shutdown, which give
 * XIPC_EINVAL for a handle that is no pipe (xipc/stream.h).
 * Returns 0; XIPC_ETIMEDOUT (nothing came); XIPC_ECLOSED (the peer closed the connection);
 * XIPC_EINVAL (NULL out, bad conn or timeout, a record of another kind or none); XIPC_EBADF
 * (closed conn; Windows: a record naming nothing open here); XIPC_EMFILE (POSIX: no descriptor
 * left for what came); XIPC_ENOMEM; XIPC_EOS. *out is NULL on failure. */
XIPC_API int xipc_stream_receive(xipc_handle *conn, xipc_stream **out, int timeout_ms);
XIPC_API int xipc_msgpipe_receive(xipc_handle *conn, xipc_msgpipe **out, int timeout_ms);
XIPC_API int xipc_event_receive(xipc_handle *conn, xipc_event **out, int timeout_ms);
XIPC_API int xipc_sem_receive(xipc_handle *conn, xipc_sem **out, int timeout_ms);
XIPC_API int xipc_mutex_receive(xipc_handle *conn, xipc_mutex **out, int timeout_ms);
XIPC_API int xipc_listener_receive(xipc_handle *conn, xipc_listener **out, int timeout_ms);
XIPC_API int xipc_dgram_receive(xipc_handle *conn, xipc_dgram **out, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_SOCK_H */
