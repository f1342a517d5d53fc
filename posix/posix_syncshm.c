/* posix/posix_syncshm.c: the shared memory behind POSIX events, mutexes and anonymous
 * semaphores (posix_sync.h): creating, opening, checking, adopting and removing it.
 *
 * Named events and mutexes live in the shm namespace as "/xipc:NAME". ':' is outside the name
 * alphabet, so no other kind ever reaches them through some other name: not a shared section
 * ("/NAME"), nor glibc's file for semaphore X ("/dev/shm/sem.X", which an event named "sem.X"
 * used to be). Events and mutexes share the prefix, as Windows kernel objects share one
 * namespace, and a kind mismatch between them is told from the header. Anonymous objects live
 * in a memfd (posix_memfd.c).
 *
 * The creator initialises the header and stores the magic last; an opener that arrives in
 * between waits a little for it. Nothing that looks at an object under a name blocks on it or
 * follows a link to it: every open is O_NOFOLLOW | O_NONBLOCK, and the owner and the file type
 * are checked before anything reads, maps or waits on it. Those name helpers serve shared
 * sections ("/NAME", posix_shm.c) too (posix_internal.h). */
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

/* "/xipc:" + a name + NUL. */
#define SHM_PATH_PREFIX "/xipc:"
#define SHM_PATH_CAP    (sizeof SHM_PATH_PREFIX + XIPC_NAME_MAX)

static void
shm_path(const char *name, char path[SHM_PATH_CAP])
{
    memcpy(path, SHM_PATH_PREFIX, sizeof SHM_PATH_PREFIX - 1);
    memcpy(path + sizeof SHM_PATH_PREFIX - 1, name, strlen(name) + 1);
}

/* shm_open that never follows a link and never waits: a FIFO planted at the name would make a
 * plain open wait for a writer. glibc's shm_open passes oflag on to open(2) and adds O_NOFOLLOW
 * and O_CLOEXEC itself; they are named here for C libraries that do not. */
static int
shm_open_safely(const char *path, int oflag, mode_t mode)
{
    return shm_open(path, oflag | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
}

/* A failed shm_open of a name. A link at the name (ELOOP, from O_NOFOLLOW) is a squat, as is a
 * socket, which open(2) refuses with ENXIO before anything could tell whose it is: both
 * XIPC_EACCES. */
static int
open_failure(int e, const char *name)
{
    int rc = XIPC__OS_FAIL(e, "shm_open", name);
    return (e == ELOOP || e == ENXIO) ? XIPC_EACCES : rc;
}

int
xipc__posix_shm_check_object(int fd, const char *name, struct stat *st)
{
    if (fstat(fd, st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", name);
    if (st->st_uid != geteuid() || (st->st_mode & 077) != 0)
        return XIPC_EACCES;
    return S_ISREG(st->st_mode) ? 0 : XIPC_ECORRUPT;
}

int
xipc__posix_shm_peek(const char *path, const char *name, int *fd)
{
    *fd = shm_open_safely(path, O_RDONLY, 0);
    if (*fd >= 0)
        return 0;
    return errno == ENOENT ? XIPC_ENOENT : open_failure(errno, name);
}

/* The kind of the finished xipc header in a mapping of at least its size, 0 while the magic is
 * not there yet, or XIPC_ECORRUPT for a magic or version that is not xipc's. */
static int
header_kind(struct xipc__posix_sync_shm *shm)
{
    uint32_t magic = atomic_load_explicit(&shm->magic, memory_order_acquire);
    if (magic == 0)
        return 0;
    uint32_t version = shm->version, kind = shm->kind;
    if (magic != XIPC__SYNC_MAGIC || version != XIPC__SYNC_VERSION ||
        (kind != XIPC_KIND_EVENT && kind != XIPC_KIND_SEM && kind != XIPC_KIND_MUTEX))
        return XIPC_ECORRUPT;
    return (int)kind;
}

static int
map_header(int fd, int prot, struct xipc__posix_sync_shm **out)
{
    void *map = mmap(NULL, sizeof **out, prot, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return XIPC__OS_FAIL(errno, "mmap", NULL);
    *out = map;
    return 0;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = { 0, ms * 1000000L };
    (void)nanosleep(&ts, NULL);
}

/* Maps a regular file that an opener found under a name, once it is as large as the header. A
 * creator makes the file empty and then sizes it, so only an empty file is waited for; any other
 * size short of the header is not something xipc makes. */
static int
map_when_sized(int fd, struct xipc__posix_sync_shm **out)
{
    struct stat st;
    for (int waited = 0;; waited++) {
        if (fstat(fd, &st) != 0)
            return XIPC__OS_FAIL(errno, "fstat", NULL);
        if ((size_t)st.st_size >= sizeof **out)
            break;
        if (st.st_size != 0 || waited >= INIT_WAIT_MS)
            return XIPC_ECORRUPT; /* a creator died before sizing it, or not xipc's: unlink it */
        sleep_ms(1);
    }
    return map_header(fd, PROT_READ | PROT_WRITE, out);
}

/* Checks the header another process wrote, waiting for a creator still at work: XIPC_ECORRUPT
 * for one that is not xipc's or never got finished, XIPC_EINVAL for another kind. */
static int
check_header(struct xipc__posix_sync_shm *shm, enum xipc_kind kind)
{
    int found;
    for (int waited = 0; (found = header_kind(shm)) == 0; waited++) {
        if (waited >= INIT_WAIT_MS)
            return XIPC_ECORRUPT;
        sleep_ms(1);
    }
    if (found < 0)
        return found;
    return found == (int)kind ? 0 : XIPC_EINVAL;
}

/* What is under path now, without waiting for anything: XIPC_ENOENT, XIPC_EACCES or
 * XIPC_ECORRUPT (as check_object says), or 0 with *kind the kind of its finished xipc header
 * (0 when it has none: unfinished, or not xipc's). */
static int
inspect_name(const char *path, const char *name, uint32_t *kind)
{
    struct stat st;
    struct xipc__posix_sync_shm *shm = NULL;
    int fd = -1;
    *kind = 0;
    int rc = xipc__posix_shm_peek(path, name, &fd);
    if (rc != 0)
        return rc;
    rc = xipc__posix_shm_check_object(fd, name, &st);
    if (rc == 0 && (size_t)st.st_size >= sizeof *shm && map_header(fd, PROT_READ, &shm) == 0) {
        int found = header_kind(shm);
        *kind = found > 0 ? (uint32_t)found : 0;
        (void)munmap(shm, sizeof *shm);
    }
    (void)close(fd);
    return rc;
}

int
xipc__posix_sync_shm_inspect(const char *name, uint32_t *kind)
{
    char path[SHM_PATH_CAP];
    shm_path(name, path);
    return inspect_name(path, name, kind);
}

/* Create-only found the name taken: XIPC_EINVAL if it holds an xipc object of the other kind
 * (as on Windows), else XIPC_EEXIST, whatever else is there (a stale name: unlink it). */
static int
name_taken(enum xipc_kind kind, const char *path, const char *name)
{
    uint32_t found = 0;
    int rc = inspect_name(path, name, &found);
    return (rc == 0 && found != 0 && found != (uint32_t)kind) ? XIPC_EINVAL : XIPC_EEXIST;
}

/* A new object's mode is 0600 less the umask, which must not leave us without access (nor can it
 * add any): the fstat that tells is also the one the caller gets, and fchmod runs only when the
 * umask took something. */
static int
make_owner_only(int fd, const char *name, struct stat *st)
{
    if (fstat(fd, st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", name);
    if ((st->st_mode & 07777) == 0600)
        return 0;
    if (fchmod(fd, 0600) != 0)
        return XIPC__OS_FAIL(errno, "fchmod", name);
    st->st_mode = (st->st_mode & ~(mode_t)07777) | 0600;
    return 0;
}

int
xipc__posix_shm_name_open(const char *path, const char *name, unsigned flags, int access, int *fd,
    bool *created, struct stat *st)
{
    int rc;
    *fd = -1;
    /* Bounded: each round loses a race with a process that removes or creates the name. */
    for (int attempt = 0; attempt < 8; attempt++) {
        if (flags & XIPC_CREATE) {
            *fd = shm_open_safely(path, O_RDWR | O_CREAT | O_EXCL, 0600);
            if (*fd >= 0) {
                *created = true;
                return make_owner_only(*fd, name, st);
            }
            if (errno != EEXIST)
                return open_failure(errno, name);
            if (!(flags & XIPC_OPEN))
                return XIPC__OS_FAIL(EEXIST, "shm_open", name);
        }
        *fd = shm_open_safely(path, access, 0);
        if (*fd >= 0) {
            if ((rc = xipc__posix_shm_check_object(*fd, name, st)) != 0) {
                (void)close(*fd);
                *fd = -1;
            }
            return rc;
        }
        if (errno != ENOENT)
            return open_failure(errno, name);
        if (!(flags & XIPC_CREATE))
            return XIPC_ENOENT;
    }
    return XIPC_EBUSY;
}

/* Opens "/xipc:NAME" as the flags ask; *created tells whether this call made it. Create-only on
 * a taken name tells an object of the other kind (XIPC_EINVAL) from anything else. */
static int
open_named(enum xipc_kind kind, const char *name, unsigned flags, int *fd, bool *created)
{
    char path[SHM_PATH_CAP];
    struct stat st;
    shm_path(name, path);
    int rc = xipc__posix_shm_name_open(path, name, flags, O_RDWR, fd, created, &st);
    return rc == XIPC_EEXIST ? name_taken(kind, path, name) : rc;
}

/* Sizes, maps and initialises an object this process just created. */
static int
init_new(int fd, enum xipc_kind kind, unsigned flags, unsigned initial, xipc__posix_sync_init init,
    struct xipc__posix_sync_shm **out)
{
    int rc;
    if (ftruncate(fd, (off_t)sizeof **out) != 0)
        return XIPC__OS_FAIL(errno, "ftruncate", NULL);
    if ((rc = map_header(fd, PROT_READ | PROT_WRITE, out)) != 0)
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

/* Maps an object another process made, once it is finished. */
static int
map_existing(int fd, enum xipc_kind kind, struct xipc__posix_sync_shm **out)
{
    int rc = map_when_sized(fd, out);
    if (rc == 0 && (rc = check_header(*out, kind)) != 0)
        (void)munmap(*out, sizeof **out);
    return rc;
}

int
xipc__posix_sync_shm_open(enum xipc_kind kind, const char *name, unsigned flags, unsigned initial,
    xipc__posix_sync_init init, struct xipc__os_sync *s, bool *created)
{
    struct xipc__posix_sync_shm *shm = NULL;
    int fd = -1, rc;
    bool made = name == NULL;
    *created = false;
    rc = name != NULL ? open_named(kind, name, flags, &fd, &made) : xipc__posix_anon_shm(&fd);
    if (rc == 0)
        rc = made ? init_new(fd, kind, flags, initial, init, &shm) : map_existing(fd, kind, &shm);
    if (rc != 0) {
        if (made && name != NULL)
            (void)xipc__posix_sync_shm_unlink(kind, name);
        if (fd >= 0)
            (void)close(fd);
        return rc;
    }
    *created = made && name != NULL;
    s->kind = (int)kind;
    s->fd_plus1 = fd + 1;
    s->shm = shm;
    return 0;
}

/* An exported object is whole: a regular file at least as large as the header, open for
 * reading and writing, with a finished header of this kind. Anything else is XIPC_EINVAL at
 * once, with no wait for a creator. */
static int
check_inherited(int fd, enum xipc_kind kind, struct xipc__posix_sync_shm **out)
{
    struct stat st;
    int fl, rc;
    if (fstat(fd, &st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", "inherited descriptor"); /* EBADF: XIPC_EBADF */
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof **out ||
        (fl = fcntl(fd, F_GETFL)) < 0 || (fl & O_ACCMODE) != O_RDWR)
        return XIPC_EINVAL;
    if ((rc = map_header(fd, PROT_READ | PROT_WRITE, out)) != 0)
        return rc;
    if (header_kind(*out) != (int)kind) {
        (void)munmap(*out, sizeof **out);
        return XIPC_EINVAL;
    }
    return 0;
}

int
xipc__posix_sync_shm_adopt(enum xipc_kind kind, int fd, struct xipc__os_sync *s)
{
    struct xipc__posix_sync_shm *shm = NULL;
    int rc = check_inherited(fd, kind, &shm);
    if (rc != 0)
        return rc;
    /* A descriptor a handle of ours holds already: two owners would close it under each other. */
    if (xipc__handle_owns_native(fd))
        rc = XIPC_EEXIST;
    else if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        rc = XIPC__OS_FAIL(errno, "fcntl", "inherited descriptor");
    if (rc != 0) {
        (void)munmap(shm, sizeof *shm);
        return rc;
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
xipc__posix_sync_shm_unlink(enum xipc_kind kind, const char *name)
{
    char path[SHM_PATH_CAP];
    uint32_t found = 0;
    shm_path(name, path);
    /* Leave alone what is not ours to remove (XIPC_EACCES) and an object of the other kind.
     * What open calls XIPC_ECORRUPT goes: removing it is the repair. */
    int rc = inspect_name(path, name, &found);
    if (rc == XIPC_ENOENT || rc == XIPC_EACCES)
        return rc;
    if (found != 0 && found != (uint32_t)kind)
        return XIPC_EINVAL;
    if (shm_unlink(path) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "shm_unlink", name);
    return 0;
}
