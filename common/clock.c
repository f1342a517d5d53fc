/* common/clock.c: deadlines. Every blocking call turns its timeout into one deadline up front and
 * waits only for what is left after each wake-up, EINTR or partial transfer. */
#include "platform.h"

#include <limits.h>

int
xipc__timeout_check(int timeout_ms)
{
    if (timeout_ms >= 0 || timeout_ms == XIPC_FOREVER)
        return 0;
    return XIPC__FAIL(XIPC_EINVAL, "timeout_ms: negative, and not XIPC_FOREVER");
}

xipc__deadline
xipc__deadline_in(int timeout_ms)
{
    if (timeout_ms == XIPC_FOREVER)
        return XIPC__DEADLINE_NEVER;
    return xipc__os_clock_ns() + (uint64_t)timeout_ms * 1000000u;
}

xipc__deadline
xipc__lazy_deadline_get(struct xipc__lazy_deadline *ld)
{
    if (!ld->fixed) {
        ld->dl = xipc__deadline_in(ld->timeout_ms);
        ld->fixed = true;
    }
    return ld->dl;
}

int
xipc__deadline_left_ms(xipc__deadline dl)
{
    if (dl == XIPC__DEADLINE_NEVER)
        return XIPC_FOREVER;
    uint64_t now = xipc__os_clock_ns();
    if (now >= dl)
        return 0;
    /* Round up: a wait rounded down would wake just before the deadline and spin once more. */
    uint64_t left_ms = (dl - now + 999999u) / 1000000u;
    return left_ms > INT_MAX ? INT_MAX : (int)left_ms;
}

int
xipc__pause_before_retry(xipc__deadline dl, unsigned *pause_ms, unsigned max_ms)
{
    int left = xipc__deadline_left_ms(dl);
    if (left == 0)
        return XIPC_ETIMEDOUT;
    xipc__os_sleep_ms(left > 0 && (unsigned)left < *pause_ms ? (unsigned)left : *pause_ms);
    *pause_ms = *pause_ms * 2 < max_ms ? *pause_ms * 2 : max_ms;
    return 0;
}

uint64_t
xipc_now_ns(void)
{
    return xipc__os_clock_ns();
}

void
xipc_sleep_ms(unsigned ms)
{
    xipc__os_sleep_ms(ms);
}
