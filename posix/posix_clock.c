/* posix/posix_clock.c: the monotonic clock, sleeping, and the process-wide lock
 * (common/platform.h, "Time" and "Process-wide lock"). */
#include "platform.h"

#include <pthread.h>
#include <time.h>

uint64_t
xipc__os_clock_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
xipc__os_sleep_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    (void)nanosleep(&ts, NULL);
}

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

void
xipc__os_global_lock(void)
{
    (void)pthread_mutex_lock(&global_lock);
}

void
xipc__os_global_unlock(void)
{
    (void)pthread_mutex_unlock(&global_lock);
}
