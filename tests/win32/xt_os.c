/* tests/win32/xt_os.c: tests/xt_os.h on Windows (and Wine). */
#include "xt_os.h"

#include <windows.h>

#include <aclapi.h>
#include <fcntl.h>
#include <io.h>
#include <sddl.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>
#include <wchar.h>

static char *
utf8_from_wide(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = n > 0 ? malloc((size_t)n) : NULL;
    if (s == NULL || WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) <= 0) {
        fprintf(stderr, "xt_os: UTF-16 to UTF-8 conversion failed\n");
        exit(2);
    }
    return s;
}

static wchar_t *
wide_from_utf8(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
    if (w == NULL || MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) <= 0) {
        fprintf(stderr, "xt_os: UTF-8 to UTF-16 conversion failed\n");
        exit(2);
    }
    return w;
}

void
xt_os_init(int *argc, char ***argv)
{
    int n = 0;
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    /* Binary stdio: children report through stdout, and "\n" must stay one byte. */
    for (int fd = 0; fd < 3; fd++)
        _setmode(fd, _O_BINARY);
    wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &n);
    if (wargv == NULL)
        return;
    char **utf8 = calloc((size_t)n + 1, sizeof *utf8);
    for (int i = 0; utf8 != NULL && i < n; i++)
        utf8[i] = utf8_from_wide(wargv[i]);
    LocalFree(wargv);
    if (utf8 != NULL) {
        *argc = n;
        *argv = utf8; /* lives as long as the process */
    }
}

const char *
xt_os_self_exe(void)
{
    static char *path;
    if (path == NULL) {
        wchar_t buf[32768];
        DWORD n = GetModuleFileNameW(NULL, buf, 32768);
        if (n == 0 || n >= 32768) {
            fprintf(stderr, "GetModuleFileNameW failed: %lu\n", (unsigned long)GetLastError());
            exit(2);
        }
        path = utf8_from_wide(buf);
    }
    return path;
}

bool
xt_os_is_wine(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

int
xt_os_handle_count(void)
{
    /* GetProcessHandleCount returns 0 under Wine 8, so probe the handle values themselves:
     * handles are multiples of 4, allocated low first. */
    int n = 0;
    for (uintptr_t v = 4; v < 65536; v += 4) {
        DWORD flags;
        if (GetHandleInformation((HANDLE)v, &flags))
            n++;
    }
    return n;
}

int
xt_os_thread_count(void)
{
    THREADENTRY32 te;
    DWORD self = GetCurrentProcessId();
    int n = 0;
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return -1;
    te.dwSize = sizeof te;
    for (BOOL more = Thread32First(snap, &te); more; more = Thread32Next(snap, &te))
        n += te.th32OwnerProcessID == self;
    CloseHandle(snap);
    return n;
}

uint64_t
xt_os_now_ms(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (uint64_t)(c.QuadPart / (f.QuadPart / 1000));
}

void
xt_os_sleep_ms(int ms)
{
    Sleep((DWORD)ms);
}

void
xt_os_crash(void)
{
    RaiseException(EXCEPTION_ACCESS_VIOLATION, EXCEPTION_NONCONTINUABLE, 0, NULL);
    abort();
}

int
xt_os_getcwd(char *buf, size_t cap)
{
    wchar_t w[32768];
    DWORD n = GetCurrentDirectoryW(32768, w);
    if (n == 0 || n >= 32768)
        return -1;
    char *s = utf8_from_wide(w);
    int rc = strlen(s) < cap ? 0 : -1;
    if (rc == 0)
        strcpy(buf, s);
    free(s);
    return rc;
}

char *
xt_os_getenv(const char *name)
{
    wchar_t *wname = wide_from_utf8(name), buf[32768];
    DWORD n = GetEnvironmentVariableW(wname, buf, 32768);
    free(wname);
    if (n == 0 && GetLastError() == ERROR_ENVVAR_NOT_FOUND)
        return NULL;
    if (n >= 32768)
        return NULL;
    buf[n] = L'\0';
    return utf8_from_wide(buf);
}

void
xt_os_setenv(const char *name, const char *value)
{
    wchar_t *wname = wide_from_utf8(name), *wvalue = value ? wide_from_utf8(value) : NULL;
    SetEnvironmentVariableW(wname, wvalue);
    free(wname);
    free(wvalue);
}

bool
xt_os_paths_fold_case(void)
{
    return true;
}

void
xt_os_temp_path(const char *tag, char *buf, size_t cap)
{
    wchar_t dir[MAX_PATH + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, dir);
    char *d = utf8_from_wide(n > 0 ? dir : L".\\");
    snprintf(buf, cap, "%sxt.%lu.%s", d, (unsigned long)GetCurrentProcessId(), tag);
    free(d);
}

bool
xt_os_names_outlive_processes(void)
{
    return false;
}

int
xt_os_sync_object_mode(const char *kind, const char *name)
{
    (void)kind;
    (void)name;
    return -1;
}

int
xt_os_give_sync_object_away(const char *kind, const char *name)
{
    (void)kind;
    (void)name;
    return -1;
}

int
xt_os_raw_sem_post(const char *name)
{
    char full[128];
    snprintf(full, sizeof full, "Local\\%s", name);
    wchar_t *w = wide_from_utf8(full);
    HANDLE h = OpenSemaphoreW(SEMAPHORE_MODIFY_STATE, FALSE, w);
    free(w);
    if (h == NULL)
        return -1;
    BOOL ok = ReleaseSemaphore(h, 1, NULL);
    CloseHandle(h);
    return ok ? 0 : -1;
}

bool
xt_os_has_runtime_dir(void)
{
    return false;
}

struct xt_os_thread {
    HANDLE handle;
    void (*fn)(void *);
    void *arg;
};

static DWORD WINAPI
thread_main(void *p)
{
    xt_os_thread *t = p;
    t->fn(t->arg);
    return 0;
}

xt_os_thread *
xt_os_thread_start(void (*fn)(void *), void *arg)
{
    xt_os_thread *t = malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    t->handle = CreateThread(NULL, 0, thread_main, t, 0, NULL);
    if (t->handle == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void
xt_os_thread_join(xt_os_thread *t)
{
    (void)WaitForSingleObject(t->handle, INFINITE);
    (void)CloseHandle(t->handle);
    free(t);
}

bool
xt_os_fifo_is_emulated(void)
{
    return true;
}

bool
xt_os_pipes_report_room(void)
{
    return false;
}

int
xt_os_sigpipe_action(void)
{
    return XT_SIGPIPE_NONE;
}

bool
xt_os_has_posix_shell(void)
{
    return false;
}

int
xt_os_mkdir(const char *path, int mode)
{
    (void)path;
    (void)mode;
    return -1;
}

int
xt_os_chmod(const char *path, int mode)
{
    (void)path;
    (void)mode;
    return -1;
}

int
xt_os_chown_path(const char *path)
{
    (void)path;
    return -1;
}

int
xt_os_path_mode(const char *path)
{
    (void)path;
    return -1;
}

void
xt_os_remove_tree(const char *path)
{
    (void)path;
}

int
xt_os_fork_run(int (*fn)(void *), void *arg)
{
    (void)fn;
    (void)arg;
    return -1; /* Windows has no fork */
}

/* ---- FIFOs ------------------------------------------------------------------------------- */

/* Enables SeRestorePrivilege, which lets a process make another SID a file's owner. */
static bool
enable_restore_privilege(void)
{
    TOKEN_PRIVILEGES tp = { 1, { { { 0, 0 }, SE_PRIVILEGE_ENABLED } } };
    HANDLE token;
    if (!LookupPrivilegeValueW(NULL, L"SeRestorePrivilege", &tp.Privileges[0].Luid) ||
        !OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &token))
        return false;
    BOOL ok = AdjustTokenPrivileges(token, FALSE, &tp, 0, NULL, NULL);
    DWORD werr = GetLastError(); /* ERROR_NOT_ALL_ASSIGNED: the token lacks it */
    CloseHandle(token);
    return ok && werr == ERROR_SUCCESS;
}

/* Whether the owner of the file at wpath is sid. */
static bool
file_owner_is(const wchar_t *wpath, PSID sid)
{
    PSID owner = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    if (GetNamedSecurityInfoW(wpath, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL,
            NULL, &sd) != ERROR_SUCCESS)
        return false;
    bool same = EqualSid(owner, sid) != FALSE;
    LocalFree(sd);
    return same;
}

int
xt_os_fifo_give_away(const char *path)
{
    PSID users = NULL;
    wchar_t *w = wide_from_utf8(path);
    int rc = -1;
    /* Wine 8 reports success and keeps the owner it had: the check after the call sees that. */
    if (enable_restore_privilege() && ConvertStringSidToSidW(L"S-1-5-32-545", &users) &&
        SetNamedSecurityInfoW(w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, users, NULL, NULL,
            NULL) == ERROR_SUCCESS &&
        file_owner_is(w, users))
        rc = 0;
    LocalFree(users);
    free(w);
    return rc;
}

int
xt_os_symlink(const char *target, const char *link)
{
    wchar_t *wt = wide_from_utf8(target), *wl = wide_from_utf8(link);
    int rc = -1;
    /* Wine 8 returns TRUE and makes nothing: the link must be there, as a reparse point. */
    if (CreateSymbolicLinkW(wl, wt, SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE)) {
        DWORD attrs = GetFileAttributesW(wl);
        if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_REPARSE_POINT) != 0)
            rc = 0;
        else if (attrs != INVALID_FILE_ATTRIBUTES)
            DeleteFileW(wl);
    }
    free(wt);
    free(wl);
    return rc;
}

bool
xt_os_paths_take_any_byte(void)
{
    return false;
}

/* ---- named pipes ------------------------------------------------------------------------- */

int
xt_os_npipe_socket_path(const char *name, char *buf, size_t cap)
{
    (void)name;
    (void)buf;
    (void)cap;
    return -1; /* Windows pipes are not files */
}

struct xt_os_raw_server {
    HANDLE pipe; /* the only instance; synchronous */
    HANDLE own; /* its own client, holding the instance; NULL: none */
    DWORD type; /* PIPE_TYPE_* | PIPE_READMODE_* */
    DWORD max_instances;
    wchar_t wname[128];
    SECURITY_ATTRIBUTES sa;
};

/* "D:P(A;;GA;;;<user>)(A;;GA;;;SY)", the owner-only DACL xipc gives its own pipes. */
static PSECURITY_DESCRIPTOR
owner_only_sd(void)
{
    union {
        TOKEN_USER user;
        BYTE bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } info;
    HANDLE token;
    DWORD len;
    wchar_t *sid = NULL, sddl[256];
    PSECURITY_DESCRIPTOR sd = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return NULL;
    BOOL ok = GetTokenInformation(token, TokenUser, &info, sizeof info, &len) &&
        ConvertSidToStringSidW(info.user.User.Sid, &sid);
    CloseHandle(token);
    if (!ok)
        return NULL;
    ok = wcslen(sid) < 200;
    if (ok) {
        wcscpy(sddl, L"D:P(A;;GA;;;");
        wcscat(sddl, sid);
        wcscat(sddl, L")(A;;GA;;;SY)");
    }
    LocalFree(sid);
    if (!ok)
        return NULL;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL))
        return NULL;
    return sd;
}

static int
raw_instance(xt_os_raw_server *srv)
{
    /* With one instance only, a second client finds it busy (ERROR_PIPE_BUSY). */
    srv->pipe = CreateNamedPipeW(srv->wname, PIPE_ACCESS_DUPLEX, srv->type | PIPE_WAIT,
        srv->max_instances, 4096, 4096, 0, &srv->sa);
    if (srv->pipe == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "xt_os_raw_server: CreateNamedPipeW: %lu\n", (unsigned long)GetLastError());
        srv->pipe = NULL;
        return -1;
    }
    return 0;
}

xt_os_raw_server *
xt_os_raw_server_open(const char *name, int kind)
{
    if (kind == XT_RAW_DATAGRAM)
        return NULL; /* Windows pipes have no datagram kind */
    xt_os_raw_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        goto out_free;
    srv->type = kind == XT_RAW_MESSAGE ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                                       : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
    srv->max_instances = kind == XT_RAW_BYTE_ANY_INSTANCES ? PIPE_UNLIMITED_INSTANCES : 1;
    wcscpy(srv->wname, L"\\\\.\\pipe\\");
    for (size_t i = 0, at = wcslen(srv->wname); i <= strlen(name) && at + i < 128; i++)
        srv->wname[at + i] = (wchar_t)(unsigned char)name[i]; /* xipc names are ASCII */
    srv->sa.nLength = sizeof srv->sa;
    srv->sa.bInheritHandle = FALSE;
    if ((srv->sa.lpSecurityDescriptor = owner_only_sd()) == NULL || raw_instance(srv) != 0)
        goto out_free;
    return srv;
out_free:
    fprintf(stderr, "xt_os_raw_server_open(%s, %d) failed\n", name, kind);
    if (srv != NULL)
        LocalFree(srv->sa.lpSecurityDescriptor);
    free(srv);
    return NULL;
}

int
xt_os_raw_server_fill(xt_os_raw_server *srv)
{
    srv->own =
        CreateFileW(srv->wname, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (srv->own == INVALID_HANDLE_VALUE) {
        srv->own = NULL;
        return -1;
    }
    /* The client came first: ERROR_PIPE_CONNECTED. */
    return ConnectNamedPipe(srv->pipe, NULL) || GetLastError() == ERROR_PIPE_CONNECTED ? 0 : -1;
}

int
xt_os_raw_server_echo_next(xt_os_raw_server *srv, int gap_ms)
{
    char buf[256];
    DWORD n = 0, put = 0;
    if (srv->own != NULL) {
        CloseHandle(srv->own);
        srv->own = NULL;
        DisconnectNamedPipe(srv->pipe);
    }
    if (gap_ms > 0) {
        CloseHandle(srv->pipe);
        srv->pipe = NULL;
        Sleep((DWORD)gap_ms);
        if (raw_instance(srv) != 0)
            return -1;
    }
    if (!ConnectNamedPipe(srv->pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED)
        return -1;
    BOOL ok = ReadFile(srv->pipe, buf, sizeof buf, &n, NULL) && n > 0 &&
        WriteFile(srv->pipe, buf, n, &put, NULL) && put == n;
    FlushFileBuffers(srv->pipe);
    DisconnectNamedPipe(srv->pipe);
    return ok ? 0 : -1;
}

void
xt_os_raw_server_close(xt_os_raw_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->own != NULL)
        CloseHandle(srv->own);
    if (srv->pipe != NULL)
        CloseHandle(srv->pipe);
    LocalFree(srv->sa.lpSecurityDescriptor);
    free(srv);
}

/* ---- events, semaphores, mutexes --------------------------------------------------------- */

/* What a plant holds open: Windows names live only while a handle does. */
static HANDLE planted[2];

/* L"Local\\" + name + suffix, malloc'd. */
static wchar_t *
local_name(const char *name, const char *suffix)
{
    char full[160];
    snprintf(full, sizeof full, "Local\\%s%s", name, suffix);
    return wide_from_utf8(full);
}

/* A raw mutex under the name, and beside it the section where xipc keeps a mutex's recovery
 * record (win32_sync.c: name + "#xipc-mutex"), filled with 0xff: a record no xipc wrote. */
static int
plant_foreign_mutex(const char *name)
{
    wchar_t *mutex_name = local_name(name, ""), *section_name = local_name(name, "#xipc-mutex");
    planted[0] = CreateMutexW(NULL, FALSE, mutex_name);
    planted[1] =
        CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, section_name);
    free(mutex_name);
    free(section_name);
    void *view = planted[1] ? MapViewOfFile(planted[1], FILE_MAP_WRITE, 0, 0, 4096) : NULL;
    if (planted[0] == NULL || view == NULL)
        return -1;
    memset(view, 0xff, 4096);
    UnmapViewOfFile(view);
    return 0;
}

int
xt_os_plant_at_sync_name(const char *kind, const char *name, int what)
{
    if (what == XT_PLANT_BAD_HEADER && strcmp(kind, "mutex") == 0)
        return plant_foreign_mutex(name);
    return -1; /* kernel objects: no file to plant */
}

void
xt_os_unplant_sync_name(const char *kind, const char *name)
{
    (void)kind;
    (void)name;
    for (int i = 0; i < 2; i++) {
        if (planted[i] != NULL)
            CloseHandle(planted[i]);
        planted[i] = NULL;
    }
}

int
xt_os_forbid_memfd(void)
{
    return -1;
}

int
xt_os_take_anon_names(unsigned first, unsigned count, bool take)
{
    (void)first;
    (void)count;
    (void)take;
    return -1;
}

intptr_t
xt_os_open_odd_native(int which)
{
    wchar_t path[MAX_PATH + 32];
    HANDLE h = INVALID_HANDLE_VALUE;
    if (which == 0) {
        h = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
            NULL, OPEN_EXISTING, 0, NULL);
    } else if (which == 1) {
        DWORD n = GetTempPathW(MAX_PATH, path);
        if (n == 0 || n > MAX_PATH)
            return -1;
        swprintf(path + n, 32, L"xt.%lu.odd", (unsigned long)GetCurrentProcessId());
        h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
            FILE_FLAG_DELETE_ON_CLOSE, NULL);
    }
    return h == INVALID_HANDLE_VALUE ? -1 : (intptr_t)h;
}

int
xt_os_native_inheritable(intptr_t native)
{
    DWORD flags = 0;
    if (!GetHandleInformation((HANDLE)native, &flags))
        return -1;
    return (flags & HANDLE_FLAG_INHERIT) ? 1 : 0;
}

int
xt_os_socket_meddle(intptr_t native, int timeout_ms, bool nonblocking)
{
    (void)native;
    (void)timeout_ms;
    (void)nonblocking;
    return -1;
}

/* ---- streams and processes --------------------------------------------------------------- */

static HANDLE
open_scratch_file(SECURITY_ATTRIBUTES *sa)
{
    char path[MAX_PATH * 2];
    xt_os_temp_path("non-stream", path, sizeof path);
    wchar_t *w = wide_from_utf8(path);
    HANDLE h = CreateFileW(
        w, GENERIC_READ | GENERIC_WRITE, 0, sa, CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE, NULL);
    free(w);
    return h;
}

intptr_t
xt_os_open_non_stream_native(int i, const char **what)
{
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    HANDLE h = INVALID_HANDLE_VALUE;
    switch (i) {
    case 0:
        *what = "file";
        h = open_scratch_file(&sa);
        break;
    case 1:
        *what = "NUL";
        h = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
            &sa, OPEN_EXISTING, 0, NULL);
        break;
    case 2:
        *what = "event";
        h = CreateEventW(&sa, TRUE, FALSE, NULL);
        break;
    default:
        return -1;
    }
    if (h == NULL || h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "%s: error %lu\n", *what, (unsigned long)GetLastError());
        exit(2);
    }
    return (intptr_t)h;
}

size_t
xt_os_list_natives(intptr_t *out, size_t cap)
{
    /* As xt_os_handle_count: probe the values, multiples of 4, allocated low first. */
    size_t n = 0;
    for (uintptr_t v = 4; v < 65536; v += 4) {
        DWORD flags;
        if (!GetHandleInformation((HANDLE)v, &flags))
            continue;
        if (n < cap)
            out[n] = (intptr_t)v;
        n++;
    }
    return n;
}

int
xt_os_wait_expected(int obj)
{
    switch (obj) {
    case XT_OBJ_PROC:
    case XT_OBJ_EVENT:
    case XT_OBJ_SEM:
    case XT_OBJ_MUTEX:
    case XT_OBJ_NPIPE_SERVER: /* the event of the spare instance's pending connect */
        return XT_WAIT_SIGNALLED;
    case XT_OBJ_FIFO_READER:
        return XT_WAIT_NONE; /* many pipe instances behind a completion port and a thread */
    default:
        return XT_WAIT_ARMED;
    }
}

int
xt_os_native_ready(intptr_t native, int how, bool write)
{
    HANDLE h = (HANDLE)native;
    DWORD avail = 0;
    if (how == XT_WAIT_SIGNALLED) {
        DWORD w = WaitForSingleObject(h, 0);
        if (w == WAIT_TIMEOUT)
            return 0;
        if (w != WAIT_OBJECT_0 && w != WAIT_ABANDONED)
            return -1;
        (void)ReleaseMutex(h); /* fails but for a mutex, which the wait took */
        return 1;
    }
    if (how != XT_WAIT_ARMED || GetFileType(h) != FILE_TYPE_PIPE)
        return -1;
    if (write)
        return 1;
    if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
        return -1;
    return avail > 0;
}

void
xt_os_close_native(intptr_t native)
{
    CloseHandle((HANDLE)native);
}

int
xt_os_sigchld_discard(int how)
{
    (void)how;
    return -1; /* Windows has no SIGCHLD: a process's exit code stays until its last handle */
}

bool
xt_os_kernel_keeps_reaped_status(void)
{
    return false;
}

struct xt_os_raw_child {
    HANDLE process, job, in_w, out_r;
};

/* A job that ends the child when the test ends, however it ends. */
static HANDLE
kill_on_close_job(void)
{
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
    HANDLE job = CreateJobObjectW(NULL, NULL);
    memset(&info, 0, sizeof info);
    info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (job == NULL ||
        !SetInformationJobObject(job, JobObjectExtendedLimitInformation, &info, sizeof info)) {
        fprintf(stderr, "job: error %lu\n", (unsigned long)GetLastError());
        exit(2);
    }
    return job;
}

static void
raw_pipe(HANDLE *child_end, HANDLE *our_end, bool child_reads)
{
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
    HANDLE r, w;
    if (!CreatePipe(&r, &w, &sa, 0)) {
        fprintf(stderr, "CreatePipe: error %lu\n", (unsigned long)GetLastError());
        exit(2);
    }
    *child_end = child_reads ? r : w;
    *our_end = child_reads ? w : r;
    SetHandleInformation(*our_end, HANDLE_FLAG_INHERIT, 0);
}

xt_os_raw_child *
xt_os_raw_spawn(const char *role, const char *arg)
{
    HANDLE self = GetCurrentProcess(), in_r, out_w, err = NULL;
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    char line[4096];
    xt_os_raw_child *c = calloc(1, sizeof *c);
    snprintf(line, sizeof line, "\"%s\" --child %s %s", xt_os_self_exe(), role, arg ? arg : "");
    wchar_t *wline = wide_from_utf8(line);
    raw_pipe(&in_r, &c->in_w, true);
    raw_pipe(&out_w, &c->out_r, false);
    (void)DuplicateHandle(
        self, GetStdHandle(STD_ERROR_HANDLE), self, &err, 0, TRUE, DUPLICATE_SAME_ACCESS);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in_r;
    si.hStdOutput = out_w;
    si.hStdError = err;
    c->job = kill_on_close_job();
    DWORD flags = CREATE_SUSPENDED | (GetConsoleCP() == 0 ? DETACHED_PROCESS : 0);
    if (!CreateProcessW(NULL, wline, NULL, NULL, TRUE, flags, NULL, NULL, &si, &pi) ||
        !AssignProcessToJobObject(c->job, pi.hProcess) || ResumeThread(pi.hThread) == (DWORD)-1) {
        fprintf(stderr, "CreateProcessW: error %lu\n", (unsigned long)GetLastError());
        exit(2);
    }
    CloseHandle(pi.hThread);
    CloseHandle(in_r);
    CloseHandle(out_w);
    if (err != NULL)
        CloseHandle(err);
    free(wline);
    c->process = pi.hProcess;
    return c;
}

int
xt_os_raw_write(xt_os_raw_child *c, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        DWORD n = 0;
        if (!WriteFile(c->in_w, p, len > 65536 ? 65536 : (DWORD)len, &n, NULL) || n == 0)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

long
xt_os_raw_read(xt_os_raw_child *c, void *buf, size_t cap)
{
    DWORD n = 0;
    if (ReadFile(c->out_r, buf, cap > 65536 ? 65536 : (DWORD)cap, &n, NULL))
        return (long)n;
    return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
}

void
xt_os_raw_close_stdin(xt_os_raw_child *c)
{
    if (c->in_w != NULL)
        CloseHandle(c->in_w);
    c->in_w = NULL;
}

int
xt_os_raw_wait(xt_os_raw_child *c)
{
    DWORD code = (DWORD)-1;
    xt_os_raw_close_stdin(c);
    CloseHandle(c->out_r);
    if (WaitForSingleObject(c->process, 60000) != WAIT_OBJECT_0 ||
        !GetExitCodeProcess(c->process, &code))
        code = (DWORD)-1;
    CloseHandle(c->process);
    CloseHandle(c->job);
    free(c);
    return (int)code;
}

void
xt_os_close_stdin(void)
{
    CloseHandle(GetStdHandle(STD_INPUT_HANDLE));
    SetStdHandle(STD_INPUT_HANDLE, NULL);
}

/* ---- processes killed from outside, and stdin -------------------------------------------- */

int
xt_os_kill_with_signal(uint64_t pid, int sig)
{
    (void)pid;
    (void)sig;
    return -1;
}

int
xt_os_terminate_with_code(uint64_t pid, uint32_t code)
{
    HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid);
    if (h == NULL)
        return -1;
    BOOL ok = TerminateProcess(h, code);
    CloseHandle(h);
    return ok ? 0 : -1;
}

intptr_t
xt_os_stdin_native(void)
{
    return (intptr_t)GetStdHandle(STD_INPUT_HANDLE);
}

/* ---- children's standard streams, written as a program that is not xipc writes them ------ */

long
xt_os_std_write(int which, const void *buf, size_t len)
{
    DWORD n = 0;
    HANDLE h = GetStdHandle(which == 1 ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE);
    /* What the C runtime's write does: no OVERLAPPED, whatever the handle was opened for. */
    if (!WriteFile(h, buf, (DWORD)len, &n, NULL)) {
        fprintf(stderr, "WriteFile on std handle %d: error %lu after %lu bytes\n", which,
            (unsigned long)GetLastError(), (unsigned long)n);
        return -1;
    }
    return (long)n;
}

/* ---- jobs ---------------------------------------------------------------------------------- */

int
xt_os_join_new_job(void)
{
    HANDLE job = CreateJobObjectW(NULL, NULL);
    if (job == NULL)
        return -1;
    if (!AssignProcessToJobObject(job, GetCurrentProcess())) {
        fprintf(
            stderr, "AssignProcessToJobObject(self): error %lu\n", (unsigned long)GetLastError());
        (void)CloseHandle(job);
        return -1;
    }
    return 0; /* the handle stays open: the job lives as long as this process */
}

long
xt_os_spawn_breaking_away(void)
{
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    DWORD code = 1;
    char line[4096];
    snprintf(line, sizeof line, "\"%s\" --child proc_exit_with 0", xt_os_self_exe());
    wchar_t *wline = wide_from_utf8(line);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    DWORD flags = CREATE_BREAKAWAY_FROM_JOB | (GetConsoleCP() == 0 ? DETACHED_PROCESS : 0);
    BOOL ok = CreateProcessW(NULL, wline, NULL, NULL, FALSE, flags, NULL, NULL, &si, &pi);
    DWORD werr = GetLastError();
    free(wline);
    if (!ok)
        return (long)werr;
    /* Out of every job: it must not outlive the test if it hangs. */
    if (WaitForSingleObject(pi.hProcess, 30000) != WAIT_OBJECT_0)
        (void)TerminateProcess(pi.hProcess, 1);
    (void)GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return code == 0 ? 0 : 1000000 + (long)code;
}

/* ---- pipe squatters, file identity -------------------------------------------------------- */

#define SQUAT_INSTANCES 2

struct xt_os_squatter {
    HANDLE pipes[SQUAT_INSTANCES];
};

xt_os_squatter *
xt_os_squat_pipe(const char *pipe_name, bool fifo, const char **why)
{
    DWORD access = fifo ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_DUPLEX;
    DWORD type = (fifo ? PIPE_TYPE_MESSAGE : PIPE_TYPE_BYTE) | PIPE_READMODE_BYTE;
    SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, FALSE };
    wchar_t wname[160];
    xt_os_squatter *sq = calloc(1, sizeof *sq);
    size_t len = strlen(pipe_name);
    if (sq == NULL || len + 10 > sizeof wname / sizeof wname[0]) {
        *why = "out of memory, or too long a name";
        free(sq);
        return NULL;
    }
    wcscpy(wname, L"\\\\.\\pipe\\");
    for (size_t i = 0; i <= len; i++)
        wname[9 + i] = (wchar_t)(unsigned char)pipe_name[i]; /* ASCII */
    /* SYSTEM as the owner: neither the user nor an elevated user's Administrators. Windows takes
     * an owner the token does not hold only with SeRestorePrivilege enabled; Wine takes any. */
    (void)enable_restore_privilege();
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
            L"O:SYD:(A;;GA;;;WD)", SDDL_REVISION_1, &sa.lpSecurityDescriptor, NULL)) {
        *why = "ConvertStringSecurityDescriptorToSecurityDescriptorW failed";
        free(sq);
        return NULL;
    }
    for (int i = 0; i < SQUAT_INSTANCES; i++) {
        sq->pipes[i] =
            CreateNamedPipeW(wname, access, type | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, &sa);
        if (sq->pipes[i] == INVALID_HANDLE_VALUE) {
            sq->pipes[i] = NULL;
            *why = GetLastError() == ERROR_INVALID_OWNER
                ? "this user may not make SYSTEM a pipe's owner (no SeRestorePrivilege)"
                : "CreateNamedPipeW failed";
            xt_os_squatter_close(sq);
            sq = NULL;
            break;
        }
    }
    LocalFree(sa.lpSecurityDescriptor);
    return sq;
}

long
xt_os_squatter_received(xt_os_squatter *sq)
{
    long total = 0;
    for (int i = 0; i < SQUAT_INSTANCES; i++) {
        DWORD avail = 0;
        /* A client that came and left: ERROR_BROKEN_PIPE, with nothing kept. */
        if (PeekNamedPipe(sq->pipes[i], NULL, 0, NULL, &avail, NULL))
            total += (long)avail;
    }
    return total;
}

void
xt_os_squatter_close(xt_os_squatter *sq)
{
    if (sq == NULL)
        return;
    for (int i = 0; i < SQUAT_INSTANCES; i++) {
        if (sq->pipes[i] != NULL)
            CloseHandle(sq->pipes[i]);
    }
    free(sq);
}

/* Writes the n bytes at p, last byte first, as hex at out. */
static char *
put_hex(char *out, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n-- > 0)
        out += sprintf(out, "%02x", b[n]);
    return out;
}

int
xt_os_fifo_pipe_name(const char *path, char *buf, size_t cap)
{
    wchar_t *w = wide_from_utf8(path);
    FILE_ID_INFO info;
    char marker[29]; /* "xipc fifo 2 " + a stamp of 16 hex digits + "\n" */
    DWORD n = 0;
    HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
        NULL, OPEN_EXISTING, 0, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    if (!ReadFile(h, marker, sizeof marker, &n, NULL) || n != sizeof marker ||
        memcmp(marker, "xipc fifo 2 ", 12) != 0) {
        CloseHandle(h);
        return -1;
    }
    /* The same choice as win32_fifo.c's fifo_id: FileIdInfo, else the older index. */
    if (!GetFileInformationByHandleEx(h, FileIdInfo, &info, sizeof info)) {
        BY_HANDLE_FILE_INFORMATION old;
        if (!GetFileInformationByHandle(h, &old)) {
            CloseHandle(h);
            return -1;
        }
        memset(&info, 0, sizeof info);
        info.VolumeSerialNumber = old.dwVolumeSerialNumber;
        ULONGLONG index = (ULONGLONG)old.nFileIndexHigh << 32 | old.nFileIndexLow;
        memcpy(info.FileId.Identifier, &index, sizeof index); /* little-endian */
    }
    CloseHandle(h);
    char text[128], *end = text + sprintf(text, "xipc-fifo-");
    end = put_hex(end, &info.VolumeSerialNumber, sizeof info.VolumeSerialNumber);
    *end++ = '-';
    end = put_hex(end, info.FileId.Identifier, sizeof info.FileId.Identifier);
    end += sprintf(end, "-%.16s", marker + 12);
    if ((size_t)(end - text) >= cap)
        return -1;
    memcpy(buf, text, (size_t)(end - text) + 1);
    return 0;
}

int
xt_os_hard_link(const char *target, const char *link_path)
{
    wchar_t *wt = wide_from_utf8(target), *wl = wide_from_utf8(link_path);
    int rc = CreateHardLinkW(wl, wt, NULL) ? 0 : -1;
    free(wt);
    free(wl);
    return rc;
}

int
xt_os_raw_message_pair(intptr_t fds[2])
{
    (void)fds;
    return -1; /* no message socket pair: a message pipe is xipc's on both ends in the tests */
}

int
xt_os_raw_message_send(intptr_t fd, const void *buf, size_t len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return -1;
}

void
xt_os_raw_close(intptr_t fd)
{
    (void)fd;
}

bool
xt_os_make_description_nonblocking(intptr_t native)
{
    (void)native;
    return false; /* a HANDLE's mode is fixed when it is opened */
}

uint64_t
xt_os_cpu_ms(void)
{
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
        return 0;
    ULARGE_INTEGER k = { { kernel.dwLowDateTime, kernel.dwHighDateTime } };
    ULARGE_INTEGER u = { { user.dwLowDateTime, user.dwHighDateTime } };
    return (k.QuadPart + u.QuadPart) / 10000u; /* 100 ns units */
}

/* ---- shared memory sections -------------------------------------------------------------- */

int
xt_os_shm_path(const char *name, char *buf, size_t cap)
{
    (void)name;
    (void)buf;
    (void)cap;
    return -1;
}

void
xt_os_fault_default(void)
{
}

int
xt_os_foreign_shm_answer(const char *name, size_t size)
{
    char full[128];
    MEMORY_BASIC_INFORMATION mbi;
    snprintf(full, sizeof full, "Local\\%s", name);
    wchar_t *wname = wide_from_utf8(full);
    HANDLE h = OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, wname);
    free(wname);
    if (h == NULL)
        return -1;
    unsigned char *view = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
    int rc = -1;
    if (view != NULL && VirtualQuery(view, &mbi, sizeof mbi) == sizeof mbi &&
        mbi.RegionSize >= size) {
        rc = 0;
        for (size_t i = 0; i < size && i < 4096 && rc == 0; i++) {
            unsigned long long x = (unsigned long long)i * 0x9E3779B97F4A7C15ull;
            if (view[i] != (unsigned char)((x >> 56) ^ (i >> 12)))
                rc = -1;
        }
        if (rc == 0)
            memcpy(view + size - 16, XT_FOREIGN_ANSWER, 16);
    }
    if (view != NULL)
        UnmapViewOfFile(view);
    CloseHandle(h);
    return rc;
}

int
xt_os_raise_fd_limit(unsigned want)
{
    (void)want; /* a process's handles have no such limit */
    return 0;
}

int
xt_os_fd_limit_at_least(int n)
{
    (void)n; /* socket handles have no per-process limit of this kind */
    return 0;
}

bool
xt_os_is_inheritable(intptr_t native)
{
    DWORD flags = 0;
    return GetHandleInformation((HANDLE)native, &flags) && (flags & HANDLE_FLAG_INHERIT) != 0;
}

/* ---- Signals ---------------------------------------------------------------------------------- */

bool
xt_os_can_become_other_user(void)
{
    return false; /* a second user needs another logon's token, which a test cannot make */
}

int
xt_os_become_other_user(void)
{
    return -1;
}

intptr_t
xt_os_plant_signal_section(uint64_t pid)
{
    wchar_t name[64];
    _snwprintf(name, 64, L"Local\\xipc-signal#%llu", (unsigned long long)pid);
    name[63] = L'\0';
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    if (h == NULL)
        return -1;
    void *view = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 4096);
    if (view == NULL) {
        CloseHandle(h);
        return -1;
    }
    memset(view, 0xff, 4096);
    UnmapViewOfFile(view);
    return (intptr_t)h;
}

int
xt_os_run_in_own_console(const char *role, const char *arg, uint32_t *code)
{
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    DWORD exit_code = 0;
    char line[4096];
    snprintf(line, sizeof line, "\"%s\" --child %s %s", xt_os_self_exe(), role, arg ? arg : "");
    wchar_t *wline = wide_from_utf8(line);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    HANDLE job = kill_on_close_job();
    BOOL ok = CreateProcessW(NULL, wline, NULL, NULL, FALSE, CREATE_NEW_CONSOLE | CREATE_SUSPENDED,
        NULL, NULL, &si, &pi);
    free(wline);
    if (!ok)
        return -1;
    if (!AssignProcessToJobObject(job, pi.hProcess) || ResumeThread(pi.hThread) == (DWORD)-1 ||
        WaitForSingleObject(pi.hProcess, 60000) != WAIT_OBJECT_0 ||
        !GetExitCodeProcess(pi.hProcess, &exit_code)) {
        TerminateProcess(pi.hProcess, 1);
        exit_code = (DWORD)-1;
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CloseHandle(job);
    *code = exit_code;
    return exit_code == (DWORD)-1 ? -1 : 0;
}

long
xt_os_console_ctrl_c(void)
{
    return GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0) ? 0 : (long)GetLastError();
}

int
xt_os_ignore_hangup(void)
{
    return -1;
}

int
xt_os_raw_file_lock(const char *path, uint64_t offset, uint64_t len, bool exclusive)
{
    OVERLAPPED ov;
    wchar_t *w = wide_from_utf8(path);
    HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
        FILE_ATTRIBUTE_NORMAL, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    uint64_t length = len == 0 ? ((uint64_t)INT64_MAX + 1u) - offset : len;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)(offset & 0xffffffffu);
    ov.OffsetHigh = (DWORD)(offset >> 32);
    DWORD flags = LOCKFILE_FAIL_IMMEDIATELY | (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0);
    if (LockFileEx(h, flags, 0, (DWORD)(length & 0xffffffffu), (DWORD)(length >> 32), &ov))
        return 0; /* h stays open: the lock lives as long as it */
    DWORD werr = GetLastError();
    CloseHandle(h);
    return werr == ERROR_LOCK_VIOLATION ? 1 : -1;
}
