/* posix/posix_futex.c: Linux-only: futex wait and wake on a 32-bit word in shared memory, for
 * events (posix_sync.c). A BSD port replaces this file (umtx on FreeBSD, ulock on macOS). The
 * calls are not FUTEX_PRIVATE: the word is shared between processes. */
#include "posix_sync.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int
xipc__posix_futex_wait(_Atomic uint32_t *word, uint32_t expected, xipc__deadline dl)
{
    struct timespec rel, *timeout = NULL;
    if (dl != XIPC__DEADLINE_NEVER) {
        /* FUTEX_WAIT takes a relative time on CLOCK_MONOTONIC, the clock of dl. */
        uint64_t now = xipc__os_clock_ns();
        if (now >= dl)
            return XIPC_ETIMEDOUT;
        rel.tv_sec = (time_t)((dl - now) / 1000000000u);
        rel.tv_nsec = (long)((dl - now) % 1000000000u);
        timeout = &rel;
    }
    if (syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout, NULL, 0) == 0)
        return 0;
    int e = errno;
    if (e == ETIMEDOUT)
        return XIPC_ETIMEDOUT;
    /* EAGAIN: the word changed before we slept; EINTR: a signal. Both mean "look again". */
    if (e == EAGAIN || e == EINTR)
        return 0;
    return XIPC__OS_FAIL(e, "futex", "FUTEX_WAIT");
}

void
xipc__posix_futex_wake(_Atomic uint32_t *word, int count)
{
    (void)syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
}
