/* win32/win32_mq.c: what a message queue needs of Windows (common/mq.h, "The platform"): its
 * section (a shared memory section, win32_shm.c, named L"Local\\NAME"), two semaphores its
 * sleepers wait on, and telling whether a process that registered with a queue still runs.
 *
 * The semaphores are named after the queue's wake id, 16 hex digits its creator wrote into the
 * header: L"Local\\xipc-mq#ID#r" (receivers sleep there) and L"...#w" (senders). '#' is outside
 * the name alphabet, so no xipc object of a user name is one of them, and a named queue, an
 * anonymous one and one passed to a child all find them the same way. Whoever comes first creates
 * them (CreateSemaphoreW opens an existing one); they go with the last handle, as the section
 * does. A waker releases as many units as the waiter count says sleep, and only then, so a busy
 * queue never calls the kernel (nor, under Wine, the wineserver). A unit left over (a waiter
 * that gave up, or was killed) only costs a spurious wake-up: every sleeper looks again. */
#include "win32_internal.h"

#include "mq.h"

#include <stdio.h>
#include <string.h>

/* The most units one wake releases: more sleepers than this find the word changed after their
 * slice. Keeps a corrupt waiter count from overflowing the semaphore. */
#define WAKE_MAX 1024
#define SEM_MAX  0x7fffffff

int
xipc__os_mq_section_open(
    const char *name, unsigned flags, size_t size, struct xipc__os_shm *s, bool *created)
{
    return xipc__os_shm_open(name, flags, size, s, created);
}

int
xipc__os_mq_unlink(const char *name)
{
    return xipc__os_shm_unlink(name);
}

void
xipc__os_mq_drop_name(const struct xipc__os_shm *s, const char *name)
{
    xipc__os_shm_drop_name(s, name);
}

bool
xipc__win32_section_is_mq(const char *name)
{
    wchar_t wname[XIPC__WIN32_OBJECT_NAME_CAP];
    bool is_mq = false;
    if (xipc__win32_object_name(name, L"", wname) != 0)
        return false;
    HANDLE h = OpenFileMappingW(FILE_MAP_READ, FALSE, wname);
    if (h == NULL)
        return false;
    void *view = MapViewOfFile(h, FILE_MAP_READ, 0, 0, sizeof(uint32_t));
    if (view != NULL) {
        is_mq = *(const volatile uint32_t *)view == XIPC__MQ_MAGIC;
        (void)UnmapViewOfFile(view);
    }
    (void)CloseHandle(h);
    return is_mq;
}

/* ---- Sleeping ------------------------------------------------------------------------------- */

/* The wake id from the header, checked: 16 lower-case hex digits. */
static int
wake_id(const struct xipc_mq *q, char id[17])
{
    for (int k = 0; k < 16; k++) {
        char c = q->hdr->wake_id[k];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return XIPC__FAIL(XIPC_ECORRUPT, "mq: a wake id no xipc queue writes");
        id[k] = c;
    }
    id[16] = '\0';
    return 0;
}

static int
open_semaphore(const char *id, const wchar_t *side, SECURITY_ATTRIBUTES *sa, HANDLE *out)
{
    wchar_t wname[XIPC__WIN32_PIPE_NAME_CAP];
    int rc = xipc__win32_wide_name(L"Local\\xipc-mq#", id, wname, XIPC__WIN32_PIPE_NAME_CAP);
    if (rc != 0)
        return rc;
    wcscat(wname, side);
    *out = CreateSemaphoreW(sa, 0, SEM_MAX, wname);
    if (*out == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateSemaphoreW", id);
    return 0;
}

int
xipc__os_mq_wake_open(struct xipc_mq *q)
{
    SECURITY_ATTRIBUTES sa;
    HANDLE recv = NULL, send = NULL;
    char id[17];
    int rc = wake_id(q, id);
    if (rc != 0 || (rc = xipc__win32_owner_only_sa(&sa)) != 0)
        return rc;
    if ((rc = open_semaphore(id, L"#r", &sa, &recv)) != 0)
        return rc;
    if ((rc = open_semaphore(id, L"#w", &sa, &send)) != 0) {
        (void)CloseHandle(recv);
        return rc;
    }
    q->wake[XIPC__MQ_RECV] = (intptr_t)recv;
    q->wake[XIPC__MQ_SEND] = (intptr_t)send;
    return 0;
}

void
xipc__os_mq_wake_close(struct xipc_mq *q)
{
    for (int k = 0; k < 2; k++) {
        if (q->wake[k] != 0)
            (void)CloseHandle((HANDLE)q->wake[k]);
        q->wake[k] = 0;
    }
}

int
xipc__os_mq_sleep(struct xipc_mq *q, enum xipc__mq_side side, _Atomic uint32_t *word, uint32_t seen,
    xipc__deadline dl)
{
    (void)word;
    (void)seen; /* the waiter count makes the waker release a unit: no wake-up is lost */
    int left = xipc__deadline_left_ms(dl);
    if (left == 0)
        return XIPC_ETIMEDOUT;
    DWORD r = WaitForSingleObject((HANDLE)q->wake[side], left < 0 ? INFINITE : (DWORD)left);
    if (r == WAIT_OBJECT_0)
        return 0;
    if (r == WAIT_TIMEOUT)
        return xipc__os_clock_ns() >= dl ? XIPC_ETIMEDOUT : 0;
    return XIPC__OS_FAIL(GetLastError(), "WaitForSingleObject", "queue");
}

void
xipc__os_mq_wake(
    struct xipc_mq *q, enum xipc__mq_side side, _Atomic uint32_t *word, uint32_t waiters)
{
    (void)word;
    LONG units = waiters > WAKE_MAX ? WAKE_MAX : (LONG)waiters;
    /* Fails only when the count would pass SEM_MAX: units are pending already. */
    (void)ReleaseSemaphore((HANDLE)q->wake[side], units, NULL);
}

/* ---- Processes ------------------------------------------------------------------------------ */

static uint64_t
creation_time(HANDLE process)
{
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(process, &created, &exited, &kernel, &user))
        return 0;
    return ((uint64_t)created.dwHighDateTime << 32) | created.dwLowDateTime;
}

uint64_t
xipc__os_mq_self_start(void)
{
    return creation_time(GetCurrentProcess());
}

bool
xipc__os_mq_alive(uint64_t pid, uint64_t start)
{
    if (pid == 0 || pid > UINT32_MAX)
        return false;
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, (DWORD)pid);
    if (h == NULL)
        return GetLastError() == ERROR_ACCESS_DENIED; /* another user's: it exists */
    bool alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
    if (alive && start != 0)
        alive = creation_time(h) == start;
    (void)CloseHandle(h);
    return alive;
}

void
xipc__os_mq_yield(void)
{
    (void)SwitchToThread();
}

void
xipc__os_mq_relax(void)
{
    YieldProcessor();
}

/* ---- XIPC_MQ_POSIX -------------------------------------------------------------------------- */

/* Windows has no queue of its own that another program would open by name. */
int
xipc__os_mq_posix_open(const char *name, unsigned flags, size_t capacity, size_t msg_max,
    struct xipc_mq *q, bool *created)
{
    (void)name;
    (void)flags;
    (void)capacity;
    (void)msg_max;
    (void)q;
    *created = false;
    return XIPC__FAIL(XIPC_ENOTSUP, "flags: XIPC_MQ_POSIX, and Windows has no such queue");
}

int
xipc__os_mq_posix_send(struct xipc_mq *q, const void *buf, size_t len, unsigned key, int timeout_ms)
{
    (void)q;
    (void)buf;
    (void)len;
    (void)key;
    (void)timeout_ms;
    return XIPC_ENOTSUP;
}

int
xipc__os_mq_posix_recv(
    struct xipc_mq *q, void *buf, size_t cap, size_t *len, unsigned *key, int timeout_ms)
{
    (void)q;
    (void)buf;
    (void)cap;
    (void)len;
    (void)key;
    (void)timeout_ms;
    return XIPC_ENOTSUP;
}

int
xipc__os_mq_posix_count(struct xipc_mq *q, size_t *count)
{
    (void)q;
    *count = 0;
    return XIPC_ENOTSUP;
}

void
xipc__os_mq_posix_close(struct xipc_mq *q)
{
    (void)q;
}

int
xipc__os_mq_posix_unlink(const char *name)
{
    (void)name;
    return XIPC__FAIL(XIPC_ENOTSUP, "flags: XIPC_MQ_POSIX, and Windows has no such queue");
}
