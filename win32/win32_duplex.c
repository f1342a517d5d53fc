/* win32/win32_duplex.c: the reads and the half-close of a duplex pipe end
 * (XIPC__WIN32_STREAM_DUPLEX, xipc_duplex), and how an inherited end is recognised. The pair is
 * made in win32_stream.c, as xipc_pipe's is; writes are any pipe end's.
 *
 * A named pipe has no half-close. Shutdown writes a zero-length message instead: ReadFile reports
 * it as a read of 0 bytes ("If the lpNumberOfBytesRead parameter is zero when ReadFile returns
 * TRUE on a pipe, the other end of the pipe called the WriteFile function with
 * nNumberOfBytesToWrite set to zero": ReadFile's documentation), which a duplex end's read takes
 * for the end of the stream, for good. The pipe is of message type, read in message mode
 * (win32_stream.c says why), so a read returns at most one write's bytes; a read with less room
 * than the message gets ERROR_MORE_DATA and the rest stays for the next read, as in a byte
 * stream. */
#include "win32_internal.h"

#include <string.h>

int
xipc__win32_duplex_read(
    struct xipc__os_stream *s, void *buf, DWORD want, size_t *got, xipc__deadline dl)
{
    OVERLAPPED ov;
    DWORD n = 0, werr = ERROR_SUCCESS;
    if (s->peer_shut)
        return 0;
    memset(&ov, 0, sizeof ov);
    int rc = xipc__win32_stream_event(s, false, &ov.hEvent);
    if (rc != 0)
        return rc;
    if (!ReadFile(s->handle, buf, want, NULL, &ov))
        werr = GetLastError();
    /* Done at once with part of a message: the count is in ov (GetOverlappedResult). */
    if (werr == ERROR_MORE_DATA && !GetOverlappedResult(s->handle, &ov, &n, FALSE) && n > 0) {
        *got = n;
        return 0;
    }
    werr = xipc__win32_finish_io(s->handle, &ov, werr, dl, &n);
    if (werr == ERROR_MORE_DATA && n > 0)
        werr = ERROR_SUCCESS; /* the rest of that write stays in the pipe */
    if (werr == ERROR_SUCCESS && n > 0) {
        *got = n;
        return 0;
    }
    /* 0 bytes: the other end's shutdown (above); a broken pipe: its close. */
    if (werr == ERROR_SUCCESS || xipc__win32_end_of_stream(werr)) {
        s->peer_shut = true;
        return 0;
    }
    if (werr == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    return XIPC__OS_FAIL(werr, "ReadFile", NULL);
}

int
xipc__win32_duplex_shutdown(struct xipc__os_stream *s)
{
    OVERLAPPED ov;
    DWORD n = 0, werr = ERROR_SUCCESS;
    static const char nothing[1] = { 0 };
    if (s->shut_write)
        return 0;
    memset(&ov, 0, sizeof ov);
    int rc = xipc__win32_stream_event(s, true, &ov.hEvent);
    if (rc != 0)
        return rc;
    /* Zero bytes need no room in the pipe's quota, so the write never waits for the reader. */
    if (!WriteFile(s->handle, nothing, 0, NULL, &ov))
        werr = GetLastError();
    werr = xipc__win32_finish_io(s->handle, &ov, werr, XIPC__DEADLINE_NEVER, &n);
    /* A peer that is gone needs no end-of-stream mark. */
    if (werr != ERROR_SUCCESS && !xipc__win32_end_of_stream(werr))
        return XIPC__OS_FAIL(werr, "WriteFile", "half-close");
    s->shut_write = true;
    return 0;
}

bool
xipc__win32_is_duplex_pair(const struct xipc__win32_pipe_info *info)
{
    /* xipc_duplex's pipe is the only duplex message pipe xipc makes with a single instance: a
     * named-pipe server allows many, a child's stdin pipe is of byte type. */
    return info->type == 1 && info->configuration == 2 && info->max_instances == 1;
}
