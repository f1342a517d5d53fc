/* win32/win32_pass.c: passing handles to a running peer over a named-pipe connection
 * (common/platform.h, "Passing handles"). The sender duplicates each native into the peer
 * process (DuplicateHandle, with PROCESS_DUP_HANDLE on a process handle opened from the
 * connection's peer pid: GetNamedPipeClientProcessId / GetNamedPipeServerProcessId) and sends
 * a record whose text names the duplicates; a socket's share is filled for the peer first
 * (WSADuplicateSocketW: a socket handle duplicated any other way is no socket, as Microsoft's
 * DuplicateHandle documentation says). If the record does not go, the duplicates are closed in
 * the peer again (DUPLICATE_CLOSE_SOURCE). */
#include "win32_internal.h"

#include <string.h>

int
xipc__os_pass_prepare(const struct xipc__os_stream *conn, const intptr_t *natives, size_t count,
    intptr_t *remote, intptr_t *peer)
{
    uint64_t pid = 0;
    *peer = 0;
    if (xipc__os_stream_peer_pid(conn, &pid) != 0)
        return XIPC__FAIL(XIPC_ENOTSUP, "conn: not a named-pipe connection (no peer process)");
    HANDLE process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)pid);
    if (process == NULL)
        return XIPC__OS_FAIL(GetLastError(), "OpenProcess", "the connection's peer");
    for (size_t i = 0; i < count; i++) {
        HANDLE dup = NULL;
        int rc = 0;
        if (xipc__win32_sock_shares(&natives[i], 1))
            rc = xipc__win32_sock_share_with(&natives[i], 1, (uint32_t)pid);
        if (rc == 0 &&
            !DuplicateHandle(GetCurrentProcess(), (HANDLE)natives[i], process, &dup, 0, FALSE,
                DUPLICATE_SAME_ACCESS))
            rc = XIPC__OS_FAIL(GetLastError(), "DuplicateHandle", "into the peer");
        if (rc != 0) {
            xipc__os_pass_finish((intptr_t)process, remote, i, false);
            return rc;
        }
        remote[i] = (intptr_t)dup;
    }
    *peer = (intptr_t)process;
    return 0;
}

int
xipc__os_pass_send(struct xipc__os_stream *conn, bool message, const void *rec, size_t len,
    const intptr_t *natives, size_t count, xipc__deadline dl)
{
    size_t put = 0;
    (void)natives;
    (void)count;
    if (message)
        return xipc__os_msg_send(conn, rec, len, dl);
    int rc = xipc__os_stream_write(conn, rec, len, &put, xipc__deadline_left_ms(dl));
    /* Part of a record went: the peer can no longer tell records from data. */
    return rc;
}

void
xipc__os_pass_finish(intptr_t peer, const intptr_t *remote, size_t count, bool sent)
{
    HANDLE process = (HANDLE)peer;
    if (process == NULL)
        return;
    for (size_t i = 0; i < count && !sent; i++)
        (void)DuplicateHandle(
            process, (HANDLE)remote[i], NULL, NULL, 0, FALSE, DUPLICATE_CLOSE_SOURCE);
    (void)CloseHandle(process);
}

int
xipc__os_pass_recv(struct xipc__os_stream *conn, bool message, void *rec, size_t len,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count, xipc__deadline dl)
{
    size_t done = 0;
    (void)natives;
    *count = 0; /* the text names the duplicates the sender made here */
    if (message) {
        int rc = xipc__os_msg_recv(conn, rec, len, &done, dl);
        if (rc == XIPC_EMSGSIZE || (rc == 0 && done != len))
            return XIPC__FAIL(XIPC_EINVAL, "conn: a message that is no handle's record");
        return rc;
    }
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

void
xipc__os_pass_discard(const intptr_t *natives, size_t count)
{
    for (size_t i = 0; i < count; i++)
        (void)CloseHandle((HANDLE)natives[i]);
}
