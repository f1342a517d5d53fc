/* tests/win32/xt_os.c: tests/xt_os.h on Windows (and Wine). */
#include "xt_os.h"

#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>

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

/* ---- stream/proc helpers (issue 12) ---- */

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

bool
xt_os_native_inheritable(intptr_t native)
{
    DWORD flags;
    return GetHandleInformation((HANDLE)native, &flags) && (flags & HANDLE_FLAG_INHERIT);
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
