/* posix/posix_proc.c: spawn, wait and kill with fork+exec (common/platform.h, "Processes").
 *
 * fork+exec rather than posix_spawn because the child must do what file actions cannot: clear
 * O_NONBLOCK on its standard streams, mark every unlisted descriptor close-on-exec, and set a
 * parent-death signal. Everything the child runs between fork and exec is async-signal-safe; the
 * parent prepares every string and descriptor first. An exec failure reaches the parent as an
 * errno through a close-on-exec pipe: EOF on that pipe means exec succeeded (libuv's scheme). */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if XIPC_HAVE_PR_SET_PDEATHSIG
#include <sys/prctl.h>
#endif

extern char **environ;

/* What the child needs, prepared by the parent before fork. */
struct child_setup {
    const struct xipc__spawn_plan *plan;
    const char *path; /* the resolved program */
    int stdio_src[3]; /* descriptor to put at 0, 1, 2, or -1 to leave it alone */
    int error_fd; /* write end of the exec-error pipe */
    pid_t parent_pid;
};

/* ---- Finding the program -------------------------------------------------------------------- */

/* Searches PATH (this process's) like execvp. Returns 0 with a malloc'd *out, XIPC_ENOENT, or
 * XIPC_EACCES when a match exists but none is executable. */
static int
search_path(const char *file, char **out)
{
    const char *path = getenv("PATH");
    int rc = XIPC_ENOENT;
    size_t file_len = strlen(file);
    if (path == NULL || path[0] == '\0')
        path = "/bin:/usr/bin";
    for (const char *dir = path;; dir++) {
        const char *end = strchr(dir, ':');
        size_t dir_len = end ? (size_t)(end - dir) : strlen(dir);
        char *candidate = malloc(dir_len + file_len + 3);
        if (candidate == NULL)
            return XIPC_ENOMEM;
        /* An empty PATH element means the current directory. */
        memcpy(candidate, dir_len ? dir : ".", dir_len ? dir_len : 1);
        candidate[dir_len ? dir_len : 1] = '/';
        memcpy(candidate + (dir_len ? dir_len : 1) + 1, file, file_len + 1);
        struct stat st;
        if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(candidate, X_OK) == 0) {
                *out = candidate;
                return 0;
            }
            rc = XIPC_EACCES;
        }
        free(candidate);
        if (end == NULL)
            return rc;
        dir = end;
    }
}

static int
resolve_program(const char *file, char **out)
{
    if (strchr(file, '/') == NULL)
        return search_path(file, out);
    *out = strdup(file);
    return *out ? 0 : XIPC_ENOMEM;
}

/* ---- The child, between fork and exec: async-signal-safe calls only ------------------------- */

static void __attribute__((noreturn)) child_fail(const struct child_setup *cs, int err)
{
    ssize_t n;
    do
        n = write(cs->error_fd, &err, sizeof err);
    while (n < 0 && errno == EINTR);
    _exit(127);
}

/* Puts each redirected source at 0, 1, 2. A source below 3 that is not its own target is first
 * moved above 2, so that filling one slot cannot overwrite another slot's source. */
static void
child_setup_stdio(struct child_setup *cs)
{
    for (int i = 0; i < 3; i++) {
        int src = cs->stdio_src[i];
        if (src >= 0 && src < 3 && src != i &&
            (cs->stdio_src[i] = fcntl(src, F_DUPFD_CLOEXEC, 3)) < 0)
            child_fail(cs, errno);
    }
    for (int i = 0; i < 3; i++) {
        int src = cs->stdio_src[i];
        if (src < 0)
            continue;
        /* dup2 clears FD_CLOEXEC on the copy; dup2(i, i) would not, so clear it by hand. */
        if (src == i ? fcntl(i, F_SETFD, 0) < 0 : dup2(src, i) < 0)
            child_fail(cs, errno);
        /* Ordinary programs expect blocking standard streams. */
        if (cs->plan->stdio_mode[i] == XIPC_STDIO_STREAM) {
            int fl = fcntl(i, F_GETFL);
            if (fl < 0 || fcntl(i, F_SETFL, fl & ~O_NONBLOCK) < 0)
                child_fail(cs, errno);
        }
    }
}

/* Marks every descriptor above 2 close-on-exec, then clears the flag on the listed ones. */
static void
child_setup_inherit(const struct child_setup *cs)
{
    const struct xipc__spawn_plan *plan = cs->plan;
    bool marked = false;
#if XIPC_HAVE_SYS_CLOSE_RANGE
    /* CLOSE_RANGE_CLOEXEC (Linux 5.11) is 1 << 2; older kernels say EINVAL or ENOSYS. */
    marked = syscall(SYS_close_range, 3u, ~0u, 1u << 2) == 0;
#endif
    if (!marked) {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
        for (int fd = 3; fd < max; fd++)
            (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    for (size_t i = 0; i < plan->inherit_count; i++) {
        if (fcntl((int)plan->inherit[i], F_SETFD, 0) < 0)
            child_fail(cs, errno);
    }
}

/* Default dispositions and an empty mask: the child starts clean, whatever the parent set. */
static void
child_reset_signals(void)
{
    struct sigaction sa;
    sigset_t none;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &sa, NULL); /* SIGKILL, SIGSTOP and glibc-internal ones refuse */
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static void __attribute__((noreturn)) child_run(struct child_setup *cs)
{
    const struct xipc__spawn_plan *plan = cs->plan;
#if XIPC_HAVE_PR_SET_PDEATHSIG
    if (plan->flags & XIPC_SPAWN_DIE_WITH_PARENT) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
            child_fail(cs, errno);
        /* The parent may have died before prctl took effect. */
        if (getppid() != cs->parent_pid)
            _exit(127);
    }
#endif
    child_setup_stdio(cs);
    child_setup_inherit(cs);
    if (plan->cwd != NULL && chdir(plan->cwd) != 0)
        child_fail(cs, errno);
    child_reset_signals();
    /* execve's arrays are declared non-const for history's sake; it does not write them. */
    char *const *argv = (char *const *)(uintptr_t)plan->argv;
    char *const *envp = plan->env ? (char *const *)(uintptr_t)plan->env : environ;
    (void)execve(cs->path, argv, envp);
    child_fail(cs, errno);
}

/* ---- The parent ----------------------------------------------------------------------------- */

/* Listed descriptors keep their numbers; one of 0..2 would collide with a redirected stream. */
static int
check_inherit_list(const struct xipc__spawn_plan *plan)
{
    for (size_t i = 0; i < plan->inherit_count; i++) {
        intptr_t fd = plan->inherit[i];
        if (fd < 0 || fd > INT_MAX)
            return XIPC_EBADF;
        if (fd < 3 && plan->stdio_mode[fd] != XIPC_STDIO_INHERIT)
            return XIPC_EINVAL;
    }
    return 0;
}

/* Opens the null device if a slot needs it and fills cs->stdio_src. */
static int
prepare_stdio(const struct xipc__spawn_plan *plan, struct child_setup *cs, int *null_fd)
{
    *null_fd = -1;
    for (int i = 0; i < 3; i++) {
        cs->stdio_src[i] = -1;
        if (plan->stdio_mode[i] == XIPC_STDIO_STREAM) {
            struct xipc__os_stream *s = plan->stdio_stream[i];
            int rc = s->is_socket ? xipc__posix_socket_no_timeouts(s) : 0;
            if (rc != 0)
                return rc;
            cs->stdio_src[i] = s->fd_plus1 - 1;
        }
        if (plan->stdio_mode[i] != XIPC_STDIO_NULL)
            continue;
        if (*null_fd < 0 && (*null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
            return XIPC__OS_FAIL(errno, "open", "/dev/null");
        cs->stdio_src[i] = *null_fd;
    }
    return 0;
}

/* Reads the child's exec error, if any: 0 when exec succeeded (EOF), else the mapped errno. */
static int
read_exec_error(int fd, const char *path)
{
    int err = 0;
    ssize_t n;
    do
        n = read(fd, &err, sizeof err);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof err)
        return XIPC__OS_FAIL(err, "execve", path);
    return 0;
}

static int
fork_child(struct child_setup *cs, pid_t *pid)
{
    int err_pipe[2];
    sigset_t all, old;
    int rc = xipc__posix_pipe(err_pipe, 0);
    if (rc != 0)
        return rc;
    cs->error_fd = err_pipe[1];
    cs->parent_pid = getpid();
    /* No handler of the parent's may run in the child before exec resets them. */
    sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    *pid = fork();
    if (*pid == 0)
        child_run(cs);
    int fork_errno = errno;
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    (void)close(err_pipe[1]);
    rc = (*pid < 0) ? XIPC__OS_FAIL(fork_errno, "fork", NULL)
                    : read_exec_error(err_pipe[0], cs->path);
    (void)close(err_pipe[0]);
    if (rc != 0 && *pid > 0) {
        int st;
        while (waitpid(*pid, &st, 0) < 0 && errno == EINTR) { }
    }
    return rc;
}

int
xipc__os_spawn(const struct xipc__spawn_plan *plan, struct xipc__os_proc *p)
{
    struct child_setup cs = { .plan = plan };
    char *path = NULL;
    int null_fd = -1;
    pid_t pid = 0;
    int rc = check_inherit_list(plan);
    if (rc == 0)
        rc = resolve_program(plan->file, &path);
    if (rc != 0)
        return rc;
    cs.path = path;
    if ((rc = prepare_stdio(plan, &cs, &null_fd)) == 0)
        rc = fork_child(&cs, &pid);
    if (null_fd >= 0)
        (void)close(null_fd);
    free(path);
    if (rc != 0)
        return rc;
    for (int i = 0; i < 3; i++) {
        if (plan->stdio_mode[i] == XIPC_STDIO_STREAM)
            plan->stdio_stream[i]->child_made_blocking = true;
    }
    p->pid = pid;
    p->pidfd_plus1 = xipc__posix_pidfd_open(pid) + 1;
    return 0;
}

/* ---- Waiting -------------------------------------------------------------------------------- */

/* One non-blocking waitpid: 0 reaped, XIPC_ETIMEDOUT still running. */
static int
try_reap(struct xipc__os_proc *p)
{
    int st;
    pid_t r;
    do
        r = waitpid(p->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return XIPC__OS_FAIL(errno, "waitpid", NULL);
    if (r == 0)
        return XIPC_ETIMEDOUT;
    p->reaped = true;
    p->wait_status = st;
    return 0;
}

static int
wait_for_exit(struct xipc__os_proc *p, xipc__deadline dl)
{
    unsigned pause_ms = 1;
    for (;;) {
        int rc = try_reap(p);
        if (rc != XIPC_ETIMEDOUT)
            return rc;
        /* Without a pidfd: waitpid(WNOHANG) again after short, growing pauses. */
        if (p->pidfd_plus1 > 0)
            rc = xipc__posix_poll_fd(p->pidfd_plus1 - 1, POLLIN, dl);
        else
            rc = xipc__pause_before_retry(dl, &pause_ms, 20);
        if (rc != 0)
            return rc == XIPC_ETIMEDOUT ? try_reap(p) : rc;
    }
}

int
xipc__os_proc_wait(struct xipc__os_proc *p, xipc_exit_status *status, xipc__deadline dl)
{
    if (!p->reaped) {
        int rc = wait_for_exit(p, dl);
        if (rc != 0)
            return rc;
    }
    int st = p->wait_status;
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        status->kind = (p->killed && sig == SIGKILL) ? XIPC_EXIT_KILLED : XIPC_EXIT_CRASHED;
        status->code = (uint32_t)sig;
    } else {
        status->kind = XIPC_EXIT_NORMAL;
        status->code = (uint32_t)WEXITSTATUS(st);
    }
    return 0;
}

int
xipc__os_proc_kill(struct xipc__os_proc *p)
{
    if (p->reaped)
        return 0;
    /* An exited child stays a zombie until reaped, so the pid cannot have been reused. */
    if (kill(p->pid, SIGKILL) != 0)
        return errno == ESRCH ? 0 : XIPC__OS_FAIL(errno, "kill", NULL);
    p->killed = true;
    return 0;
}

uint64_t
xipc__os_proc_pid(const struct xipc__os_proc *p)
{
    return (uint64_t)p->pid;
}

void
xipc__os_proc_close(struct xipc__os_proc *p)
{
    if (p->pid > 0 && !p->reaped)
        (void)try_reap(p);
    if (p->pidfd_plus1 > 0)
        (void)close(p->pidfd_plus1 - 1);
    p->pidfd_plus1 = 0;
    p->pid = 0;
}

uint64_t
xipc__os_self_pid(void)
{
    return (uint64_t)getpid();
}

int
xipc__os_self_exe(char *buf, size_t cap)
{
    /* Linux; a BSD port uses sysctl(KERN_PROC_PATHNAME), macOS _NSGetExecutablePath. */
    ssize_t n = readlink("/proc/self/exe", buf, cap);
    if (n < 0)
        return XIPC__OS_FAIL(errno, "readlink", "/proc/self/exe");
    if ((size_t)n >= cap)
        return XIPC_ENAMETOOLONG;
    buf[n] = '\0';
    return 0;
}
