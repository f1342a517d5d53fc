/* win32/win32_stream.c: byte streams on overlapped named-pipe handles, and anonymous pipes made as
 * uniquely named pipe pairs (common/platform.h, "Streams"). CreatePipe cannot be used: its ends
 * are synchronous, so a read or write could not time out. Every call starts the transfer first
 * and waits only when it is pending, so a ready stream costs one system call. Named-pipe
 * connections (win32_npipe.c) are overlapped pipe ends too. The other variants (enum
 * xipc__win32_stream_kind) have their own transfers, chosen by one switch on s->kind: a FIFO
 * writer frames its writes and a FIFO reader is not one pipe handle (win32_fifo.c), a synchronous
 * standard handle is read and written in the calling thread (below).
 *
 * Exact write accounting. A cancelled pending WriteFile does not say how much of it the reader
 * consumed. Measured on Wine 8 (64 KiB pipe, nobody reading, a 1 MiB overlapped write pending, the
 * reader takes 100000 bytes, then CancelIoEx): GetOverlappedResult fails with
 * ERROR_OPERATION_ABORTED and 0 bytes, the reader got the 100000 bytes, and the unread rest of the
 * write is dropped. NPFS does the same as far as ReactOS's model of it shows
 * (drivers/filesystems/npfs/datasup.c: NpCancelDataQueueIrp removes the entry and completes it
 * STATUS_CANCELLED). Wine reports WriteQuotaAvailable as 0 whatever the pipe holds, so the free
 * room cannot be asked for either. What does hold: a stalled write completes in full as soon as
 * its unread part fits in the quota the reader frees (measured on Wine; NpCompleteStalledWrites
 * in ReactOS). A write no larger than the quota therefore completes before the reader takes any
 * byte of it, since everything queued before it must go first. So one WriteFile never carries
 * more than the quota (s->write_chunk): a write that gets cancelled was not touched, and *put
 * counts exactly what the reader can still get. */
#include "win32_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buffer quota of each direction of an anonymous pipe: the Linux pipe size, and the size at
 * which Wine was measured to give full named-pipe throughput. */
#define ANON_PIPE_BUFFER 65536u

/* Attempts at a fresh pipe name before giving up; a collision needs a clash of pid, serial and
 * performance counter, so more than one retry means something else is wrong. */
#define ANON_PIPE_ATTEMPTS 16

/* ---- Opening -------------------------------------------------------------------------------- */

/* The most one WriteFile may carry (see the top of this file): the smaller buffer quota of the
 * pipe, as GetNamedPipeInfo reports it (the server's view, on either end, on Wine). A pipe with
 * no buffer at all passes each byte straight to a reader, so it can only be exact byte by byte. */
static DWORD
query_write_chunk(HANDLE h, uint32_t *chunk)
{
    DWORD out_size, in_size;
    if (!GetNamedPipeInfo(h, NULL, &out_size, &in_size, NULL))
        return GetLastError();
    DWORD quota = out_size < in_size ? out_size : in_size;
    *chunk = quota > 0 ? quota : 1;
    return ERROR_SUCCESS;
}

/* Makes h (an overlapped pipe end, already checked) the stream s. Its events are made at their
 * first use (xipc__win32_stream_event). */
static void
stream_init(HANDLE h, uint32_t chunk, struct xipc__os_stream *s)
{
    memset(s, 0, sizeof *s);
    s->handle = h;
    s->write_chunk = chunk;
}

int
xipc__win32_stream_event(struct xipc__os_stream *s, bool write, HANDLE *event)
{
    void *volatile *slot = write ? &s->write_event : &s->read_event;
    HANDLE made, held = InterlockedCompareExchangePointer(slot, NULL, NULL);
    if (held != NULL) {
        *event = held;
        return 0;
    }
    if ((made = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateEventW",
            write ? "a stream's write event" : "a stream's read event");
    /* Another thread of the same direction may have stored one meanwhile: that one is kept. */
    held = InterlockedCompareExchangePointer(slot, made, NULL);
    if (held != NULL)
        (void)CloseHandle(made);
    *event = held != NULL ? held : made;
    return 0;
}

int
xipc__win32_stream_open(HANDLE h, enum xipc__win32_stream_kind kind, struct xipc__os_stream *s)
{
    uint32_t chunk = 0;
    DWORD werr = query_write_chunk(h, &chunk);
    if (werr != ERROR_SUCCESS)
        return XIPC__OS_FAIL(werr, "GetNamedPipeInfo", NULL);
    stream_init(h, chunk, s);
    s->kind = kind;
    return 0;
}

struct pipe_name {
    char text[96]; /* for error reports */
    wchar_t wide[96];
};

/* A name no other pipe has: this process's id, a serial number, and the performance counter
 * (which differs between runs that reuse a pid). Under \\.\pipe\LOCAL\, the one place where a
 * process in an AppContainer may create pipes (CreateNamedPipe's documentation); outside one it
 * is a name like any other. Both ends are made here and reach a child by inheritance, so no
 * other process needs to find the name. */
static void
next_pipe_name(struct pipe_name *name)
{
    static LONG volatile serial;
    LARGE_INTEGER now;
    (void)QueryPerformanceCounter(&now);
    int n = snprintf(name->text, sizeof name->text, "\\\\.\\pipe\\LOCAL\\xipc-anon-%lu-%ld-%llx",
        (unsigned long)GetCurrentProcessId(), (long)InterlockedIncrement(&serial),
        (unsigned long long)now.QuadPart);
    for (int i = 0; i <= n; i++)
        name->wide[i] = (wchar_t)name->text[i]; /* ASCII only */
}

/* How the two ends of a pipe pair are opened: the server end is the pipe's only instance, the
 * client end opens it by name. */
struct pair_spec {
    DWORD server_mode; /* PIPE_ACCESS_*, FILE_FLAG_OVERLAPPED */
    DWORD client_access;
    DWORD client_flags; /* FILE_FLAG_OVERLAPPED or 0 */
    BOOL client_inheritable;
    DWORD message_mode; /* 0: a byte pipe; PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE */
};

/* xipc_pipe's: the read end is the server, the write end the client, both overlapped.
 * FILE_READ_ATTRIBUTES lets the write end ask GetNamedPipeInfo for its quota. */
static const struct pair_spec anon_pair = { PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED,
    GENERIC_WRITE | FILE_READ_ATTRIBUTES, FILE_FLAG_OVERLAPPED, FALSE, 0 };

/* One attempt. ERROR_ACCESS_DENIED (FILE_FLAG_FIRST_PIPE_INSTANCE lost: the name exists; Wine,
 * which ignores the flag, is asked by xipc__win32_sole_instance) and ERROR_PIPE_BUSY (the one
 * instance exists, or someone else connected first) mean "pick another name"; the caller retries
 * on those. */
static DWORD
try_pipe_pair(const struct pipe_name *name, const struct pair_spec *spec, SECURITY_ATTRIBUTES *sa,
    HANDLE *server_end, HANDLE *client_end, const char **call)
{
    DWORD werr;
    SECURITY_ATTRIBUTES client_sa = { sizeof client_sa, NULL, spec->client_inheritable };
    *call = "CreateNamedPipeW";
    HANDLE server = CreateNamedPipeW(name->wide, spec->server_mode | FILE_FLAG_FIRST_PIPE_INSTANCE,
        spec->message_mode | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, ANON_PIPE_BUFFER,
        ANON_PIPE_BUFFER, 0, sa);
    if (server == INVALID_HANDLE_VALUE)
        return GetLastError();
    if (!xipc__win32_sole_instance(server)) {
        (void)CloseHandle(server);
        return ERROR_ACCESS_DENIED;
    }
    /* The SQOS flags keep a server that is not ours from impersonating this process. */
    HANDLE client = CreateFileW(name->wide, spec->client_access, 0, &client_sa, OPEN_EXISTING,
        spec->client_flags | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    if (client == INVALID_HANDLE_VALUE) {
        werr = GetLastError();
        *call = "CreateFileW";
        (void)CloseHandle(server);
        return werr;
    }
    DWORD read_mode = PIPE_READMODE_MESSAGE;
    if (spec->message_mode != 0 && !SetNamedPipeHandleState(client, &read_mode, NULL, NULL)) {
        werr = GetLastError();
        *call = "SetNamedPipeHandleState";
        (void)CloseHandle(client);
        (void)CloseHandle(server);
        return werr;
    }
    *server_end = server;
    *client_end = client;
    return ERROR_SUCCESS;
}

static int
open_pipe_pair(const struct pair_spec *spec, HANDLE *server_end, HANDLE *client_end)
{
    SECURITY_ATTRIBUTES sa;
    struct pipe_name name;
    const char *call = NULL;
    DWORD werr = ERROR_SUCCESS;
    int rc = xipc__win32_owner_only_sa(&sa);
    if (rc != 0)
        return rc;
    for (int attempt = 0; attempt < ANON_PIPE_ATTEMPTS; attempt++) {
        next_pipe_name(&name);
        werr = try_pipe_pair(&name, spec, &sa, server_end, client_end, &call);
        if (werr != ERROR_ACCESS_DENIED && werr != ERROR_PIPE_BUSY)
            break;
    }
    if (werr != ERROR_SUCCESS)
        return XIPC__OS_FAIL(werr, call, name.text);
    return 0;
}

/* A child's standard stream on a pipe (XIPC_STDIO_PIPE). The child gets the client end, opened
 * without FILE_FLAG_OVERLAPPED: a program that is not xipc does synchronous I/O on its standard
 * handles (ReadFile or WriteFile without an OVERLAPPED, as the C runtime does), which Microsoft
 * documents as reliable only on a handle opened so; on an overlapped one the call "can
 * incorrectly report that the operation is complete" when other I/O is in flight on the file
 * object. A synchronous file object also serialises the child's threads' calls. This process
 * keeps the server end, overlapped, an ordinary stream with timeouts (libuv's uv_spawn makes its
 * UV_CREATE_PIPE pairs the same way). The child's end is inheritable, for the handle list of the
 * spawn, which closes it afterwards. */
static const struct pair_spec child_reads_pair = {
    /* The child reads (stdin). Our end writes, but only a server with inbound access can read
     * its attributes (FILE_READ_ATTRIBUTES), which GetNamedPipeInfo needs for the write quota;
     * the child's end has no write access, so nothing ever comes back. FILE_WRITE_ATTRIBUTES
     * lets the child SetNamedPipeHandleState, as libuv does on a pipe it is given. */
    PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, GENERIC_READ | FILE_WRITE_ATTRIBUTES, 0, TRUE, 0
};
static const struct pair_spec child_writes_pair = { PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED,
    GENERIC_WRITE | FILE_READ_ATTRIBUTES, 0, TRUE, 0 };

int
xipc__win32_child_pipe(int which, struct xipc__os_stream *ours, HANDLE *theirs)
{
    HANDLE server, client;
    int rc = open_pipe_pair(which == 0 ? &child_reads_pair : &child_writes_pair, &server, &client);
    if (rc != 0)
        return rc;
    if ((rc = xipc__win32_stream_open(server, XIPC__WIN32_STREAM_ANON, ours)) != 0) {
        (void)CloseHandle(server);
        (void)CloseHandle(client);
        return rc;
    }
    *theirs = client;
    return 0;
}

/* xipc_duplex's: one duplex pipe, both ends overlapped and read-write, of message type read in
 * message mode, so that a zero-length write reaches the reader as a read of 0 bytes (its
 * half-close, win32_duplex.c): Wine 8 drops a zero-length write on a byte pipe, and keeps a
 * zero-length message. */
static const struct pair_spec duplex_pair = { PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
    GENERIC_READ | GENERIC_WRITE, FILE_FLAG_OVERLAPPED, FALSE,
    PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE };

int
xipc__os_duplex(struct xipc__os_stream *a, struct xipc__os_stream *b)
{
    HANDLE server, client;
    int rc = open_pipe_pair(&duplex_pair, &server, &client);
    if (rc != 0)
        return rc;
    if ((rc = xipc__win32_stream_open(server, XIPC__WIN32_STREAM_DUPLEX, a)) != 0) {
        (void)CloseHandle(server);
        (void)CloseHandle(client);
        return rc;
    }
    if ((rc = xipc__win32_stream_open(client, XIPC__WIN32_STREAM_DUPLEX, b)) != 0) {
        xipc__os_stream_close(a); /* closes server too */
        (void)CloseHandle(client);
    }
    return rc;
}

int
xipc__os_pipe(struct xipc__os_stream *rd, struct xipc__os_stream *wr)
{
    HANDLE server, client;
    uint32_t chunk = 0;
    int rc = open_pipe_pair(&anon_pair, &server, &client);
    if (rc != 0)
        return rc;
    DWORD werr = query_write_chunk(client, &chunk);
    if (werr != ERROR_SUCCESS) {
        (void)CloseHandle(server);
        (void)CloseHandle(client);
        return XIPC__OS_FAIL(werr, "GetNamedPipeInfo", NULL);
    }
    stream_init(server, chunk, rd);
    stream_init(client, chunk, wr);
    return 0;
}

/* ---- Synchronous handles (xipc_stream_stdio) ------------------------------------------------ */

/* A synchronous ReadFile or WriteFile waits in the calling thread, and only another thread can
 * end it early: CancelSynchronousIo on the waiting thread (MSDN, "Canceling Pending I/O
 * Operations"). A thread-pool timer does that at the deadline, and again until the call is
 * over, since a cancel that comes before the call reached the kernel finds nothing to cancel
 * (ERROR_NOT_FOUND). The call then fails with ERROR_OPERATION_ABORTED having moved nothing
 * (measured on Wine 8: a ReadFile on an empty CreatePipe pipe and a WriteFile on a full one). A
 * cancelled write no larger than the pipe's quota moved nothing either (see the top of this
 * file), so *put stays exact. */
struct sync_watch {
    HANDLE thread; /* the calling thread, with THREAD_TERMINATE access (CancelSynchronousIo) */
    LONG volatile over; /* set once the call returned */
};

static VOID CALLBACK
cancel_at_deadline(PTP_CALLBACK_INSTANCE instance, PVOID context, PTP_TIMER timer)
{
    struct sync_watch *w = context;
    (void)instance;
    (void)timer;
    while (InterlockedCompareExchange(&w->over, 0, 0) == 0) {
        (void)CancelSynchronousIo(w->thread);
        Sleep(1);
    }
}

/* Arms the timer that cancels this thread's next synchronous call at dl. */
static DWORD
watch_start(struct sync_watch *w, PTP_TIMER *timer, xipc__deadline dl)
{
    ULARGE_INTEGER due;
    FILETIME ft;
    LONGLONG left_100ns = (LONGLONG)xipc__deadline_left_ms(dl) * 10000;
    w->over = 0;
    w->thread = OpenThread(THREAD_TERMINATE, FALSE, GetCurrentThreadId());
    if (w->thread == NULL)
        return GetLastError();
    *timer = CreateThreadpoolTimer(cancel_at_deadline, w, NULL);
    if (*timer == NULL) {
        DWORD werr = GetLastError();
        (void)CloseHandle(w->thread);
        return werr;
    }
    /* A negative due time is relative, in 100 ns units; -1 for a deadline already passed. */
    due.QuadPart = (ULONGLONG)(-(left_100ns > 0 ? left_100ns : 1));
    ft.dwLowDateTime = due.LowPart;
    ft.dwHighDateTime = due.HighPart;
    SetThreadpoolTimer(*timer, &ft, 0, 0);
    return ERROR_SUCCESS;
}

/* Stops the timer once the call returned, and waits out a callback that may still run. */
static void
watch_stop(struct sync_watch *w, PTP_TIMER timer)
{
    (void)InterlockedExchange(&w->over, 1);
    SetThreadpoolTimer(timer, NULL, 0, 0);
    WaitForThreadpoolTimerCallbacks(timer, TRUE);
    CloseThreadpoolTimer(timer);
    (void)CloseHandle(w->thread);
}

/* Whether a read on s could wait: not on a file, nor on a pipe that holds data already (the
 * common case for a filter that keeps up, which then needs no timer). */
static bool
read_may_wait(const struct xipc__os_stream *s)
{
    DWORD avail = 0;
    if (s->std_io == XIPC__WIN32_STD_SYNC_FILE)
        return false;
    return s->std_io != XIPC__WIN32_STD_SYNC_PIPE ||
        !PeekNamedPipe(s->handle, NULL, 0, NULL, &avail, NULL) || avail == 0;
}

/* One synchronous ReadFile or WriteFile of len bytes on s, cut at dl: ERROR_SUCCESS with *n
 * bytes, WAIT_TIMEOUT when it was cancelled at dl having moved nothing, or the failure. */
static DWORD
sync_transfer(
    struct xipc__os_stream *s, bool write, void *buf, DWORD len, xipc__deadline dl, DWORD *n)
{
    struct sync_watch w;
    PTP_TIMER timer = NULL;
    DWORD werr = ERROR_SUCCESS;
    bool may_wait = write ? s->std_io != XIPC__WIN32_STD_SYNC_FILE : read_may_wait(s);
    *n = 0;
    if (dl != XIPC__DEADLINE_NEVER && may_wait && (werr = watch_start(&w, &timer, dl)) != 0)
        return werr;
    BOOL ok =
        write ? WriteFile(s->handle, buf, len, n, NULL) : ReadFile(s->handle, buf, len, n, NULL);
    if (!ok)
        werr = GetLastError();
    if (timer != NULL)
        watch_stop(&w, timer);
    if (ok || *n > 0)
        return ERROR_SUCCESS;
    return (werr == ERROR_OPERATION_ABORTED && timer != NULL) ? WAIT_TIMEOUT : werr;
}

static int
sync_read(struct xipc__os_stream *s, void *buf, DWORD want, size_t *got, xipc__deadline dl)
{
    if (s->std_io == XIPC__WIN32_STD_CONSOLE && dl != XIPC__DEADLINE_NEVER)
        return XIPC_ENOTSUP; /* see xipc_stream_stdio in xipc/pipe.h */
    for (;;) {
        DWORD n;
        DWORD werr = sync_transfer(s, false, buf, want, dl, &n);
        if (werr == ERROR_SUCCESS && n > 0) {
            *got = n;
            return 0;
        }
        /* Nothing read: the end of a file or device; on a pipe, whose end is
         * ERROR_BROKEN_PIPE, a foreign writer's zero-length write, so read again. */
        if ((werr == ERROR_SUCCESS && s->std_io != XIPC__WIN32_STD_SYNC_PIPE) ||
            xipc__win32_end_of_stream(werr))
            return 0;
        if (werr == WAIT_TIMEOUT || (werr == ERROR_SUCCESS && xipc__deadline_left_ms(dl) == 0))
            return XIPC_ETIMEDOUT;
        if (werr != ERROR_SUCCESS)
            return XIPC__OS_FAIL(werr, "ReadFile", "standard handle");
    }
}

static int
sync_write_some(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, xipc__deadline dl)
{
    DWORD n;
    DWORD chunk = len < s->write_chunk ? (DWORD)len : s->write_chunk;
    /* sync_transfer serves ReadFile too, hence its void *; WriteFile only reads buf. */
    DWORD werr = sync_transfer(s, true, (void *)(uintptr_t)buf, chunk, dl, &n);
    if (werr == ERROR_SUCCESS && n > 0) {
        *put = n;
        return 0;
    }
    if (werr == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    if (werr == ERROR_SUCCESS)
        return XIPC_EIO; /* a write that took nothing without an error */
    return XIPC__OS_FAIL(werr, "WriteFile", "standard handle");
}

/* ---- Transfers ------------------------------------------------------------------------------ */

DWORD
xipc__win32_finish_io(HANDLE h, OVERLAPPED *ov, DWORD werr, xipc__deadline dl, DWORD *n)
{
    DWORD wait_err = ERROR_SUCCESS;
    *n = 0;
    if (werr != ERROR_SUCCESS && werr != ERROR_IO_PENDING)
        return werr; /* failed at once: nothing is pending */
    /* A call that completed since it was started needs no wait: under Wine a wait is a
     * wineserver round trip, and GetOverlappedResult (what a raw program calls) skips it too. */
    if (werr == ERROR_IO_PENDING && !HasOverlappedIoCompleted(ov)) {
        DWORD w = xipc__win32_wait(ov->hEvent, dl);
        if (w != WAIT_OBJECT_0) {
            wait_err = (w == WAIT_TIMEOUT) ? WAIT_TIMEOUT : GetLastError();
            /* ERROR_NOT_FOUND when the call completed meanwhile: its result is kept below. */
            (void)CancelIoEx(h, ov);
        }
    }
    /* Wait (TRUE) until the call is over for good: ov lives on the caller's stack. */
    if (GetOverlappedResult(h, ov, n, TRUE))
        return (*n == 0 && wait_err != ERROR_SUCCESS) ? wait_err : ERROR_SUCCESS;
    werr = GetLastError();
    if (*n > 0)
        return ERROR_SUCCESS; /* bytes that moved are reported, whatever else happened */
    return (werr == ERROR_OPERATION_ABORTED && wait_err != ERROR_SUCCESS) ? wait_err : werr;
}

bool
xipc__win32_end_of_stream(DWORD werr)
{
    return werr == ERROR_BROKEN_PIPE || werr == ERROR_PIPE_NOT_CONNECTED || werr == ERROR_NO_DATA ||
        werr == ERROR_HANDLE_EOF;
}

/* The transfers fix their deadline before the first call: a ReadFile or WriteFile on a pipe costs
 * far more than QueryPerformanceCounter, which the POSIX side's lazy deadline saves. */

int
xipc__os_stream_read(struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    xipc__deadline dl = xipc__deadline_in(timeout_ms);
    DWORD want = cap > MAXDWORD ? MAXDWORD : (DWORD)cap;
    *got = 0;
    int rc = xipc__win32_stream_classify(s);
    if (rc != 0)
        return rc;
    switch (s->kind) {
    case XIPC__WIN32_STREAM_FIFO_READER:
        return xipc__win32_fifo_read(s->fifo, buf, cap, got, dl);
    case XIPC__WIN32_STREAM_STD_SYNC:
        return sync_read(s, buf, want, got, dl);
    case XIPC__WIN32_STREAM_SOCKET:
        return xipc__win32_sock_read(s, buf, cap, got, dl);
    case XIPC__WIN32_STREAM_DUPLEX:
        return xipc__win32_duplex_read(s, buf, want, got, dl);
    case XIPC__WIN32_STREAM_ANON:
    case XIPC__WIN32_STREAM_NPIPE_SERVER:
    case XIPC__WIN32_STREAM_NPIPE_CLIENT:
    case XIPC__WIN32_STREAM_FIFO_WRITER: /* ReadFile reports ERROR_ACCESS_DENIED */
        break;
    }
    HANDLE event = NULL;
    if ((rc = xipc__win32_stream_event(s, false, &event)) != 0)
        return rc;
    for (;;) {
        OVERLAPPED ov;
        DWORD n, werr = ERROR_SUCCESS;
        memset(&ov, 0, sizeof ov);
        ov.hEvent = event; /* ReadFile resets it when it starts */
        if (!ReadFile(s->handle, buf, want, NULL, &ov))
            werr = GetLastError();
        werr = xipc__win32_finish_io(s->handle, &ov, werr, dl, &n);
        if (werr == ERROR_SUCCESS && n > 0) {
            *got = n;
            return 0;
        }
        if (xipc__win32_end_of_stream(werr))
            return 0;
        if (werr == WAIT_TIMEOUT)
            return XIPC_ETIMEDOUT;
        if (werr != ERROR_SUCCESS)
            return XIPC__OS_FAIL(werr, "ReadFile", NULL);
        /* A zero-length write by a foreign writer completes a read with nothing in it; end of
         * stream on a pipe is always ERROR_BROKEN_PIPE, so read again. */
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
    }
}

int
xipc__win32_write_once(
    struct xipc__os_stream *s, const void *buf, DWORD len, xipc__deadline dl, DWORD *n)
{
    HANDLE event = NULL;
    int rc = xipc__win32_stream_event(s, true, &event);
    if (rc != 0)
        return rc;
    for (;;) {
        OVERLAPPED ov;
        DWORD werr = ERROR_SUCCESS;
        memset(&ov, 0, sizeof ov);
        ov.hEvent = event;
        if (!WriteFile(s->handle, buf, len, NULL, &ov))
            werr = GetLastError();
        werr = xipc__win32_finish_io(s->handle, &ov, werr, dl, n);
        if (werr == ERROR_SUCCESS && *n > 0)
            return 0;
        /* Nothing went (a zero-byte completion): again, while time is left. */
        if (werr == WAIT_TIMEOUT || (werr == ERROR_SUCCESS && xipc__deadline_left_ms(dl) == 0))
            return XIPC_ETIMEDOUT;
        /* ERROR_NO_DATA, ERROR_BROKEN_PIPE, ERROR_PIPE_NOT_CONNECTED: the table says XIPC_EPIPE. */
        if (werr != ERROR_SUCCESS)
            return XIPC__OS_FAIL(werr, "WriteFile", NULL);
    }
}

static int
stream_write_some(struct xipc__os_stream *s, const void *buf, size_t len, size_t *put,
    struct xipc__lazy_deadline *ld)
{
    xipc__deadline dl = xipc__lazy_deadline_get(ld);
    DWORD n = 0;
    *put = 0;
    int rc = xipc__win32_stream_classify(s);
    if (rc != 0)
        return rc;
    switch (s->kind) {
    case XIPC__WIN32_STREAM_FIFO_WRITER:
        return xipc__win32_fifo_write(s, buf, len, put, dl);
    case XIPC__WIN32_STREAM_STD_SYNC:
        return sync_write_some(s, buf, len, put, dl);
    case XIPC__WIN32_STREAM_SOCKET:
        return xipc__win32_sock_write_some(s, buf, len, put, dl);
    case XIPC__WIN32_STREAM_DUPLEX:
        if (s->shut_write)
            return XIPC_EPIPE; /* as a socket shut for writing says */
        break;
    case XIPC__WIN32_STREAM_FIFO_READER: /* never opened for writing */
        return XIPC_EBADF;
    case XIPC__WIN32_STREAM_ANON:
    case XIPC__WIN32_STREAM_NPIPE_SERVER:
    case XIPC__WIN32_STREAM_NPIPE_CLIENT:
        break;
    }
    /* No more than the quota per call: see the top of this file. */
    rc = xipc__win32_write_once(s, buf, len < s->write_chunk ? (DWORD)len : s->write_chunk, dl, &n);
    if (rc == 0)
        *put = n;
    return rc;
}

int
xipc__os_stream_write(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, int timeout_ms)
{
    return xipc__stream_write_all(stream_write_some, s, buf, len, put, timeout_ms);
}

int
xipc__os_sigpipe_ignore(void)
{
    return 0; /* Windows has no SIGPIPE: a write to a pipe with no reader fails, that is all */
}

/* ---- Lifetime ------------------------------------------------------------------------------- */

void
xipc__os_stream_close(struct xipc__os_stream *s)
{
    if (s->peer_process != NULL)
        (void)CloseHandle(s->peer_process);
    s->peer_process = NULL;
    if (s->kind == XIPC__WIN32_STREAM_SOCKET) {
        xipc__win32_sock_close(s);
        return;
    }
    if (s->kind == XIPC__WIN32_STREAM_FIFO_READER)
        xipc__win32_fifo_close(s->fifo);
    free(s->head);
    free(s->frame);
    if (s->handle != NULL)
        (void)CloseHandle(s->handle);
    if (s->read_event != NULL)
        (void)CloseHandle(s->read_event);
    if (s->write_event != NULL)
        (void)CloseHandle(s->write_event);
    memset(s, 0, sizeof *s);
}

int
xipc__os_stream_share(struct xipc__os_stream *s)
{
    /* A FIFO reader is many pipe instances and the messages it holds; no handle carries that.
     * A standard handle is usually synchronous, which an import would take for overlapped.
     * Every other handle's mode is fixed when it is opened: nothing changes here. */
    bool passable = s->kind != XIPC__WIN32_STREAM_FIFO_READER && s->std_io == XIPC__WIN32_STD_NONE;
    return passable ? 0 : XIPC_ENOTSUP;
}

/* A FIFO reader has no one handle: 0, which no child can adopt. */
intptr_t
xipc__os_stream_native(const struct xipc__os_stream *s)
{
    if (s->kind == XIPC__WIN32_STREAM_SOCKET)
        return (intptr_t)s->share; /* what a child inherits in its place: win32_sock.c */
    return (intptr_t)s->handle;
}

bool
xipc__os_stream_holds(const struct xipc__os_stream *s, intptr_t native)
{
    HANDLE h = (HANDLE)native;
    if (h == NULL)
        return false;
    if (h == s->handle || h == s->read_event || h == s->write_event || h == s->share ||
        h == s->peer_process)
        return true;
    return s->kind == XIPC__WIN32_STREAM_FIFO_READER && xipc__win32_fifo_holds(s->fifo, native);
}

void
xipc__os_stream_waitable(const struct xipc__os_stream *s, struct xipc__wait *w)
{
    if (s->kind == XIPC__WIN32_STREAM_FIFO_READER) {
        /* Its writers' pipe instances report to the reader's own completion port, which no
         * WaitForMultipleObjects takes. */
        w->how = XIPC__WAIT_HELPER;
        w->held = xipc__win32_fifo_has_data(s->fifo);
        return;
    }
    if (s->kind == XIPC__WIN32_STREAM_SOCKET) {
        /* A socket is no object a wait takes by itself: WSAPoll tells when it is ready. */
        w->how = XIPC__WAIT_FD;
        w->native = (intptr_t)s->handle;
        return;
    }
    if (s->kind == XIPC__WIN32_STREAM_STD_SYNC) {
        /* A synchronous handle (a console, a file, CreatePipe's ends) signals nothing a wait
         * could use: only a thread blocked in its ReadFile learns of data. */
        w->how = XIPC__WAIT_HELPER;
        return;
    }
    /* An overlapped pipe end: signalled once an overlapped call on it completes, so the waiter
     * starts one (a zero-byte ReadFile) first. */
    w->how = XIPC__WAIT_ARMED;
    w->native = (intptr_t)s->handle;
    w->held = xipc__win32_msg_held(s) || s->peer_shut; /* a duplex end's read returns 0 now */
}

/* NtQueryInformationFile (ZwQueryInformationFile in the WDK) of class info_class into buf, for
 * what kernel32 has no call to tell: false when ntdll lacks it or h cannot answer. */
static bool
query_file(HANDLE h, int info_class, void *buf, ULONG len)
{
    typedef LONG(NTAPI * query_fn)(HANDLE, void *, void *, ULONG, int);
    struct {
        void *status;
        ULONG_PTR information;
    } io_status; /* IO_STATUS_BLOCK */
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    query_fn query =
        ntdll ? (query_fn)(void (*)(void))GetProcAddress(ntdll, "NtQueryInformationFile") : NULL;
    return query != NULL && query(h, &io_status, buf, len, info_class) >= 0;
}

/* A pipe's FILE_PIPE_LOCAL_INFORMATION (FilePipeLocalInformation, 24): false when h is no pipe
 * (a socket, a section, a file). */
static bool
pipe_info(HANDLE h, struct xipc__win32_pipe_info *info)
{
    memset(info, 0, sizeof *info);
    return query_file(h, 24, info, sizeof *info);
}

/* What adopts an open handle that is no pipe: a connection's share section (win32_sock.c). */
static int
adopt_other(HANDLE h, struct xipc__os_stream *s)
{
    /* Sockets are FILE_TYPE_PIPE too, but no named pipe. */
    if (GetFileType(h) == FILE_TYPE_PIPE)
        return XIPC__FAIL(XIPC_EINVAL, "adopted handle: a socket, not a pipe");
    return xipc__win32_sock_adopt(h, s); /* a connection's share, or XIPC_EINVAL */
}

/* Makes s, a stream over a pipe end, the kind its info says, with its write chunk. */
static int
stream_shape(struct xipc__os_stream *s, const struct xipc__win32_pipe_info *info)
{
    DWORD quota =
        info->outbound_quota < info->inbound_quota ? info->outbound_quota : info->inbound_quota;
    s->write_chunk = quota > 0 ? quota : 1;
    if (xipc__win32_is_duplex_pair(info)) {
        s->kind = XIPC__WIN32_STREAM_DUPLEX;
        return 0;
    }
    /* The client end of a message-type pipe that came as a stream is a FIFO writer's (message
     * connections cannot be passed on): it must frame its writes as the reader expects. */
    if (info->type == 1 && info->end == 0)
        return xipc__win32_fifo_writer_init(s);
    return 0;
}

/* Adopts h, open in this process, once it is known to be a pipe end that no xipc handle of this
 * process holds (a second owner would close it under the first: the same text imported twice).
 * One query says all the rest: a pipe's quotas, type, end and configuration. inheritable: h
 * came inheritable from a parent, which is undone last, once nothing can refuse it. */
static int
adopt_open(HANDLE h, bool inheritable, struct xipc__os_stream *s)
{
    struct xipc__win32_pipe_info info;
    if (xipc__handle_owns_native((intptr_t)h))
        return XIPC_EEXIST;
    if (!pipe_info(h, &info))
        return adopt_other(h, s);
    if (inheritable && !SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0))
        return XIPC__OS_FAIL(GetLastError(), "SetHandleInformation", "inherited handle");
    stream_init(h, 0, s);
    int rc = stream_shape(s, &info);
    if (rc != 0) {
        s->handle = NULL; /* the caller still owns h */
        xipc__os_stream_close(s);
    }
    return rc;
}

/* Everything that decides whether the handle can be adopted is checked before anything about it
 * changes: it is open, and then as adopt_open says. */
int
xipc__os_stream_adopt(intptr_t native, struct xipc__os_stream *s)
{
    DWORD flags;
    if (!xipc__win32_is_handle_value(native))
        return XIPC_EBADF;
    if (!GetHandleInformation((HANDLE)native, &flags)) {
        /* Whatever the code, nothing usable is open under this value: XIPC_EBADF, as on
         * POSIX. */
        (void)XIPC__OS_FAIL(GetLastError(), "GetHandleInformation", "inherited handle");
        return XIPC_EBADF;
    }
    return adopt_open((HANDLE)native, (flags & HANDLE_FLAG_INHERIT) != 0, s);
}

/* The sender duplicated the handle into this process with bInheritHandle FALSE (win32_pass.c),
 * so there is no inheritance to ask about or undo. One question is asked now, what kind of
 * object it is: a value that names nothing open is XIPC_EBADF, a connection's share section
 * becomes its socket, and a pipe end is taken as it is, its kind and write chunk asked at its
 * first read, write or shutdown (xipc__win32_stream_classify): a worker that hands a
 * connection on, or closes it, never asks. */
int
xipc__os_stream_adopt_passed(intptr_t native, struct xipc__os_stream *s)
{
    HANDLE h = (HANDLE)native;
    wchar_t type[16];
    if (!xipc__win32_is_handle_value(native))
        return XIPC_EBADF;
    if (xipc__handle_owns_native(native))
        return XIPC_EEXIST;
    /* One request (a pipe's own query is two under Wine); nothing open under it: XIPC_EBADF. */
    int rc = xipc__win32_object_type(h, type, sizeof type / sizeof type[0]);
    if (rc != 0)
        return rc;
    if (wcscmp(type, L"Section") == 0)
        return xipc__win32_sock_adopt(h, s); /* a connection's share, or XIPC_EINVAL */
    if (wcscmp(type, L"File") != 0)
        return XIPC__FAIL(XIPC_EINVAL, "passed handle: not a pipe");
    stream_init(h, 0, s);
    atomic_store_explicit(&s->unclassified, true, memory_order_relaxed);
    return 0;
}

int
xipc__win32_stream_classify(struct xipc__os_stream *s)
{
    struct xipc__win32_pipe_info info;
    int rc = 0;
    if (!atomic_load_explicit(&s->unclassified, memory_order_acquire))
        return 0;
    AcquireSRWLockExclusive((PSRWLOCK)&s->classify_lock);
    if (atomic_load_explicit(&s->unclassified, memory_order_relaxed)) {
        if (!pipe_info(s->handle, &info))
            rc = XIPC__FAIL(XIPC_EINVAL, "s: a passed handle that is no pipe");
        else if ((rc = stream_shape(s, &info)) == 0)
            atomic_store_explicit(&s->unclassified, false, memory_order_release);
    }
    ReleaseSRWLockExclusive((PSRWLOCK)&s->classify_lock);
    return rc;
}

/* ---- Standard handles ----------------------------------------------------------------------- */

/* The most one WriteFile carries to a file or a device, which never cancel a write half done. */
#define STD_DEVICE_CHUNK (1u << 20)

/* Whether h does synchronous I/O: FILE_SYNCHRONOUS_IO_ALERT (0x10) or _NONALERT (0x20) in its
 * FileModeInformation (16); libuv's uv_pipe_open asks the same. A handle that cannot answer (a
 * console pseudo-handle before Windows 8) is synchronous. */
static bool
is_synchronous(HANDLE h)
{
    ULONG mode = 0;
    if (!query_file(h, 16, &mode, sizeof mode))
        return true;
    return (mode & 0x30u) != 0;
}

/* How to do I/O on h, and the most one WriteFile may carry. XIPC_ENOTSUP for what no timeout can
 * be kept on: a socket (FILE_TYPE_PIPE too, but no GetNamedPipeInfo), a file or device opened
 * for overlapped I/O (no file pointer to follow, and xipc does not know its offsets). */
static int
classify_std_handle(HANDLE h, enum xipc__win32_std_io *io, uint32_t *chunk)
{
    DWORD console_mode;
    bool sync = is_synchronous(h);
    *chunk = STD_DEVICE_CHUNK;
    switch (GetFileType(h)) {
    case FILE_TYPE_PIPE:
        if (query_write_chunk(h, chunk) != ERROR_SUCCESS)
            return XIPC_ENOTSUP;
        *io = sync ? XIPC__WIN32_STD_SYNC_PIPE : XIPC__WIN32_STD_OVERLAPPED;
        return 0;
    case FILE_TYPE_DISK:
        *io = XIPC__WIN32_STD_SYNC_FILE;
        return sync ? 0 : XIPC_ENOTSUP;
    case FILE_TYPE_CHAR:
        *io = GetConsoleMode(h, &console_mode) ? XIPC__WIN32_STD_CONSOLE
                                               : XIPC__WIN32_STD_SYNC_DEVICE;
        return sync ? 0 : XIPC_ENOTSUP;
    default:
        return XIPC_ENOTSUP;
    }
}

int
xipc__os_stream_stdio(int which, struct xipc__os_stream *s)
{
    static const DWORD std_ids[3] = { STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE };
    static const char *const names[3] = { "stdin", "stdout", "stderr" };
    enum xipc__win32_std_io io = XIPC__WIN32_STD_NONE;
    uint32_t chunk = 0;
    HANDLE self = GetCurrentProcess(), std = GetStdHandle(std_ids[which]), h;
    /* NULL: the process has none (a GUI program, a parent that gave none). */
    if (std == NULL || std == INVALID_HANDLE_VALUE)
        return XIPC_EBADF;
    if (!DuplicateHandle(self, std, self, &h, 0, FALSE, DUPLICATE_SAME_ACCESS))
        return XIPC__OS_FAIL(GetLastError(), "DuplicateHandle", names[which]);
    int rc = classify_std_handle(h, &io, &chunk);
    if (rc != 0) {
        (void)CloseHandle(h);
        return rc;
    }
    stream_init(h, chunk, s);
    s->std_io = io;
    if (io > XIPC__WIN32_STD_OVERLAPPED)
        s->kind = XIPC__WIN32_STREAM_STD_SYNC;
    return 0;
}
