/* posix/posix_pidfd.c: Linux-only: pidfds, used by posix_proc.c for timed waits, for the exit
 * status of a child the OS reaped on its own, and for kills that cannot reach another process.
 * A port to a system without them replaces this file with one whose calls fail: posix_proc.c
 * then polls waitpid with WNOHANG, reports a status the OS discarded as XIPC_ECHILD, and kills
 * by pid. */
#include "posix_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
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

int
xipc__posix_pidfd_send_signal(int pidfd, int sig)
{
#if XIPC_HAVE_SYS_PIDFD_SEND_SIGNAL
    /* Linux 5.1+; ENOSYS on older kernels. */
    return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0u) == 0 ? 0 : -1;
#else
    (void)pidfd;
    (void)sig;
    errno = ENOSYS;
    return -1;
#endif
}

/* PIDFD_GET_INFO (Linux 6.13) with PIDFD_INFO_EXIT (6.15), spelt out here because the C
 * library's headers may predate them: the first version of struct pidfd_info
 * (PIDFD_INFO_SIZE_VER0, 64 bytes), whose last field became exit_code. The request is
 * extensible: the kernel takes the struct's size from the request number and fills what fits. */
struct pidfd_info_v0 {
    uint64_t mask;
    uint64_t cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code; /* a wait status, as waitpid gives it */
};
#define PIDFD_INFO_EXIT_BIT (UINT64_C(1) << 3)
#define PIDFD_GET_INFO_V0   _IOWR(0xFF, 11, struct pidfd_info_v0)

int
xipc__posix_pidfd_exit_status(int pidfd, int *wait_status)
{
    struct pidfd_info_v0 info;
    memset(&info, 0, sizeof info);
    info.mask = PIDFD_INFO_EXIT_BIT;
    /* ENOTTY or EINVAL before Linux 6.13; no PIDFD_INFO_EXIT in the answer before 6.15, or
     * while the process runs, or until release_task has recorded it (see posix_proc.c,
     * KEPT_STATUS_WAIT_MS: waitpid may say ECHILD a moment earlier). */
    if (ioctl(pidfd, PIDFD_GET_INFO_V0, &info) != 0 || !(info.mask & PIDFD_INFO_EXIT_BIT))
        return -1;
    *wait_status = info.exit_code;
    return 0;
}
