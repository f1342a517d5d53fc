/* posix/posix_signal.c: signal watches on sigaction and a self-pipe, and kill(2)
 * (common/platform.h, "Signals").
 *
 * A watch's handler does only what is async-signal-safe: it marks its signal pending in a
 * process-wide flag and writes one byte into the write end of the pipe of the watch that holds
 * the signal (non-blocking: a full pipe already says "look"). No user code runs there;
 * xipc_signal_next reads the flags in the program's own thread. signalfd would be simpler, but
 * it sees a signal only while every thread of the process blocks it, and a library cannot make
 * every thread, those of other libraries too, block a signal: one thread that does not would
 * take it with the default action, and the process would end.
 *
 * Closing a watch restores the previous action first, then takes its pipe away from the handler
 * and waits until no handler still runs that may have read the old descriptor, before the pipe
 * is closed: a handler must never write into a descriptor number that a later open reused. */
#include "posix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* The OS signal of each portable one, by bit position. */
static const int signo_of[XIPC__SIGNAL_KINDS] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the handler needs lock-free atomic ints");

/* What the handler reads, per signal: pending (1 once it arrived, until a watch takes it) and
 * the write end of the holding watch's pipe, plus one (0: none). in_handler counts the handlers
 * running now, so that a close can wait for them to leave. */
static atomic_int pending[XIPC__SIGNAL_KINDS];
static atomic_int wake_fd_plus1[XIPC__SIGNAL_KINDS];
static atomic_int in_handler;

/* Under lock: which signals a watch holds, and the actions they had before it. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned held;
static struct sigaction previous[XIPC__SIGNAL_KINDS];

static int
index_of_signo(int signo)
{
    for (int i = 0; i < XIPC__SIGNAL_KINDS; i++)
        if (signo_of[i] == signo)
            return i;
    return -1;
}

static void
on_signal(int signo)
{
    int saved = errno;
    atomic_fetch_add(&in_handler, 1);
    int i = index_of_signo(signo);
    if (i >= 0) {
        atomic_store(&pending[i], 1); /* before the byte: a reader that sees the byte sees this */
        int fd = atomic_load(&wake_fd_plus1[i]) - 1;
        if (fd >= 0)
            (void)write(fd, "", 1); /* EAGAIN: the pipe is full, a wake-up is there already */
    }
    atomic_fetch_sub(&in_handler, 1);
    errno = saved;
}

/* Puts back the actions of the signals in set as they were before the watch; nothing may fail
 * here, a previous action having been accepted once already. */
static void
restore_actions(unsigned set)
{
    for (int i = 0; i < XIPC__SIGNAL_KINDS; i++) {
        if (!(set & (1u << i)))
            continue;
        (void)sigaction(signo_of[i], &previous[i], NULL);
        atomic_store(&wake_fd_plus1[i], 0);
        atomic_store(&pending[i], 0);
    }
    /* A handler that read a descriptor before it was cleared may still write it. */
    while (atomic_load(&in_handler) != 0)
        (void)sched_yield();
}

/* Installs the handler for each signal of set, with wr as its pipe. On failure undoes what it
 * installed. */
static int
install_actions(unsigned set, int wr)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    (void)sigemptyset(&sa.sa_mask);
    for (int i = 0; i < XIPC__SIGNAL_KINDS; i++) {
        if (!(set & (1u << i)))
            continue;
        atomic_store(&pending[i], 0); /* what came before the watch had its old action */
        atomic_store(&wake_fd_plus1[i], wr + 1);
        if (sigaction(signo_of[i], &sa, &previous[i]) != 0) {
            int e = errno;
            atomic_store(&wake_fd_plus1[i], 0);
            restore_actions(set & ((1u << i) - 1));
            return XIPC__OS_FAIL(e, "sigaction", NULL);
        }
    }
    return 0;
}

int
xipc__os_signal_watch(unsigned set, struct xipc__os_signal *s)
{
    int fds[2], rc;
    (void)pthread_mutex_lock(&lock);
    if (held & set) {
        (void)pthread_mutex_unlock(&lock);
        return XIPC__FAIL(XIPC_EBUSY, "set: another watch of this process holds a signal of it");
    }
    if ((rc = xipc__posix_pipe(fds, O_NONBLOCK)) == 0 && (rc = install_actions(set, fds[1])) != 0) {
        (void)close(fds[0]);
        (void)close(fds[1]);
    }
    if (rc == 0) {
        held |= set;
        s->set = set;
        s->rd = fds[0];
        s->wr = fds[1];
        s->last = 0;
    }
    (void)pthread_mutex_unlock(&lock);
    return rc;
}

void
xipc__os_signal_close(struct xipc__os_signal *s)
{
    (void)pthread_mutex_lock(&lock);
    restore_actions(s->set);
    held &= ~s->set;
    (void)pthread_mutex_unlock(&lock);
    (void)close(s->rd);
    (void)close(s->wr);
    memset(s, 0, sizeof *s);
}

static bool
take_index(int i)
{
    return atomic_exchange(&pending[i], 0) != 0;
}

static bool
any_pending(const struct xipc__os_signal *s)
{
    for (int i = 0; i < XIPC__SIGNAL_KINDS; i++)
        if ((s->set & (1u << i)) && atomic_load(&pending[i]))
            return true;
    return false;
}

static void
drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

int
xipc__os_signal_next(struct xipc__os_signal *s, int *sig, xipc__deadline dl)
{
    for (;;) {
        /* Empty the pipe before the flags are looked at: a signal whose byte this drain took
         * has set its flag already, so the look below sees it; one that comes later writes a
         * byte that the poll sees. */
        drain(s->rd);
        unsigned got = xipc__signal_take_next(s->set, &s->last, take_index);
        if (got != 0) {
            /* Others still pending keep the pipe readable, for a wait set. */
            if (any_pending(s))
                (void)write(s->wr, "", 1);
            *sig = (int)got;
            return 0;
        }
        int rc = xipc__posix_poll_fd(s->rd, POLLIN, dl);
        if (rc != 0)
            return rc;
    }
}

bool
xipc__os_signal_holds(const struct xipc__os_signal *s, intptr_t native)
{
    return native == s->rd || native == s->wr;
}

void
xipc__os_signal_waitable(const struct xipc__os_signal *s, struct xipc__wait *w)
{
    w->how = XIPC__WAIT_FD; /* readable while a byte says a signal is pending */
    w->native = s->rd;
}

int
xipc__os_signal_send(uint64_t pid, int sig)
{
    if (pid > (uint64_t)INT_MAX)
        return XIPC__FAIL(XIPC_ENOENT, "pid: beyond any process id");
    if (kill((pid_t)pid, signo_of[xipc__signal_index((unsigned)sig)]) == 0)
        return 0;
    int e = errno;
    int rc = XIPC__OS_FAIL(e, "kill", NULL); /* EPERM: XIPC_EPERM */
    return e == ESRCH ? XIPC_ENOENT : rc; /* the table keeps ESRCH for no other caller */
}

int
xipc__os_exit_signal(const xipc_exit_status *status)
{
    if (status->kind != XIPC_EXIT_CRASHED || status->code > INT_MAX)
        return 0;
    int i = index_of_signo((int)status->code);
    return i >= 0 ? (int)(1u << i) : 0;
}
