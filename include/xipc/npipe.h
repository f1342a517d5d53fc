/* xipc/npipe.h: named pipes: a server (xipc_npipe) listens on a name, many clients connect, each
 * connection is a private two-way channel. A server is of one mode for its life, given when it
 * starts listening: byte mode, whose connections are xipc_streams (xipc/stream.h), made by
 * xipc_npipe_accept and xipc_npipe_connect; or message mode, whose connections are xipc_msgpipes
 * that send and receive whole messages, made by xipc_msgpipe_accept and xipc_msgpipe_connect.
 * A call of the other mode is XIPC_EINVAL, at the server and at a client.
 *
 * Names follow xipc_name_check() and are case-insensitive: xipc folds a name's letters to lower
 * case for every part of the server, so "Foo" and "foo" are one server on every platform (a
 * second listen is XIPC_EADDRINUSE; a client of "FOO" reaches a server of "foo"). NAME below is
 * the folded name. POSIX: an AF_UNIX socket (SOCK_STREAM for byte mode,
 * SOCK_SEQPACKET for message mode) at <runtime dir>/NAME, where the runtime directory is
 * $XDG_RUNTIME_DIR/xipc when XDG_RUNTIME_DIR is set and owned by the user, else /tmp/xipc-<uid>;
 * it is created 0700 and refused (XIPC_EACCES) if it exists with another owner or wider
 * permissions; the socket file is 0600, and a live server holds a lock file, .lock-NAME, beside
 * it. Windows: \\.\pipe\NAME, many instances, overlapped, with an owner-only DACL and
 * PIPE_REJECT_REMOTE_CLIENTS; the server keeps one spare instance listening so that a burst of
 * clients never sees "no server".
 *
 * Who serves a name. POSIX keeps the name in a runtime directory that is the user's alone, so
 * only the user's programs can serve it. Windows pipe names are machine-wide, and whoever makes
 * a pipe's first instance fixes its security descriptor: a server makes its first instance
 * exclusively (FILE_FLAG_FIRST_PIPE_INSTANCE; a pipe that exists already, whoever made it, is
 * XIPC_EADDRINUSE), owned by the user, and a client refuses a pipe whose owner is not its user
 * (XIPC_EACCES, before it sends anything): another user who made the name first would read what
 * it sends. An elevated administrator's objects belong to BUILTIN\Administrators by default:
 * xipc's servers name the user as owner, and a client also takes a pipe owned by the owner its
 * own token gives new objects (so an elevated client takes an elevated program's pipe), but a
 * client that is not elevated refuses a program that is not xipc's running elevated.
 * Sessions (Windows): pipe names are machine-wide, the Local\ events a server holds beside its
 * pipe (one that says a server has the name, one that tells clients its mode) are per session.
 * Two sessions of one user (a service and a desktop, two remote desktops) share the pipe name:
 * a client in one reaches a server in the other, and a second listen in the other session is
 * XIPC_EADDRINUSE, told by the pipe's first instance, not by the events. Two users never share
 * a server (see above).
 * AppContainers (Windows sandboxes) may make pipes only under \\.\pipe\LOCAL\, which only their
 * own container sees: listen there is XIPC_ENOTSUP (a client's connect to a server outside is
 * XIPC_EACCES unless that server's DACL lets the container in, which xipc's does not).
 *
 * Threads: a server may accept in one thread while connections are used in others. A connection
 * follows the xipc_stream rules: one reader (receiver) and one writer (sender) at a time.
 *
 * Passing to a child: a byte-mode connection is an xipc_stream and is passed like any stream; a
 * message pipe is passed the same way (xipc_spawn_opts.handles, then xipc_msgpipe_inherited or
 * xipc_msgpipe_import in the child), either end; but not while it holds a message that a receive
 * with too small a buffer took from the OS (see xipc_msgpipe_recv): those bytes live in this
 * process and would not go along, so xipc_handle_export and xipc_spawn give XIPC_ENOTSUP until a
 * receive has taken that message. Two processes should not wait on one connection at the same
 * time: POSIX keeps a waiting call's timeout in the socket (SO_RCVTIMEO / SO_SNDTIMEO), so one's
 * timeout may end the other's wait late. On Windows a connection passed to a child no longer
 * knows its peer (peer pid: XIPC_ENOTSUP there).
 *
 * Passing a server: a server is passed like any handle (xipc_spawn_opts.handles, then
 * xipc_npipe_inherited or xipc_npipe_import in the child), for a pre-forked server: the parent
 * listens, its workers import the server, and each of them accepts on the one name; every client
 * is accepted by exactly one of them. A passed server shares the name: it lasts until the last
 * process that holds the server closes it or ends, whichever process listened first, and until
 * then no other server can listen on it (XIPC_EADDRINUSE). POSIX: the child inherits the
 * listening socket and the descriptor of the lock file, whose lock all holders share; clients
 * wait in the one socket's backlog for whichever holder accepts next; each close releases its
 * own copy, and the last one removes the socket file and the lock file (a copy made by fork
 * without exec is one more holder, the same way). Windows: the child inherits the event that
 * claims the name and the one that tells clients its mode, and keeps a spare pipe instance of its
 * own, as every holder does: a client connects to whichever holder's spare it finds, and waits
 * there until that holder accepts. So every holder should accept (or close the server), and a
 * holder that closes drops the client that connected to its spare and was not accepted yet (its
 * reads see the end), as a server that was never passed does. Connections of a server that
 * closed keep the name busy until they close too, as for one that was never passed.
 *
 * Connecting, for both modes: with no server on the name a connect fails at once with
 * XIPC_ENOENT, whatever the timeout, unless it is given XIPC_NPIPE_WAIT_SERVER: then it looks
 * again, with short pauses growing to 20 ms, until a server appears or timeout_ms passes
 * (XIPC_ETIMEDOUT), for a client that may start before its server. A server that is busy (all
 * its instances taken, its backlog full), whoever made it, is waited for until timeout_ms passes
 * (0: one try): XIPC_ETIMEDOUT then. Once the call has seen the server busy, the name may go
 * missing for up to a second (a server that closed its only, busy instance and makes the next)
 * before the call ends with XIPC_ENOENT. Windows: the connections of an xipc server that closed
 * keep its name busy until they close too (POSIX: the name is gone at once).
 */
#ifndef XIPC_NPIPE_H
#define XIPC_NPIPE_H

#include "xipc/base.h"
#include "xipc/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_npipe xipc_npipe; /* a listening server */
typedef struct xipc_msgpipe xipc_msgpipe; /* one message-mode connection */

/* The server's mode, for xipc_npipe_listen: exactly one. */
#define XIPC_NPIPE_BYTE    0x100u
#define XIPC_NPIPE_MESSAGE 0x200u

/* A connect's flag: wait, within the timeout, for a server to appear on the name (see
 * "Connecting" above). Connect takes 0 or this; the mode comes from the call (npipe or msgpipe). */
#define XIPC_NPIPE_WAIT_SERVER 0x400u

/* The largest message a message pipe carries, on every platform. */
#define XIPC_MSGPIPE_MAX 65536

/* ---- Servers -------------------------------------------------------------------------------- */

/* Starts a server on name; flags is XIPC_NPIPE_BYTE or XIPC_NPIPE_MESSAGE. The name belongs to
 * this server until xipc_npipe_close (and every process it was passed to has closed it or ended,
 * see "Passing a server" above). Returns 0;
 * XIPC_EADDRINUSE: a live server has the name, xipc's or another program's, whose server is left
 *   alone. POSIX: a socket file left by a server that died is taken over; to tell the two apart,
 *   listen connects to a socket it finds once, so a stream server that is not xipc's sees a client
 *   that leaves at once. Windows: also while connections of an xipc server that closed are open
 *   (their pipe instances keep the name; POSIX frees it at once);
 * XIPC_EEXIST (POSIX: something that is not a socket, a directory or a file, is at
 *   <runtime dir>/NAME; it is left alone);
 * XIPC_EINVAL (bad name; flags not exactly one mode; NULL out);
 * XIPC_EACCES (the runtime directory is not the user's alone, or cannot be made);
 * XIPC_ENOTSUP (Windows: inside an AppContainer, see "AppContainers" above);
 * XIPC_ENAMETOOLONG (POSIX: <runtime dir>/NAME does not fit sun_path's 108 bytes, as with a long
 *   XDG_RUNTIME_DIR);
 * XIPC_ENOENT, XIPC_ENOTDIR, XIPC_EISDIR, XIPC_ENOSPC (POSIX: the runtime directory cannot hold
 *   the files: it changed during the call, a directory has the lock file's name, the disk is full);
 * XIPC_ENOMEM; XIPC_EMFILE; XIPC_ENFILE; XIPC_EOS (another OS failure: xipc_last_os_error).
 * *out is NULL on failure. */
XIPC_API int xipc_npipe_listen(const char *name, unsigned flags, xipc_npipe **out);

/* Waits up to timeout_ms for the next client of a byte-mode server; *out is the server's end of
 * the connection. Returns 0; XIPC_ETIMEDOUT; XIPC_EINVAL (a message-mode server, NULL srv or
 * out, bad timeout); XIPC_EBADF (closed handle); XIPC_ENOMEM; XIPC_EMFILE, XIPC_ENFILE;
 * XIPC_EOS (another OS failure: xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_npipe_accept(xipc_npipe *srv, xipc_stream **out, int timeout_ms);

/* Connects to a byte-mode server (see "Connecting" above). flags: 0 or XIPC_NPIPE_WAIT_SERVER.
 * Returns 0; XIPC_ENOENT (no server, without XIPC_NPIPE_WAIT_SERVER); XIPC_ETIMEDOUT (the server
 * stayed busy, or with XIPC_NPIPE_WAIT_SERVER none appeared in time); XIPC_EINVAL (bad name,
 * unknown flags, NULL out or bad timeout, or a message-mode server); XIPC_EACCES (POSIX: the
 * runtime directory is not the user's alone; Windows: the server's pipe denies this user, or
 * belongs to another user: see "Who serves a name" above);
 * XIPC_ENAMETOOLONG (POSIX: <runtime dir>/NAME does not fit sun_path); XIPC_ENOMEM; XIPC_EMFILE;
 * XIPC_ENFILE; XIPC_EOS (another OS failure: xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_npipe_connect(
    const char *name, unsigned flags, xipc_stream **out, int timeout_ms);

/* Stops listening in this process and, in the last process that holds the server, releases the
 * name (see "Passing a server" above; POSIX: removes the socket and lock files). Connections
 * already made stay open. NULL, or a server closed already: no-op. A process that still holds
 * the server (a child it was passed to, a copy made by fork without exec) keeps the name and
 * goes on accepting its clients. */
XIPC_API void xipc_npipe_close(xipc_npipe *srv);

/* The server as a generic handle, for xipc_handle_kind(), xipc_handle_native() (POSIX: the
 * listening socket; Windows: an event set while a client waits to be accepted, and for a moment
 * after a thread that called accept or listen ended, until the next accept) and
 * xipc_handle_export(). NULL for NULL. Passable to a child (see "Passing a server" above). */
XIPC_API xipc_handle *xipc_npipe_handle(xipc_npipe *srv);

/* In a spawned child: adopts the server the parent exported with xipc_handle_export() and listed
 * in xipc_spawn_opts.handles; it accepts on the same name as the parent (see "Passing a server"
 * above). Import each text once; the server is closed with xipc_npipe_close(). Its OS handles are
 * made non-inheritable again; what the text names is checked before anything about it changes,
 * so a refused import leaves it as it was.
 * Returns 0; XIPC_EINVAL (NULL argument, malformed text, text naming another kind, or naming
 * handles that are not that server's: POSIX takes a listening AF_UNIX socket of the text's mode
 * bound at <runtime dir>/NAME and the lock file beside it, Windows the claim and mode events of
 * a server of that name and mode);
 * XIPC_EEXIST (an xipc handle of this process already holds them: the text was imported before);
 * XIPC_EBADF (the text names nothing open in this process: not listed at spawn, or already
 * closed); XIPC_ENOMEM; XIPC_EMFILE, XIPC_ENFILE; XIPC_EOS (another OS failure:
 * xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_npipe_import(const char *text, xipc_npipe **out);

/* In a spawned child: imports (as xipc_npipe_import) the server the parent listed at this index
 * of xipc_spawn_opts.handles (xipc/proc.h, "Passing handles"). Returns 0; XIPC_ENOENT (index is
 * not below xipc_inherited_count()); XIPC_EINVAL (NULL out; the handle at index is of another
 * kind); XIPC_EEXIST (fetched or imported already); and the other codes of xipc_npipe_import.
 * *out is NULL on failure. */
XIPC_API int xipc_npipe_inherited(size_t index, xipc_npipe **out);

/* ---- Message pipes -------------------------------------------------------------------------- */

/* Waits up to timeout_ms for the next client of a message-mode server; *out is the server's end
 * of the connection. Returns as xipc_npipe_accept, with XIPC_EINVAL for a byte-mode server. */
XIPC_API int xipc_msgpipe_accept(xipc_npipe *srv, xipc_msgpipe **out, int timeout_ms);

/* Connects to a message-mode server (see "Connecting" above). flags: 0 or
 * XIPC_NPIPE_WAIT_SERVER. Returns as xipc_npipe_connect, with XIPC_EINVAL for a byte-mode
 * server. */
XIPC_API int xipc_msgpipe_connect(
    const char *name, unsigned flags, xipc_msgpipe **out, int timeout_ms);

/* Sends one message of len bytes (1 to XIPC_MSGPIPE_MAX), whole or not at all, waiting up to
 * timeout_ms for room. Returns 0; XIPC_ETIMEDOUT (nothing sent); XIPC_EMSGSIZE (len too large);
 * XIPC_EINVAL (len 0: POSIX SEQPACKET cannot tell an empty message from the end; NULL m or buf;
 * bad timeout); XIPC_EPIPE or XIPC_ECLOSED (the peer is gone); XIPC_EBADF (closed handle);
 * XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_msgpipe_send(xipc_msgpipe *m, const void *buf, size_t len, int timeout_ms);

/* Receives the next message into buf, waiting up to timeout_ms. *len gets its size. A message
 * larger than cap is not consumed: XIPC_EMSGSIZE, *len = its size, and the next receive with a
 * large enough buffer gets it whole (the OS hands over a message only whole, so xipc keeps what
 * it had to take in this process meanwhile; buf may hold its start). One system call per
 * message on POSIX: a buffer smaller than XIPC_MSGPIPE_MAX takes the message through a spill
 * area of this connection's (XIPC_MSGPIPE_MAX bytes, made at its first receive), which a buffer
 * of up to 8 KiB is copied from and a larger one is extended by for that call. A message
 * longer than XIPC_MSGPIPE_MAX can only come from a sender that is not xipc, on a connection
 * xipc_msgpipe_import adopted: POSIX cuts it short, and it is dropped with XIPC_EMSGSIZE.
 * Returns 0; XIPC_ETIMEDOUT (*len is 0); XIPC_EMSGSIZE; XIPC_ECLOSED (the peer closed and every
 * message was read); XIPC_EINVAL (NULL m, buf or len, cap 0, bad timeout); XIPC_EBADF (closed
 * handle); XIPC_ENOMEM (no room to keep a message); XIPC_EOS (another OS failure:
 * xipc_last_os_error). */
XIPC_API int xipc_msgpipe_recv(xipc_msgpipe *m, void *buf, size_t cap, size_t *len, int timeout_ms);

/* The process id of the other end of the connection. POSIX: SO_PEERCRED; Windows:
 * GetNamedPipeClientProcessId / GetNamedPipeServerProcessId. Returns 0; XIPC_EINVAL (NULL m or
 * pid); XIPC_EBADF (closed handle); XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_msgpipe_peer_pid(const xipc_msgpipe *m, uint64_t *pid);

/* Closes this end: the peer's receives then give XIPC_ECLOSED once it has read every message,
 * and its sends XIPC_EPIPE or XIPC_ECLOSED. NULL, or a message pipe closed already: no-op. */
XIPC_API void xipc_msgpipe_close(xipc_msgpipe *m);

/* The message pipe as a generic handle, for xipc_handle_kind() and xipc_handle_native() (POSIX:
 * the socket; Windows: the pipe HANDLE, to arm). NULL for NULL. Passable to a child (see the top
 * of this file). */
XIPC_API xipc_handle *xipc_msgpipe_handle(xipc_msgpipe *m);

/* In a spawned child: adopts the message pipe the parent exported with xipc_handle_export() and
 * listed in xipc_spawn_opts.handles. Import each text once; the message pipe is closed with
 * xipc_msgpipe_close(). It is made non-inheritable again; what the text names is checked before
 * anything about it changes, so a refused import leaves it as it was. Its peer pid: POSIX the
 * process that connected or accepted at the other end; Windows XIPC_ENOTSUP.
 * Returns 0; XIPC_EINVAL (NULL argument, malformed text, text naming another kind, or naming
 * something that is not a message connection: POSIX takes a connected AF_UNIX SOCK_SEQPACKET
 * socket that does not listen, Windows a named pipe of PIPE_TYPE_MESSAGE; a byte-mode
 * connection's descriptor or HANDLE is refused); XIPC_EEXIST (an xipc handle of this process
 * already holds it: the text was imported before); XIPC_EBADF (the text names nothing open in
 * this process: not listed at spawn, or already closed); XIPC_ENOMEM; XIPC_EOS (another OS
 * failure: xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_msgpipe_import(const char *text, xipc_msgpipe **out);

/* In a spawned child: imports (as xipc_msgpipe_import) the message pipe the parent listed at this
 * index of xipc_spawn_opts.handles (xipc/proc.h, "Passing handles"). Returns 0; XIPC_ENOENT
 * (index is not below xipc_inherited_count()); XIPC_EINVAL (NULL out; the handle at index is of
 * another kind); XIPC_EEXIST (fetched or imported already); and the other codes of
 * xipc_msgpipe_import. *out is NULL on failure. */
XIPC_API int xipc_msgpipe_inherited(size_t index, xipc_msgpipe **out);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_NPIPE_H */
