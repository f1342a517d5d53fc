/* posix/posix_selfexe.c: Linux-only: the path of this process's program, from the link
 * /proc/self/exe (common/platform.h, "Processes"). A port replaces this file: FreeBSD and NetBSD
 * ask sysctl(KERN_PROC_PATHNAME) with the pid -1, macOS _NSGetExecutablePath (then realpath, as
 * it may give a relative or linked path). */
#include "platform.h"

#include <errno.h>
#include <unistd.h>

int
xipc__os_self_exe(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap);
    if (n < 0)
        return XIPC__OS_FAIL(errno, "readlink", "/proc/self/exe");
    /* readlink does not terminate, and fills the whole buffer when the path is cut short. */
    if ((size_t)n >= cap)
        return XIPC_ENAMETOOLONG;
    buf[n] = '\0';
    return 0;
}
