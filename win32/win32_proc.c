/* win32/win32_proc.c: spawn, wait and kill with CreateProcessW (common/platform.h, "Processes").
 *
 * Only the handles on PROC_THREAD_ATTRIBUTE_HANDLE_LIST reach the child, so two spawns running at
 * once cannot leak each other's handles (libuv's scheme). Windows wants every listed handle to
 * be inheritable (Wine does not care: docs/wine.md): the child's standard streams are
 * inheritable duplicates made for this spawn, and the extra handles, whose values the child
 * already holds as export text, are made inheritable only while CreateProcessW runs. Everything
 * that can fail in a way the caller should hear about (program, directory, UTF-8) is checked
 * before CreateProcessW, so the code is the precise one. */
#include "win32_internal.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Serialises the inherit flags of the extra handles: without it, one spawn restoring a handle's
 * flag could clear it while another spawn listing the same handle is inside CreateProcessW. */
static SRWLOCK inherit_lock = SRWLOCK_INIT;

/* Everything CreateProcessW gets, owned by the spawn until it returns. */
struct spawn_ctx {
    wchar_t *cwd; /* or NULL */
    wchar_t *program; /* the resolved program, lpApplicationName */
    wchar_t *cmdline;
    wchar_t *env; /* environment block, or NULL for the parent's */
    HANDLE stdio[3]; /* inheritable duplicates for the child, or NULL */
    HANDLE *list; /* stdio[] and plan->inherit, each once */
    size_t list_len;
    DWORD *saved_flags; /* plan->inherit's handle flags before the spawn */
    LPPROC_THREAD_ATTRIBUTE_LIST attrs;
    bool attrs_ready; /* InitializeProcThreadAttributeList succeeded */
    /* A connection is passed: the child starts suspended until its sockets are duplicated for
     * it (win32_sock.c). */
    bool shares_sockets;
};

static void
spawn_ctx_free(struct spawn_ctx *ctx)
{
    for (int i = 0; i < 3; i++) {
        if (ctx->stdio[i] != NULL)
            (void)CloseHandle(ctx->stdio[i]);
    }
    if (ctx->attrs_ready)
        DeleteProcThreadAttributeList(ctx->attrs);
    free(ctx->attrs);
    free(ctx->saved_flags);
    free(ctx->list);
    free(ctx->env);
    free(ctx->cmdline);
    free(ctx->program);
    free(ctx->cwd);
}

/* ---- Finding the program and the directory -------------------------------------------------- */

static int
prepare_cwd(const char *cwd, wchar_t **out)
{
    if (cwd == NULL)
        return 0;
    int rc = xipc__win32_utf8_to_wide(cwd, out);
    if (rc != 0)
        return rc;
    /* Checked here because CreateProcessW reports a missing directory as ERROR_DIRECTORY. */
    DWORD attrs = GetFileAttributesW(*out);
    if (attrs == INVALID_FILE_ATTRIBUTES)
        return XIPC__OS_FAIL(GetLastError(), "GetFileAttributesW", cwd);
    return (attrs & FILE_ATTRIBUTE_DIRECTORY) ? 0 : XIPC_ENOTDIR;
}

static bool
has_path_separator(const char *file)
{
    return strpbrk(file, "/\\:") != NULL;
}

/* Not rooted ("\\x", "/x") and without a drive ("C:..."). */
static bool
is_relative(const wchar_t *path)
{
    return path[0] != L'\\' && path[0] != L'/' && !(path[0] != L'\0' && path[1] == L':');
}

/* A malloc'd copy of dir + "\\" + name + suffix; dir may be NULL. */
static wchar_t *
path_join(const wchar_t *dir, const wchar_t *name, const wchar_t *suffix)
{
    size_t dir_len = dir ? wcslen(dir) : 0, name_len = wcslen(name), suffix_len = wcslen(suffix);
    wchar_t *path = malloc((dir_len + name_len + suffix_len + 2) * sizeof *path);
    if (path == NULL)
        return NULL;
    wchar_t *p = path;
    if (dir_len > 0) {
        memcpy(p, dir, dir_len * sizeof *p);
        p += dir_len;
        if (dir[dir_len - 1] != L'\\' && dir[dir_len - 1] != L'/')
            *p++ = L'\\';
    }
    memcpy(p, name, name_len * sizeof *p);
    memcpy(p + name_len, suffix, (suffix_len + 1) * sizeof *p);
    return path;
}

/* 1: a file, 0: nothing there (GetLastError() says why), -1: a directory. */
static int
file_kind(const wchar_t *path)
{
    DWORD attrs = GetFileAttributesW(path);
    if (attrs == INVALID_FILE_ATTRIBUTES)
        return 0;
    return (attrs & FILE_ATTRIBUTE_DIRECTORY) ? -1 : 1;
}

/* A path with a separator is used as given, or with ".exe" added when only that exists. A
 * relative one starts from the child's directory, as POSIX execve after chdir does. */
static int
program_at_path(const char *file, const wchar_t *wfile, const wchar_t *cwd, wchar_t **out)
{
    const wchar_t *dir = (cwd != NULL && is_relative(wfile)) ? cwd : NULL;
    wchar_t *path = path_join(dir, wfile, L"");
    int kind = path ? file_kind(path) : 0;
    DWORD werr = GetLastError();
    if (path != NULL && kind != 1) {
        free(path);
        path = path_join(dir, wfile, L".exe");
        if (path != NULL && file_kind(path) != 1) {
            free(path);
            /* Like execve: a directory is not executable, a missing name is missing. */
            return kind == -1 ? XIPC_EACCES : XIPC__OS_FAIL(werr, "GetFileAttributesW", file);
        }
    }
    if (path == NULL)
        return XIPC_ENOMEM;
    *out = path;
    return 0;
}

/* A bare name is searched for as CreateProcessW would: the program's directory, the current
 * directory, the system directories, then PATH, adding ".exe" when the name has no extension. */
static int
program_on_search_path(const char *file, const wchar_t *wfile, wchar_t **out)
{
    DWORD cap = MAX_PATH;
    for (;;) {
        wchar_t *path = malloc(cap * sizeof *path);
        if (path == NULL)
            return XIPC_ENOMEM;
        DWORD n = SearchPathW(NULL, wfile, L".exe", cap, path, NULL);
        if (n > 0 && n < cap) {
            *out = path;
            return 0;
        }
        DWORD werr = GetLastError();
        free(path);
        if (n == 0)
            return XIPC__OS_FAIL(werr, "SearchPathW", file);
        cap = n; /* too small: n is the size needed, NUL included */
    }
}

static int
resolve_program(const char *file, const wchar_t *cwd, wchar_t **out)
{
    wchar_t *wfile;
    int rc = xipc__win32_utf8_to_wide(file, &wfile);
    if (rc != 0)
        return rc;
    if (has_path_separator(file))
        rc = program_at_path(file, wfile, cwd, out);
    else
        rc = program_on_search_path(file, wfile, out);
    free(wfile);
    return rc;
}

/* ---- The command line and the environment --------------------------------------------------- */

/* Writes c times times at out + *n (when out is not NULL) and advances *n. */
static void
emit(char *out, size_t *n, char c, size_t times)
{
    for (size_t i = 0; i < times; i++, (*n)++) {
        if (out != NULL)
            out[*n] = c;
    }
}

/* Quotes one argument (not argv[0]) so that CommandLineToArgvW and the C runtime give it back:
 * inside quotes, backslashes are doubled only where a quote follows them (an embedded quote, or
 * the closing one), and an embedded quote becomes \". Returns the bytes it takes. */
static size_t
quote_arg(const char *arg, char *out)
{
    size_t n = 0;
    if (arg[0] != '\0' && strpbrk(arg, " \t\n\v\"") == NULL) {
        for (const char *p = arg; *p != '\0'; p++)
            emit(out, &n, *p, 1);
        return n;
    }
    emit(out, &n, '"', 1);
    for (const char *p = arg;; p++) {
        size_t backslashes = 0;
        while (*p == '\\') {
            backslashes++;
            p++;
        }
        if (*p == '\0') {
            emit(out, &n, '\\', backslashes * 2);
            break;
        }
        emit(out, &n, '\\', *p == '"' ? backslashes * 2 + 1 : backslashes);
        emit(out, &n, *p, 1);
    }
    emit(out, &n, '"', 1);
    return n;
}

/* argv[0] follows other rules: CommandLineToArgvW and the C runtime take it literally up to the
 * next quote (quoted) or blank (unquoted), with no escapes. So backslashes stay as they are, and
 * a quote cannot be expressed (nor can it be in a Windows file name): the caller refuses it. */
static size_t
quote_program_name(const char *arg, char *out)
{
    size_t n = 0;
    bool quote = arg[0] == '\0' || strpbrk(arg, " \t") != NULL;
    emit(out, &n, '"', quote);
    for (const char *p = arg; *p != '\0'; p++)
        emit(out, &n, *p, 1);
    emit(out, &n, '"', quote);
    return n;
}

/* Lays the quoted arguments out in out (NULL: only measures), blank-separated, NUL-terminated.
 * Returns the bytes, NUL included. The quoting touches only ASCII bytes, which never occur
 * inside a UTF-8 sequence, so the line is converted to UTF-16 once, whole. */
static size_t
lay_out_cmdline(const char *const *argv, char *out)
{
    size_t n = quote_program_name(argv[0], out);
    for (size_t i = 1; argv[i] != NULL; i++) {
        emit(out, &n, ' ', 1);
        n += quote_arg(argv[i], out ? out + n : NULL);
    }
    emit(out, &n, '\0', 1);
    return n;
}

/* CreateProcessW's limit on lpCommandLine, in UTF-16 units with the NUL. */
#define CMDLINE_MAX 32767

static int
build_cmdline(const char *const *argv, wchar_t **out)
{
    if (strchr(argv[0], '"') != NULL)
        return XIPC_EINVAL;
    char *line = malloc(lay_out_cmdline(argv, NULL));
    if (line == NULL)
        return XIPC_ENOMEM;
    (void)lay_out_cmdline(argv, line);
    int rc = xipc__win32_utf8_to_wide(line, out);
    free(line);
    if (rc == 0 && wcslen(*out) >= CMDLINE_MAX) {
        free(*out);
        *out = NULL;
        rc = XIPC_ELIMIT; /* what E2BIG from execve gives on POSIX */
    }
    return rc;
}

/* Length of the key of "KEY=VALUE"; a leading '=' (per-drive entries "=C:=C:\\dir") belongs to
 * the key, as in common/proc.c. */
static int
env_key_len(const wchar_t *entry)
{
    const wchar_t *eq = wcschr(entry + (entry[0] == L'='), L'=');
    return (int)(eq ? (size_t)(eq - entry) : wcslen(entry));
}

/* Windows keeps environment blocks sorted by key, case-insensitively and without regard to
 * locale (MSDN "Changing Environment Variables"); some programs search them assuming that. */
static int
compare_env_keys(const void *a, const void *b)
{
    const wchar_t *x = *(const wchar_t *const *)a, *y = *(const wchar_t *const *)b;
    return CompareStringOrdinal(x, env_key_len(x), y, env_key_len(y), TRUE) - CSTR_EQUAL;
}

/* Joins the sorted entries into "K=V\0K=V\0\0" (an empty block is two NULs). */
static wchar_t *
join_env_block(wchar_t **entries, size_t count)
{
    size_t units = 2;
    for (size_t i = 0; i < count; i++)
        units += wcslen(entries[i]) + 1;
    wchar_t *block = malloc(units * sizeof *block);
    if (block == NULL)
        return NULL;
    wchar_t *p = block;
    for (size_t i = 0; i < count; i++) {
        size_t len = wcslen(entries[i]) + 1;
        memcpy(p, entries[i], len * sizeof *p);
        p += len;
    }
    p[0] = L'\0';
    p[1] = L'\0';
    return block;
}

static int
build_env_block(const char *const *env, wchar_t **out)
{
    size_t count = 0;
    int rc = 0;
    if (env == NULL)
        return 0; /* the parent's environment: lpEnvironment NULL */
    while (env[count] != NULL)
        count++;
    wchar_t **entries = calloc(count + 1, sizeof *entries);
    if (entries == NULL)
        return XIPC_ENOMEM;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = xipc__win32_utf8_to_wide(env[i], &entries[i]);
    if (rc == 0) {
        qsort(entries, count, sizeof *entries, compare_env_keys);
        if ((*out = join_env_block(entries, count)) == NULL)
            rc = XIPC_ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        free(entries[i]);
    free(entries);
    return rc;
}

static int
prepare_strings(const struct xipc__spawn_plan *plan, struct spawn_ctx *ctx)
{
    int rc = prepare_cwd(plan->cwd, &ctx->cwd);
    if (rc == 0)
        rc = resolve_program(plan->file, ctx->cwd, &ctx->program);
    if (rc == 0)
        rc = build_cmdline(plan->argv, &ctx->cmdline);
    if (rc == 0)
        rc = build_env_block(plan->env, &ctx->env);
    return rc;
}

/* ---- Handles -------------------------------------------------------------------------------- */

/* An inheritable duplicate of src for the child. For an inherited standard handle that cannot
 * be duplicated (a console handle of another kind, say), the slot is left empty instead. */
static int
dup_for_child(HANDLE src, bool optional, HANDLE *out)
{
    HANDLE self = GetCurrentProcess();
    if (DuplicateHandle(self, src, self, out, 0, TRUE, DUPLICATE_SAME_ACCESS))
        return 0;
    *out = NULL;
    return optional ? 0 : XIPC__OS_FAIL(GetLastError(), "DuplicateHandle", NULL);
}

static int
open_null_device(HANDLE *out)
{
    if (*out != NULL)
        return 0;
    HANDLE h = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
        NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return XIPC__OS_FAIL(GetLastError(), "CreateFileW", "NUL");
    *out = h;
    return 0;
}

static int
prepare_stdio(struct xipc__spawn_plan *plan, struct spawn_ctx *ctx)
{
    static const DWORD std_ids[3] = { STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE };
    HANDLE null_device = NULL;
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        int mode = plan->stdio_mode[i];
        HANDLE src;
        /* The child's end is made inheritable for this spawn alone: no duplicate needed. */
        if (mode == XIPC_STDIO_PIPE) {
            rc = xipc__win32_child_pipe(i, &plan->stdio_pipe[i], &ctx->stdio[i]);
            continue;
        }
        /* A FIFO reader has no one handle a child could use, and a program that is not xipc
         * would write to a FIFO writer without the frames its reader expects (win32_fifo.c).
         * (A stream over a standard handle, not passable, is a fine standard handle.) */
        /* Nor can a socket be: inherited by value it is no socket in the child under Wine
         * (notes/wine.md), and xipc's are overlapped and non-blocking, which a program's
         * synchronous ReadFile on its stdin does not expect (win32_sock.c). */
        /* A passed end is asked what it is first (it may be a FIFO writer's). */
        if (mode == XIPC_STDIO_STREAM &&
            (rc = xipc__win32_stream_classify(plan->stdio_stream[i])) != 0)
            break;
        if (mode == XIPC_STDIO_STREAM &&
            (plan->stdio_stream[i]->fifo != NULL ||
                plan->stdio_stream[i]->kind == XIPC__WIN32_STREAM_FIFO_WRITER ||
                plan->stdio_stream[i]->kind == XIPC__WIN32_STREAM_SOCKET)) {
            rc = XIPC_ENOTSUP;
            break;
        }
        if (mode == XIPC_STDIO_STREAM)
            src = plan->stdio_stream[i]->handle;
        else if (mode == XIPC_STDIO_NULL)
            src = (rc = open_null_device(&null_device)) == 0 ? null_device : NULL;
        else
            src = GetStdHandle(std_ids[i]); /* NULL or INVALID_HANDLE_VALUE: the parent has none */
        if (src != NULL && src != INVALID_HANDLE_VALUE)
            rc = dup_for_child(src, mode == XIPC_STDIO_INHERIT, &ctx->stdio[i]);
    }
    if (null_device != NULL)
        (void)CloseHandle(null_device);
    return rc;
}

/* Real Windows rejects a handle listed twice (Wine does not mind). */
static void
list_add_once(struct spawn_ctx *ctx, HANDLE h)
{
    for (size_t i = 0; i < ctx->list_len; i++) {
        if (ctx->list[i] == h)
            return;
    }
    ctx->list[ctx->list_len++] = h;
}

static int
build_handle_list(const struct xipc__spawn_plan *plan, struct spawn_ctx *ctx)
{
    ctx->list = malloc((3 + plan->inherit_count) * sizeof *ctx->list);
    ctx->saved_flags = malloc((plan->inherit_count + 1) * sizeof *ctx->saved_flags);
    if (ctx->list == NULL || ctx->saved_flags == NULL)
        return XIPC_ENOMEM;
    for (int i = 0; i < 3; i++) {
        if (ctx->stdio[i] != NULL)
            list_add_once(ctx, ctx->stdio[i]);
    }
    for (size_t i = 0; i < plan->inherit_count; i++) {
        if (plan->inherit[i] <= 0)
            return XIPC_EBADF; /* a pseudo-handle, never an xipc stream */
        list_add_once(ctx, (HANDLE)plan->inherit[i]);
    }
    return 0;
}

/* The attribute list naming the handles to inherit; none when there is nothing to list (an
 * empty PROC_THREAD_ATTRIBUTE_HANDLE_LIST is refused). ctx->list must outlive CreateProcessW. */
static int
build_attr_list(struct spawn_ctx *ctx)
{
    SIZE_T size = 0;
    if (ctx->list_len == 0)
        return 0;
    /* The first call fails with ERROR_INSUFFICIENT_BUFFER and gives the size. */
    (void)InitializeProcThreadAttributeList(NULL, 1, 0, &size);
    if ((ctx->attrs = malloc(size)) == NULL)
        return XIPC_ENOMEM;
    if (!InitializeProcThreadAttributeList(ctx->attrs, 1, 0, &size))
        return XIPC__OS_FAIL(GetLastError(), "InitializeProcThreadAttributeList", NULL);
    ctx->attrs_ready = true;
    if (!UpdateProcThreadAttribute(ctx->attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, ctx->list,
            ctx->list_len * sizeof *ctx->list, NULL, NULL))
        return XIPC__OS_FAIL(GetLastError(), "UpdateProcThreadAttribute", NULL);
    return 0;
}

/* Makes each extra handle inheritable, saving its flags first. Holds inherit_lock. */
static int
mark_inheritable(const struct xipc__spawn_plan *plan, DWORD *saved, size_t *marked)
{
    for (size_t i = 0; i < plan->inherit_count; i++) {
        HANDLE h = (HANDLE)plan->inherit[i];
        if (!GetHandleInformation(h, &saved[i]))
            return XIPC__OS_FAIL(GetLastError(), "GetHandleInformation", NULL);
        if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
            return XIPC__OS_FAIL(GetLastError(), "SetHandleInformation", NULL);
        *marked = i + 1;
    }
    return 0;
}

/* Puts the flags back, last first, so a handle listed twice ends as it began. */
static void
restore_inheritable(const struct xipc__spawn_plan *plan, const DWORD *saved, size_t marked)
{
    while (marked-- > 0)
        (void)SetHandleInformation((HANDLE)plan->inherit[marked], HANDLE_FLAG_INHERIT,
            saved[marked] & HANDLE_FLAG_INHERIT);
}

/* ---- Starting the child --------------------------------------------------------------------- */

/* Whether this is Wine (ntdll exports wine_get_version there, and nowhere on Windows), looked
 * up once. The console flags below and win32_flock.c's lock waits depend on it. */
bool
xipc__win32_running_under_wine(void)
{
    static LONG volatile known; /* 0 not yet looked up, 1 Windows, 2 Wine */
    LONG v = InterlockedCompareExchange(&known, 0, 0);
    if (v == 0) {
        HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
        v = (ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL) ? 2 : 1;
        (void)InterlockedExchange(&known, v);
    }
    return v == 2;
}

/* The console a child gets. A process with a console shares it with the child (no flag), so
 * Ctrl+C reaches both as on a POSIX terminal. Without one (GetConsoleCP() is 0: a service, a GUI
 * program, Wine without a tty), a console child would open a console window of its own.
 * CREATE_NO_WINDOW gives it a console without a window, which every console program it starts
 * in turn shares: nothing ever shows. (DETACHED_PROCESS would leave the child without a console,
 * and each console program the child starts would then open a visible window.)
 *
 * Wine 8 differs: for CREATE_NO_WINDOW it starts a conhost.exe for the child, which inherits the
 * child's inheritable handles, so a pipe end the child was given stays open after the child
 * exits (measured: the parent's next write succeeded instead of failing with ERROR_NO_DATA), and
 * each spawn takes ~2.3 s longer (docs/wine.md). Under Wine, and only there, the child gets
 * DETACHED_PROCESS; Wine opens no windows for it either way. */
static DWORD
console_flags(void)
{
    if (GetConsoleCP() != 0)
        return 0;
    return xipc__win32_running_under_wine() ? DETACHED_PROCESS : CREATE_NO_WINDOW;
}

static DWORD
creation_flags(const struct xipc__spawn_plan *plan, const struct spawn_ctx *ctx)
{
    DWORD flags = CREATE_UNICODE_ENVIRONMENT | console_flags();
    if (ctx->attrs_ready)
        flags |= EXTENDED_STARTUPINFO_PRESENT;
    if ((plan->flags & XIPC_SPAWN_DIE_WITH_PARENT) || ctx->shares_sockets)
        flags |= CREATE_SUSPENDED; /* joins the job, gets its sockets, before it runs */
    return flags;
}

static int
start_child(const struct xipc__spawn_plan *plan, struct spawn_ctx *ctx, PROCESS_INFORMATION *pi)
{
    STARTUPINFOEXW si;
    size_t marked = 0;
    DWORD werr = ERROR_SUCCESS;
    memset(&si, 0, sizeof si);
    /* The extended size only goes with EXTENDED_STARTUPINFO_PRESENT (creation_flags). */
    si.StartupInfo.cb = ctx->attrs_ready ? sizeof si : sizeof si.StartupInfo;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = ctx->stdio[0];
    si.StartupInfo.hStdOutput = ctx->stdio[1];
    si.StartupInfo.hStdError = ctx->stdio[2];
    si.lpAttributeList = ctx->attrs_ready ? ctx->attrs : NULL;
    AcquireSRWLockExclusive(&inherit_lock);
    int rc = mark_inheritable(plan, ctx->saved_flags, &marked);
    if (rc == 0 &&
        !CreateProcessW(ctx->program, ctx->cmdline, NULL, NULL, ctx->list_len > 0,
            creation_flags(plan, ctx), ctx->env, ctx->cwd, &si.StartupInfo, pi))
        werr = GetLastError();
    restore_inheritable(plan, ctx->saved_flags, marked);
    ReleaseSRWLockExclusive(&inherit_lock);
    if (rc != 0 || werr == ERROR_SUCCESS)
        return rc;
    rc = XIPC__OS_FAIL(werr, "CreateProcessW", plan->file);
    /* The directory was there when prepare_cwd looked: it vanished since. */
    return werr == ERROR_DIRECTORY ? XIPC_ENOENT : rc;
}

/* ---- XIPC_SPAWN_DIE_WITH_PARENT: one kill-on-close job per process -------------------------- */

/* The promise is the direct child's only, as PR_SET_PDEATHSIG's on Linux: the child is put in a
 * job that ends every process in it when its last handle closes, which happens when this process
 * ends, however it ends. What the child starts is not in the job: with
 * JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK the processes of the job create children that are not
 * associated with it, so those outlive us unless the child asked the same for them. And a child
 * that asks for CREATE_BREAKAWAY_FROM_JOB gets it (JOB_OBJECT_LIMIT_BREAKAWAY_OK) instead of
 * failing, as it did while the job held back its children. */

struct job_failure {
    DWORD werr;
    const char *call;
};

/* INIT_ONCE callback. The job handle is never closed: it closes when this process ends. */
static BOOL CALLBACK
create_kill_job(PINIT_ONCE once, PVOID param, PVOID *context)
{
    struct job_failure *f = param;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
    (void)once;
    HANDLE job = CreateJobObjectW(NULL, NULL); /* not inheritable */
    if (job == NULL) {
        f->werr = GetLastError();
        f->call = "CreateJobObjectW";
        return FALSE;
    }
    memset(&info, 0, sizeof info);
    info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
        JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK | JOB_OBJECT_LIMIT_BREAKAWAY_OK;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &info, sizeof info)) {
        f->werr = GetLastError();
        f->call = "SetInformationJobObject";
        (void)CloseHandle(job);
        return FALSE;
    }
    *context = job; /* handle values are multiples of 4: INIT_ONCE's reserved bits stay zero */
    return TRUE;
}

/* Puts the suspended child into the job, then lets it run. A job this process is in may forbid
 * it: before Windows 8 a process in a job cannot join another, and later ones refuse a job
 * hierarchy they cannot nest (AssignProcessToJobObject: ERROR_ACCESS_DENIED). The promise cannot
 * be kept then, and the child, which has not run, is not started: XIPC_EPERM (xipc/proc.h). */
static int
join_kill_job(const PROCESS_INFORMATION *pi)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    struct job_failure f = { ERROR_SUCCESS, "InitOnceExecuteOnce" };
    PVOID job = NULL;
    if (!InitOnceExecuteOnce(&once, create_kill_job, &f, &job))
        return XIPC__OS_FAIL(f.werr != ERROR_SUCCESS ? f.werr : GetLastError(), f.call, NULL);
    if (!AssignProcessToJobObject(job, pi->hProcess)) {
        DWORD werr = GetLastError();
        int rc = XIPC__OS_FAIL(werr, "AssignProcessToJobObject", NULL);
        return werr == ERROR_ACCESS_DENIED ? XIPC_EPERM : rc;
    }
    if (ResumeThread(pi->hThread) == (DWORD)-1)
        return XIPC__OS_FAIL(GetLastError(), "ResumeThread", NULL);
    return 0;
}

/* Closes this process's ends of the XIPC_STDIO_PIPE slots: the spawn failed. */
static void
close_our_pipe_ends(struct xipc__spawn_plan *plan)
{
    for (int i = 0; i < 3; i++)
        xipc__os_stream_close(&plan->stdio_pipe[i]);
}

/* Lets the suspended child run once its sockets are duplicated for it and it joined the job. */
static int
let_child_run(
    const struct xipc__spawn_plan *plan, const struct spawn_ctx *ctx, const PROCESS_INFORMATION *pi)
{
    int rc = 0;
    if (ctx->shares_sockets &&
        (rc = xipc__win32_sock_share_with(plan->inherit, plan->inherit_count, pi->dwProcessId)) !=
            0)
        return rc;
    if (plan->flags & XIPC_SPAWN_DIE_WITH_PARENT)
        return join_kill_job(pi);
    if (ctx->shares_sockets && ResumeThread(pi->hThread) == (DWORD)-1)
        return XIPC__OS_FAIL(GetLastError(), "ResumeThread", NULL);
    return 0;
}

int
xipc__os_spawn(struct xipc__spawn_plan *plan, struct xipc__os_proc *p)
{
    struct spawn_ctx ctx;
    PROCESS_INFORMATION pi;
    memset(&ctx, 0, sizeof ctx);
    ctx.shares_sockets = xipc__win32_sock_shares(plan->inherit, plan->inherit_count);
    int rc = prepare_strings(plan, &ctx);
    if (rc == 0)
        rc = prepare_stdio(plan, &ctx);
    if (rc == 0)
        rc = build_handle_list(plan, &ctx);
    if (rc == 0)
        rc = build_attr_list(&ctx);
    if (rc == 0)
        rc = start_child(plan, &ctx, &pi);
    spawn_ctx_free(&ctx);
    if (rc == 0 && (rc = let_child_run(plan, &ctx, &pi)) != 0) {
        /* A child that would outlive us against the caller's wish, or that could not get its
         * sockets, never runs, and is gone, with the handles it inherited, when the spawn
         * returns. */
        (void)TerminateProcess(pi.hProcess, XIPC__WIN32_KILL_CODE);
        (void)WaitForSingleObject(pi.hProcess, INFINITE);
        (void)CloseHandle(pi.hThread);
        (void)CloseHandle(pi.hProcess);
    }
    if (rc != 0) {
        close_our_pipe_ends(plan);
        return rc;
    }
    (void)CloseHandle(pi.hThread);
    p->process = pi.hProcess;
    p->pid = pi.dwProcessId;
    p->killed = false;
    return 0;
}

/* ---- Waiting and killing -------------------------------------------------------------------- */

/* An unhandled exception ends a process with the exception code as its exit code: an NTSTATUS of
 * error severity (top bits 11: 0xC0000005, or 0xE06D7363 for a C++ exception, whose customer bit
 * is set). Bit 28 is reserved and zero in every NTSTATUS, which keeps out the exit codes of
 * exit(-1) and its small negative neighbours (0xFFFFFFFF down to 0xF0000000). */
static bool
is_exception_code(DWORD code)
{
    return (code & 0xD0000000u) == 0xC0000000u;
}

int
xipc__os_proc_wait(struct xipc__os_proc *p, xipc_exit_status *status, xipc__deadline dl)
{
    DWORD code;
    DWORD w = xipc__win32_wait(p->process, dl);
    if (w == WAIT_TIMEOUT)
        return XIPC_ETIMEDOUT;
    if (w != WAIT_OBJECT_0)
        return XIPC__OS_FAIL(GetLastError(), "WaitForSingleObject", NULL);
    if (!GetExitCodeProcess(p->process, &code))
        return XIPC__OS_FAIL(GetLastError(), "GetExitCodeProcess", NULL);
    /* The OS keeps only the exit code: TerminateProcess(h, n) from anyone else reads as exit(n)
     * (xipc/proc.h, enum xipc_exit_kind). */
    status->code = code;
    if (p->killed && code == XIPC__WIN32_KILL_CODE) {
        status->kind = XIPC_EXIT_KILLED;
        status->code = 0;
    } else if (is_exception_code(code)) {
        status->kind = XIPC_EXIT_CRASHED;
    } else {
        status->kind = XIPC_EXIT_NORMAL;
    }
    return 0;
}

int
xipc__os_proc_kill(struct xipc__os_proc *p)
{
    if (TerminateProcess(p->process, XIPC__WIN32_KILL_CODE)) {
        p->killed = true;
        return 0;
    }
    DWORD werr = GetLastError();
    /* Windows refuses to terminate a process that has ended (ERROR_ACCESS_DENIED); Wine returns
     * TRUE (docs/wine.md). Either way an ended child is not an error. */
    if (WaitForSingleObject(p->process, 0) == WAIT_OBJECT_0)
        return 0;
    return XIPC__OS_FAIL(werr, "TerminateProcess", NULL);
}

uint64_t
xipc__os_proc_pid(const struct xipc__os_proc *p)
{
    return p->pid;
}

void
xipc__os_proc_close(struct xipc__os_proc *p)
{
    if (p->process != NULL)
        (void)CloseHandle(p->process);
    memset(p, 0, sizeof *p);
}

bool
xipc__os_proc_holds(const struct xipc__os_proc *p, intptr_t native)
{
    return native != 0 && (HANDLE)native == p->process;
}

void
xipc__os_proc_waitable(const struct xipc__os_proc *p, struct xipc__wait *w)
{
    w->how = XIPC__WAIT_SIGNALLED; /* a process handle is signalled once the process ended */
    w->native = (intptr_t)p->process;
}

uint64_t
xipc__os_self_pid(void)
{
    return GetCurrentProcessId();
}

/* GetModuleFileNameW gives no size: it truncates to the buffer and returns its size, so grow
 * until the path fits. Long paths reach 32767 units. */
static int
module_path(wchar_t **out)
{
    for (DWORD cap = MAX_PATH;; cap *= 2) {
        wchar_t *path = malloc(cap * sizeof *path);
        if (path == NULL)
            return XIPC_ENOMEM;
        DWORD n = GetModuleFileNameW(NULL, path, cap);
        if (n > 0 && n < cap) {
            *out = path;
            return 0;
        }
        DWORD werr = GetLastError();
        free(path);
        if (n == 0 || cap > 32768)
            return XIPC__OS_FAIL(werr, "GetModuleFileNameW", NULL);
    }
}

int
xipc__os_self_exe(char *buf, size_t cap)
{
    wchar_t *path = NULL;
    int rc = module_path(&path);
    if (rc != 0)
        return rc;
    size_t need = xipc__win32_utf8_size(path, -1);
    if (need == 0 || need > cap)
        rc = XIPC_ENAMETOOLONG;
    else
        (void)xipc__win32_to_utf8(path, -1, buf, cap);
    free(path);
    return rc;
}
