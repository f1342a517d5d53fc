/* posix/posix_futex_waitv.c: Linux-only: futex_waitv (Linux 5.16), one sleep on up to 128 futex
 * words, for a wait set's helper thread that watches events (posix_waitset.c). A BSD or macOS
 * port has no such call: xipc__posix_futex_waitv_works() says false there, and the wait set
 * looks at its events between short sleeps instead. */
#include "posix_sync.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449 /* the same number on every architecture */
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
#endif

/* The kernel's struct futex_waitv (linux/futex.h, 5.16+), spelt out for older headers. */
struct waitv {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
};

int
xipc__posix_futex_waitv(
    _Atomic uint32_t *const *words, const uint32_t *vals, size_t n, size_t *woken)
{
    struct waitv wv[XIPC__FUTEX_WAITV_MAX];
    *woken = n;
    if (n == 0 || n > XIPC__FUTEX_WAITV_MAX)
        return XIPC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        /* Shared words (no FUTEX_PRIVATE_FLAG): the events live in shared memory. */
        wv[i] = (struct waitv) { vals[i], (uint64_t)(uintptr_t)words[i], FUTEX_32, 0 };
    }
    long r = syscall(SYS_futex_waitv, wv, (unsigned)n, 0u, NULL, 0);
    if (r >= 0) {
        *woken = (size_t)r; /* the index of the word whose wake ended the sleep */
        return 0;
    }
    int e = errno;
    if (e == EAGAIN || e == EINTR)
        return 0;
    if (e == ENOSYS)
        return XIPC_ENOTSUP;
    return XIPC__OS_FAIL(e, "futex_waitv", NULL);
}

bool
xipc__posix_futex_waitv_works(void)
{
    static _Atomic int known; /* 0 not asked, 1 yes, 2 no */
    int k = atomic_load(&known);
    if (k == 0) {
        /* No words: EINVAL where the call exists, ENOSYS where it does not. */
        long r = syscall(SYS_futex_waitv, NULL, 0u, 0u, NULL, 0);
        k = r < 0 && errno == ENOSYS ? 2 : 1;
        atomic_store(&known, k);
    }
    return k == 1;
}
