/* win32/win32_npipe.c: named pipes (common/platform.h, "Named pipes and FIFOs") on Win32 named
 * pipes called L"\\\\.\\pipe\\" + name, so a program that calls CreateNamedPipeW or CreateFileW
 * on that name itself talks to an xipc peer. Also the pipe plumbing win32_fifo.c shares.
 *
 * Servers. Each connection is a pipe instance of its own. The server always keeps one spare
 * instance with an overlapped ConnectNamedPipe pending, so a client finds an instance to connect
 * to even while the server is busy elsewhere; accept waits for the spare's client, hands that
 * instance over as the connection and makes the next spare. Two servers must not share a name
 * (their clients would land on either), and the pipe namespace is machine-wide, its first
 * instance's maker fixing its security descriptor: a server's first instance is made with
 * FILE_FLAG_FIRST_PIPE_INSTANCE, which Windows refuses (ERROR_ACCESS_DENIED) when the pipe
 * exists, whoever made it. Wine ignores the flag (docs/wine.md), so
 * xipc__win32_pipe_instance also counts the instances it joined, and a server also holds a named
 * event, L"Local\\xipc-npipe#" + name, created exclusively ('#' cannot occur in an xipc name),
 * which tells a second xipc server of this session at once. Names come folded to lower case
 * (xipc__npipe_name): the pipe name is case-insensitive, the Local\ events are not. A client
 * refuses a pipe whose owner is not its user (xipc__win32_check_pipe_owner). A second
 * event, the same name + L"#byte" or L"#message", tells clients the server's mode before they
 * connect: a client of the other mode that connected and left again would reach the server as a
 * connection that ends at once, where POSIX refuses it at connect (EPROTOTYPE). A client still
 * checks the pipe's type after connecting, for servers that are not xipc's. A server passed to
 * a child is one server in several processes: the child inherits both events and makes instances
 * of its own (never a first one), so its clients are its own, and the name stays claimed until
 * the last holder's events are closed ("Servers passed on to a child").
 *
 * Messages. A message pipe is read in message mode. A receive reads straight into the caller's
 * buffer, which costs one call when the message fits. When it does not, ReadFile fails with
 * ERROR_MORE_DATA having taken the start of the message (the rest stays in the pipe, and
 * PeekNamedPipe's lpBytesLeftThisMessage says how much): that start is kept in s->head and the
 * next receive returns it with the rest, so nothing is ever lost and the message reads whole.
 * A send is one WriteFile of the whole message; see xipc__os_msg_send for why a send that times
 * out has sent nothing. */
#include "win32_internal.h"

#include <stdlib.h>
#include <string.h>

/* Not in every mingw-w64 winerror.h. */
#ifndef ERROR_HANDLES_CLOSED
#define ERROR_HANDLES_CLOSED 676L
#endif

#define PIPE_PREFIX  L"\\\\.\\pipe\\"
#define CLAIM_PREFIX L"Local\\xipc-npipe#"
#define NAME_CAP     XIPC__WIN32_PIPE_NAME_CAP

/* Each direction's buffer quota: the largest message, so that a pending message send is never
 * partly read (see xipc__os_msg_send). */
#define PIPE_BUFFER XIPC_MSGPIPE_MAX

/* How often accept makes a new spare in a row after clients that left before being accepted. */
#define SPARE_ATTEMPTS 16

/* wait_spare: the spare's client left before it was accepted; make another spare. */
#define SPARE_LOST 1

struct xipc__win32_listener {
    HANDLE claim; /* the named event that says this name has a live server */
    HANDLE mode_mark; /* the named event that says which mode it has */
    HANDLE lock; /* an unnamed mutex: one accept at a time, each within its own deadline */
    HANDLE spare; /* the instance for the next client; NULL: make one at the next accept */
    /* Guards spare against xipc__os_npipe_holds, which reads it from any thread: accept changes
     * it only under held_lock (set_spare), and reads it freely, being its only writer. */
    SRWLOCK held_lock;
    bool connected; /* the spare's client came before ConnectNamedPipe (ERROR_PIPE_CONNECTED) */
    OVERLAPPED ov; /* the spare's ConnectNamedPipe; ov.hEvent is made once, at listen */
    SECURITY_ATTRIBUTES sa; /* owner-only, for every instance */
    unsigned mode;
    char name[XIPC_NAME_MAX + 1]; /* for error reports */
    wchar_t wname[NAME_CAP];
};

/* The start of a message that a receive with too small a buffer took from the pipe. The storage
 * stays allocated between messages (have == 0 then). */
struct xipc__win32_msg_head {
    size_t room; /* bytes[] capacity */
    size_t have; /* bytes of the waiting message held in bytes[]; 0: none */
    size_t total; /* that message's whole size; 0 while unknown */
    unsigned char bytes[];
};

/* ---- Plumbing shared with win32_fifo.c ------------------------------------------------------ */

int
xipc__win32_wide_name(const wchar_t *prefix, const char *ascii, wchar_t *out, size_t cap)
{
    size_t prefix_len = wcslen(prefix), len = strlen(ascii);
    if (prefix_len + len + 1 > cap)
        return XIPC_ENAMETOOLONG;
    memcpy(out, prefix, prefix_len * sizeof *out);
    for (size_t i = 0; i <= len; i++)
        out[prefix_len + i] = (wchar_t)(unsigned char)ascii[i];
    return 0;
}

bool
xipc__win32_sole_instance(HANDLE h)
{
    DWORD instances = 0;
    /* A query that fails tells nothing against the instance: Windows refused it already. */
    if (!GetNamedPipeHandleStateW(h, NULL, &instances, NULL, NULL, NULL, 0))
        return true;
    return instances <= 1;
}

HANDLE
xipc__win32_pipe_instance(const wchar_t *wname, DWORD open_mode, DWORD pipe_mode, DWORD buffer,
    SECURITY_ATTRIBUTES *sa)
{
    HANDLE h = CreateNamedPipeW(wname, open_mode | FILE_FLAG_OVERLAPPED,
        pipe_mode | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, PIPE_UNLIMITED_INSTANCES, buffer,
        buffer, 0, sa);
    if (h == INVALID_HANDLE_VALUE)
        return NULL;
    /* The first instance joined a pipe someone else made (Wine only): say what Windows says. */
    if ((open_mode & FILE_FLAG_FIRST_PIPE_INSTANCE) != 0 && !xipc__win32_sole_instance(h)) {
        (void)CloseHandle(h);
        SetLastError(ERROR_ACCESS_DENIED);
        return NULL;
    }
    return h;
}

DWORD
xipc__win32_claim(const wchar_t *claim_name, SECURITY_ATTRIBUTES *sa, HANDLE *claim)
{
    /* A Create call that makes a new object need not clear the last error. */
    SetLastError(ERROR_SUCCESS);
    HANDLE h = CreateEventW(sa, TRUE, FALSE, claim_name);
    DWORD werr = GetLastError();
    if (h == NULL) {
        /* Another type of object has the name (ERROR_INVALID_HANDLE, measured
         * under Wine too), or another user's event denies us: held either way. */
        return (werr == ERROR_INVALID_HANDLE || werr == ERROR_ACCESS_DENIED) ? ERROR_ALREADY_EXISTS
                                                                             : werr;
    }
    if (werr == ERROR_ALREADY_EXISTS) {
        (void)CloseHandle(h);
        return ERROR_ALREADY_EXISTS;
    }
    *claim = h;
    return ERROR_SUCCESS;
}

/* Whether someone holds the claim claim_name (xipc__win32_claim). */
static bool
claim_held(const wchar_t *claim_name)
{
    HANDLE h = OpenEventW(SYNCHRONIZE, FALSE, claim_name);
    if (h == NULL)
        return GetLastError() != ERROR_FILE_NOT_FOUND; /* another type, or not ours: held */
    (void)CloseHandle(h);
    return true;
}

/* One try at a client end of the pipe wname: ERROR_SUCCESS with *out, or CreateFileW's failure
 * (ERROR_PIPE_BUSY: every instance is taken; ERROR_FILE_NOT_FOUND: no instance exists). */
static DWORD
open_client_once(const wchar_t *wname, DWORD access, HANDLE *out)
{
    /* The SQOS flags keep a server that is not ours from impersonating this process. */
    HANDLE h = CreateFileW(wname, access, 0, NULL, OPEN_EXISTING,
        FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError();
    *out = h;
    return ERROR_SUCCESS;
}

DWORD
xipc__win32_pipe_open_client(
    const wchar_t *wname, const wchar_t *claim_name, DWORD access, xipc__deadline dl, HANDLE *out)
{
    *out = NULL;
    for (;;) {
        DWORD werr = open_client_once(wname, access, out);
        if (werr != ERROR_PIPE_BUSY)
            return werr;
        /* Instances exist but the server that made them has closed, leaving only its
         * connections: none will listen again. */
        if (claim_name != NULL && !claim_held(claim_name))
            return ERROR_FILE_NOT_FOUND;
        int left = xipc__deadline_left_ms(dl);
        if (left == 0)
            return WAIT_TIMEOUT;
        /* Every instance is taken: wait for one to listen, then race the other clients for it.
         * WaitNamedPipeW's 0 would mean the pipe's default wait, so a left of 0 never gets
         * here. ERROR_SEM_TIMEOUT (121) leaves the verdict to the deadline above; the pipe
         * having gone (ERROR_FILE_NOT_FOUND) is final. */
        if (!WaitNamedPipeW(wname, left < 0 ? NMPWAIT_WAIT_FOREVER : (DWORD)left)) {
            werr = GetLastError();
            if (werr != ERROR_SEM_TIMEOUT)
                return werr;
        }
    }
}

/* ---- Servers -------------------------------------------------------------------------------- */

static DWORD
pipe_type(unsigned mode)
{
    return mode == XIPC_NPIPE_MESSAGE ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                                      : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
}

/* Sets the spare (see held_lock). */
static void
set_spare(struct xipc__win32_listener *l, HANDLE spare)
{
    AcquireSRWLockExclusive(&l->held_lock);
    l->spare = spare;
    ReleaseSRWLockExclusive(&l->held_lock);
}

/* Closes the spare and forgets it. */
static void
close_spare(struct xipc__win32_listener *l)
{
    HANDLE spare = l->spare;
    set_spare(l, NULL);
    (void)CloseHandle(spare);
}

/* Starts the spare's ConnectNamedPipe. 0 when it is pending or its client is there already;
 * SPARE_LOST when a client connected and left before it (ERROR_NO_DATA), having closed the
 * spare; or the failure, having closed the spare. */
static int
listen_spare(struct xipc__win32_listener *l)
{
    DWORD werr = ERROR_IO_PENDING;
    HANDLE ev = l->ov.hEvent;
    memset(&l->ov, 0, sizeof l->ov);
    l->ov.hEvent = ev;
    l->connected = false;
    /* Overlapped, it returns FALSE; TRUE would be a completion the event reports too. */
    if (!ConnectNamedPipe(l->spare, &l->ov))
        werr = GetLastError();
    if (werr == ERROR_IO_PENDING)
        return 0;
    if (werr == ERROR_PIPE_CONNECTED) {
        /* The event is not set in this case; set it, so that a wait on it (the server's native,
         * xipc__os_npipe_waitable) sees the client too. The next ConnectNamedPipe resets it. */
        l->connected = true;
        (void)SetEvent(ev);
        return 0;
    }
    close_spare(l);
    if (werr == ERROR_NO_DATA)
        return SPARE_LOST;
    return XIPC__OS_FAIL(werr, "ConnectNamedPipe", l->name);
}

/* Makes the next spare instance and starts it listening (first: FILE_FLAG_FIRST_PIPE_INSTANCE,
 * for the server's first instance). */
static int
new_spare(struct xipc__win32_listener *l, DWORD first)
{
    for (int attempt = 0; attempt < SPARE_ATTEMPTS; attempt++) {
        HANDLE spare = xipc__win32_pipe_instance(
            l->wname, PIPE_ACCESS_DUPLEX | first, pipe_type(l->mode), PIPE_BUFFER, &l->sa);
        if (spare == NULL) {
            DWORD werr = GetLastError();
            int rc = XIPC__OS_FAIL(werr, "CreateNamedPipeW", l->name);
            /* Windows: another program made the pipe first (FILE_FLAG_FIRST_PIPE_INSTANCE, or a
             * DACL or instance limit of its own). */
            bool taken = werr == ERROR_ACCESS_DENIED || werr == ERROR_PIPE_BUSY;
            return (first != 0 && taken) ? XIPC_EADDRINUSE : rc;
        }
        set_spare(l, spare);
        int rc = listen_spare(l);
        if (rc != SPARE_LOST)
            return rc;
    }
    return XIPC__OS_FAIL(ERROR_NO_DATA, "ConnectNamedPipe", l->name);
}

/* Releases everything the listener holds; it may be half made. */
static void
listener_free(struct xipc__win32_listener *l)
{
    DWORD n;
    if (l->spare != NULL) {
        if (!l->connected) {
            /* The OVERLAPPED is in l: wait until the cancelled connect is over before freeing. */
            (void)CancelIoEx(l->spare, &l->ov);
            (void)GetOverlappedResult(l->spare, &l->ov, &n, TRUE);
        }
        (void)CloseHandle(l->spare);
    }
    if (l->ov.hEvent != NULL)
        (void)CloseHandle(l->ov.hEvent);
    if (l->lock != NULL)
        (void)CloseHandle(l->lock);
    if (l->mode_mark != NULL)
        (void)CloseHandle(l->mode_mark);
    if (l->claim != NULL)
        (void)CloseHandle(l->claim);
    free(l);
}

/* Writes the name of the event that marks a server of the given mode on name. */
static int
mode_mark_name(const char *name, unsigned mode, wchar_t out[NAME_CAP])
{
    const wchar_t *suffix = mode == XIPC_NPIPE_MESSAGE ? L"#message" : L"#byte";
    int rc = xipc__win32_wide_name(CLAIM_PREFIX, name, out, NAME_CAP);
    size_t len = wcslen(out), suffix_len = wcslen(suffix);
    if (rc != 0 || len + suffix_len + 1 > NAME_CAP)
        return XIPC_ENAMETOOLONG;
    memcpy(out + len, suffix, (suffix_len + 1) * sizeof *out);
    return 0;
}

/* Claims the name, marks its mode, and makes the listener's own objects. */
static int
listener_init(struct xipc__win32_listener *l, const char *name)
{
    wchar_t claim_name[NAME_CAP], mark_name[NAME_CAP];
    int rc = xipc__win32_owner_only_sa(&l->sa);
    if (rc != 0 || (rc = xipc__win32_wide_name(PIPE_PREFIX, name, l->wname, NAME_CAP)) != 0 ||
        (rc = xipc__win32_wide_name(CLAIM_PREFIX, name, claim_name, NAME_CAP)) != 0 ||
        (rc = mode_mark_name(name, l->mode, mark_name)) != 0)
        return rc;
    DWORD werr = xipc__win32_claim(claim_name, &l->sa, &l->claim);
    if (werr == ERROR_ALREADY_EXISTS) {
        (void)XIPC__OS_FAIL(werr, "CreateEventW", name);
        return XIPC_EADDRINUSE;
    }
    if (werr != ERROR_SUCCESS)
        return XIPC__OS_FAIL(werr, "CreateEventW", name);
    /* Not exclusive: only the holder of the claim makes it, and it goes with the claim. */
    if ((l->mode_mark = CreateEventW(&l->sa, TRUE, FALSE, mark_name)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateEventW", name);
    if ((l->lock = CreateMutexW(NULL, FALSE, NULL)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateMutexW", NULL);
    if ((l->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateEventW", NULL);
    return 0;
}

/* Whether instances of the pipe wname exist: a server that is not xipc's (it holds no claim), or
 * the connections of an xipc server that closed. FILE_FLAG_FIRST_PIPE_INSTANCE refuses both on
 * Windows, but Wine ignores it (docs/wine.md), and would let the first instance join
 * another program's pipe when that program allows more than one. WaitNamedPipeW neither connects
 * nor disturbs a server: TRUE when an instance listens, ERROR_SEM_TIMEOUT after 1 ms when all are
 * busy, ERROR_FILE_NOT_FOUND at once when there are none. */
static bool
pipe_exists(const wchar_t *wname)
{
    return WaitNamedPipeW(wname, 1) || GetLastError() == ERROR_SEM_TIMEOUT;
}

int
xipc__os_npipe_listen(const char *name, unsigned mode, struct xipc__os_npipe *srv)
{
    struct xipc__win32_listener *l = calloc(1, sizeof *l);
    int rc;
    if (l == NULL)
        return XIPC_ENOMEM;
    InitializeSRWLock(&l->held_lock);
    l->mode = mode;
    (void)strncpy(l->name, name, XIPC_NAME_MAX);
    if ((rc = xipc__win32_check_not_sandboxed()) == 0 && (rc = listener_init(l, name)) == 0 &&
        pipe_exists(l->wname))
        rc = XIPC_EADDRINUSE;
    if (rc != 0 || (rc = new_spare(l, FILE_FLAG_FIRST_PIPE_INSTANCE)) != 0) {
        listener_free(l);
        return rc;
    }
    srv->listener = l;
    return 0;
}

/* Waits until dl for the spare's client. 0 when it is connected; XIPC_ETIMEDOUT; SPARE_LOST when
 * the connect failed (the spare is closed then); or the failure of the wait.
 *
 * The connect may have been issued by a thread that has ended since: Windows cancels the pending
 * I/O a thread issued when it exits (ExitThread: "all pending I/O initiated by the thread that is
 * not associated with a completion port is canceled"), and Wine does too. The instance itself
 * is not lost: a cancelled ConnectNamedPipe leaves it listening, a client can still open it, and
 * the next ConnectNamedPipe reports that client (ERROR_PIPE_CONNECTED, as for one that came
 * before the call; measured on Wine 8, and NPFS's cancel routine only completes the request). So
 * a connect that ended with ERROR_OPERATION_ABORTED, which xipc asks for only when it closes the
 * server, is issued again on the same instance. */
static int
wait_spare(struct xipc__win32_listener *l, xipc__deadline dl)
{
    DWORD n, werr;
    for (;;) {
        if (l->connected)
            return 0;
        DWORD w = xipc__win32_wait(l->ov.hEvent, dl);
        if (w == WAIT_TIMEOUT)
            return XIPC_ETIMEDOUT; /* the connect stays pending for the next accept */
        if (w != WAIT_OBJECT_0)
            return XIPC__OS_FAIL(GetLastError(), "WaitForSingleObject", l->name);
        if (GetOverlappedResult(l->spare, &l->ov, &n, FALSE))
            return 0;
        werr = GetLastError();
        if (werr == ERROR_OPERATION_ABORTED) {
            int rc = listen_spare(l); /* the issuing thread ended: connect again */
            if (rc != 0)
                return rc;
            continue;
        }
        /* ERROR_IO_INCOMPLETE: the event was set before ConnectNamedPipe reset it; still
         * pending, so wait on (closing the spare now would cancel a call that uses l->ov). */
        if (werr != ERROR_IO_INCOMPLETE)
            break;
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
    }
    /* The connect ended without a client to hand over; the failure is kept for diagnostics. */
    (void)XIPC__OS_FAIL(werr, "ConnectNamedPipe", l->name);
    close_spare(l);
    return SPARE_LOST;
}

static int
accept_locked(struct xipc__win32_listener *l, struct xipc__os_stream *conn, xipc__deadline dl)
{
    int rc;
    do {
        if (l->spare == NULL && (rc = new_spare(l, 0)) != 0)
            return rc;
        rc = wait_spare(l, dl);
    } while (rc == SPARE_LOST);
    if (rc != 0)
        return rc;
    HANDLE h = l->spare;
    set_spare(l, NULL);
    /* The next spare first, so that clients find an instance again as soon as possible. A
     * failure here is not this client's: the next accept tries again. */
    (void)new_spare(l, 0);
    if ((rc = xipc__win32_stream_open(h, XIPC__WIN32_STREAM_NPIPE_SERVER, conn)) != 0) {
        (void)CloseHandle(h);
        return rc;
    }
    return 0;
}

int
xipc__os_npipe_accept(struct xipc__os_npipe *srv, struct xipc__os_stream *conn, xipc__deadline dl)
{
    struct xipc__win32_listener *l = srv->listener;
    DWORD w = xipc__win32_wait(l->lock, dl);
    if (w == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    /* WAIT_ABANDONED: a thread ended inside accept. Every step leaves l whole, so go on. */
    if (w != WAIT_OBJECT_0 && w != WAIT_ABANDONED)
        return XIPC__OS_FAIL(GetLastError(), "WaitForSingleObject", l->name);
    int rc = accept_locked(l, conn, dl);
    (void)ReleaseMutex(l->lock);
    return rc;
}

void
xipc__os_npipe_close(struct xipc__os_npipe *srv)
{
    if (srv->listener != NULL)
        listener_free(srv->listener);
    srv->listener = NULL;
}

bool
xipc__os_npipe_holds(const struct xipc__os_npipe *srv, intptr_t native)
{
    struct xipc__win32_listener *l = srv->listener;
    HANDLE h = (HANDLE)native;
    if (h == NULL)
        return false;
    if (h == l->claim || h == l->mode_mark || h == l->lock || h == l->ov.hEvent)
        return true;
    AcquireSRWLockShared(&l->held_lock);
    bool spare = h == l->spare;
    ReleaseSRWLockShared(&l->held_lock);
    return spare;
}

void
xipc__os_npipe_waitable(const struct xipc__os_npipe *srv, struct xipc__wait *w)
{
    /* The spare's ConnectNamedPipe is always pending (accept makes the next spare at once), so
     * its manual-reset event is signalled while a client waits to be accepted. After the thread
     * that issued it ends it is signalled too, with no client maybe, until an accept connects
     * again (wait_spare): a wait may wake early then, never late. */
    w->how = XIPC__WAIT_SIGNALLED;
    w->native = (intptr_t)srv->listener->ov.hEvent;
}

/* ---- Servers passed on to a child ----------------------------------------------------------- */

void
xipc__os_npipe_natives(const struct xipc__os_npipe *srv, intptr_t out[XIPC__NATIVES_MAX])
{
    /* The claim keeps the name claimed and the mark its mode while the child lives; the child
     * makes instances of its own. */
    out[0] = (intptr_t)srv->listener->claim;
    out[1] = (intptr_t)srv->listener->mode_mark;
}

const char *
xipc__os_npipe_name(const struct xipc__os_npipe *srv)
{
    return srv->listener->name;
}

typedef BOOL(WINAPI *compare_handles_fn)(HANDLE a, HANDLE b);

/* 0 if h is the named event object_name (a server's claim or mode mark): the object that name
 * opens, as CompareObjectHandles says (Windows 10 and later, exported by kernelbase.dll, which
 * mingw's import libraries do not name; where it is missing, an event of that name existing is
 * taken as enough). XIPC_EINVAL otherwise. */
static int
check_named_event(HANDLE h, const wchar_t *object_name)
{
    HMODULE kernelbase = GetModuleHandleW(L"kernelbase.dll");
    compare_handles_fn same = kernelbase == NULL
        ? NULL
        : (compare_handles_fn)(void (*)(void))GetProcAddress(kernelbase, "CompareObjectHandles");
    HANDLE named = OpenEventW(SYNCHRONIZE, FALSE, object_name);
    if (named == NULL) {
        (void)XIPC__OS_FAIL(GetLastError(), "OpenEventW", "inherited handle");
        return XIPC__FAIL(XIPC_EINVAL, "text: not a server of that name and mode (none has it)");
    }
    bool ok = same == NULL || same(h, named);
    (void)CloseHandle(named);
    return ok ? 0 : XIPC__FAIL(XIPC_EINVAL, "text: not a server of that name and mode");
}

/* 0 if both natives are open (else XIPC_EBADF), are the claim and the mode mark of a server of
 * this name and mode (else XIPC_EINVAL), and no xipc handle of this process holds them (else
 * XIPC_EEXIST). */
static int
check_passed_server(const char *name, unsigned mode, const intptr_t natives[2])
{
    wchar_t claim_name[NAME_CAP], mark_name[NAME_CAP];
    DWORD flags;
    for (int i = 0; i < 2; i++)
        if (!xipc__win32_is_handle_value(natives[i]) ||
            !GetHandleInformation((HANDLE)natives[i], &flags))
            return XIPC_EBADF;
    int rc = xipc__win32_wide_name(CLAIM_PREFIX, name, claim_name, NAME_CAP);
    if (rc != 0 || (rc = mode_mark_name(name, mode, mark_name)) != 0 ||
        (rc = check_named_event((HANDLE)natives[0], claim_name)) != 0 ||
        (rc = check_named_event((HANDLE)natives[1], mark_name)) != 0)
        return rc;
    if (xipc__handle_owns_native(natives[0]) || xipc__handle_owns_native(natives[1]))
        return XIPC_EEXIST;
    return 0;
}

/* Makes the adopted listener's own objects and its spare instance, which is not a first
 * instance: the first is the parent's, and the pipe's security was fixed with it (a spare made
 * once every other instance has gone starts the pipe anew, with the same owner-only DACL). */
static int
adopted_listener_init(struct xipc__win32_listener *l)
{
    int rc = xipc__win32_owner_only_sa(&l->sa);
    if (rc != 0 || (rc = xipc__win32_wide_name(PIPE_PREFIX, l->name, l->wname, NAME_CAP)) != 0)
        return rc;
    if ((l->lock = CreateMutexW(NULL, FALSE, NULL)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateMutexW", NULL);
    if ((l->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateEventW", NULL);
    return new_spare(l, 0);
}

/* Everything that decides whether the natives can be adopted is checked before anything about
 * them changes; on failure they stay as they were (l does not hold them until the end). */
int
xipc__os_npipe_adopt(
    const char *name, unsigned mode, const intptr_t natives[2], struct xipc__os_npipe *srv)
{
    int rc = check_passed_server(name, mode, natives);
    if (rc != 0)
        return rc;
    struct xipc__win32_listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        return XIPC_ENOMEM;
    InitializeSRWLock(&l->held_lock);
    l->mode = mode;
    (void)strncpy(l->name, name, XIPC_NAME_MAX);
    if ((rc = adopted_listener_init(l)) == 0 &&
        (!SetHandleInformation((HANDLE)natives[0], HANDLE_FLAG_INHERIT, 0) ||
            !SetHandleInformation((HANDLE)natives[1], HANDLE_FLAG_INHERIT, 0)))
        rc = XIPC__OS_FAIL(GetLastError(), "SetHandleInformation", "inherited handle");
    if (rc != 0) {
        listener_free(l);
        return rc;
    }
    l->claim = (HANDLE)natives[0];
    l->mode_mark = (HANDLE)natives[1];
    srv->listener = l;
    return 0;
}

bool
xipc__win32_msg_held(const struct xipc__os_stream *s)
{
    return s->head != NULL && s->head->have > 0;
}

bool
xipc__os_msg_held(const struct xipc__os_stream *s)
{
    return xipc__win32_msg_held(s);
}

/* ---- Clients -------------------------------------------------------------------------------- */

/* Checks that the server's pipe type is the mode asked for, and reads messages as messages. */
static int
set_client_mode(HANDLE h, unsigned mode, const char *name)
{
    DWORD flags = 0, read_mode = PIPE_READMODE_MESSAGE;
    if (!GetNamedPipeInfo(h, &flags, NULL, NULL, NULL))
        return XIPC__OS_FAIL(GetLastError(), "GetNamedPipeInfo", name);
    bool message = (flags & PIPE_TYPE_MESSAGE) != 0;
    if (message != (mode == XIPC_NPIPE_MESSAGE))
        return XIPC__FAIL(XIPC_EINVAL, "name: a server of the other mode (byte or message)");
    if (message && !SetNamedPipeHandleState(h, &read_mode, NULL, NULL))
        return XIPC__OS_FAIL(GetLastError(), "SetNamedPipeHandleState", name);
    return 0;
}

/* Whether an xipc server of the other mode has the name: then connecting would only give that
 * server a connection that ends at once. */
static bool
other_mode_server(const char *name, unsigned mode)
{
    wchar_t mark_name[NAME_CAP];
    unsigned other = mode == XIPC_NPIPE_MESSAGE ? XIPC_NPIPE_BYTE : XIPC_NPIPE_MESSAGE;
    if (mode_mark_name(name, other, mark_name) != 0)
        return false;
    HANDLE h = OpenEventW(SYNCHRONIZE, FALSE, mark_name);
    if (h == NULL)
        return false; /* ERROR_FILE_NOT_FOUND, the usual case */
    (void)CloseHandle(h);
    return true;
}

/* Every instance is taken: waits within dl until one listens, for the caller to race the other
 * clients for it. 0: try again; XIPC_ETIMEDOUT; or the failure. */
static int
wait_for_instance(const wchar_t *wname, const char *name, xipc__deadline dl)
{
    int left = xipc__deadline_left_ms(dl);
    if (left == 0)
        return XIPC_ETIMEDOUT;
    /* WaitNamedPipeW's 0 would mean the pipe's default wait, so a left of 0 never gets here. */
    if (WaitNamedPipeW(wname, left < 0 ? NMPWAIT_WAIT_FOREVER : (DWORD)left))
        return 0;
    DWORD werr = GetLastError();
    /* ERROR_SEM_TIMEOUT leaves the verdict to the deadline, on the next try. The pipe's last
     * instance closed while we waited (the server has not made the next yet, or is gone):
     * Windows ends the wait with STATUS_OBJECT_NAME_NOT_FOUND, ERROR_FILE_NOT_FOUND (NPFS cancels
     * the pipe's waiters as it deletes the pipe), Wine 8 with STATUS_HANDLES_CLOSED,
     * ERROR_HANDLES_CLOSED; the next CreateFileW tells, and xipc__npipe_after_missing decides. */
    if (werr == ERROR_SEM_TIMEOUT || werr == ERROR_FILE_NOT_FOUND || werr == ERROR_HANDLES_CLOSED)
        return 0;
    return XIPC__OS_FAIL(werr, "WaitNamedPipeW", name);
}

/* Opens a client end of the pipe wname, waiting within dl while the server is busy, whoever made
 * it: a program that is not xipc may have one instance only, and a client that waits with
 * WaitNamedPipeW is served when it frees it (a bounded retry on ERROR_PIPE_BUSY).
 * Busy tells nothing about who the server is, so it is never "no server": an xipc server that
 * closed while its connections live on looks the same, and is waited for until they close. */
static int
open_client_end(
    const wchar_t *wname, const char *name, unsigned flags, xipc__deadline dl, HANDLE *out)
{
    struct xipc__npipe_patience patience = { 0 };
    patience.wait_server = (flags & XIPC_NPIPE_WAIT_SERVER) != 0;
    for (;;) {
        DWORD werr = open_client_once(wname, GENERIC_READ | GENERIC_WRITE, out);
        int rc;
        if (werr == ERROR_SUCCESS)
            return 0;
        if (werr == ERROR_PIPE_BUSY) {
            xipc__npipe_saw_busy(&patience);
            rc = wait_for_instance(wname, name, dl);
        } else if (werr == ERROR_FILE_NOT_FOUND) {
            (void)XIPC__OS_FAIL(werr, "CreateFileW", name);
            rc = xipc__npipe_after_missing(&patience, dl);
        } else {
            return XIPC__OS_FAIL(werr, "CreateFileW", name);
        }
        if (rc != 0)
            return rc;
    }
}

int
xipc__os_npipe_connect(const char *name, unsigned mode, unsigned flags,
    struct xipc__os_stream *conn, xipc__deadline dl)
{
    wchar_t wname[NAME_CAP];
    HANDLE h = NULL;
    int rc = xipc__win32_wide_name(PIPE_PREFIX, name, wname, NAME_CAP);
    if (rc != 0)
        return rc;
    if (other_mode_server(name, mode))
        return XIPC__FAIL(XIPC_EINVAL, "name: a server of the other mode (byte or message)");
    if ((rc = open_client_end(wname, name, flags, dl, &h)) != 0)
        return rc;
    /* A server waited for had no mode to check before: check the one that came. */
    if ((flags & XIPC_NPIPE_WAIT_SERVER) && other_mode_server(name, mode)) {
        (void)CloseHandle(h);
        return XIPC__FAIL(XIPC_EINVAL, "name: a server of the other mode (byte or message)");
    }
    /* The owner first, before anything is sent or set: a pipe another user made first (a
     * squatter on the machine-wide name) would read what this client writes. */
    if ((rc = xipc__win32_check_pipe_owner(h, name)) != 0 ||
        (rc = set_client_mode(h, mode, name)) != 0 ||
        (rc = xipc__win32_stream_open(h, XIPC__WIN32_STREAM_NPIPE_CLIENT, conn)) != 0) {
        (void)CloseHandle(h);
        return rc;
    }
    return 0;
}

int
xipc__os_stream_peer_pid(const struct xipc__os_stream *s, uint64_t *pid)
{
    ULONG id = 0;
    if (s->kind == XIPC__WIN32_STREAM_NPIPE_SERVER) {
        if (!GetNamedPipeClientProcessId(s->handle, &id))
            return XIPC__OS_FAIL(GetLastError(), "GetNamedPipeClientProcessId", NULL);
    } else if (s->kind == XIPC__WIN32_STREAM_NPIPE_CLIENT) {
        if (!GetNamedPipeServerProcessId(s->handle, &id))
            return XIPC__OS_FAIL(GetLastError(), "GetNamedPipeServerProcessId", NULL);
    } else {
        /* Anonymous pipes are named pipes too, but their peer is whoever inherited an end. */
        return XIPC_ENOTSUP;
    }
    *pid = id;
    return 0;
}

/* ---- Messages ------------------------------------------------------------------------------- */

/* The peer is gone (ERROR_NO_DATA, ERROR_BROKEN_PIPE, ERROR_PIPE_NOT_CONNECTED): XIPC_EPIPE, as a
 * stream write says it, through the table. A send that times out has sent nothing: the pipe's
 * quota (PIPE_BUFFER) is at least XIPC_MSGPIPE_MAX, and a pending write no larger than the quota
 * completes before the reader can take any byte of it (see the top of win32_stream.c; measured
 * on Wine for messages: a message write pending behind a full pipe and then cancelled fails with
 * ERROR_OPERATION_ABORTED, and the reader never sees it). A write that completed while being
 * cancelled did send the message, and says so. A server that is not xipc's may have a smaller
 * quota; a cancelled send to it may have been read in part. */
int
xipc__os_msg_send(struct xipc__os_stream *s, const void *buf, size_t len, xipc__deadline dl)
{
    OVERLAPPED ov;
    DWORD n, werr = ERROR_SUCCESS;
    memset(&ov, 0, sizeof ov);
    int rc = xipc__win32_stream_event(s, true, &ov.hEvent);
    if (rc != 0)
        return rc;
    if (!WriteFile(s->handle, buf, (DWORD)len, NULL, &ov))
        werr = GetLastError();
    werr = xipc__win32_finish_io(s->handle, &ov, werr, dl, &n);
    if (werr == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    if (werr != ERROR_SUCCESS)
        return XIPC__OS_FAIL(werr, "WriteFile", NULL);
    /* A message write moves all of it or nothing; anything else is not a message pipe. */
    return n == len ? 0 : XIPC__OS_FAIL(ERROR_WRITE_FAULT, "WriteFile", NULL);
}

/* One overlapped ReadFile of up to want bytes, with event (the stream's read event), waited for
 * until dl. ERROR_SUCCESS with *n the message's size; ERROR_MORE_DATA with *n == want when the
 * message is longer (the rest stays in the pipe); WAIT_TIMEOUT with nothing taken; or the
 * failure. A message read takes its bytes at once or not at all, so a cancelled one took
 * nothing. */
static DWORD
read_message(
    struct xipc__os_stream *s, HANDLE event, void *buf, DWORD want, xipc__deadline dl, DWORD *n)
{
    OVERLAPPED ov;
    DWORD werr = ERROR_SUCCESS, wait_err = ERROR_SUCCESS;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = event;
    *n = 0;
    if (!ReadFile(s->handle, buf, want, NULL, &ov))
        werr = GetLastError();
    /* ERROR_MORE_DATA at once is a completed read, like success: the result below gives *n. */
    if (werr != ERROR_SUCCESS && werr != ERROR_MORE_DATA && werr != ERROR_IO_PENDING)
        return werr;
    if (werr == ERROR_IO_PENDING) {
        DWORD w = xipc__win32_wait(ov.hEvent, dl);
        if (w != WAIT_OBJECT_0) {
            wait_err = (w == WAIT_TIMEOUT) ? WAIT_TIMEOUT : GetLastError();
            (void)CancelIoEx(s->handle, &ov); /* ERROR_NOT_FOUND: it completed; kept below */
        }
    }
    if (GetOverlappedResult(s->handle, &ov, n, TRUE))
        return ERROR_SUCCESS;
    werr = GetLastError();
    return (werr == ERROR_OPERATION_ABORTED && wait_err != ERROR_SUCCESS) ? wait_err : werr;
}

/* Makes s->head hold at least room bytes, before a read that might need to keep that many:
 * running out of memory then loses nothing. Only called while no message is waiting in it. */
static int
reserve_head(struct xipc__os_stream *s, size_t room)
{
    struct xipc__win32_msg_head *h = s->head;
    if (h != NULL && h->room >= room)
        return 0;
    if ((h = realloc(h, sizeof *h + room)) == NULL)
        return XIPC_ENOMEM;
    h->room = room;
    h->have = 0;
    h->total = 0;
    s->head = h;
    return 0;
}

/* The whole size of the message whose start s->head holds: what it holds plus what is left of
 * the message in the pipe. */
static int
head_total(struct xipc__os_stream *s, size_t *total)
{
    struct xipc__win32_msg_head *h = s->head;
    DWORD left = 0;
    if (h->total == 0) {
        if (!PeekNamedPipe(s->handle, NULL, 0, NULL, NULL, &left))
            return XIPC__OS_FAIL(GetLastError(), "PeekNamedPipe", NULL);
        h->total = h->have + left;
    }
    *total = h->total;
    return 0;
}

/* A read took the first n bytes of a longer message into buf: keep them, and report the size. */
static int
keep_head(struct xipc__os_stream *s, const void *buf, DWORD n, size_t *len)
{
    size_t total = 0;
    /* Room was reserved for any buffer smaller than XIPC_MSGPIPE_MAX. A larger buffer is too small
     * only for a longer message, which no xipc peer sends: if memory runs out then, that
     * message's start is lost (XIPC_ENOMEM). */
    int rc = reserve_head(s, n);
    if (rc != 0)
        return rc;
    memcpy(s->head->bytes, buf, n);
    s->head->have = n;
    s->head->total = 0;
    if ((rc = head_total(s, &total)) != 0)
        return rc; /* the next receive asks again */
    *len = total;
    return XIPC_EMSGSIZE;
}

static int
recv_failure(DWORD werr)
{
    if (werr == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    if (xipc__win32_end_of_stream(werr))
        return XIPC_ECLOSED;
    return XIPC__OS_FAIL(werr, "ReadFile", NULL);
}

/* A receive while s->head holds the start of a message: the whole message if cap allows. */
static int
recv_rest(
    struct xipc__os_stream *s, HANDLE event, void *buf, size_t cap, size_t *len, xipc__deadline dl)
{
    struct xipc__win32_msg_head *h = s->head;
    size_t total = 0;
    DWORD n = 0, werr = ERROR_SUCCESS;
    int rc = head_total(s, &total);
    if (rc != 0)
        return rc;
    if (total > cap) {
        *len = total;
        return XIPC_EMSGSIZE;
    }
    memcpy(buf, h->bytes, h->have);
    /* The rest is already in the pipe (the writer's call completed before our first read), so
     * this read completes at once. */
    if (total > h->have)
        werr = read_message(
            s, event, (unsigned char *)buf + h->have, (DWORD)(total - h->have), dl, &n);
    if (werr == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT; /* h still holds the start */
    h->have = 0;
    if (werr != ERROR_SUCCESS)
        return recv_failure(werr);
    *len = total;
    return 0;
}

int
xipc__os_msg_recv(struct xipc__os_stream *s, void *buf, size_t cap, size_t *len, xipc__deadline dl)
{
    DWORD want = cap > MAXDWORD ? MAXDWORD : (DWORD)cap, n = 0;
    HANDLE event = NULL;
    *len = 0;
    int rc = xipc__win32_stream_event(s, false, &event);
    if (rc != 0)
        return rc;
    if (s->head != NULL && s->head->have > 0)
        return recv_rest(s, event, buf, cap, len, dl);
    /* No xipc message is longer than XIPC_MSGPIPE_MAX; a smaller buffer may get only the start of
     * one, which must then be kept. */
    if (cap < XIPC_MSGPIPE_MAX && (rc = reserve_head(s, cap)) != 0)
        return rc;
    DWORD werr = read_message(s, event, buf, want, dl, &n);
    if (werr == ERROR_MORE_DATA)
        return keep_head(s, buf, n, len);
    if (werr != ERROR_SUCCESS)
        return recv_failure(werr);
    /* n may be 0: a peer that is not xipc sent an empty message. */
    *len = n;
    return 0;
}

/* ---- Message pipes passed on to a child ----------------------------------------------------- */

/* A message connection: a named pipe of type PIPE_TYPE_MESSAGE, either end. Anything else is
 * XIPC_EINVAL: a byte-mode pipe has no boundaries, a socket (FILE_TYPE_PIPE too) answers no
 * GetNamedPipeInfo. */
static int
check_message_pipe(HANDLE h)
{
    DWORD flags = 0;
    if (GetFileType(h) != FILE_TYPE_PIPE)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a message pipe (not a pipe)");
    if (!GetNamedPipeInfo(h, &flags, NULL, NULL, NULL)) {
        (void)XIPC__OS_FAIL(GetLastError(), "GetNamedPipeInfo", "inherited handle");
        return XIPC__FAIL(XIPC_EINVAL, "text: not a message pipe (not a named pipe)");
    }
    if ((flags & PIPE_TYPE_MESSAGE) == 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a message pipe (a byte-mode pipe)");
    return 0;
}

/* Everything that decides whether the handle can be adopted is checked before anything about it
 * changes: it is open, it is a message pipe, and no xipc handle of this process has it (a second
 * owner would close it under the first: the same text imported twice). Then it is read in message
 * mode, as accept and connect leave a connection (the read mode belongs to the handle's file
 * object, which the parent shares: setting it again changes nothing there), and gets its own
 * OVERLAPPED events. Its peer is whoever connected to whom in another process: the kind stays
 * XIPC__WIN32_STREAM_ANON, so the peer pid is XIPC_ENOTSUP, as for a stream passed on. */
int
xipc__os_msgpipe_adopt(intptr_t native, struct xipc__os_stream *s)
{
    HANDLE h = (HANDLE)native;
    DWORD handle_flags, read_mode = PIPE_READMODE_MESSAGE;
    if (!xipc__win32_is_handle_value(native))
        return XIPC_EBADF;
    if (!GetHandleInformation(h, &handle_flags)) {
        /* Whatever the code, nothing usable is open under this value: XIPC_EBADF, as on
         * POSIX. */
        (void)XIPC__OS_FAIL(GetLastError(), "GetHandleInformation", "inherited handle");
        return XIPC_EBADF;
    }
    int rc = check_message_pipe(h);
    if (rc != 0)
        return rc;
    if (xipc__handle_owns_native(native))
        return XIPC_EEXIST;
    if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0))
        return XIPC__OS_FAIL(GetLastError(), "SetHandleInformation", "inherited handle");
    if (!SetNamedPipeHandleState(h, &read_mode, NULL, NULL))
        return XIPC__OS_FAIL(GetLastError(), "SetNamedPipeHandleState", "inherited handle");
    return xipc__win32_stream_open(h, XIPC__WIN32_STREAM_ANON, s);
}
