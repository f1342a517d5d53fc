/* posix/posix_mq.c: what a message queue needs of POSIX (common/mq.h, "The platform"): its
 * section under its own name, sleeping on its wake words (futex, posix_futex.c), and telling
 * whether a process that registered with a queue still runs.
 *
 * A named queue is the shm object "/xipc-mq:NAME". ':' is outside the name alphabet, so no other
 * kind reaches it through some other name: not a shared section ("/NAME"), not an event or mutex
 * ("/xipc:NAME"). The object is made, checked and opened as the sync families' (never following a
 * link, owner-only, posix_syncshm.c); the creator sizes it after creating it, so an opener that
 * finds it empty waits for the size as posix_shm.c does. An anonymous queue is a memfd, as an
 * anonymous section. */
#include "posix_sync.h"

#include "mq.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MQ_PATH_PREFIX "/xipc-mq:"
#define MQ_PATH_CAP    (sizeof MQ_PATH_PREFIX + XIPC_NAME_MAX)

static void
mq_path(const char *name, char path[MQ_PATH_CAP])
{
    (void)snprintf(path, MQ_PATH_CAP, "%s%s", MQ_PATH_PREFIX, name);
}

/* ---- The section ---------------------------------------------------------------------------- */

static int
size_new(int fd, size_t size, const char *name)
{
    if ((uintmax_t)size > (uintmax_t)INTMAX_MAX)
        return XIPC__FAIL(XIPC_ENOMEM, "attr: larger than any file offset");
    while (ftruncate(fd, (off_t)size) != 0) {
        int e = errno;
        if (e != EINTR)
            return XIPC__OS_FAIL(e, "ftruncate", name);
    }
    return 0;
}

/* The size of an existing queue's object once its creator has set it. */
static int
await_size(int fd, const char *name, size_t *size)
{
    struct stat st;
    for (unsigned waited = 0;; waited++) {
        if (fstat(fd, &st) != 0)
            return XIPC__OS_FAIL(errno, "fstat", name);
        if (st.st_size > 0)
            break;
        if (waited >= XIPC__SHM_INIT_WAIT_MS)
            return XIPC__FAIL(XIPC_ECORRUPT, "name: a queue still empty: its creator died");
        xipc__os_sleep_ms(1);
    }
    if ((uintmax_t)st.st_size > SIZE_MAX)
        return XIPC__FAIL(XIPC_ECORRUPT, "name: a queue larger than this process can map");
    *size = (size_t)st.st_size;
    return 0;
}

static int
open_named(const char *name, unsigned flags, size_t size, struct xipc__os_shm *s, bool *created)
{
    char path[MQ_PATH_CAP];
    struct stat st;
    int fd = -1;
    mq_path(name, path);
    int rc = xipc__posix_shm_name_open(path, name, flags, O_RDWR, &fd, created, &st);
    if (rc != 0)
        return rc;
    s->root_made = *created && st.st_uid == 0;
    rc = *created ? size_new(fd, size, name) : await_size(fd, name, &size);
    if (rc == 0 && !*created && size < sizeof(struct xipc__mq_header))
        rc = XIPC__FAIL(XIPC_ECORRUPT, "name: too small for a queue");
    void *p = rc == 0 ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (rc == 0 && p == MAP_FAILED)
        rc = XIPC__OS_FAIL(errno, "mmap", name);
    if (rc != 0) {
        if (*created)
            (void)shm_unlink(path);
        (void)close(fd);
        *created = false;
        return rc;
    }
    s->ptr = p;
    s->size = size;
    s->fd_plus1 = fd + 1;
    return 0;
}

int
xipc__os_mq_section_open(
    const char *name, unsigned flags, size_t size, struct xipc__os_shm *s, bool *created)
{
    *created = false;
    if (name == NULL)
        return xipc__os_shm_open(NULL, flags, size, s, created);
    return open_named(name, flags, size, s, created);
}

int
xipc__os_mq_unlink(const char *name)
{
    char path[MQ_PATH_CAP];
    mq_path(name, path);
    return xipc__posix_shm_unlink_at(path, name);
}

void
xipc__os_mq_drop_name(const struct xipc__os_shm *s, const char *name)
{
    char path[MQ_PATH_CAP];
    mq_path(name, path);
    xipc__posix_shm_drop_at(s, path);
}

/* ---- Sleeping ------------------------------------------------------------------------------- */

int
xipc__os_mq_wake_open(struct xipc_mq *q)
{
    (void)q; /* the futex is the wake word itself */
    return 0;
}

void
xipc__os_mq_wake_close(struct xipc_mq *q)
{
    (void)q;
}

int
xipc__os_mq_sleep(struct xipc_mq *q, enum xipc__mq_side side, _Atomic uint32_t *word, uint32_t seen,
    xipc__deadline dl)
{
    (void)q;
    (void)side;
    return xipc__posix_futex_wait(word, seen, dl);
}

void
xipc__os_mq_wake(
    struct xipc_mq *q, enum xipc__mq_side side, _Atomic uint32_t *word, uint32_t waiters)
{
    (void)q;
    (void)side;
    (void)waiters; /* every sleeper looks again: a typed receiver may want what others do not */
    xipc__posix_futex_wake(word, INT32_MAX);
}

/* ---- Processes ------------------------------------------------------------------------------ */

/* Field 22 of /proc/PID/stat (the start time, in clock ticks since boot) and field 3 (the state).
 * 0 when the process is gone or the file cannot be read. */
static uint64_t
start_time(uint64_t pid, char *state)
{
    char path[48], buf[512];
    *state = '?';
    (void)snprintf(path, sizeof path, "/proc/%llu/stat", (unsigned long long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    (void)close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name, field 2, may hold spaces and parentheses: count from its last ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ')
        return 0;
    *state = p[2];
    p += 2;
    for (int field = 3; field < 22 && p != NULL; field++) {
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

uint64_t
xipc__os_mq_self_start(void)
{
    char state;
    return start_time(xipc__os_self_pid(), &state);
}

bool
xipc__os_mq_alive(uint64_t pid, uint64_t start)
{
    char state;
    if (pid == 0 || pid > INT32_MAX)
        return false;
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return false;
    uint64_t now = start_time(pid, &state);
    if (now == 0)
        return access("/proc/self/stat", F_OK) != 0; /* no /proc: the pid is all we know */
    if (state == 'Z' || state == 'X')
        return false; /* killed, not reaped yet: it will never unlock anything */
    return start == 0 || now == start;
}

void
xipc__os_mq_yield(void)
{
    (void)sched_yield();
}

void
xipc__os_mq_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause");
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}
