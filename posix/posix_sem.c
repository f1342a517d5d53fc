/* posix/posix_sem.c: semaphores (common/platform.h, "Events, semaphores, mutexes").
 *
 * A named semaphore is a real sem_open("/NAME") object, so a program that calls sem_open itself
 * shares it with one that uses xipc. It has no descriptor to inherit: a child reopens it by name.
 * An anonymous semaphore is a process-shared sem_t in the shared header (posix_syncshm.c), passed
 * on as a descriptor. */
#include "posix_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static sem_t *
sem_of(struct xipc__os_sync *s)
{
    return s->named_sem ? (sem_t *)s->named_sem : &s->shm->u.sem;
}

static int
anon_sem_init(struct xipc__posix_sync_shm *shm, unsigned flags, unsigned initial)
{
    (void)flags;
    if (sem_init(&shm->u.sem, 1, initial) != 0)
        return XIPC__OS_FAIL(errno, "sem_init", NULL);
    return 0;
}

/* Opens the existing semaphore after checking the file the C library keeps for it (sem_open gives
 * no descriptor to check: posix_semfile.c). XIPC_ENOENT when there is none. */
static sem_t *
open_existing(const char *name, const char *sem_name, int *rc)
{
    if ((*rc = xipc__posix_sem_file_check(name)) != 0)
        return SEM_FAILED;
    sem_t *sem = sem_open(sem_name, 0);
    if (sem == SEM_FAILED)
        *rc = errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "sem_open", name);
    return sem;
}

static int
named_sem_open(
    const char *name, unsigned flags, unsigned initial, struct xipc__os_sync *s, bool *created)
{
    sem_t *sem = SEM_FAILED;
    int rc = 0;
    snprintf(s->sem_name, sizeof s->sem_name, "/%s", name);
    for (int attempt = 0; attempt < 8 && sem == SEM_FAILED; attempt++) {
        if (flags & XIPC_CREATE) {
            sem = sem_open(s->sem_name, O_CREAT | O_EXCL, 0600, initial);
            if (sem != SEM_FAILED) {
                *created = true;
                break;
            }
            if (errno != EEXIST)
                return XIPC__OS_FAIL(errno, "sem_open", name);
            if (!(flags & XIPC_OPEN))
                return XIPC_EEXIST;
        }
        sem = open_existing(name, s->sem_name, &rc);
        if (sem == SEM_FAILED && (rc != XIPC_ENOENT || !(flags & XIPC_CREATE)))
            return rc;
    }
    if (sem == SEM_FAILED)
        return XIPC_EBUSY;
    s->kind = XIPC_KIND_SEM;
    s->named_sem = sem;
    return 0;
}

int
xipc__posix_sem_open(
    const char *name, unsigned flags, unsigned initial, struct xipc__os_sync *s, bool *created)
{
    if (name == NULL)
        return xipc__posix_sync_shm_open(
            XIPC_KIND_SEM, NULL, flags, initial, anon_sem_init, s, created);
    int rc = named_sem_open(name, flags, initial, s, created);
    if (rc != 0)
        memset(s, 0, sizeof *s);
    return rc;
}

int
xipc__posix_sem_reopen(const char *value, struct xipc__os_sync *s)
{
    bool created = false;
    if (value[0] != '/' || xipc_name_check(value) != 0)
        return XIPC_EINVAL;
    int rc = xipc__posix_sem_open(value + 1, XIPC_OPEN, 0, s, &created);
    return rc == XIPC_ENOENT ? XIPC_EBADF : rc;
}

void
xipc__posix_sem_close(struct xipc__os_sync *s)
{
    if (s->named_sem)
        (void)sem_close((sem_t *)s->named_sem);
    else
        xipc__posix_sync_shm_close(s);
}

int
xipc__posix_sem_unlink(const char *name)
{
    char path[XIPC_NAME_MAX + 2];
    /* Not ours to remove: a link, another user's file, one open to others (XIPC_EACCES). A file
     * of ours that is not a semaphore goes: removing it is the repair. */
    int rc = xipc__posix_sem_file_check(name);
    if (rc == XIPC_ENOENT || rc == XIPC_EACCES)
        return rc;
    snprintf(path, sizeof path, "/%s", name);
    if (sem_unlink(path) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "sem_unlink", name);
    return 0;
}

int
xipc__os_sem_post(struct xipc__os_sync *s)
{
    if (sem_post(sem_of(s)) == 0)
        return 0;
    return errno == EOVERFLOW ? XIPC_ELIMIT : XIPC__OS_FAIL(errno, "sem_post", NULL);
}

int
xipc__os_sem_value(struct xipc__os_sync *s, unsigned *value)
{
    int v = 0;
    if (sem_getvalue(sem_of(s), &v) != 0)
        return XIPC__OS_FAIL(errno, "sem_getvalue", NULL);
    /* POSIX allows a negative value that counts the waiters; glibc never reports one. */
    *value = v > 0 ? (unsigned)v : 0u;
    return 0;
}

/* One timed wait on a deadline in the future: 0, or the errno of the call. */
static int
sem_wait_until(sem_t *sem, xipc__deadline dl)
{
    struct timespec abs = xipc__posix_abs_time(dl);
#if XIPC_HAVE_SEM_CLOCKWAIT
    return sem_clockwait(sem, CLOCK_MONOTONIC, &abs) == 0 ? 0 : errno;
#else
    /* Only CLOCK_REALTIME here: convert; the loop in the caller re-checks the monotonic
     * deadline, so a wall-clock jump cannot end the wait early for good. */
    struct timespec now_rt;
    uint64_t now = xipc__os_clock_ns(), left = dl > now ? dl - now : 0;
    (void)clock_gettime(CLOCK_REALTIME, &now_rt);
    uint64_t rt = (uint64_t)now_rt.tv_sec * 1000000000u + (uint64_t)now_rt.tv_nsec + left;
    abs.tv_sec = (time_t)(rt / 1000000000u);
    abs.tv_nsec = (long)(rt % 1000000000u);
    return sem_timedwait(sem, &abs) == 0 ? 0 : errno;
#endif
}

/* sem_trywait as a spin probe: 0 taken, 1 not yet. glibc's takes no system call. */
static int
sem_try(struct xipc__os_sync *s)
{
    return sem_trywait(sem_of(s)) == 0 ? 0 : 1;
}

int
xipc__os_sem_wait(struct xipc__os_sync *s, xipc__deadline dl)
{
    sem_t *sem = sem_of(s);
    if (xipc__deadline_left_ms(dl) != 0 && xipc__posix_spin(&s->spin_ns, sem_try, s, dl) == 0)
        return 0;
    for (;;) {
        int e;
        if (dl == XIPC__DEADLINE_NEVER)
            e = sem_wait(sem) == 0 ? 0 : errno;
        else if (xipc__deadline_left_ms(dl) == 0)
            e = sem_trywait(sem) == 0 ? 0 : errno;
        else
            e = sem_wait_until(sem, dl);
        if (e == 0)
            return 0;
        if (e == EAGAIN || (e == ETIMEDOUT && xipc__deadline_left_ms(dl) == 0))
            return XIPC_ETIMEDOUT;
        if (e != EINTR && e != ETIMEDOUT)
            return XIPC__OS_FAIL(e, "sem_wait", NULL);
    }
}
