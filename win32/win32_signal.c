/* win32/win32_signal.c: signal watches and sending on Windows (common/platform.h, "Signals").
 *
 * Windows has no signals between processes. From its first watch until it ends, a process keeps a
 * small owner-only section, "Local\xipc-signal#<pid>" ('#' is no name character, so no user name
 * reaches it), holding the pending bits and, per signal, the number of the watch that holds it;
 * each watch has an owner-only manual-reset event, "Local\xipc-signal#<pid>-<number>", set while
 * a signal of it is pending. Numbers are never used twice in a process, and the section is never
 * made twice, so a sender that still holds an old one open never makes a new watch find its name
 * taken. A
 * sender holds the target process open for the whole call (so its id cannot pass to another
 * process meanwhile), sets the bit and the event, or, when the target does not watch the
 * signal, applies the default action: TerminateProcess with XIPC_SIGNAL_EXIT_CODE(sig).
 *
 * The section is input to a sender: any process of the user may write it. A sender refuses a
 * section or event another user owns (a squatter: the target could not have made its own), and
 * trusts the section no further than its bits: a section of an earlier process with the same id
 * (its creation time differs) counts as no watch at all. The watcher trusts only the pending
 * bits of its own set.
 *
 * Console control events reach the same bits through a handler, which Windows runs on a thread
 * it makes: the handler takes the lock like any thread, sets the bit and the event, and nothing
 * else. */
#include "win32_internal.h"

#include <limits.h>
#include <string.h>

#define BOARD_MAGIC   0x58534947u /* "XSIG" */
#define BOARD_VERSION 1u
#define NAME_CAP      64

/* The section's layout. */
struct board {
    uint32_t magic; /* written last by its owner: 0 while it is being made */
    uint32_t version;
    uint64_t born; /* the owner's creation time (GetProcessTimes), against reused ids */
    volatile LONG pending; /* signals sent and not read yet */
    volatile LONG holder[XIPC__SIGNAL_KINDS]; /* the number of the watch holding each; 0: none */
};

/* This process's side, under lock: the section once made, the last watch number given, each
 * signal's watch event, and whether the console handler is installed. */
static SRWLOCK lock = SRWLOCK_INIT;
static HANDLE section;
static struct board *board;
static LONG last_number;
static HANDLE event_of[XIPC__SIGNAL_KINDS];
static bool console_handler_on;

/* L"Local\\xipc-signal#<pid>", and "-<number>" after it when number is not 0. */
static void
object_name(DWORD pid, unsigned number, wchar_t name[NAME_CAP])
{
    static const wchar_t prefix[] = L"Local\\xipc-signal#";
    size_t n = sizeof prefix / sizeof prefix[0] - 1;
    unsigned long long parts[2] = { pid, number };
    memcpy(name, prefix, n * sizeof(wchar_t));
    for (int k = 0; k < (number != 0 ? 2 : 1); k++) {
        wchar_t digits[24];
        int d = 0;
        unsigned long long v = parts[k];
        if (k == 1)
            name[n++] = L'-';
        do
            digits[d++] = (wchar_t)(L'0' + v % 10);
        while ((v /= 10) != 0);
        while (d > 0)
            name[n++] = digits[--d];
    }
    name[n] = L'\0';
}

static uint64_t
creation_time(HANDLE process)
{
    FILETIME created, ended, kernel, user;
    if (!GetProcessTimes(process, &created, &ended, &kernel, &user))
        return 0;
    return ((uint64_t)created.dwHighDateTime << 32) | created.dwLowDateTime;
}

static int
check_owner(HANDLE h, const char *what)
{
    int rc = xipc__win32_check_object_owner(h, what);
    if (rc == XIPC_EACCES)
        return XIPC__FAIL(XIPC_EACCES, "the target's signal objects belong to another user");
    return rc;
}

/* ---- Watching ------------------------------------------------------------------------------- */

/* Makes this process's section, exclusively: a name someone else made first is refused. */
static int
board_make(void)
{
    SECURITY_ATTRIBUTES sa;
    wchar_t name[NAME_CAP];
    int rc = xipc__win32_owner_only_sa(&sa);
    if (rc != 0)
        return rc;
    object_name(GetCurrentProcessId(), 0, name);
    HANDLE h = CreateFileMappingW(
        INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, (DWORD)sizeof(struct board), name);
    if (h == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateFileMappingW", "signal section");
    if (GetLastError() == ERROR_ALREADY_EXISTS) {
        (void)CloseHandle(h);
        return XIPC__FAIL(XIPC_EACCES,
            "this process's signal section name is taken: by another "
            "user, or by a process that had this id before");
    }
    struct board *b = MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, sizeof *b);
    if (b == NULL) {
        DWORD werr = GetLastError();
        (void)CloseHandle(h);
        return XIPC__OS_FAIL(werr, "MapViewOfFile", "signal section");
    }
    b->version = BOARD_VERSION;
    b->born = creation_time(GetCurrentProcess());
    MemoryBarrier();
    b->magic = BOARD_MAGIC;
    section = h;
    board = b;
    return 0;
}

static BOOL WINAPI on_console_event(DWORD type);

/* The console handler is installed while a watch holds INTERRUPT or TERMINATE. Without a
 * console SetConsoleCtrlHandler still succeeds, and no event ever comes. */
static void
console_handler_update(void)
{
    bool want = event_of[xipc__signal_index(XIPC_SIGNAL_INTERRUPT)] != NULL ||
        event_of[xipc__signal_index(XIPC_SIGNAL_TERMINATE)] != NULL;
    if (want != console_handler_on && SetConsoleCtrlHandler(on_console_event, want))
        console_handler_on = want;
}

static int
event_make(unsigned number, HANDLE *ev)
{
    SECURITY_ATTRIBUTES sa;
    wchar_t name[NAME_CAP];
    int rc = xipc__win32_owner_only_sa(&sa);
    if (rc != 0)
        return rc;
    object_name(GetCurrentProcessId(), number, name);
    *ev = CreateEventW(&sa, TRUE, FALSE, name);
    if (*ev == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateEventW", "signal watch event");
    if (GetLastError() == ERROR_ALREADY_EXISTS) {
        (void)CloseHandle(*ev);
        *ev = NULL;
        return XIPC__FAIL(XIPC_EACCES, "this process's signal event name is taken by another");
    }
    return 0;
}

static int
watch_locked(unsigned set, struct xipc__os_signal *s)
{
    HANDLE ev = NULL;
    int rc = 0;
    for (int i = 0; i < XIPC__SIGNAL_KINDS; i++)
        if ((set & (1u << i)) && event_of[i] != NULL)
            return XIPC__FAIL(
                XIPC_EBUSY, "set: another watch of this process holds a signal of it");
    if (board == NULL && (rc = board_make()) != 0)
        return rc;
    if (last_number == LONG_MAX)
        return XIPC__FAIL(XIPC_ELIMIT, "this process made 2^31 - 1 signal watches already");
    if ((rc = event_make((unsigned)last_number + 1, &ev)) != 0)
        return rc;
    last_number++;
    (void)InterlockedAnd(&board->pending, ~(LONG)set); /* earlier sends had the default action */
    for (int i = 0; i < XIPC__SIGNAL_KINDS; i++) {
        if (set & (1u << i)) {
            event_of[i] = ev;
            (void)InterlockedExchange(&board->holder[i], last_number);
        }
    }
    console_handler_update();
    s->set = set;
    s->event = ev;
    s->last = 0;
    return 0;
}

int
xipc__os_signal_watch(unsigned set, struct xipc__os_signal *s)
{
    AcquireSRWLockExclusive(&lock);
    int rc = watch_locked(set, s);
    ReleaseSRWLockExclusive(&lock);
    return rc;
}

void
xipc__os_signal_close(struct xipc__os_signal *s)
{
    AcquireSRWLockExclusive(&lock);
    for (int i = 0; i < XIPC__SIGNAL_KINDS; i++) {
        if (s->set & (1u << i)) {
            (void)InterlockedExchange(&board->holder[i], 0); /* senders: the default again */
            event_of[i] = NULL;
        }
    }
    (void)InterlockedAnd(&board->pending, ~(LONG)s->set);
    console_handler_update();
    ReleaseSRWLockExclusive(&lock);
    (void)CloseHandle(s->event);
    memset(s, 0, sizeof *s);
}

/* ---- Reading -------------------------------------------------------------------------------- */

/* Called only while a watch is open, so while the section is mapped. */
static bool
take_index(int i)
{
    LONG bit = (LONG)(1u << i);
    return (InterlockedAnd(&board->pending, ~bit) & bit) != 0;
}

static bool
any_pending(const struct xipc__os_signal *s)
{
    return (board->pending & (LONG)s->set) != 0;
}

/* Resets the event unless a signal of the watch is pending. A sender sets its bit before the
 * event, so a bit seen after the reset is set again here, and one set later sets the event. */
static int
settle_event(const struct xipc__os_signal *s)
{
    if (any_pending(s))
        return 0;
    if (!ResetEvent(s->event))
        return XIPC__OS_FAIL(GetLastError(), "ResetEvent", "signal watch event");
    if (any_pending(s) && !SetEvent(s->event))
        return XIPC__OS_FAIL(GetLastError(), "SetEvent", "signal watch event");
    return 0;
}

int
xipc__os_signal_next(struct xipc__os_signal *s, int *sig, xipc__deadline dl)
{
    for (;;) {
        unsigned got = xipc__signal_take_next(s->set, &s->last, take_index);
        int rc = settle_event(s); /* the event stays set while others are pending: wait sets */
        if (got != 0) {
            *sig = (int)got;
            return 0;
        }
        if (rc != 0)
            return rc;
        if (any_pending(s))
            continue;
        DWORD w = xipc__win32_wait(s->event, dl);
        if (w == WAIT_TIMEOUT)
            return XIPC_ETIMEDOUT;
        if (w != WAIT_OBJECT_0)
            return XIPC__OS_FAIL(GetLastError(), "WaitForSingleObject", "signal watch event");
    }
}

bool
xipc__os_signal_holds(const struct xipc__os_signal *s, intptr_t native)
{
    return native != 0 && (HANDLE)native == s->event;
}

void
xipc__os_signal_waitable(const struct xipc__os_signal *s, struct xipc__wait *w)
{
    w->how = XIPC__WAIT_SIGNALLED; /* manual-reset: set while a signal is pending, none taken */
    w->native = (intptr_t)s->event;
}

/* ---- Console control events ----------------------------------------------------------------- */

static unsigned
signal_of_console_event(DWORD type)
{
    switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
        return XIPC_SIGNAL_INTERRUPT;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
        return XIPC_SIGNAL_TERMINATE;
    default:
        return 0;
    }
}

/* Runs on a thread Windows makes for the event. FALSE passes the event on to the next handler,
 * in the end the default one (ExitProcess): an unwatched signal ends the process. */
static BOOL WINAPI
on_console_event(DWORD type)
{
    unsigned bit = signal_of_console_event(type);
    bool delivered = false;
    AcquireSRWLockShared(&lock);
    if (bit != 0 && event_of[xipc__signal_index(bit)] != NULL) {
        (void)InterlockedOr(&board->pending, (LONG)bit);
        delivered = SetEvent(event_of[xipc__signal_index(bit)]) != 0;
    }
    ReleaseSRWLockShared(&lock);
    /* Windows ends the process as soon as this returns from CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT
     * or CTRL_SHUTDOWN_EVENT ("HandlerRoutine", Microsoft's documentation), or when its time
     * limit for them runs out: holding on gives the watcher that time to clean up and exit. */
    if (delivered && bit == XIPC_SIGNAL_TERMINATE)
        Sleep(INFINITE);
    return delivered;
}

/* ---- Sending -------------------------------------------------------------------------------- */

/* Sets the pending bit in the target's section and its watch's event, when a watch of the
 * target holds the signal: *delivered. Otherwise leaves *delivered false, for the default. */
static int
deliver_through(struct board *b, DWORD pid, uint64_t born, unsigned bit, bool *delivered)
{
    wchar_t name[NAME_CAP];
    uint32_t magic = b->magic;
    MemoryBarrier();
    if (magic == 0)
        return 0; /* being made: no watch holds a signal yet */
    if (magic != BOARD_MAGIC || b->version != BOARD_VERSION)
        return XIPC__FAIL(XIPC_ECORRUPT, "the target's signal section is not xipc's");
    if (b->born != born)
        return 0; /* an earlier process's with the same id, still held open: not this one's */
    LONG holder = b->holder[xipc__signal_index(bit)];
    if (holder == 0)
        return 0;
    if (holder < 0)
        return XIPC__FAIL(XIPC_ECORRUPT, "the target's signal section names no watch of it");
    (void)InterlockedOr(&b->pending, (LONG)bit);
    object_name(pid, (unsigned)holder, name);
    HANDLE ev = OpenEventW(EVENT_MODIFY_STATE | READ_CONTROL, FALSE, name);
    if (ev == NULL) {
        DWORD werr = GetLastError();
        /* The watch closed since: the signal comes after it, to the default action. */
        return werr == ERROR_FILE_NOT_FOUND ? 0 : XIPC__OS_FAIL(werr, "OpenEventW", "signal event");
    }
    int rc = check_owner(ev, "signal event");
    if (rc == 0 && !SetEvent(ev))
        rc = XIPC__OS_FAIL(GetLastError(), "SetEvent", "signal event");
    *delivered = rc == 0;
    (void)CloseHandle(ev);
    return rc;
}

static int
deliver(HANDLE process, DWORD pid, unsigned bit, bool *delivered)
{
    wchar_t name[NAME_CAP];
    MEMORY_BASIC_INFORMATION mbi;
    object_name(pid, 0, name);
    HANDLE h = OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE | READ_CONTROL, FALSE, name);
    if (h == NULL) {
        DWORD werr = GetLastError();
        return werr == ERROR_FILE_NOT_FOUND
            ? 0
            : XIPC__OS_FAIL(werr, "OpenFileMappingW", "signal section");
    }
    int rc = check_owner(h, "signal section");
    struct board *b = rc == 0 ? MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0) : NULL;
    if (rc == 0 && b == NULL)
        rc = XIPC__OS_FAIL(GetLastError(), "MapViewOfFile", "signal section");
    if (b != NULL && (VirtualQuery(b, &mbi, sizeof mbi) == 0 || mbi.RegionSize < sizeof *b))
        rc = XIPC__FAIL(XIPC_ECORRUPT, "the target's signal section is too small");
    if (rc == 0)
        rc = deliver_through(b, pid, creation_time(process), bit, delivered);
    if (b != NULL)
        (void)UnmapViewOfFile(b);
    (void)CloseHandle(h);
    return rc;
}

static int
default_action(HANDLE process, unsigned bit)
{
    if (TerminateProcess(process, XIPC_SIGNAL_EXIT_CODE(bit)))
        return 0;
    DWORD werr = GetLastError();
    if (WaitForSingleObject(process, 0) == WAIT_OBJECT_0)
        return 0; /* it ended meanwhile: Windows refuses to terminate it (ERROR_ACCESS_DENIED) */
    int rc = XIPC__OS_FAIL(werr, "TerminateProcess", NULL);
    return werr == ERROR_ACCESS_DENIED ? XIPC_EPERM : rc;
}

/* Local\ names are per session: a watch in another session could not be seen, and its target
 * would be taken for one that does not watch. A session that cannot be told counts as ours. */
static bool
in_this_session(DWORD pid)
{
    DWORD theirs = 0, ours = 0;
    if (!ProcessIdToSessionId(pid, &theirs) || !ProcessIdToSessionId(GetCurrentProcessId(), &ours))
        return true;
    return theirs == ours;
}

int
xipc__os_signal_send(uint64_t pid, int sig)
{
    bool delivered = false;
    if (pid > 0xffffffffu)
        return XIPC__FAIL(XIPC_ENOENT, "pid: beyond any process id");
    HANDLE process = OpenProcess(
        PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, (DWORD)pid);
    if (process == NULL) {
        DWORD werr = GetLastError();
        int rc = XIPC__OS_FAIL(werr, "OpenProcess", NULL);
        /* No such process: ERROR_INVALID_PARAMETER (OpenProcess's documentation). */
        if (werr == ERROR_INVALID_PARAMETER)
            return XIPC_ENOENT;
        return werr == ERROR_ACCESS_DENIED ? XIPC_EPERM : rc;
    }
    int rc = 0;
    /* A process that ended is kept while someone holds a handle to it: its id names nobody. */
    if (WaitForSingleObject(process, 0) == WAIT_OBJECT_0)
        rc = XIPC__FAIL(XIPC_ENOENT, "pid: the process has ended");
    else if (!in_this_session((DWORD)pid))
        rc = XIPC__FAIL(XIPC_ENOTSUP,
            "pid: a process of another session, whose Local\\ "
            "objects this one cannot see (nothing sent)");
    if (rc == 0)
        rc = deliver(process, (DWORD)pid, (unsigned)sig, &delivered);
    if (rc == 0 && !delivered)
        rc = default_action(process, (unsigned)sig);
    (void)CloseHandle(process);
    return rc;
}

int
xipc__os_exit_signal(const xipc_exit_status *status)
{
    uint32_t code = status->code;
    if (status->kind != XIPC_EXIT_CRASHED)
        return 0;
    if (code == (uint32_t)STATUS_CONTROL_C_EXIT)
        return XIPC_SIGNAL_INTERRUPT;
    unsigned bit = code & XIPC_SIGNAL_ALL;
    bool one = bit != 0 && (bit & (bit - 1)) == 0;
    return one && code == XIPC_SIGNAL_EXIT_CODE(bit) ? (int)bit : 0;
}
