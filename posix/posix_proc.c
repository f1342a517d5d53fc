/* posix/posix_proc.c: spawn, wait and kill with fork+exec (common/platform.h, "Processes").
 *
 * fork+exec rather than posix_spawn because the child must do what file actions cannot: clear
 * O_NONBLOCK on its standard streams, mark every unlisted descriptor close-on-exec, and set a
 * parent-death signal. Everything the child runs between fork and exec is async-signal-safe; the
 * parent prepares every string and descriptor first. An exec failure reaches the parent as an
 * errno through a close-on-exec pipe: EOF on that pipe means exec succeeded (libuv's scheme).
 * A child's status is read with waitpid; where the OS reaped the child on its own (SIGCHLD
 * ignored), Linux keeps it for the holder of a pidfd (posix_pidfd.c), which is opened before the
 * child can end. */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What the child needs, prepared by the parent before fork. */
struct child_setup {
    const struct xipc__spawn_plan *plan;
    const char *path; /* the resolved program */
    int stdio_src[3]; /* descriptor to put at 0, 1, 2, or -1 to leave it alone */
    int error_fd; /* write end of the exec-error pipe */
    int hold_fd; /* read end of the hold pipe (see open_hold_pipe), or -1 */
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
        /* Ordinary programs expect blocking standard streams (a PIPE slot's end is already). */
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
    if (!xipc__posix_cloexec_from(3)) { /* one call where the kernel can (posix_closerange.c) */
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

/* Waits for the parent's byte on the hold pipe: the parent has our pidfd then. */
static void
child_wait_for_parent(const struct child_setup *cs)
{
    char c;
    ssize_t n;
    do
        n = read(cs->hold_fd, &c, 1);
    while (n < 0 && errno == EINTR);
}

static void __attribute__((noreturn)) child_run(struct child_setup *cs)
{
    const struct xipc__spawn_plan *plan = cs->plan;
    /* First, before child_setup_stdio can put a stream over the hold pipe's number. */
    if (cs->hold_fd >= 0)
        child_wait_for_parent(cs);
    if (plan->flags & XIPC_SPAWN_DIE_WITH_PARENT) {
        int e = xipc__posix_pdeathsig_arm(cs->parent_pid); /* posix_pdeathsig.c */
        if (e == ESRCH)
            _exit(127); /* the parent is gone already */
        if (e != 0)
            child_fail(cs, e);
    }
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
            return XIPC__FAIL(XIPC_EBADF, "handles: a descriptor out of range");
        if (fd < 3 && plan->stdio_mode[fd] != XIPC_STDIO_INHERIT)
            return XIPC__FAIL(XIPC_EINVAL, "handles: a descriptor 0-2 whose stdio is redirected");
    }
    return 0;
}

/* A pipe for slot which (XIPC_STDIO_PIPE): the child's end blocking, as ordinary programs
 * expect, at *theirs; this process's end, its own open file description, the plain pipe stream
 * of xipc__os_pipe (O_NONBLOCK only where its variant needs it). Both close-on-exec. */
static int
open_stdio_pipe(int which, struct xipc__os_stream *ours, int *theirs)
{
    int fds[2];
    enum xipc__posix_stream_variant variant = xipc__posix_pipe_variant();
    int rc = xipc__posix_pipe(fds, 0);
    if (rc != 0)
        return rc;
    int mine = which == 0 ? fds[1] : fds[0];
    int fl = fcntl(mine, F_GETFL);
    if (fl < 0 ||
        (variant == XIPC__POSIX_STREAM_NONBLOCK && fcntl(mine, F_SETFL, fl | O_NONBLOCK) < 0)) {
        rc = XIPC__OS_FAIL(errno, "fcntl", NULL);
        (void)close(fds[0]);
        (void)close(fds[1]);
        return rc;
    }
    memset(ours, 0, sizeof *ours);
    ours->fd_plus1 = mine + 1;
    ours->variant = variant;
    *theirs = which == 0 ? fds[0] : fds[1];
    return 0;
}

/* Closes the children's ends of the XIPC_STDIO_PIPE slots, after the fork or instead of it. */
static void
close_child_pipe_ends(const struct xipc__spawn_plan *plan, struct child_setup *cs)
{
    for (int i = 0; i < 3; i++) {
        if (plan->stdio_mode[i] == XIPC_STDIO_PIPE && cs->stdio_src[i] >= 0)
            (void)close(cs->stdio_src[i]);
        cs->stdio_src[i] = -1;
    }
}

/* Closes this process's ends of the XIPC_STDIO_PIPE slots: the spawn failed. */
static void
close_our_pipe_ends(struct xipc__spawn_plan *plan)
{
    for (int i = 0; i < 3; i++)
        xipc__os_stream_close(&plan->stdio_pipe[i]);
}

/* Opens the null device and the pipes that slots need, and fills cs->stdio_src. */
static int
prepare_stdio(struct xipc__spawn_plan *plan, struct child_setup *cs, int *null_fd)
{
    *null_fd = -1;
    for (int i = 0; i < 3; i++)
        cs->stdio_src[i] = -1;
    for (int i = 0; i < 3; i++) {
        if (plan->stdio_mode[i] == XIPC_STDIO_PIPE) {
            int rc = open_stdio_pipe(i, &plan->stdio_pipe[i], &cs->stdio_src[i]);
            if (rc != 0)
                return rc;
        }
        if (plan->stdio_mode[i] == XIPC_STDIO_STREAM) {
            struct xipc__os_stream *s = plan->stdio_stream[i];
            int rc = 0;
            bool is_socket = s->variant == XIPC__POSIX_STREAM_SOCKET ||
                s->variant == XIPC__POSIX_STREAM_SOCK;
            if (is_socket && (rc = xipc__posix_socket_no_timeouts(s)) != 0)
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

/* Whether the OS would discard a child's exit status: SIGCHLD ignored (SIG_IGN) or SA_NOCLDWAIT
 * set, with which POSIX lets the kernel reap children on its own (waitpid then says ECHILD). */
static bool
sigchld_discards_status(void)
{
    struct sigaction sa;
    if (sigaction(SIGCHLD, NULL, &sa) != 0)
        return false;
    return sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT) != 0;
}

/* While the OS discards statuses, a child that ends at once could be reaped before pidfd_open
 * finds it, and with it the status the kernel keeps for pidfd holders. Such a child waits before
 * exec on this pipe until the parent has its pidfd (one more pipe and wake-up per spawn, only
 * then). Both ends -1 when not needed. */
static int
open_hold_pipe(int hold[2])
{
    hold[0] = hold[1] = -1;
    return sigchld_discards_status() ? xipc__posix_pipe(hold, 0) : 0;
}

/* Lets a held child go on (a failed write still does, by the close). */
static void
close_hold_pipe(int hold[2])
{
    ssize_t n;
    if (hold[1] >= 0) {
        do
            n = write(hold[1], "g", 1);
        while (n < 0 && errno == EINTR);
        (void)close(hold[1]);
        (void)close(hold[0]);
    }
}

static void
reap_failed_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) { }
}

/* Forks the child and opens its pidfd (-1 where there is none) before it can end unseen. */
static int
fork_child(struct child_setup *cs, pid_t *pid, int *pidfd)
{
    int err_pipe[2], hold[2];
    sigset_t all, old;
    int rc = open_hold_pipe(hold);
    if (rc != 0 || (rc = xipc__posix_pipe(err_pipe, 0)) != 0) {
        close_hold_pipe(hold);
        return rc;
    }
    cs->error_fd = err_pipe[1];
    cs->hold_fd = hold[0];
    cs->parent_pid = getpid();
    /* No handler of the parent's may run in the child before exec resets them. */
    sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    xipc__posix_forking_to_exec(true);
    *pid = fork();
    if (*pid == 0)
        child_run(cs);
    int fork_errno = errno;
    xipc__posix_forking_to_exec(false);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    (void)close(err_pipe[1]);
    *pidfd = *pid > 0 ? xipc__posix_pidfd_open(*pid) : -1;
    close_hold_pipe(hold);
    rc = (*pid < 0) ? XIPC__OS_FAIL(fork_errno, "fork", NULL)
                    : read_exec_error(err_pipe[0], cs->path);
    (void)close(err_pipe[0]);
    if (rc != 0 && *pid > 0) {
        reap_failed_child(*pid);
        if (*pidfd >= 0)
            (void)close(*pidfd);
    }
    return rc;
}

int
xipc__os_spawn(struct xipc__spawn_plan *plan, struct xipc__os_proc *p)
{
    struct child_setup cs = { .plan = plan };
    char *path = NULL;
    int null_fd = -1, pidfd = -1;
    pid_t pid = 0;
    int rc = check_inherit_list(plan);
    if (rc == 0 && (plan->flags & XIPC_SPAWN_DIE_WITH_PARENT) && !xipc__posix_pdeathsig_exists())
        rc = XIPC__FAIL(XIPC_ENOTSUP, "flags: XIPC_SPAWN_DIE_WITH_PARENT, which this OS cannot do");
    if (rc == 0)
        rc = resolve_program(plan->file, &path);
    if (rc != 0)
        return rc;
    cs.path = path;
    if ((rc = prepare_stdio(plan, &cs, &null_fd)) == 0)
        rc = fork_child(&cs, &pid, &pidfd);
    if (null_fd >= 0)
        (void)close(null_fd);
    close_child_pipe_ends(plan, &cs);
    free(path);
    if (rc != 0) {
        close_our_pipe_ends(plan);
        return rc;
    }
    for (int i = 0; i < 3; i++) {
        if (plan->stdio_mode[i] == XIPC_STDIO_STREAM)
            xipc__posix_stream_child_made_blocking(plan->stdio_stream[i]);
    }
    p->pid = pid;
    p->pidfd_plus1 = pidfd + 1;
    return 0;
}

/* ---- Waiting -------------------------------------------------------------------------------- */

/* How long a wait looks again for the status the kernel keeps for pidfd holders. An exiting
 * child that the OS reaps itself is first marked dead, which already makes waitpid say ECHILD
 * and the pidfd readable, and only then released (release_task), which records the status for
 * the pidfd: a parent woken in between finds nothing yet. The gap is the exiting task's own few
 * steps; under a sanitizer's load it was seen to outlast one look. Where the kernel keeps no
 * status (before Linux 6.15), this is the delay before XIPC_ECHILD. */
#define KEPT_STATUS_WAIT_MS 100

/* The status of a child that was reaped before we asked (waitpid said ECHILD): by the OS, as
 * SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT), or by another part of the program. Linux 6.15+
 * keeps it for pidfd holders. 0, or -1 where it is gone. */
static int
status_kept_for_pidfd(const struct xipc__os_proc *p, int *st)
{
    unsigned pause_ms = 1;
    xipc__deadline dl = xipc__deadline_in(KEPT_STATUS_WAIT_MS);
    if (p->pidfd_plus1 == 0)
        return -1;
    while (xipc__posix_pidfd_exit_status(p->pidfd_plus1 - 1, st) != 0) {
        if (xipc__pause_before_retry(dl, &pause_ms, 10) != 0)
            return -1;
    }
    return 0;
}

/* One non-blocking waitpid: 0 reaped, XIPC_ETIMEDOUT still running, XIPC_ECHILD when the status
 * is gone for good (see status_lost). */
static int
try_reap(struct xipc__os_proc *p)
{
    int st;
    pid_t r;
    do
        r = waitpid(p->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return XIPC_ETIMEDOUT;
    int e = r < 0 ? errno : 0;
    if (r < 0 && (e != ECHILD || status_kept_for_pidfd(p, &st) != 0)) {
        p->status_lost = e == ECHILD;
        return XIPC__OS_FAIL(e, "waitpid", NULL);
    }
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
    /* Never ask for the pid again: it may be another child of ours by now. */
    if (p->status_lost)
        return XIPC_ECHILD;
    if (!p->reaped) {
        int rc = wait_for_exit(p, dl);
        if (rc != 0)
            return rc;
    }
    int st = p->wait_status;
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        bool ours = p->killed && sig == SIGKILL;
        status->kind = ours ? XIPC_EXIT_KILLED : XIPC_EXIT_CRASHED;
        status->code = ours ? 0 : (uint32_t)sig;
    } else {
        status->kind = XIPC_EXIT_NORMAL;
        status->code = (uint32_t)WEXITSTATUS(st);
    }
    return 0;
}

/* SIGKILL through the pidfd, which names this child and no other. Without one, by pid: an exited
 * child stays a zombie until we reap it, so the pid is still its own, unless the OS reaped it
 * (SIGCHLD ignored) and the pid was reused before we learnt of it. */
static int
send_sigkill(const struct xipc__os_proc *p)
{
    if (p->pidfd_plus1 > 0 && xipc__posix_pidfd_send_signal(p->pidfd_plus1 - 1, SIGKILL) == 0)
        return 0;
    if (p->pidfd_plus1 > 0 && errno != ENOSYS)
        return -1;
    return kill(p->pid, SIGKILL);
}

int
xipc__os_proc_kill(struct xipc__os_proc *p)
{
    if (p->reaped || p->status_lost)
        return 0;
    if (send_sigkill(p) != 0)
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
    if (p->pid > 0 && !p->reaped && !p->status_lost)
        (void)try_reap(p);
    if (p->pidfd_plus1 > 0)
        (void)close(p->pidfd_plus1 - 1);
    p->pidfd_plus1 = 0;
    p->pid = 0;
}

bool
xipc__os_proc_holds(const struct xipc__os_proc *p, intptr_t native)
{
    return p->pidfd_plus1 > 0 && native == p->pidfd_plus1 - 1;
}

void
xipc__os_proc_waitable(const struct xipc__os_proc *p, struct xipc__wait *w)
{
    /* A pidfd polls readable once the child has ended. Without one (a kernel before 5.3, or a
     * seccomp filter) only SIGCHLD or waitpid says so: a helper. */
    if (p->pidfd_plus1 > 0) {
        w->how = XIPC__WAIT_FD;
        w->native = p->pidfd_plus1 - 1;
    } else {
        w->how = XIPC__WAIT_HELPER;
    }
}

uint64_t
xipc__os_self_pid(void)
{
    return (uint64_t)getpid();
}
