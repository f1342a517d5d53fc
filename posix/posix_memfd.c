/* posix/posix_memfd.c: anonymous shared memory for objects without a name. Linux: memfd_create,
 * which never appears in any namespace. Elsewhere (or on kernels without it): a shm_open name
 * made of the pid and a counter, unlinked at once. */
#include "posix_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int
anon_by_shm_open(int *fd)
{
    static _Atomic unsigned serial;
    char name[64];
    for (int attempt = 0; attempt < 16; attempt++) {
        snprintf(
            name, sizeof name, "/xipc-anon-%ld-%u", (long)getpid(), atomic_fetch_add(&serial, 1));
        *fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (*fd >= 0) {
            (void)shm_unlink(name);
            return 0;
        }
        if (errno != EEXIST)
            break;
    }
    return XIPC__OS_FAIL(errno, "shm_open", "anonymous");
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
