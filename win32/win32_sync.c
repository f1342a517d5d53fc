/* win32/win32_sync.c: events, semaphores and mutexes on their Win32 namesakes (common/platform.h,
 * "Events, semaphores, mutexes"). A name maps to L"Local\\" + name, so a program that calls
 * CreateEventW on that name itself shares the object.
 *
 * Robust mutexes. A POSIX robust mutex has states a Windows mutex lacks: after an owner dies
 * holding it (WAIT_ABANDONED here) it is inconsistent until the new owner calls
 * xipc_mutex_consistent, and an owner that unlocks it without doing so makes it not recoverable
 * for good. xipc keeps that state in a small section beside each mutex, named L"Local\\" + name +
 * L"#xipc-mutex" ('#' cannot occur in an xipc name, so no user object takes it) or unnamed for an
 * anonymous mutex. The same record holds the owner's thread id and recursion depth: Windows
 * counts recursion but has no documented call that reads the count, and unlock must know which
 * release is the last. Apart from the magic word, which openers stamp atomically, only the
 * thread holding the mutex writes the record (the mutex serialises the writers; waiting and
 * releasing are full barriers), and every value read from it is checked, since any process of
 * the user can write it.
 *
 * The section outlives every handle to its mutex: a process opens the section before the mutex
 * and closes it after. So while a mutex exists, every holder of it also holds the same section,
 * and that section is the one its name opens. The call that creates a mutex owns it from birth
 * (bInitialOwner) and resets the record, which may be left over from an earlier mutex of the
 * name, before anyone can lock it. A zero-filled record is a fresh one except for its magic word,
 * so an opener that maps the section before the creator has reset it stamps the magic itself
 * and never waits. */
#include "win32_internal.h"

#include <winternl.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* The access right NtQuerySemaphore needs (MSDN, "Synchronization Object Security and Access
 * Rights"); the user-mode headers define it only in the DDK's. */
#ifndef SEMAPHORE_QUERY_STATE
#define SEMAPHORE_QUERY_STATE 0x0001
#endif

#define OBJECT_NAME_CAP XIPC__WIN32_OBJECT_NAME_CAP

/* "XMX" and the record's version, 1. */
#define MUTEX_MAGIC 0x584d5801L

/* The recovery state, as POSIX robust mutexes have it. */
#define MUTEX_CONSISTENT      0L
#define MUTEX_INCONSISTENT    1L /* an owner died holding it, and nobody has repaired it yet */
#define MUTEX_NOT_RECOVERABLE 2L /* an owner unlocked it while inconsistent: unusable for good */

struct xipc__win32_mutex_state {
    volatile LONG magic; /* MUTEX_MAGIC, or 0 before anyone stamped it */
    volatile LONG recovery; /* MUTEX_* */
    volatile LONG owner; /* the holding thread's id, 0 when none (no thread has id 0) */
    volatile LONG depth; /* how many times the holder locked it */
};

/* What xipc__os_sync_open was asked for, kept together for the helpers. */
struct open_request {
    enum xipc_kind kind;
    const char *name; /* NULL: anonymous */
    unsigned flags;
    unsigned initial;
    SECURITY_ATTRIBUTES sa;
    wchar_t wname[OBJECT_NAME_CAP]; /* L"Local\\" + name */
};

/* ---- ntdll ---------------------------------------------------------------------------------- */

/* Native calls of ntdll, found once with GetProcAddress (xipc links no import library for
 * ntdll). NtQueryObject and RtlNtStatusToDosError are documented on MSDN (winternl.h).
 * NtQuerySemaphore is ntdll's native call behind no Win32 function: stable since NT, but not in
 * the SDK's documentation. */
typedef NTSTATUS(NTAPI *nt_query_fn)(HANDLE h, int info_class, void *buf, ULONG len, ULONG *got);
typedef ULONG(NTAPI *nt_status_to_error_fn)(NTSTATUS status);

struct ntdll_calls {
    nt_query_fn query_object;
    nt_query_fn query_semaphore;
    nt_status_to_error_fn status_to_error;
};

/* SemaphoreBasicInformation, NtQuerySemaphore's class 0. */
struct semaphore_basic_information {
    LONG current_count;
    LONG maximum_count;
};

/* GetProcAddress's FARPROC goes to another function type through void (*)(void), which
 * converts to and from every function pointer type without a warning (-Wcast-function-type). */
typedef void (*any_fn)(void);

static any_fn
ntdll_proc(HMODULE ntdll, const char *name)
{
    return (any_fn)GetProcAddress(ntdll, name);
}

static BOOL CALLBACK
resolve_ntdll(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    static struct ntdll_calls calls;
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    (void)once;
    (void)param;
    if (ntdll == NULL)
        return FALSE;
    calls.query_object = (nt_query_fn)ntdll_proc(ntdll, "NtQueryObject");
    calls.query_semaphore = (nt_query_fn)ntdll_proc(ntdll, "NtQuerySemaphore");
    calls.status_to_error = (nt_status_to_error_fn)ntdll_proc(ntdll, "RtlNtStatusToDosError");
    if (calls.query_object == NULL || calls.query_semaphore == NULL ||
        calls.status_to_error == NULL)
        return FALSE;
    *ctx = &calls;
    return TRUE;
}

/* The calls, or NULL (with the failure recorded) where ntdll lacks one. */
static const struct ntdll_calls *
ntdll_calls(void)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    void *calls = NULL;
    if (!InitOnceExecuteOnce(&once, resolve_ntdll, NULL, &calls)) {
        (void)XIPC__OS_FAIL(ERROR_PROC_NOT_FOUND, "GetProcAddress", "ntdll.dll");
        return NULL;
    }
    return calls;
}

/* Records a failed native call and returns its XIPC_E* code. */
static int
nt_failure(const struct ntdll_calls *nt, NTSTATUS status, const char *call)
{
    return XIPC__OS_FAIL(nt->status_to_error(status), call, NULL);
}

int
xipc__win32_object_type(HANDLE h, wchar_t *type, size_t cap)
{
    union {
        PUBLIC_OBJECT_TYPE_INFORMATION info;
        unsigned char room[512]; /* the type name follows the structure */
    } buf;
    const struct ntdll_calls *nt = ntdll_calls();
    ULONG got = 0;
    if (nt == NULL)
        return XIPC_EOS;
    NTSTATUS status = nt->query_object(h, ObjectTypeInformation, &buf, sizeof buf, &got);
    if (status < 0)
        return nt_failure(nt, status, "NtQueryObject");
    const UNICODE_STRING *name = &buf.info.TypeName;
    size_t n = name->Buffer != NULL ? name->Length / sizeof(wchar_t) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(type, name->Buffer, n * sizeof(wchar_t));
    type[n] = L'\0';
    return 0;
}

/* 0 if h is a kernel object of the given type ("Event", "Semaphore", "Mutant" for a mutex,
 * "Section"), XIPC_EINVAL if it is another (a file, a pipe, another kind). */
static int
check_object_type(HANDLE h, const wchar_t *type)
{
    wchar_t got[32]; /* longer than every type asked for, so a cut name never matches one */
    int rc = xipc__win32_object_type(h, got, sizeof got / sizeof got[0]);
    if (rc != 0)
        return rc;
    return wcscmp(got, type) == 0 ? 0 : XIPC_EINVAL;
}

/* ---- Names and handles ---------------------------------------------------------------------- */

int
xipc__win32_object_name(const char *name, const wchar_t *suffix, wchar_t out[OBJECT_NAME_CAP])
{
    static const wchar_t prefix[] = L"Local\\";
    size_t prefix_len = sizeof prefix / sizeof prefix[0] - 1;
    size_t name_len = strlen(name), suffix_len = wcslen(suffix);
    if (prefix_len + name_len + suffix_len + 1 > OBJECT_NAME_CAP)
        return XIPC_EINVAL;
    memcpy(out, prefix, prefix_len * sizeof *out);
    for (size_t i = 0; i < name_len; i++)
        out[prefix_len + i] = (wchar_t)(unsigned char)name[i];
    memcpy(out + prefix_len + name_len, suffix, (suffix_len + 1) * sizeof *out);
    return 0;
}

/* Creates the object, or opens it if the name exists (GetLastError() then says
 * ERROR_ALREADY_EXISTS). A mutex this call creates starts held by the calling thread. */
static HANDLE
create_object(const struct open_request *rq, const char **call)
{
    SECURITY_ATTRIBUTES sa = rq->sa; /* the Create calls take it non-const */
    const wchar_t *wname = rq->name != NULL ? rq->wname : NULL;
    switch (rq->kind) {
    case XIPC_KIND_EVENT:
        *call = "CreateEventW";
        return CreateEventW(&sa, (rq->flags & XIPC_EVENT_MANUAL_RESET) != 0,
            (rq->flags & XIPC_EVENT_INITIAL_SET) != 0, wname);
    case XIPC_KIND_SEM:
        *call = "CreateSemaphoreW";
        return CreateSemaphoreW(&sa, (LONG)rq->initial, XIPC_SEM_VALUE_MAX, wname);
    case XIPC_KIND_MUTEX:
        *call = "CreateMutexW";
        return CreateMutexW(&sa, TRUE, wname);
    default:
        break;
    }
    *call = "CreateObject";
    SetLastError(ERROR_INVALID_PARAMETER);
    return NULL;
}

/* Opens an existing object with only the access its calls need. */
static HANDLE
open_object(enum xipc_kind kind, const wchar_t *wname, const char **call)
{
    switch (kind) {
    case XIPC_KIND_EVENT:
        *call = "OpenEventW";
        return OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, wname);
    case XIPC_KIND_SEM:
        *call = "OpenSemaphoreW";
        return OpenSemaphoreW(
            SYNCHRONIZE | SEMAPHORE_MODIFY_STATE | SEMAPHORE_QUERY_STATE, FALSE, wname);
    case XIPC_KIND_MUTEX:
        *call = "OpenMutexW";
        return OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, wname);
    default:
        break;
    }
    *call = "OpenObject";
    SetLastError(ERROR_INVALID_PARAMETER);
    return NULL;
}

/* The failure of a Create or Open call on a name. Windows reports a name held by another kind of
 * object as ERROR_INVALID_HANDLE (measured under Wine too); xipc/sync.h makes that
 * XIPC_EINVAL. */
static int
name_failure(DWORD werr, const char *call, const char *name)
{
    int rc = XIPC__OS_FAIL(werr, call, name);
    return werr == ERROR_INVALID_HANDLE ? XIPC_EINVAL : rc;
}

/* Creates and/or opens the object as rq->flags ask. *fresh tells whether this call made it
 * (always, for an anonymous object). */
static int
open_handle(const struct open_request *rq, HANDLE *out, bool *fresh)
{
    unsigned how = rq->flags & (XIPC_CREATE | XIPC_OPEN);
    const char *call = NULL;
    HANDLE h;
    *out = NULL;
    *fresh = false;
    if (rq->name != NULL && how == XIPC_OPEN) {
        if ((h = open_object(rq->kind, rq->wname, &call)) == NULL)
            return name_failure(GetLastError(), call, rq->name);
        *out = h;
        return 0;
    }
    /* A Create call that makes a new object need not clear the last error (MSDN promises only
     * ERROR_ALREADY_EXISTS for an existing one), so clear it first. */
    SetLastError(ERROR_SUCCESS);
    h = create_object(rq, &call);
    DWORD werr = GetLastError();
    if (h == NULL)
        return name_failure(werr, call, rq->name);
    bool existed = rq->name != NULL && werr == ERROR_ALREADY_EXISTS;
    if (existed && how == XIPC_CREATE) {
        (void)CloseHandle(h);
        return XIPC__OS_FAIL(ERROR_ALREADY_EXISTS, call, rq->name);
    }
    *out = h;
    *fresh = !existed;
    return 0;
}

/* ---- The mutex record ----------------------------------------------------------------------- */

static LONG
this_thread(void)
{
    return (LONG)GetCurrentThreadId();
}

static bool
recovery_known(LONG recovery)
{
    return recovery == MUTEX_CONSISTENT || recovery == MUTEX_INCONSISTENT ||
        recovery == MUTEX_NOT_RECOVERABLE;
}

/* Maps the record in section. Mapping exactly its size fails on a smaller section, so a foreign
 * section under our name can never be read past its end. */
static int
map_record(HANDLE section, const char *name, struct xipc__win32_mutex_state **out)
{
    void *view = MapViewOfFile(section, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, sizeof **out);
    if (view == NULL)
        return XIPC__OS_FAIL(GetLastError(), "MapViewOfFile", name);
    *out = view;
    return 0;
}

/* Stamps a fresh record or checks an old one: XIPC_ECORRUPT if the magic is another program's. */
static int
stamp_record(struct xipc__win32_mutex_state *st)
{
    LONG seen = InterlockedCompareExchange(&st->magic, MUTEX_MAGIC, 0);
    return (seen == 0 || seen == MUTEX_MAGIC) ? 0 : XIPC_ECORRUPT;
}

/* Creates or opens the mutex's section (named rq->name + "#xipc-mutex", or unnamed) and maps its
 * record. Always create-or-open: the mutex decides what exists (see the top of this file). */
static int
open_section(const struct open_request *rq, HANDLE *section, struct xipc__win32_mutex_state **st)
{
    wchar_t wname[OBJECT_NAME_CAP];
    SECURITY_ATTRIBUTES sa = rq->sa;
    int rc;
    *section = NULL;
    if (rq->name != NULL && (rc = xipc__win32_object_name(rq->name, L"#xipc-mutex", wname)) != 0)
        return rc;
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0,
        sizeof(struct xipc__win32_mutex_state), rq->name != NULL ? wname : NULL);
    if (h == NULL) {
        DWORD werr = GetLastError();
        rc = XIPC__OS_FAIL(werr, "CreateFileMappingW", rq->name);
        /* Another kind of object under our internal name: not something xipc made. */
        return werr == ERROR_INVALID_HANDLE ? XIPC_ECORRUPT : rc;
    }
    if ((rc = map_record(h, rq->name, st)) != 0) {
        (void)CloseHandle(h);
        return rc;
    }
    *section = h;
    return 0;
}

/* Makes the record of a mutex this call created fresh, then lets go of the initial ownership
 * CreateMutexW gave: nobody can lock it before the reset is done. */
static int
reset_record(HANDLE mutex, struct xipc__win32_mutex_state *st, const char *name)
{
    st->recovery = MUTEX_CONSISTENT;
    st->owner = 0;
    st->depth = 0;
    st->magic = MUTEX_MAGIC;
    if (!ReleaseMutex(mutex))
        return XIPC__OS_FAIL(GetLastError(), "ReleaseMutex", name);
    return 0;
}

/* The section first, the mutex second (see the top of this file). */
static int
open_mutex(const struct open_request *rq, struct xipc__os_sync *s, bool *fresh)
{
    HANDLE section, mutex;
    struct xipc__win32_mutex_state *st = NULL;
    int rc = open_section(rq, &section, &st);
    if (rc != 0)
        return rc;
    if ((rc = open_handle(rq, &mutex, fresh)) != 0)
        goto out_unmap;
    rc = *fresh ? reset_record(mutex, st, rq->name) : stamp_record(st);
    if (rc != 0)
        goto out_close_mutex;
    s->handle = mutex;
    s->section = section;
    s->state = st;
    return 0;

out_close_mutex:
    (void)CloseHandle(mutex);
out_unmap:
    (void)UnmapViewOfFile(st);
    (void)CloseHandle(section);
    return rc;
}

/* ---- Lifetime and passing on ---------------------------------------------------------------- */

int
xipc__os_sync_open(enum xipc_kind kind, const char *name, unsigned flags, unsigned initial,
    struct xipc__os_sync *s, bool *created)
{
    struct open_request rq;
    bool fresh = false;
    HANDLE h = NULL;
    int rc;
    *created = false;
    rq.kind = kind;
    rq.name = name;
    rq.flags = flags;
    rq.initial = initial;
    if ((rc = xipc__win32_owner_only_sa(&rq.sa)) != 0)
        return rc;
    if (name != NULL && (rc = xipc__win32_object_name(name, L"", rq.wname)) != 0)
        return rc;
    if (kind == XIPC_KIND_MUTEX) {
        rc = open_mutex(&rq, s, &fresh);
    } else if ((rc = open_handle(&rq, &h, &fresh)) == 0) {
        s->handle = h;
    }
    *created = rc == 0 && fresh && name != NULL;
    return rc;
}

void
xipc__os_sync_close(struct xipc__os_sync *s)
{
    /* The mutex before its section: see the top of this file. */
    if (s->handle != NULL)
        (void)CloseHandle(s->handle);
    if (s->state != NULL)
        (void)UnmapViewOfFile(s->state);
    if (s->section != NULL)
        (void)CloseHandle(s->section);
    memset(s, 0, sizeof *s);
}

/* Windows removes a name with the object's last handle and offers no other way, so there is
 * nothing to do; the probe only tells whether the name is in use. */
int
xipc__os_sync_unlink(enum xipc_kind kind, const char *name)
{
    wchar_t wname[OBJECT_NAME_CAP];
    const char *call = NULL;
    int rc = xipc__win32_object_name(name, L"", wname);
    if (rc != 0)
        return rc;
    HANDLE h = open_object(kind, wname, &call);
    if (h == NULL) {
        DWORD werr = GetLastError();
        rc = XIPC__OS_FAIL(werr, call, name);
        /* Another kind of object has the name: XIPC_EINVAL, as open says (and POSIX). */
        return werr == ERROR_INVALID_HANDLE ? XIPC_EINVAL : rc;
    }
    (void)CloseHandle(h);
    return 0;
}

int
xipc__os_sync_export(const struct xipc__os_sync *s, char *buf, size_t cap)
{
    unsigned long long handle = (uintptr_t)s->handle, section = (uintptr_t)s->section;
    int n = s->section != NULL ? snprintf(buf, cap, "%llu,%llu", handle, section)
                               : snprintf(buf, cap, "%llu", handle);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return XIPC_ENAMETOOLONG;
    }
    return 0;
}

int
xipc__win32_check_inherited(intptr_t native, const wchar_t *type)
{
    DWORD info;
    if (!xipc__win32_is_handle_value(native))
        return XIPC_EBADF;
    if (!GetHandleInformation((HANDLE)native, &info)) {
        (void)XIPC__OS_FAIL(GetLastError(), "GetHandleInformation", "inherited handle");
        return XIPC_EBADF;
    }
    int rc = check_object_type((HANDLE)native, type);
    if (rc == 0 && xipc__handle_owns_native(native))
        rc = XIPC_EEXIST;
    return rc;
}

int
xipc__win32_disinherit(intptr_t native)
{
    if (!SetHandleInformation((HANDLE)native, HANDLE_FLAG_INHERIT, 0))
        return XIPC__OS_FAIL(GetLastError(), "SetHandleInformation", "inherited handle");
    return 0;
}

static const wchar_t *
kernel_type(enum xipc_kind kind)
{
    return kind == XIPC_KIND_EVENT ? L"Event" : kind == XIPC_KIND_SEM ? L"Semaphore" : L"Mutant";
}

/* The record of an exported mutex: its creator stamped it, so a view without the magic is not
 * one (XIPC_EINVAL). Nothing is stamped here: the import changes nothing before it succeeds. */
static int
map_inherited_record(intptr_t section, struct xipc__win32_mutex_state **st)
{
    int rc = map_record((HANDLE)section, "inherited handle", st);
    if (rc != 0)
        return XIPC_EINVAL;
    if ((*st)->magic != MUTEX_MAGIC) {
        (void)UnmapViewOfFile(*st);
        return XIPC_EINVAL;
    }
    return 0;
}

/* "HANDLE" for an event or semaphore, "MUTEX,SECTION" for a mutex. Both numbers are parsed and
 * both handles checked before either is touched. */
int
xipc__os_sync_import(enum xipc_kind kind, const char *value, struct xipc__os_sync *s)
{
    const char *comma = strchr(value, ',');
    intptr_t native = 0, section = 0;
    struct xipc__win32_mutex_state *st = NULL;
    int rc;
    if ((kind == XIPC_KIND_MUTEX) != (comma != NULL) ||
        xipc__parse_native(value, comma, &native) != 0 ||
        (comma != NULL && xipc__parse_native(comma + 1, NULL, &section) != 0))
        return XIPC_EINVAL;
    if ((rc = xipc__win32_check_inherited(native, kernel_type(kind))) != 0 ||
        (comma != NULL && (rc = xipc__win32_check_inherited(section, L"Section")) != 0))
        return rc;
    if (comma != NULL && (rc = map_inherited_record(section, &st)) != 0)
        return rc;
    if ((rc = xipc__win32_disinherit(native)) != 0 ||
        (comma != NULL && (rc = xipc__win32_disinherit(section)) != 0)) {
        if (st != NULL)
            (void)UnmapViewOfFile(st);
        return rc;
    }
    s->handle = (HANDLE)native;
    s->section = (HANDLE)section;
    s->state = st;
    return 0;
}

size_t
xipc__os_sync_natives(const struct xipc__os_sync *s, intptr_t out[XIPC__NATIVES_MAX])
{
    out[0] = (intptr_t)s->handle;
    if (s->section == NULL)
        return 1;
    out[1] = (intptr_t)s->section;
    return 2;
}

bool
xipc__os_sync_holds(const struct xipc__os_sync *s, intptr_t native)
{
    HANDLE h = (HANDLE)native;
    return h != NULL && (h == s->handle || h == s->section);
}

void
xipc__os_sync_waitable(const struct xipc__os_sync *s, struct xipc__wait *w)
{
    /* Events, semaphores and mutexes are what WaitForMultipleObjects waits for. A wait that
     * takes a mutex must update its recovery record (win32_sync.c) as xipc_mutex_lock does. */
    w->how = XIPC__WAIT_SIGNALLED;
    w->native = (intptr_t)s->handle;
}

/* ---- Events and semaphores ------------------------------------------------------------------ */

/* Waits until dl for h to be signaled (which consumes an auto-reset event or a semaphore unit). */
static int
wait_signaled(HANDLE h, xipc__deadline dl)
{
    DWORD w = xipc__win32_wait(h, dl);
    if (w == WAIT_OBJECT_0)
        return 0;
    if (w == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    return XIPC__OS_FAIL(GetLastError(), "WaitForSingleObject", NULL);
}

int
xipc__os_event_set(struct xipc__os_sync *s)
{
    if (!SetEvent(s->handle))
        return XIPC__OS_FAIL(GetLastError(), "SetEvent", NULL);
    return 0;
}

int
xipc__os_event_reset(struct xipc__os_sync *s)
{
    if (!ResetEvent(s->handle))
        return XIPC__OS_FAIL(GetLastError(), "ResetEvent", NULL);
    return 0;
}

int
xipc__os_event_wait(struct xipc__os_sync *s, xipc__deadline dl)
{
    return wait_signaled(s->handle, dl);
}

int
xipc__os_sem_post(struct xipc__os_sync *s)
{
    /* At the maximum count: ERROR_TOO_MANY_POSTS, XIPC_ELIMIT in the table, nothing changed. */
    if (!ReleaseSemaphore(s->handle, 1, NULL))
        return XIPC__OS_FAIL(GetLastError(), "ReleaseSemaphore", NULL);
    return 0;
}

int
xipc__os_sem_wait(struct xipc__os_sync *s, xipc__deadline dl)
{
    return wait_signaled(s->handle, dl);
}

/* Windows has no Win32 call that reads a semaphore's count; NtQuerySemaphore does, with
 * SEMAPHORE_QUERY_STATE access, which created handles have and open_object asks for. */
int
xipc__os_sem_value(struct xipc__os_sync *s, unsigned *value)
{
    struct semaphore_basic_information info;
    const struct ntdll_calls *nt = ntdll_calls();
    if (nt == NULL)
        return XIPC_EOS;
    NTSTATUS status = nt->query_semaphore(s->handle, 0, &info, sizeof info, NULL);
    if (status < 0) {
        (void)nt_failure(nt, status, "NtQuerySemaphore");
        return XIPC_EOS; /* as xipc/sync.h promises; the OS error says which */
    }
    *value = info.current_count > 0 ? (unsigned)info.current_count : 0u;
    return 0;
}

/* ---- Mutexes -------------------------------------------------------------------------------- */

/* Updates the record for a wait that has just acquired the mutex (abandoned: WAIT_ABANDONED).
 * Returns what the lock returns; on anything but 0 and XIPC_EOWNERDEAD the caller lets go of
 * this acquisition again. */
static int
take_ownership(struct xipc__win32_mutex_state *st, bool abandoned)
{
    LONG self = this_thread();
    LONG magic = st->magic, recovery = st->recovery, owner = st->owner, depth = st->depth;
    if (magic != MUTEX_MAGIC || !recovery_known(recovery))
        return XIPC_ECORRUPT;
    /* A recursive lock, which POSIX grants even while inconsistent. A dead owner whose thread id
     * this thread now has left its mutex abandoned, so that case never gets here. */
    if (!abandoned && owner == self) {
        if (depth < 1)
            return XIPC_ECORRUPT;
        if (depth == LONG_MAX)
            return XIPC_ELIMIT;
        st->depth = depth + 1;
        return 0;
    }
    if (recovery == MUTEX_NOT_RECOVERABLE)
        return XIPC_ENOTRECOVERABLE;
    /* Inconsistent but released normally: only a holder that bypassed xipc_mutex_unlock (a raw
     * ReleaseMutex) gets here. Releasing an inconsistent mutex gives it up, as unlock would. */
    if (recovery == MUTEX_INCONSISTENT && !abandoned) {
        st->recovery = MUTEX_NOT_RECOVERABLE;
        return XIPC_ENOTRECOVERABLE;
    }
    st->owner = self;
    st->depth = 1;
    if (!abandoned)
        return 0;
    st->recovery = MUTEX_INCONSISTENT;
    return XIPC_EOWNERDEAD;
}

int
xipc__win32_mutex_acquired(struct xipc__os_sync *s, bool abandoned)
{
    int rc = take_ownership(s->state, abandoned);
    if (rc != 0 && rc != XIPC_EOWNERDEAD)
        (void)ReleaseMutex(s->handle); /* only those two leave the mutex held (xipc/sync.h) */
    return rc;
}

int
xipc__os_mutex_lock(struct xipc__os_sync *s, xipc__deadline dl)
{
    DWORD w = xipc__win32_wait(s->handle, dl);
    if (w == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    if (w != WAIT_OBJECT_0 && w != WAIT_ABANDONED)
        return XIPC__OS_FAIL(GetLastError(), "WaitForSingleObject", NULL);
    int rc = take_ownership(s->state, w == WAIT_ABANDONED);
    if (rc != 0 && rc != XIPC_EOWNERDEAD)
        (void)ReleaseMutex(s->handle); /* only those two leave the mutex held (xipc/sync.h) */
    return rc;
}

int
xipc__os_mutex_consistent(struct xipc__os_sync *s)
{
    struct xipc__win32_mutex_state *st = s->state;
    if (st->owner != this_thread())
        return XIPC_EINVAL;
    LONG recovery = st->recovery;
    if (recovery == MUTEX_INCONSISTENT) {
        st->recovery = MUTEX_CONSISTENT;
        return 0;
    }
    return recovery_known(recovery) ? XIPC_EINVAL : XIPC_ECORRUPT;
}

/* The record's owner field decides XIPC_EPERM; ReleaseMutex has the last word. The record can be
 * wrong in one case: the owner died holding the mutex, nobody has locked it since, and a new
 * thread that was given the dead one's id unlocks without holding it. ReleaseMutex then refuses
 * (ERROR_NOT_OWNER, XIPC_EPERM), and the recovery state is put back; the owner and depth fields
 * are rewritten by the next lock, which sees WAIT_ABANDONED. */
int
xipc__os_mutex_unlock(struct xipc__os_sync *s)
{
    struct xipc__win32_mutex_state *st = s->state;
    bool gave_up = false;
    if (st->owner != this_thread())
        return XIPC_EPERM;
    LONG depth = st->depth;
    if (depth > 1) {
        st->depth = depth - 1;
    } else {
        /* POSIX: the last unlock of an inconsistent mutex makes it not recoverable. Inner
         * unlocks of a recursive lock do not (glibc returns ENOTRECOVERABLE from them, still
         * releasing a level; xipc returns 0). */
        gave_up = st->recovery == MUTEX_INCONSISTENT;
        if (gave_up)
            st->recovery = MUTEX_NOT_RECOVERABLE;
        st->owner = 0;
        st->depth = 0;
    }
    if (!ReleaseMutex(s->handle)) {
        DWORD werr = GetLastError();
        if (gave_up)
            (void)InterlockedCompareExchange(
                &st->recovery, MUTEX_INCONSISTENT, MUTEX_NOT_RECOVERABLE);
        return XIPC__OS_FAIL(werr, "ReleaseMutex", NULL);
    }
    return 0;
}
