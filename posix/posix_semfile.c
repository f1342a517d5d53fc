/* posix/posix_semfile.c: glibc-only: the file behind a named semaphore. glibc's sem_open("/NAME")
 * maps /dev/shm/sem.NAME, a file like any other, which xipc looks at before sem_open does
 * (posix_sem.c) because sem_open gives no descriptor to check. A port replaces this file with
 * its C library's answer: musl keeps /dev/shm/NAME (no "sem." prefix); FreeBSD's sem_open opens a
 * shm_open object, which it can fstat itself; macOS keeps kernel objects with no file, so there
 * a check can only trust sem_open (O_EXCL on create) and must say so in xipc/sync.h. */
#include "posix_sync.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef __GLIBC__
#error "posix_semfile.c knows where glibc keeps named semaphores; see its header for a port"
#endif

/* Where glibc keeps the file of semaphore "/NAME": /dev/shm/sem.NAME. */
#define GLIBC_SEM_PREFIX "/dev/shm/sem."

/* A file that passes stays ours until sem_open opens it: in /dev/shm (sticky) nobody else can
 * replace or rename it. */
int
xipc__posix_sem_file_check(const char *name)
{
    char path[sizeof GLIBC_SEM_PREFIX + XIPC_NAME_MAX];
    struct stat st;
    snprintf(path, sizeof path, GLIBC_SEM_PREFIX "%s", name);
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? XIPC_ENOENT : XIPC__OS_FAIL(errno, "lstat", name);
    if (S_ISLNK(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
        return XIPC__FAIL(XIPC_EACCES, "name: a link, another user's, or open to others");
    /* Not a regular file as large as a sem_t: glibc would map it and crash on the first post. */
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(sem_t))
        return XIPC__FAIL(XIPC_ECORRUPT, "name: its file is no semaphore's");
    return 0;
}
