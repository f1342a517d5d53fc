/* posix/posix_pdeathsig.c: Linux-only where XIPC_HAVE_PR_SET_PDEATHSIG: a child that the kernel
 * kills when its parent ends (XIPC_SPAWN_DIE_WITH_PARENT), set up by posix_proc.c between fork
 * and exec. A port replaces the prctl call: FreeBSD procctl(P_PID, 0, PROC_PDEATHSIG_CTL, &sig);
 * macOS has no such request (a port there watches the parent with kqueue's NOTE_EXIT from a
 * helper). Without one, xipc_spawn refuses the flag (XIPC_ENOTSUP) rather than start a child
 * that would outlive its parent against the caller's wish. */
#include "posix_internal.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>
#if XIPC_HAVE_PR_SET_PDEATHSIG
#include <sys/prctl.h>
#endif

bool
xipc__posix_pdeathsig_exists(void)
{
    return XIPC_HAVE_PR_SET_PDEATHSIG != 0;
}

int
xipc__posix_pdeathsig_arm(pid_t parent)
{
#if XIPC_HAVE_PR_SET_PDEATHSIG
    /* The signal comes when the thread that forked us ends (xipc/proc.h says so). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        return errno;
    /* The parent may have died before prctl took effect: nobody would send the signal then. */
    return getppid() == parent ? 0 : ESRCH;
#else
    (void)parent;
    return 0;
#endif
}
