/* win32/win32_pass.c: passing handles to a running peer over a named-pipe connection
 * (common/platform.h, "Passing handles"). The sender duplicates each native into the peer
 * process (DuplicateHandle) and sends a record whose text names the duplicates; a socket's share
 * is filled for the peer first (WSADuplicateSocketW: a socket handle duplicated any other way is
 * no socket, as Microsoft's DuplicateHandle documentation says). If the record does not go, the
 * duplicates are closed in the peer again (DUPLICATE_CLOSE_SOURCE).
 *
 * The peer's process is opened once per connection, at its first pass, with PROCESS_DUP_HANDLE
 * (from the pid GetNamedPipeClientProcessId / GetNamedPipeServerProcessId report), and kept
 * until the connection closes: a handle to a process keeps that process's object, and so its
 * id, from being reused (OpenProcess's documentation: an id is valid only while the process
 * exists), whereas a pid looked up again at each pass could name a new, unrelated process once
 * the peer ended. A peer that ended takes nothing more: its duplicates fail or die with it, and
 * the record's write reports XIPC_EPIPE. */
#include "win32_internal.h"

#include <string.h>

const bool xipc__os_pass_natives_beside = false;

/* Whether the peer of the named-pipe connection conn is gone: the pipe is broken or
 * disconnected, as a write would find it. */
static bool
peer_gone(const struct xipc__os_stream *conn)
{
    DWORD avail = 0;
    if (PeekNamedPipe(conn->handle, NULL, 0, NULL, &avail, NULL))
        return false;
    DWORD werr = GetLastError();
    return werr == ERROR_BROKEN_PIPE || werr == ERROR_PIPE_NOT_CONNECTED || werr == ERROR_NO_DATA;
}

/* The peer's process, opened at the connection's first pass and kept in conn. */
static int
peer_process(struct xipc__os_stream *conn, HANDLE *process)
{
    uint64_t pid = 0;
    if (conn->peer_process != NULL) {
        *process = conn->peer_process;
        return 0;
    }
    int rc = xipc__os_stream_peer_pid(conn, &pid);
    if (rc == XIPC_ENOTSUP)
        return XIPC__FAIL(XIPC_ENOTSUP, "conn: not a named-pipe connection (no peer process)");
    if (rc != 0)
        return peer_gone(conn) ? XIPC__FAIL(XIPC_EPIPE, "conn: the peer is gone") : rc;
    HANDLE p = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)pid);
    if (p == NULL) {
        DWORD werr = GetLastError();
        /* ERROR_INVALID_PARAMETER: no process has that id any more. */
        if (werr == ERROR_INVALID_PARAMETER || peer_gone(conn))
            return XIPC__FAIL(XIPC_EPIPE, "conn: the peer process ended");
        return XIPC__OS_FAIL(werr, "OpenProcess", "the connection's peer");
    }
    conn->peer_process = p;
    conn->peer_process_id = (uint32_t)pid;
    *process = p;
    return 0;
}

/* The i-th native duplicated into process (a socket shared with pid first), into *dup. */
static int
duplicate_into(HANDLE process, uint32_t pid, intptr_t native, HANDLE *dup)
{
    int rc = 0;
    if (xipc__win32_sock_shares(&native, 1))
        rc = xipc__win32_sock_share_with(&native, 1, pid);
    if (rc == 0 &&
        !DuplicateHandle(
            GetCurrentProcess(), (HANDLE)native, process, dup, 0, FALSE, DUPLICATE_SAME_ACCESS))
        rc = XIPC__OS_FAIL(GetLastError(), "DuplicateHandle", "into the peer");
    return rc;
}

int
xipc__os_pass_prepare(struct xipc__os_stream *conn, const intptr_t *natives, size_t count,
    intptr_t *remote, intptr_t *peer)
{
    HANDLE process = NULL;
    *peer = 0;
    int rc = peer_process(conn, &process);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < count; i++) {
        HANDLE dup = NULL;
        if ((rc = duplicate_into(process, conn->peer_process_id, natives[i], &dup)) != 0) {
            xipc__os_pass_finish((intptr_t)process, remote, i, false);
            /* A process that ended has no handle table left to take one. */
            return peer_gone(conn) ? XIPC__FAIL(XIPC_EPIPE, "conn: the peer process ended") : rc;
        }
        remote[i] = (intptr_t)dup;
    }
    *peer = (intptr_t)process;
    return 0;
}

int
xipc__os_pass_send(struct xipc__os_stream *conn, bool message, const void *rec, size_t len,
    const intptr_t *natives, size_t count, struct xipc__lazy_deadline *ld)
{
    size_t put = 0;
    (void)natives;
    (void)count;
    if (message)
        return xipc__os_msg_send(conn, rec, len, xipc__lazy_deadline_get(ld));
    /* Part of a record went: the peer can no longer tell records from data. */
    return xipc__os_stream_write(conn, rec, len, &put, ld->timeout_ms);
}

/* The process handle is conn's, closed with it: only the duplicates of a record that did not go
 * are closed here, in the peer. */
void
xipc__os_pass_finish(intptr_t peer, const intptr_t *remote, size_t count, bool sent)
{
    HANDLE process = (HANDLE)peer;
    for (size_t i = 0; i < count && !sent && process != NULL; i++)
        (void)DuplicateHandle(
            process, (HANDLE)remote[i], NULL, NULL, 0, FALSE, DUPLICATE_CLOSE_SOURCE);
}

int
xipc__os_pass_recv(struct xipc__os_stream *conn, bool message, void *rec, size_t len,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count, struct xipc__lazy_deadline *ld)
{
    size_t done = 0;
    (void)natives;
    *count = 0; /* the text names the duplicates the sender made here */
    if (message) {
        int rc = xipc__os_msg_recv(conn, rec, len, &done, xipc__lazy_deadline_get(ld));
        if (rc == XIPC_EMSGSIZE || (rc == 0 && done != len))
            return XIPC__FAIL(XIPC_EINVAL, "conn: a message that is no handle's record");
        return rc;
    }
    xipc__deadline dl = xipc__lazy_deadline_get(ld);
    while (done < len) {
        size_t got = 0;
        int rc = xipc__os_stream_read(
            conn, (char *)rec + done, len - done, &got, xipc__deadline_left_ms(dl));
        if (rc != 0)
            return rc;
        if (got == 0)
            return XIPC_ECLOSED;
        done += got;
    }
    return 0;
}

/* The text names the handles, and a forged one could name this process's own: those an xipc
 * object holds stay open. */
void
xipc__os_pass_discard(const intptr_t *natives, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (!xipc__handle_owns_native(natives[i]))
            (void)CloseHandle((HANDLE)natives[i]);
    }
}
