/* common/proc.c: xipc_spawn and the process handle: argument checks, the child's environment,
 * and the list of native handles the platform passes on. */
#include "handle.h"

#include <stdlib.h>
#include <string.h>

/* Length of the key of a "KEY=VALUE" or "KEY" entry. Windows keeps per-drive entries such as
 * "=C:=C:\\dir": a leading '=' belongs to the key. */
static size_t
env_key_len(const char *entry)
{
    const char *eq = strchr(entry + (entry[0] == '='), '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool
env_same_key(const char *a, const char *b, bool fold_case)
{
    size_t n = env_key_len(a);
    if (n != env_key_len(b))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (fold_case && x >= 'a' && x <= 'z')
            x = (unsigned char)(x - 'a' + 'A');
        if (fold_case && y >= 'a' && y <= 'z')
            y = (unsigned char)(y - 'a' + 'A');
        if (x != y)
            return false;
    }
    return true;
}

/* Whether an entry of the base environment survives the caller's overrides. */
static bool
env_kept(const char *entry, const char *const *overrides, bool fold_case)
{
    for (size_t i = 0; overrides[i] != NULL; i++) {
        if (env_same_key(entry, overrides[i], fold_case))
            return false;
    }
    return true;
}

static size_t
env_count(const char *const *env)
{
    size_t n = 0;
    while (env != NULL && env[n] != NULL)
        n++;
    return n;
}

/* The child's environment: the base (the parent's, or empty) with each override replacing the
 * entry of the same key; an override without '=' only removes. The strings are borrowed from
 * base and overrides; *out is one malloc'd array. */
static int
env_merge(char **base, const char *const *overrides, const char ***out)
{
    bool fold = xipc__os_env_keys_fold_case();
    size_t n_base = env_count((const char *const *)base), n_over = env_count(overrides), n = 0;
    const char **env = malloc((n_base + n_over + 1) * sizeof *env);
    if (env == NULL)
        return XIPC_ENOMEM;
    for (size_t i = 0; i < n_base; i++) {
        if (env_kept(base[i], overrides, fold))
            env[n++] = base[i];
    }
    for (size_t i = 0; i < n_over; i++) {
        if (strchr(overrides[i] + (overrides[i][0] == '='), '=') != NULL)
            env[n++] = overrides[i];
    }
    env[n] = NULL;
    *out = env;
    return 0;
}

static int
check_env_entries(const char *const *env)
{
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        if (env_key_len(env[i]) == 0)
            return XIPC__FAIL(XIPC_EINVAL, "env: an entry with an empty key");
    }
    return 0;
}

static int
check_stdio(const xipc_spawn_opts *opts, struct xipc__spawn_plan *plan)
{
    for (int i = 0; i < 3; i++) {
        const xipc_stdio *io = &opts->stdio[i];
        plan->stdio_mode[i] = io->mode;
        plan->stdio_stream[i] = NULL;
        if (io->mode == XIPC_STDIO_INHERIT || io->mode == XIPC_STDIO_NULL) {
            if (io->stream != NULL)
                return XIPC__FAIL(XIPC_EINVAL, "stdio: a stream with a mode other than STREAM");
            continue;
        }
        if (io->mode != XIPC_STDIO_STREAM)
            return XIPC__FAIL(XIPC_EINVAL, "stdio: an unknown mode");
        int rc = xipc__handle_check(io->stream, XIPC_KIND_STREAM);
        if (rc != 0)
            return rc;
        /* stdin must be readable, stdout and stderr writable. */
        unsigned need = (i == 0) ? XIPC__STREAM_READ : XIPC__STREAM_WRITE;
        if ((io->stream->caps & need) == 0)
            return XIPC__FAIL(XIPC_EINVAL,
                i == 0 ? "stdio[0]: a write end given as stdin"
                       : "stdio[1] or [2]: a read end given as stdout or stderr");
        plan->stdio_stream[i] = &io->stream->os;
    }
    return 0;
}

/* Resolves opts->handles into the native handles the child inherits. */
static int
collect_inherit(const xipc_spawn_opts *opts, intptr_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (opts->handle_count == 0)
        return 0;
    if (opts->handles == NULL || opts->handle_count > SIZE_MAX / XIPC__NATIVES_MAX / sizeof **out)
        return XIPC__FAIL(XIPC_EINVAL, "handles: NULL, or handle_count beyond any array");
    intptr_t *natives = malloc(opts->handle_count * XIPC__NATIVES_MAX * sizeof *natives);
    if (natives == NULL)
        return XIPC_ENOMEM;
    for (size_t i = 0; i < opts->handle_count; i++) {
        size_t n = 0;
        int rc = xipc__handle_check(opts->handles[i], 0);
        if (rc == 0)
            rc = xipc__handle_natives(opts->handles[i], natives + *count, &n);
        if (rc != 0) {
            free(natives);
            *count = 0;
            return rc;
        }
        *count += n;
    }
    *out = natives;
    return 0;
}

static int
check_spawn_opts(const xipc_spawn_opts *opts)
{
    if (opts->file == NULL || opts->file[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "file: NULL or empty");
    if (opts->argv == NULL || opts->argv[0] == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "argv: NULL, or no argv[0]");
    if (opts->flags & ~(XIPC_SPAWN_CLEAR_ENV | XIPC_SPAWN_DIE_WITH_PARENT))
        return XIPC__FAIL(XIPC_EINVAL, "flags: a flag xipc/proc.h does not name");
    if (opts->cwd != NULL && opts->cwd[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "cwd: empty (NULL keeps this process's)");
    return check_env_entries(opts->env);
}

/* Builds the environment the platform gets: NULL (inherit as is) unless the caller changed it. */
static int
plan_env(const xipc_spawn_opts *opts, char ***snapshot, const char ***env)
{
    static const char *const no_overrides[] = { NULL };
    *snapshot = NULL;
    *env = NULL;
    if (opts->env == NULL && !(opts->flags & XIPC_SPAWN_CLEAR_ENV))
        return 0;
    if (!(opts->flags & XIPC_SPAWN_CLEAR_ENV)) {
        int rc = xipc__os_env_snapshot(snapshot);
        if (rc != 0)
            return rc;
    }
    return env_merge(*snapshot, opts->env ? opts->env : no_overrides, env);
}

int
xipc_spawn(const xipc_spawn_opts *opts, xipc_proc **out)
{
    struct xipc__spawn_plan plan;
    char **snapshot = NULL;
    const char **env = NULL;
    intptr_t *inherit = NULL;
    size_t inherit_count = 0;
    struct xipc_proc *p;
    int rc;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (opts == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "opts: NULL");
    if ((rc = check_spawn_opts(opts)) != 0 || (rc = check_stdio(opts, &plan)) != 0)
        return rc;
    if ((p = calloc(1, sizeof *p)) == NULL)
        return XIPC_ENOMEM;
    if ((rc = collect_inherit(opts, &inherit, &inherit_count)) != 0 ||
        (rc = plan_env(opts, &snapshot, &env)) != 0)
        goto out_free;
    plan.file = opts->file;
    plan.argv = opts->argv;
    plan.env = env;
    plan.cwd = opts->cwd;
    plan.inherit = inherit;
    plan.inherit_count = inherit_count;
    plan.flags = opts->flags;
    if ((rc = xipc__os_spawn(&plan, &p->os)) != 0)
        goto out_free;
    if ((rc = xipc__handle_register(&p->handle, XIPC_KIND_PROC)) != 0) {
        /* The child runs but nobody could wait for it: end it rather than leave it unowned. */
        (void)xipc__os_proc_kill(&p->os);
        xipc__os_proc_close(&p->os);
        goto out_free;
    }
    *out = p;
    p = NULL;
out_free:
    free(inherit);
    free(env);
    free(snapshot);
    free(p);
    return rc;
}

int
xipc_proc_wait(xipc_proc *p, xipc_exit_status *status, int timeout_ms)
{
    xipc__error_clear();
    int rc = xipc__handle_check(p, XIPC_KIND_PROC);
    if (rc != 0)
        return rc;
    if (status == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "status: NULL");
    if ((rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    return xipc__os_proc_wait(&p->os, status, xipc__deadline_in(timeout_ms));
}

int
xipc_proc_kill(xipc_proc *p)
{
    xipc__error_clear();
    int rc = xipc__handle_check(p, XIPC_KIND_PROC);
    return rc != 0 ? rc : xipc__os_proc_kill(&p->os);
}

int
xipc_proc_pid(const xipc_proc *p, uint64_t *pid)
{
    xipc__error_clear();
    int rc = xipc__handle_check(p, XIPC_KIND_PROC);
    if (rc != 0)
        return rc;
    if (pid == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "pid: NULL");
    *pid = xipc__os_proc_pid(&p->os);
    return 0;
}

void
xipc_proc_close(xipc_proc *p)
{
    xipc__handle_close(p, XIPC_KIND_PROC);
}

xipc_handle *
xipc_proc_handle(xipc_proc *p)
{
    return p ? &p->handle : NULL;
}

uint64_t
xipc_self_pid(void)
{
    return xipc__os_self_pid();
}

int
xipc_self_exe(char *buf, size_t cap)
{
    xipc__error_clear();
    if (buf == NULL || cap == 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL, or cap: 0");
    return xipc__os_self_exe(buf, cap);
}

/* ---- The kind table's row (common/kinds.h) ------------------------------------------------- */

void
xipc__proc_release(struct xipc_handle *h)
{
    struct xipc_proc *p = (struct xipc_proc *)h;
    xipc__os_proc_close(&p->os);
    free(p);
}

bool
xipc__proc_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_proc_holds(&((const struct xipc_proc *)h)->os, native);
}

void
xipc__proc_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    xipc__os_proc_waitable(&((const struct xipc_proc *)h)->os, w);
}
