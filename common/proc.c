/* common/proc.c: xipc_spawn and the process handle: argument checks, the child's environment,
 * and the list of native handles the platform passes on. */
#include "handle.h"

#include <limits.h>
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

static bool
env_sets(const char *entry)
{
    return strchr(entry + (entry[0] == '='), '=') != NULL;
}

/* The child's environment: the base (the parent's, or empty) with each override replacing the
 * entry of the same key, and xipc's own entry (inherited, "XIPC_INHERITED=..." or the bare key)
 * replacing both; an entry without '=' only removes. The strings are borrowed from base,
 * overrides and inherited; *out is one malloc'd array. */
static int
env_merge(char **base, const char *const *overrides, const char *inherited, const char ***out)
{
    const char *const ours[] = { inherited, NULL };
    bool fold = xipc__os_env_keys_fold_case();
    size_t n_base = env_count((const char *const *)base), n_over = env_count(overrides), n = 0;
    const char **env = malloc((n_base + n_over + 2) * sizeof *env);
    if (env == NULL)
        return XIPC_ENOMEM;
    for (size_t i = 0; i < n_base; i++) {
        if (env_kept(base[i], overrides, fold) && env_kept(base[i], ours, fold))
            env[n++] = base[i];
    }
    for (size_t i = 0; i < n_over; i++) {
        if (env_sets(overrides[i]) && env_kept(overrides[i], ours, fold))
            env[n++] = overrides[i];
    }
    if (env_sets(inherited))
        env[n++] = inherited;
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

/* Clears the caller's *pipe_end of every XIPC_STDIO_PIPE slot, so that a failed spawn leaves
 * NULL there whatever failed. */
static void
clear_pipe_ends(const xipc_spawn_opts *opts)
{
    for (int i = 0; i < 3; i++) {
        if (opts->stdio[i].mode == XIPC_STDIO_PIPE && opts->stdio[i].pipe_end != NULL)
            *opts->stdio[i].pipe_end = NULL;
    }
}

static int
check_pipe_slot(const xipc_stdio *stdio, int i)
{
    if (stdio[i].stream != NULL || stdio[i].pipe_end == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "stdio: PIPE without pipe_end, or with a stream");
    for (int j = 0; j < i; j++) {
        if (stdio[j].mode == XIPC_STDIO_PIPE && stdio[j].pipe_end == stdio[i].pipe_end)
            return XIPC__FAIL(XIPC_EINVAL, "stdio: two PIPE slots with one pipe_end");
    }
    return 0;
}

static int
check_stdio(const xipc_spawn_opts *opts, struct xipc__spawn_plan *plan)
{
    memset(plan->stdio_pipe, 0, sizeof plan->stdio_pipe);
    for (int i = 0; i < 3; i++) {
        const xipc_stdio *io = &opts->stdio[i];
        plan->stdio_mode[i] = io->mode;
        plan->stdio_stream[i] = NULL;
        if (io->mode == XIPC_STDIO_PIPE) {
            int rc = check_pipe_slot(opts->stdio, i);
            if (rc != 0)
                return rc;
            continue;
        }
        /* pipe_end is read for PIPE only: code that fills mode and stream alone, written
         * before the field existed, leaves it undefined. */
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

/* What the child inherits for opts->handles: their native handles, and the environment entry
 * that numbers their export texts, "XIPC_INHERITED=<text 0> <text 1> ...", or the bare key (which
 * removes a variable this process inherited) when there are none. */
struct inherit_plan {
    intptr_t *natives;
    size_t count;
    char *entry;
};

static int
plan_inherit(const xipc_spawn_opts *opts, struct inherit_plan *ip)
{
    size_t n_handles = opts->handle_count;
    ip->natives = NULL;
    ip->count = 0;
    ip->entry = NULL;
    if (n_handles > 0 &&
        (opts->handles == NULL || n_handles > SIZE_MAX / XIPC__NATIVES_MAX / sizeof(intptr_t) ||
            n_handles > SIZE_MAX / XIPC_HANDLE_TEXT_MAX - 1))
        return XIPC__FAIL(XIPC_EINVAL, "handles: NULL, or handle_count beyond any array");
    /* Each text and its separator (or the NUL) fit in XIPC_HANDLE_TEXT_MAX. */
    ip->entry = malloc(sizeof XIPC__INHERITED_VAR + (n_handles + 1) * XIPC_HANDLE_TEXT_MAX);
    ip->natives = malloc((n_handles ? n_handles : 1) * XIPC__NATIVES_MAX * sizeof *ip->natives);
    if (ip->entry == NULL || ip->natives == NULL)
        return XIPC_ENOMEM;
    char *end = ip->entry + strlen(strcpy(ip->entry, XIPC__INHERITED_VAR));
    for (size_t i = 0; i < n_handles; i++) {
        size_t n = 0;
        int rc = xipc__handle_check(opts->handles[i], 0);
        *end++ = (i == 0) ? '=' : ' ';
        if (rc == 0)
            rc = xipc__handle_pass(
                opts->handles[i], end, XIPC_HANDLE_TEXT_MAX, ip->natives + ip->count, &n);
        if (rc != 0)
            return rc;
        end += strlen(end);
        ip->count += n;
    }
    *end = '\0';
    return 0;
}

static void
inherit_plan_free(struct inherit_plan *ip)
{
    free(ip->natives);
    free(ip->entry);
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

static bool
env_has_key(char **env, const char *key)
{
    const char *const keys[] = { key, NULL };
    bool fold = xipc__os_env_keys_fold_case();
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        if (!env_kept(env[i], keys, fold))
            return true;
    }
    return false;
}

/* Builds the environment the platform gets: NULL (inherit as is) unless the caller changed it,
 * handles are numbered for the child, or this process's own numbered handles must not reach it. */
static int
plan_env(const xipc_spawn_opts *opts, const char *inherited, char ***snapshot, const char ***env)
{
    static const char *const no_overrides[] = { NULL };
    bool clear = (opts->flags & XIPC_SPAWN_CLEAR_ENV) != 0;
    int rc;
    *snapshot = NULL;
    *env = NULL;
    if (!clear && (rc = xipc__os_env_snapshot(snapshot)) != 0)
        return rc;
    if (opts->env == NULL && !clear && opts->handle_count == 0 &&
        !env_has_key(*snapshot, XIPC__INHERITED_VAR))
        return 0;
    return env_merge(*snapshot, opts->env ? opts->env : no_overrides, inherited, env);
}

/* Makes xipc streams of this process's ends of the XIPC_STDIO_PIPE slots (plan->stdio_pipe),
 * or, on failure, closes every one of them. */
static int
wrap_pipe_ends(struct xipc__spawn_plan *plan, struct xipc_stream *ends[3])
{
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        ends[i] = NULL;
        if (plan->stdio_mode[i] != XIPC_STDIO_PIPE)
            continue;
        if (rc == 0) /* stdin's end writes to the child, the others read from it */
            rc = xipc__stream_wrap(
                &plan->stdio_pipe[i], i == 0 ? XIPC__STREAM_WRITE : XIPC__STREAM_READ, &ends[i]);
        else
            xipc__os_stream_close(&plan->stdio_pipe[i]);
    }
    for (int i = 0; i < 3 && rc != 0; i++) {
        xipc_stream_close(ends[i]);
        ends[i] = NULL;
    }
    return rc;
}

/* The child is running: gives the caller its handle and the pipe ends, or, if they cannot be
 * made into handles, ends the child rather than leave it unowned. */
static int
adopt_child(const xipc_spawn_opts *opts, struct xipc__spawn_plan *plan, struct xipc_proc *p)
{
    struct xipc_stream *ends[3];
    int rc = wrap_pipe_ends(plan, ends);
    if (rc == 0 && (rc = xipc__handle_register(&p->handle, XIPC_KIND_PROC)) != 0) {
        for (int i = 0; i < 3; i++)
            xipc_stream_close(ends[i]);
    }
    if (rc != 0) {
        (void)xipc__os_proc_kill(&p->os);
        xipc__os_proc_close(&p->os);
        return rc;
    }
    for (int i = 0; i < 3; i++) {
        if (ends[i] != NULL)
            *opts->stdio[i].pipe_end = ends[i];
    }
    return 0;
}

int
xipc_spawn(const xipc_spawn_opts *opts, xipc_proc **out)
{
    struct xipc__spawn_plan plan;
    char **snapshot = NULL;
    const char **env = NULL;
    struct inherit_plan inherit = { NULL, 0, NULL };
    struct xipc_proc *p;
    int rc;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (opts == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "opts: NULL");
    clear_pipe_ends(opts);
    if ((rc = check_spawn_opts(opts)) != 0 || (rc = check_stdio(opts, &plan)) != 0)
        return rc;
    if ((p = calloc(1, sizeof *p)) == NULL)
        return XIPC_ENOMEM;
    if ((rc = plan_inherit(opts, &inherit)) != 0 ||
        (rc = plan_env(opts, inherit.entry, &snapshot, &env)) != 0)
        goto out_free;
    plan.file = opts->file;
    plan.argv = opts->argv;
    plan.env = env;
    plan.cwd = opts->cwd;
    plan.inherit = inherit.natives;
    plan.inherit_count = inherit.count;
    plan.flags = opts->flags;
    if ((rc = xipc__os_spawn(&plan, &p->os)) != 0 || (rc = adopt_child(opts, &plan, p)) != 0)
        goto out_free;
    *out = p;
    p = NULL;
out_free:
    inherit_plan_free(&inherit);
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
xipc_exit_status_signal(const xipc_exit_status *status)
{
    return status != NULL ? xipc__os_exit_signal(status) : 0;
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

/* ---- Numbered inherited handles, the child's side ------------------------------------------ */

/* The value of XIPC_INHERITED in this process's environment, in a copy the caller frees, or NULL
 * when the variable is unset (*value NULL, return 0). */
static int
inherited_value(char **value)
{
    char **env = NULL;
    *value = NULL;
    int rc = xipc__os_env_snapshot(&env);
    if (rc != 0)
        return rc;
    for (size_t i = 0; env[i] != NULL; i++) {
        /* The key and '=' (environ may hold entries without one). */
        if (env_same_key(env[i], XIPC__INHERITED_VAR, xipc__os_env_keys_fold_case()) &&
            env[i][sizeof XIPC__INHERITED_VAR - 1] == '=') {
            const char *v = env[i] + sizeof XIPC__INHERITED_VAR;
            if ((*value = malloc(strlen(v) + 1)) == NULL)
                rc = XIPC_ENOMEM;
            else
                strcpy(*value, v);
            break;
        }
    }
    free(env);
    return rc;
}

/* The next space-separated text of list from *at: its start, and *len; NULL past the last. */
static const char *
next_text(const char *list, size_t *at, size_t *len)
{
    while (list[*at] == ' ')
        (*at)++;
    if (list[*at] == '\0')
        return NULL;
    const char *start = list + *at;
    *len = strcspn(start, " ");
    *at += *len;
    return start;
}

int
xipc__inherited_text(size_t index, enum xipc_kind kind, char text[XIPC_HANDLE_TEXT_MAX])
{
    char *list = NULL;
    const char *t = NULL;
    size_t at = 0, len = 0;
    text[0] = '\0';
    int rc = inherited_value(&list);
    if (rc != 0)
        return rc;
    if (list != NULL) {
        for (size_t i = 0; (t = next_text(list, &at, &len)) != NULL && i < index; i++)
            continue;
    }
    if (t == NULL)
        rc = XIPC__FAIL(XIPC_ENOENT, "index: past the last handle the parent listed");
    else if (len >= XIPC_HANDLE_TEXT_MAX)
        rc = XIPC__FAIL(XIPC_EINVAL, "index: XIPC_INHERITED holds no export text there");
    else {
        memcpy(text, t, len);
        text[len] = '\0';
        if (xipc__handle_text_value(text, kind) == NULL)
            rc = XIPC__FAIL(XIPC_EINVAL, "index: the handle there is of another kind");
    }
    free(list);
    return rc;
}

int
xipc_inherited_count(void)
{
    char *list = NULL;
    size_t at = 0, len = 0;
    int count = 0;
    xipc__error_clear();
    int rc = inherited_value(&list);
    if (rc != 0)
        return rc;
    while (list != NULL && count < INT_MAX && next_text(list, &at, &len) != NULL)
        count++;
    free(list);
    return count;
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
