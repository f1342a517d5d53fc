/* posix/posix_memfd.c: anonymous shared memory for objects without a name. Linux: memfd_create,
 * which never appears in any namespace. Elsewhere (or where memfd_create is missing: an old
 * kernel, a seccomp filter): a shm_open name made of the pid and a counter, unlinked at once. */
#include "posix_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* How many temporary names the fallback tries before it gives up. */
#define ANON_NAME_ATTEMPTS 16

/* The temporary names hold ':', which no xipc name does, and do not start with "/xipc:", so
 * they never collide with a shared section ("/NAME") or an event or mutex ("/xipc:NAME"). Any
 * local user can take them in advance, though: when every one tried is taken, the result is
 * XIPC_EBUSY, the code of a name lost to others in every round (posix_syncshm.c), never
 * XIPC_EEXIST, which would say that an object the caller named exists. */
static int
anon_by_shm_open(int *fd)
{
    static _Atomic unsigned serial;
    char name[64];
    for (int attempt = 0; attempt < ANON_NAME_ATTEMPTS; attempt++) {
        snprintf(
            name, sizeof name, "/xipc-anon:%ld:%u", (long)getpid(), atomic_fetch_add(&serial, 1));
        *fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (*fd >= 0) {
            (void)shm_unlink(name);
            return 0;
        }
        if (errno != EEXIST)
            return XIPC__OS_FAIL(errno, "shm_open", "anonymous");
    }
    (void)XIPC__OS_FAIL(EEXIST, "shm_open", "anonymous");
    return XIPC_EBUSY;
}

int
xipc__posix_anon_shm(int *fd)
{
#if XIPC_HAVE_MEMFD_CREATE
    *fd = memfd_create("xipc", MFD_CLOEXEC);
    if (*fd >= 0)
        return 0;
    if (errno != ENOSYS)
        return XIPC__OS_FAIL(errno, "memfd_create", NULL);
#endif
    return anon_by_shm_open(fd);
}
