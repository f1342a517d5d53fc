/* posix/posix_closerange.c: Linux-only where XIPC_HAVE_SYS_CLOSE_RANGE: marking every descriptor
 * from some number up close-on-exec in one call, for a child between fork and exec
 * (posix_proc.c). close_range(CLOSE_RANGE_CLOEXEC) is Linux 5.11+; FreeBSD 13.1+ has the same
 * call and flag, which a port calls here. Where the call fails or is missing, the caller marks
 * each descriptor up to the open-files limit itself, which only costs time. */
#include "posix_internal.h"

#if XIPC_HAVE_SYS_CLOSE_RANGE
#include <sys/syscall.h>
#include <unistd.h>
#endif

bool
xipc__posix_cloexec_from(unsigned first)
{
#if XIPC_HAVE_SYS_CLOSE_RANGE
    /* By number, for C libraries older than the call (glibc 2.34). CLOSE_RANGE_CLOEXEC is
     * 1 << 2; older kernels say EINVAL or ENOSYS. */
    return syscall(SYS_close_range, first, ~0u, 1u << 2) == 0;
#else
    (void)first;
    return false;
#endif
}
