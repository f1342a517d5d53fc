/* posix/posix_pidfd.c: Linux-only: pidfd_open(2), used by posix_proc.c for timed waits. A port
 * to a system without it replaces this file with one that returns -1 (posix_proc.c then polls
 * waitpid with WNOHANG). */
#include "posix_internal.h"

#include <sys/syscall.h>
#include <unistd.h>

int
xipc__posix_pidfd_open(pid_t pid)
{
#if XIPC_HAVE_SYS_PIDFD_OPEN
    /* pidfd_open returns a close-on-exec descriptor (Linux 5.3+); ENOSYS on older kernels. */
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -1 : (int)fd;
#else
    (void)pid;
    return -1;
#endif
}
