/* win32/win32_clock.c: the monotonic clock, sleeping, the process-wide lock (common/platform.h,
 * "Time" and "Process-wide lock"), and the deadline wait the other Win32 files share. */
#include "win32_internal.h"

uint64_t
xipc__os_clock_ns(void)
{
    LARGE_INTEGER count, freq;
    /* QueryPerformanceCounter, not GetTickCount64: the tick count advances in 10-16 ms steps,
     * so "at least 100 ms passed" could be read after 85 ms. Both calls always succeed on XP
     * and later (MSDN), and the frequency is fixed at boot, so reading it each time is cheap
     * and needs no once-only initialisation. */
    (void)QueryPerformanceCounter(&count);
    (void)QueryPerformanceFrequency(&freq);
    uint64_t c = (uint64_t)count.QuadPart, f = (uint64_t)freq.QuadPart;
    /* Split so that c * 1e9 cannot overflow: whole seconds, then the remainder. */
    return (c / f) * 1000000000u + (c % f) * 1000000000u / f;
}

void
xipc__os_sleep_ms(unsigned ms)
{
    Sleep(ms);
}

static SRWLOCK global_lock = SRWLOCK_INIT;

void
xipc__os_global_lock(void)
{
    AcquireSRWLockExclusive(&global_lock);
}

void
xipc__os_global_unlock(void)
{
    ReleaseSRWLockExclusive(&global_lock);
}

DWORD
xipc__win32_wait(HANDLE h, xipc__deadline dl)
{
    for (;;) {
        int left = xipc__deadline_left_ms(dl);
        DWORD w = WaitForSingleObject(h, left < 0 ? INFINITE : (DWORD)left);
        if (w != WAIT_TIMEOUT)
            return w;
        /* The wait's timer is coarser than the clock: it may give up just before dl. */
        if (xipc__deadline_left_ms(dl) == 0)
            return WAIT_TIMEOUT;
    }
}
