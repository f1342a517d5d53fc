/* posix/posix_syncshm.c: the shared memory behind POSIX events, mutexes and anonymous
 * semaphores (posix_sync.h): creating, opening, checking and removing it.
 *
 * Named objects live in the shm namespace as "/NAME" (so events and mutexes share one namespace,
 * as Windows kernel objects do, and a kind mismatch is detected from the header). Anonymous ones
 * live in a memfd. The creator initialises the header and stores the magic last; an opener that
 * arrives in between waits a little for it. */
#include "posix_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long an opener waits for a creator that is still initialising the header. */
#define INIT_WAIT_MS 2000

static void
shm_path(const char *name, char path[XIPC_NAME_MAX + 2])
{
    path[0] = '/';
    memcpy(path + 1, name, strlen(name) + 1);
}

/* Refuses an object that another user owns or that group or others may open. */
static int
check_owner(int fd, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", name);
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return XIPC_EACCES;
    return 0;
}

/* Opens "/NAME" as the flags ask; *created tells whether this call made it. */
static int
open_named(const char *name, unsigned flags, int *fd, bool *created)
{
    char path[XIPC_NAME_MAX + 2];
    shm_path(name, path);
    /* Bounded: each round loses a race with a process that removes or creates the name. */
    for (int attempt = 0; attempt < 8; attempt++) {
        if (flags & XIPC_SYNC_CREATE) {
            /* shm_open sets FD_CLOEXEC itself. fchmod: the umask must not leave us without
             * write access, nor can it add any. */
            *fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
            if (*fd >= 0) {
                *created = true;
                return fchmod(*fd, 0600) == 0 ? 0 : XIPC__OS_FAIL(errno, "fchmod", name);
            }
            if (errno != EEXIST)
                return XIPC__OS_FAIL(errno, "shm_open", name);
            if (!(flags & XIPC_SYNC_OPEN))
                return XIPC_EEXIST;
        }
        *fd = shm_open(path, O_RDWR, 0);
        if (*fd >= 0)
            return check_owner(*fd, name);
        if (errno != ENOENT)
            return XIPC__OS_FAIL(errno, "shm_open", name);
        if (!(flags & XIPC_SYNC_CREATE))
            return XIPC_ENOENT;
    }
    return XIPC_EBUSY;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    (void)nanosleep(&ts, NULL);
}

/* Waits until the object is at least as large as the header, then maps it. */
static int
map_when_sized(int fd, struct xipc__posix_sync_shm **out)
{
    struct stat st;
    for (int waited = 0;; waited++) {
        if (fstat(fd, &st) != 0)
            return XIPC__OS_FAIL(errno, "fstat", NULL);
        if ((size_t)st.st_size >= sizeof **out)
            break;
        if (waited >= INIT_WAIT_MS)
            return XIPC_ECORRUPT; /* a creator died before sizing it: unlink the name */
        sleep_ms(1);
    }
    void *map = mmap(NULL, sizeof **out, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return XIPC__OS_FAIL(errno, "mmap", NULL);
    *out = map;
    return 0;
}

/* Checks the header another process wrote: magic (waiting for a creator still at work),
 * version, and kind. */
static int
check_header(struct xipc__posix_sync_shm *shm, enum xipc__kind kind)
{
    for (int waited = 0; atomic_load_explicit(&shm->magic, memory_order_acquire) == 0; waited++) {
        if (waited >= INIT_WAIT_MS)
            return XIPC_ECORRUPT;
        sleep_ms(1);
    }
    if (atomic_load_explicit(&shm->magic, memory_order_acquire) != XIPC__SYNC_MAGIC ||
        shm->version != XIPC__SYNC_VERSION)
        return XIPC_ECORRUPT;
    return shm->kind == (uint32_t)kind ? 0 : XIPC_EINVAL;
}

/* The kind stored under "/NAME", or 0 when it is not (yet) a readable xipc header. */
static uint32_t
kind_under(const char *path)
{
    struct stat st;
    uint32_t kind = 0;
    int fd = shm_open(path, O_RDONLY, 0);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(struct xipc__posix_sync_shm)) {
        struct xipc__posix_sync_shm *shm = mmap(NULL, sizeof *shm, PROT_READ, MAP_SHARED, fd, 0);
        if (shm != MAP_FAILED) {
            if (atomic_load(&shm->magic) == XIPC__SYNC_MAGIC)
                kind = shm->kind;
            (void)munmap(shm, sizeof *shm);
        }
    }
    (void)close(fd);
    return kind;
}

/* The kind of the xipc object named name, or 0. */
static uint32_t
kind_of_name(const char *name)
{
    char path[XIPC_NAME_MAX + 2];
    shm_path(name, path);
    return kind_under(path);
}

static int
init_new(int fd, enum xipc__kind kind, unsigned flags, unsigned initial, xipc__posix_sync_init init,
    struct xipc__posix_sync_shm **out)
{
    int rc;
    if (ftruncate(fd, (off_t)sizeof **out) != 0)
        return XIPC__OS_FAIL(errno, "ftruncate", NULL);
    if ((rc = map_when_sized(fd, out)) != 0)
        return rc;
    struct xipc__posix_sync_shm *shm = *out;
    shm->version = XIPC__SYNC_VERSION;
    shm->kind = (uint32_t)kind;
    shm->flags = flags;
    if ((rc = init(shm, flags, initial)) != 0) {
        (void)munmap(shm, sizeof *shm);
        return rc;
    }
    atomic_store_explicit(&shm->magic, XIPC__SYNC_MAGIC, memory_order_release);
    return 0;
}

int
xipc__posix_sync_shm_open(enum xipc__kind kind, const char *name, unsigned flags, unsigned initial,
    xipc__posix_sync_init init, struct xipc__os_sync *s, bool *created)
{
    struct xipc__posix_sync_shm *shm = NULL;
    int fd = -1, rc;
    *created = false;
    rc = name ? open_named(name, flags, &fd, created) : xipc__posix_anon_shm(&fd);
    if (rc == XIPC_EEXIST) {
        /* Taken by another kind: XIPC_EINVAL, as on Windows. A header nobody finished stays
         * XIPC_EEXIST (a stale name: unlink it). */
        uint32_t other = kind_of_name(name);
        rc = (other != 0 && other != (uint32_t)kind) ? XIPC_EINVAL : rc;
    }
    if (rc == 0 && name == NULL)
        *created = true;
    if (rc == 0 && *created)
        rc = init_new(fd, kind, flags, initial, init, &shm);
    else if (rc == 0 && (rc = map_when_sized(fd, &shm)) == 0 && (rc = check_header(shm, kind)) != 0)
        (void)munmap(shm, sizeof *shm);
    if (rc != 0) {
        if (*created && name != NULL)
            (void)xipc__posix_sync_shm_unlink(kind, name);
        if (fd >= 0)
            (void)close(fd);
        *created = false;
        return rc;
    }
    *created = *created && name != NULL;
    s->kind = (int)kind;
    s->fd_plus1 = fd + 1;
    s->shm = shm;
    return 0;
}

int
xipc__posix_sync_shm_adopt(enum xipc__kind kind, int fd, struct xipc__os_sync *s)
{
    struct xipc__posix_sync_shm *shm = NULL;
    int rc;
    if (fcntl(fd, F_GETFD) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", "inherited descriptor");
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return XIPC__OS_FAIL(errno, "fcntl", "inherited descriptor");
    if ((rc = map_when_sized(fd, &shm)) != 0)
        return rc == XIPC_ECORRUPT ? XIPC_EINVAL : rc;
    if ((rc = check_header(shm, kind)) != 0) {
        (void)munmap(shm, sizeof *shm);
        return rc == XIPC_ECORRUPT ? XIPC_EINVAL : rc;
    }
    s->kind = (int)kind;
    s->fd_plus1 = fd + 1;
    s->shm = shm;
    return 0;
}

void
xipc__posix_sync_shm_close(struct xipc__os_sync *s)
{
    if (s->shm != NULL)
        (void)munmap(s->shm, sizeof *s->shm);
    if (s->fd_plus1 > 0)
        (void)close(s->fd_plus1 - 1);
    s->shm = NULL;
    s->fd_plus1 = 0;
}

int
xipc__posix_sync_shm_unlink(enum xipc__kind kind, const char *name)
{
    char path[XIPC_NAME_MAX + 2];
    shm_path(name, path);
    uint32_t found = kind_under(path);
    /* Leave another kind's object alone; a header nobody finished (a creator that died) may go. */
    if (found != 0 && found != (uint32_t)kind)
        return XIPC_EINVAL;
    if (shm_unlink(path) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "shm_unlink", name);
    return 0;
}
