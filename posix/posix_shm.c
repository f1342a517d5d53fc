/* posix/posix_shm.c: shared memory sections (common/platform.h, "Shared memory sections").
 *
 * A named section is the shm_open("/NAME") object itself, holding the caller's bytes and nothing
 * else, so that programs that never heard of xipc (Python's SharedMemory, a C program calling
 * shm_open) share it; its size is the object's size (fstat). An anonymous one is a memfd
 * (posix_memfd.c).
 *
 * The race: a creator makes the object with O_EXCL, empty, and sizes it with ftruncate after.
 * An opener that arrives in between finds it empty, and would map nothing. The size goes from 0
 * to the creator's in one step (ftruncate), and xipc never makes an empty section, so an opener
 * that finds one empty waits, at most XIPC__SHM_INIT_WAIT_MS, for the size to appear; one still
 * empty after that was left by a creator that died before it set the size (XIPC_ECORRUPT, unlink
 * it). Python's SharedMemory makes its objects the same way, and the same wait covers them. */
#include "posix_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* "/" + a name + NUL. */
#define PATH_CAP (XIPC_NAME_MAX + 2)

static void
section_path(const char *name, char path[PATH_CAP])
{
    (void)snprintf(path, PATH_CAP, "/%s", name);
}

/* A size no off_t holds is one no file can have: XIPC_ENOMEM, as a size the system cannot give.
 * ftruncate's EFBIG and EINVAL (past the file system's largest file) mean the same. */
static int
set_size(int fd, size_t size, const char *name)
{
    if ((uintmax_t)size > (uintmax_t)INTMAX_MAX || (off_t)size < 0)
        return XIPC__FAIL(XIPC_ENOMEM, "size: larger than any file offset");
    while (ftruncate(fd, (off_t)size) != 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        int rc = XIPC__OS_FAIL(e, "ftruncate", name);
        return (e == EFBIG || e == EINVAL) ? XIPC_ENOMEM : rc;
    }
    return 0;
}

static int
map_section(int fd, size_t size, bool read_only, const char *name, void **ptr)
{
    int prot = read_only ? PROT_READ : PROT_READ | PROT_WRITE;
    void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        int rc = XIPC__OS_FAIL(e, "mmap", name);
        return e == EINVAL || e == EOVERFLOW ? XIPC_ENOMEM : rc; /* a length mmap cannot take */
    }
    *ptr = p;
    return 0;
}

/* The size of an existing section once its creator has set it (see the top of this file). */
static int
await_size(int fd, const char *name, struct stat *st, size_t *size)
{
    for (unsigned waited = 0; st->st_size <= 0; waited++) {
        if (waited >= XIPC__SHM_INIT_WAIT_MS)
            return XIPC__FAIL(XIPC_ECORRUPT, "name: a section still empty: its creator died");
        xipc__os_sleep_ms(1);
        if (fstat(fd, st) != 0)
            return XIPC__OS_FAIL(errno, "fstat", name);
    }
    if ((uintmax_t)st->st_size > SIZE_MAX)
        return XIPC__FAIL(XIPC_ENOMEM, "name: a section larger than this process can map");
    *size = (size_t)st->st_size;
    return 0;
}

/* What opening a name tells beyond the descriptor. */
struct named_open {
    bool created; /* this call made it */
    bool root_made; /* ... as root (xipc__os_shm_drop_name) */
    size_t size; /* size for one this call made, the object's for an existing one */
};

/* Opens "/NAME" as the flags ask and learns its size; an existing one must hold at least size. */
static int
open_named(const char *name, unsigned flags, size_t size, int *fd, struct named_open *how)
{
    char path[PATH_CAP];
    struct stat st;
    int access = (flags & XIPC_SHM_READONLY) ? O_RDONLY : O_RDWR;
    section_path(name, path);
    int rc = xipc__posix_shm_name_open(path, name, flags, access, fd, &how->created, &st);
    if (rc != 0)
        return rc;
    if (how->created) {
        how->size = size;
        how->root_made = st.st_uid == 0;
        return set_size(*fd, size, name);
    }
    if ((rc = await_size(*fd, name, &st, &how->size)) != 0)
        return rc;
    if (how->size < size)
        return XIPC__FAIL(XIPC_EINVAL, "size: more than the existing section holds");
    return 0;
}

int
xipc__os_shm_open(
    const char *name, unsigned flags, size_t size, struct xipc__os_shm *s, bool *created)
{
    struct named_open how = { false, false, size };
    int fd = -1, rc;
    void *ptr = NULL;
    *created = false;
    if (name != NULL) {
        rc = open_named(name, flags, size, &fd, &how);
    } else if ((rc = xipc__posix_anon_shm(&fd)) == 0) {
        rc = set_size(fd, size, NULL);
    }
    if (rc == 0)
        rc = map_section(fd, how.size, (flags & XIPC_SHM_READONLY) != 0, name, &ptr);
    if (rc != 0) {
        if (how.created) {
            char path[PATH_CAP];
            section_path(name, path);
            (void)shm_unlink(path);
        }
        if (fd >= 0)
            (void)close(fd);
        return rc;
    }
    *created = how.created;
    s->ptr = ptr;
    s->size = how.size;
    s->fd_plus1 = fd + 1;
    s->root_made = how.root_made;
    return 0;
}

void
xipc__os_shm_close(struct xipc__os_shm *s)
{
    if (s->ptr != NULL)
        (void)munmap(s->ptr, s->size);
    if (s->fd_plus1 > 0)
        (void)close(s->fd_plus1 - 1);
    memset(s, 0, sizeof *s);
}

int
xipc__os_shm_unlink(const char *name)
{
    char path[PATH_CAP];
    section_path(name, path);
    return xipc__posix_shm_unlink_at(path, name);
}

int
xipc__posix_shm_unlink_at(const char *path, const char *name)
{
    struct stat st;
    int fd = -1;
    /* Leave alone what is not ours to remove (XIPC_EACCES); what open calls XIPC_ECORRUPT goes:
     * removing it is the repair. */
    int rc = xipc__posix_shm_peek(path, name, &fd);
    if (rc != 0)
        return rc;
    rc = xipc__posix_shm_check_object(fd, name, &st);
    (void)close(fd);
    if (rc == XIPC_EACCES)
        return rc;
    if (shm_unlink(path) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "shm_unlink", name);
    return 0;
}

/* The creator made what the name holds, so xipc__os_shm_unlink's look at the name is not needed
 * to know it; only a change of owner since (root's chown) makes it another user's to keep. The
 * shm directory is sticky (/dev/shm is 1777), so the kernel refuses to remove another user's
 * object for anyone but root: only a section root made is looked at, with one fstat on the
 * descriptor held, which keeps an ordinary user's close as cheap as the raw calls. */
void
xipc__os_shm_drop_name(const struct xipc__os_shm *s, const char *name)
{
    char path[PATH_CAP];
    section_path(name, path);
    xipc__posix_shm_drop_at(s, path);
}

void
xipc__posix_shm_drop_at(const struct xipc__os_shm *s, const char *path)
{
    struct stat st;
    if (s->root_made && (fstat(s->fd_plus1 - 1, &st) != 0 || st.st_uid != 0))
        return;
    (void)shm_unlink(path);
}

int
xipc__os_shm_export(const struct xipc__os_shm *s, char *buf, size_t cap)
{
    /* The child learns the size and the access from the descriptor itself. */
    int n = snprintf(buf, cap, "%d", s->fd_plus1 - 1);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

/* An inherited descriptor is a section: a regular file (a memfd or an shm object), not empty. */
static int
check_inherited(int fd, size_t *size, bool *read_only)
{
    struct stat st;
    int fl;
    if (fstat(fd, &st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", "inherited descriptor"); /* EBADF: XIPC_EBADF */
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uintmax_t)st.st_size > SIZE_MAX ||
        (fl = fcntl(fd, F_GETFL)) < 0 || (fl & O_ACCMODE) == O_WRONLY)
        return XIPC_EINVAL;
    if (xipc__handle_owns_native(fd))
        return XIPC_EEXIST;
    *size = (size_t)st.st_size;
    *read_only = (fl & O_ACCMODE) == O_RDONLY;
    return 0;
}

int
xipc__os_shm_import(const char *value, struct xipc__os_shm *s)
{
    intptr_t native;
    size_t size = 0;
    bool read_only = false;
    void *ptr = NULL;
    if (xipc__parse_native(value, NULL, &native) != 0)
        return XIPC_EINVAL;
    if (native > INT32_MAX)
        return XIPC_EBADF;
    int fd = (int)native, rc = check_inherited(fd, &size, &read_only);
    if (rc != 0 || (rc = map_section(fd, size, read_only, "inherited descriptor", &ptr)) != 0)
        return rc;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        rc = XIPC__OS_FAIL(errno, "fcntl", "inherited descriptor");
        (void)munmap(ptr, size);
        return rc;
    }
    s->ptr = ptr;
    s->size = size;
    s->fd_plus1 = fd + 1;
    return 0;
}

size_t
xipc__os_shm_natives(const struct xipc__os_shm *s, intptr_t out[XIPC__NATIVES_MAX])
{
    out[0] = s->fd_plus1 - 1;
    return 1;
}

bool
xipc__os_shm_holds(const struct xipc__os_shm *s, intptr_t native)
{
    return s->fd_plus1 > 0 && native == s->fd_plus1 - 1;
}

/* ---- File mappings -------------------------------------------------------------------------- */

/* O_NONBLOCK: a FIFO at the path must not make the open wait (it is refused next, as not a
 * regular file); it changes nothing for a regular file. */
int
xipc__posix_open_file(const char *path, unsigned flags, int access, int *fd)
{
    int oflag = O_CLOEXEC | O_NONBLOCK | access;
    unsigned how = flags & (XIPC_CREATE | XIPC_OPEN);
    if (how == XIPC_CREATE)
        oflag |= O_CREAT | O_EXCL;
    else if (how == (XIPC_CREATE | XIPC_OPEN))
        oflag |= O_CREAT;
    do
        *fd = open(path, oflag, 0600);
    while (*fd < 0 && errno == EINTR);
    if (*fd < 0) {
        int e = errno;
        int rc = XIPC__OS_FAIL(e, "open", path);
        return e == ENXIO ? XIPC_EINVAL : rc; /* a socket or a device with nothing behind it */
    }
    return 0;
}

/* Checks that fd is a regular file holding offset + len bytes, growing a shorter one when flags
 * have XIPC_FILEMAP_GROW or XIPC_CREATE (xipc/shm.h). */
static int
size_file(int fd, const char *path, unsigned flags, uint64_t end)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return XIPC__OS_FAIL(errno, "fstat", path);
    if (!S_ISREG(st.st_mode))
        return XIPC__FAIL(XIPC_EINVAL, "path: not a regular file");
    if ((uint64_t)st.st_size >= end)
        return 0;
    if (!(flags & (XIPC_FILEMAP_GROW | XIPC_CREATE)))
        return XIPC__FAIL(XIPC_EINVAL, "offset + len: past the file's end (XIPC_FILEMAP_GROW)");
    while (ftruncate(fd, (off_t)end) != 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        int rc = XIPC__OS_FAIL(e, "ftruncate", path);
        return (e == EFBIG || e == EINVAL) ? XIPC_ENOSPC : rc; /* past the largest file */
    }
    return 0;
}

static size_t
page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (size_t)n : 4096u;
}

int
xipc__os_filemap_open(
    const char *path, unsigned flags, uint64_t offset, size_t len, struct xipc__os_filemap *m)
{
    bool writable = (flags & XIPC_FILEMAP_WRITE) != 0;
    size_t delta = (size_t)(offset % page_size());
    void *base = NULL;
    int fd = -1;
    int rc = xipc__posix_open_file(path, flags, writable ? O_RDWR : O_RDONLY, &fd);
    if (rc != 0)
        return rc;
    if ((rc = size_file(fd, path, flags, offset + len)) == 0 && len > SIZE_MAX - delta)
        rc = XIPC__FAIL(XIPC_ENOMEM, "len: more than this process can map");
    if (rc == 0) {
        int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
        base = mmap(NULL, len + delta, prot, MAP_SHARED, fd, (off_t)(offset - delta));
        if (base == MAP_FAILED) {
            int e = errno;
            rc = XIPC__OS_FAIL(e, "mmap", path);
            rc = (e == EINVAL || e == EOVERFLOW) ? XIPC_ENOMEM : rc;
        }
    }
    (void)close(fd); /* the mapping holds the file */
    if (rc != 0)
        return rc;
    m->base = base;
    m->map_len = len + delta;
    m->ptr = (unsigned char *)base + delta;
    m->size = len;
    m->writable = writable;
    return 0;
}

int
xipc__os_filemap_flush(struct xipc__os_filemap *m, size_t offset, size_t len)
{
    /* msync takes a page-aligned start. */
    uintptr_t start = (uintptr_t)m->ptr + offset, pages = page_size();
    uintptr_t aligned = start - start % pages;
    if (msync((void *)aligned, len + (start - aligned), MS_SYNC) != 0)
        return XIPC__OS_FAIL(errno, "msync", NULL);
    return 0;
}

void
xipc__os_filemap_close(struct xipc__os_filemap *m)
{
    if (m->base != NULL)
        (void)munmap(m->base, m->map_len);
    memset(m, 0, sizeof *m);
}

bool
xipc__os_filemap_holds(const struct xipc__os_filemap *m, intptr_t native)
{
    (void)m;
    (void)native;
    return false; /* no descriptor: closed once mapped */
}
