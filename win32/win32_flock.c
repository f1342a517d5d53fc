/* win32/win32_flock.c: byte-range file locks (common/platform.h, "File locks") with LockFileEx and
 * UnlockFileEx. A lock gives access to its range "using this file handle" (LockFileEx), and a
 * second handle of the same process has none until the range is unlocked, so two handles of one
 * process conflict; closing a handle releases its locks and no other's. Locks are mandatory:
 * reads and writes go through the locking handle (ReadFile and WriteFile at an offset), and a
 * shared lock refuses writes to its bytes through every handle, the locking one included.
 *
 * Waiting, to Microsoft's contract: the file is opened FILE_FLAG_OVERLAPPED, so a LockFileEx
 * without LOCKFILE_FAIL_IMMEDIATELY "operates asynchronously": ERROR_IO_PENDING while the range
 * is held elsewhere, the OVERLAPPED's event signalled once the lock is granted. xipc waits for
 * the event up to the deadline, then cancels (CancelIoEx) and reads the end with
 * GetOverlappedResult: a lock that completed anyway is given back. Wine 8 differs: such a wait
 * never completes (measured: the event stays unsignalled, a 30 s wait timed out although the
 * holder had unlocked at once), and after a cancel GetOverlappedResult reports success without
 * the lock. Under Wine the file is opened synchronously instead: XIPC_FOREVER is the blocking
 * LockFileEx (granted about 0.1 ms after the holder unlocks), and a limit retries
 * LOCKFILE_FAIL_IMMEDIATELY until the deadline (wine_lock). */
#include "win32_internal.h"

/* One past the largest file offset: the end of a range "to the end of the file". */
#define TO_EOF_END ((uint64_t)INT64_MAX + 1u)

int
xipc__os_flock_open(const char *path, unsigned flags, struct xipc__os_flock *f)
{
    bool overlapped = !xipc__win32_running_under_wine();
    HANDLE h = NULL;
    int rc = xipc__win32_open_file(path, flags, GENERIC_READ | GENERIC_WRITE,
        FILE_ATTRIBUTE_NORMAL | (overlapped ? FILE_FLAG_OVERLAPPED : 0), &h);
    if (rc != 0)
        return rc;
    f->file = h;
    f->overlapped = overlapped;
    return 0;
}

static DWORD
low(uint64_t v)
{
    return (DWORD)(v & 0xffffffffu);
}

static DWORD
high(uint64_t v)
{
    return (DWORD)(v >> 32);
}

/* An OVERLAPPED at offset, with a manual-reset event of its own when asked (NULL event: none,
 * or CreateEventW failed). Calls that never wait (LOCKFILE_FAIL_IMMEDIATELY, UnlockFileEx) and
 * every call on a synchronous handle need none: "initialize the hEvent member to a valid handle
 * or zero" (LockFileEx), and a wineserver call saved per lock and unlock matters under Wine. */
static OVERLAPPED
at(uint64_t offset, bool with_event)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = low(offset);
    ov.OffsetHigh = high(offset);
    ov.hEvent = with_event ? CreateEventW(NULL, TRUE, FALSE, NULL) : NULL;
    return ov;
}

/* The end of a call that took ov: ok its result; a pending one is waited for. Returns 0 or the
 * Win32 error; *n the bytes moved. */
static DWORD
finish(HANDLE h, OVERLAPPED *ov, BOOL ok, DWORD *n)
{
    DWORD werr = ok ? 0 : GetLastError();
    if (werr == ERROR_IO_PENDING)
        werr = GetOverlappedResult(h, ov, n, TRUE) ? 0 : GetLastError();
    else if (ok && n != NULL)
        werr = GetOverlappedResult(h, ov, n, FALSE) ? 0 : GetLastError();
    return werr;
}

static uint64_t
length_of(uint64_t offset, uint64_t len)
{
    return len == 0 ? TO_EOF_END - offset : len;
}

/* One LockFileEx that does not wait (LOCKFILE_FAIL_IMMEDIATELY): 0, or the Win32 error
 * (ERROR_LOCK_VIOLATION: a conflicting lock). */
static DWORD
try_lock(HANDLE h, DWORD kind, uint64_t offset, uint64_t length)
{
    OVERLAPPED ov = at(offset, false);
    BOOL ok = LockFileEx(h, kind | LOCKFILE_FAIL_IMMEDIATELY, 0, low(length), high(length), &ov);
    return finish(h, &ov, ok, NULL);
}

/* The overlapped wait, to the documented contract (not under Wine: see the top). */
static DWORD
wait_lock(HANDLE h, DWORD kind, uint64_t offset, uint64_t length, xipc__deadline dl)
{
    DWORD n, werr;
    OVERLAPPED ov = at(offset, true);
    if (ov.hEvent == NULL)
        return GetLastError();
    if (LockFileEx(h, kind, 0, low(length), high(length), &ov))
        werr = 0;
    else if ((werr = GetLastError()) == ERROR_IO_PENDING) {
        bool late = xipc__win32_wait(ov.hEvent, dl) != WAIT_OBJECT_0;
        if (late)
            (void)CancelIoEx(h, &ov);
        werr = GetOverlappedResult(h, &ov, &n, TRUE) ? 0 : GetLastError();
        if (late && werr == 0) {
            /* Granted as the wait gave up: give it back, so that a timeout holds nothing. */
            (void)UnlockFileEx(h, 0, low(length), high(length), &ov);
            werr = ERROR_OPERATION_ABORTED;
        }
    }
    (void)CloseHandle(ov.hEvent);
    return werr;
}

/* Under Wine, a limited wait polls LOCKFILE_FAIL_IMMEDIATELY. A Wine thread blocked in a
 * synchronous LockFileEx cannot be ended at a deadline (CancelSynchronousIo: ERROR_NOT_FOUND, the
 * wait goes on: measured), so the blocking call is no choice. Each try is a wineserver request
 * (about 13 us). First, tries back to back for a budget that adapts per handle, as the POSIX spin
 * before a futex wait does: it doubles, up to POLL_MAX_US, when the lock came within POLL_MAX_US
 * (a longer budget would have caught it), and halves, down to POLL_MIN_US, when it came later or
 * not at all. Then a try after each pause of an eighth of the time waited so far (50 us to 1 ms):
 * a lock comes at most about an eighth of the wait late, and a try per pause costs from a fifth of
 * a CPU (50 us pauses) to about 1 % (1 ms). */
#define POLL_MIN_US     100u
#define POLL_INITIAL_US 500u
#define POLL_MAX_US     2000u
#define PAUSE_MIN_US    50u
#define PAUSE_MAX_US    1000u

/* Polls until the lock comes, the budget is spent (ERROR_LOCK_VIOLATION) or dl passes. */
static DWORD
poll_lock(HANDLE h, DWORD kind, uint64_t offset, uint64_t length, uint64_t until_ns)
{
    DWORD werr;
    while ((werr = try_lock(h, kind, offset, length)) == ERROR_LOCK_VIOLATION &&
        xipc__os_clock_ns() < until_ns) { }
    return werr;
}

/* The handle's poll budget after a wait that started at start_ns: doubled when the lock came
 * within POLL_MAX_US, else halved. */
static void
adapt_budget(struct xipc__os_flock *f, uint32_t budget_us, DWORD werr, uint64_t start_ns)
{
    bool soon = werr == 0 && xipc__os_clock_ns() - start_ns <= POLL_MAX_US * 1000ull;
    budget_us = soon ? budget_us * 2 : budget_us / 2;
    if (budget_us > POLL_MAX_US)
        budget_us = POLL_MAX_US;
    if (budget_us < POLL_MIN_US)
        budget_us = POLL_MIN_US;
    atomic_store_explicit(&f->poll_budget_us, budget_us, memory_order_relaxed);
}

typedef LONG(NTAPI *delay_execution_fn)(BOOLEAN alertable, const LARGE_INTEGER *interval);

/* Sleeps about us microseconds. Sleep counts whole milliseconds; Wine's NtDelayExecution (ntdll,
 * 100 ns units) sleeps in select(2), to the microsecond, without a wineserver request (measured:
 * 50 us asked, 143 us slept on average on a busy 2-CPU machine; Sleep(1) there: 2.9 ms). Only
 * used under Wine. */
static void
pause_us(uint64_t us)
{
    static _Atomic(uintptr_t) delay; /* 0: not looked up yet; 1: none */
    uintptr_t fn = atomic_load_explicit(&delay, memory_order_relaxed);
    if (fn == 0) {
        FARPROC found = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtDelayExecution");
        fn = found != NULL ? (uintptr_t)found : 1;
        atomic_store_explicit(&delay, fn, memory_order_relaxed);
    }
    if (fn == 1) {
        Sleep((DWORD)((us + 999) / 1000));
        return;
    }
    LARGE_INTEGER interval;
    interval.QuadPart = -(LONGLONG)us * 10; /* relative */
    (void)((delay_execution_fn)fn)(FALSE, &interval);
}

/* After the budget: a try after each pause, until the lock comes or dl passes. */
static DWORD
poll_slowly(
    HANDLE h, DWORD kind, uint64_t offset, uint64_t length, uint64_t start_ns, xipc__deadline dl)
{
    DWORD werr = ERROR_LOCK_VIOLATION;
    uint64_t now;
    while (werr == ERROR_LOCK_VIOLATION && (now = xipc__os_clock_ns()) < dl) {
        uint64_t pause = (now - start_ns) / 8000u;
        pause = pause < PAUSE_MIN_US ? PAUSE_MIN_US : pause > PAUSE_MAX_US ? PAUSE_MAX_US : pause;
        if (pause > (dl - now) / 1000u)
            pause = (dl - now) / 1000u;
        pause_us(pause);
        werr = try_lock(h, kind, offset, length);
    }
    return werr == ERROR_LOCK_VIOLATION ? ERROR_OPERATION_ABORTED : werr;
}

/* Under Wine: blocking on a synchronous handle, or polling until dl. */
static DWORD
wine_lock(struct xipc__os_flock *f, DWORD kind, uint64_t offset, uint64_t length, xipc__deadline dl)
{
    HANDLE h = f->file;
    if (dl == XIPC__DEADLINE_NEVER) {
        OVERLAPPED ov = at(offset, false); /* a synchronous handle: the call waits */
        return LockFileEx(h, kind, 0, low(length), high(length), &ov) ? 0 : GetLastError();
    }
    uint32_t budget_us = atomic_load_explicit(&f->poll_budget_us, memory_order_relaxed);
    if (budget_us == 0)
        budget_us = POLL_INITIAL_US;
    uint64_t start_ns = xipc__os_clock_ns(), until_ns = start_ns + budget_us * 1000ull;
    DWORD werr = poll_lock(h, kind, offset, length, until_ns < dl ? until_ns : dl);
    if (werr == ERROR_LOCK_VIOLATION)
        werr = poll_slowly(h, kind, offset, length, start_ns, dl);
    adapt_budget(f, budget_us, werr, start_ns);
    return werr;
}

int
xipc__os_flock_lock(
    struct xipc__os_flock *f, uint64_t offset, uint64_t len, bool exclusive, int timeout_ms)
{
    HANDLE h = f->file;
    DWORD kind = exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0;
    uint64_t length = length_of(offset, len);
    DWORD werr;
    if (timeout_ms == 0)
        werr = try_lock(h, kind, offset, length);
    else if (f->overlapped)
        werr = wait_lock(h, kind, offset, length, xipc__deadline_in(timeout_ms));
    else
        werr = wine_lock(f, kind, offset, length, xipc__deadline_in(timeout_ms));
    if (werr == 0)
        return 0;
    if (werr == ERROR_LOCK_VIOLATION || werr == ERROR_OPERATION_ABORTED)
        return XIPC_ETIMEDOUT;
    int rc = XIPC__OS_FAIL(werr, "LockFileEx", NULL);
    return werr == ERROR_NOT_ENOUGH_MEMORY || werr == ERROR_NO_SYSTEM_RESOURCES ? XIPC_ELIMIT : rc;
}

int
xipc__os_flock_unlock(struct xipc__os_flock *f, uint64_t offset, uint64_t len)
{
    uint64_t length = length_of(offset, len);
    OVERLAPPED ov = at(offset, false);
    BOOL ok = UnlockFileEx(f->file, 0, low(length), high(length), &ov);
    DWORD werr = finish(f->file, &ov, ok, NULL);
    return werr == 0 ? 0 : XIPC__OS_FAIL(werr, "UnlockFileEx", NULL);
}

/* ---- Reads and writes ----------------------------------------------------------------------- */

/* The most one ReadFile or WriteFile moves here. */
#define TRANSFER_MAX 0x40000000u

/* One ReadFile into to, or WriteFile from from, of up to len bytes at offset: 0 or the Win32
 * error; *n the bytes moved. */
static DWORD
transfer(const struct xipc__os_flock *f, uint64_t offset, void *to, const void *from, size_t len,
    DWORD *n)
{
    DWORD count = len > TRANSFER_MAX ? TRANSFER_MAX : (DWORD)len;
    OVERLAPPED ov = at(offset, f->overlapped);
    if (f->overlapped && ov.hEvent == NULL)
        return GetLastError();
    *n = 0;
    BOOL ok = to != NULL ? ReadFile(f->file, to, count, NULL, &ov)
                         : WriteFile(f->file, from, count, NULL, &ov);
    DWORD werr = finish(f->file, &ov, ok, n);
    if (ov.hEvent != NULL)
        (void)CloseHandle(ov.hEvent);
    return werr;
}

int
xipc__os_flock_read_at(
    struct xipc__os_flock *f, uint64_t offset, void *buf, size_t len, size_t *got)
{
    DWORD n = 0;
    DWORD werr = transfer(f, offset, buf, NULL, len, &n);
    if (werr != 0 && werr != ERROR_HANDLE_EOF) /* EOF: nothing at or past the end */
        return XIPC__OS_FAIL(werr, "ReadFile", NULL);
    *got = werr == 0 ? n : 0;
    return 0;
}

int
xipc__os_flock_write_at(struct xipc__os_flock *f, uint64_t offset, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        DWORD n = 0;
        DWORD werr = transfer(f, offset, NULL, p, len, &n);
        if (werr != 0)
            return XIPC__OS_FAIL(werr, "WriteFile", NULL);
        if (n == 0)
            return XIPC__FAIL(XIPC_ENOSPC, "WriteFile: 0 bytes");
        p += n;
        offset += n;
        len -= n;
    }
    return 0;
}

void
xipc__os_flock_close(struct xipc__os_flock *f)
{
    if (f->file != NULL)
        (void)CloseHandle(f->file);
    f->file = NULL;
}

bool
xipc__os_flock_holds(const struct xipc__os_flock *f, intptr_t native)
{
    return f->file != NULL && native == (intptr_t)f->file;
}
