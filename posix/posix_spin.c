/* posix/posix_spin.c: the bounded, adaptive spin that events and semaphores try before they
 * sleep in the kernel.
 *
 * A wake-up through the kernel costs a cross-CPU interrupt and a reschedule (about 25 µs on the
 * machines xipc is measured on), so a waiter whose peer answers within
 * that time does better to watch the shared word than to sleep: it also spares the setter its
 * FUTEX_WAKE, since a spinning waiter holds no waiter slot (no bit in `sleepers`). The budget
 * adapts per handle: it doubles (to SPIN_MAX_NS) when the object arrived while spinning and halves
 * (to SPIN_MIN_NS) when it did not, so a peer that answers slowly costs about SPIN_MIN_NS of CPU
 * per wait. Never on a single CPU, where the peer cannot run while we spin. */
#include "posix_sync.h"

#include <unistd.h>

#define SPIN_MAX_NS     50000u /* two kernel wake-ups */
#define SPIN_MIN_NS     1000u
#define SPIN_INITIAL_NS 20000u

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause");
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static bool
spinning_pays(void)
{
    static _Atomic int cpus; /* 0: not asked yet */
    int n = atomic_load_explicit(&cpus, memory_order_relaxed);
    if (n == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 1 ? 2 : 1;
        atomic_store_explicit(&cpus, n, memory_order_relaxed);
    }
    return n > 1;
}

int
xipc__posix_spin(_Atomic uint32_t *budget_ns, int (*try_take)(struct xipc__os_sync *),
                 struct xipc__os_sync *s, xipc__deadline dl)
{
    if (!spinning_pays())
        return 1;
    uint32_t budget = atomic_load_explicit(budget_ns, memory_order_relaxed);
    if (budget == 0)
        budget = SPIN_INITIAL_NS;
    uint64_t start = xipc__os_clock_ns(), end = start + budget;
    if (end > dl)
        end = dl;
    for (unsigned i = 1;; i++) {
        int rc = try_take(s);
        if (rc != 1) {
            uint32_t more = budget * 2 < SPIN_MAX_NS ? budget * 2 : SPIN_MAX_NS;
            atomic_store_explicit(budget_ns, rc == 0 ? more : budget, memory_order_relaxed);
            return rc;
        }
        cpu_relax();
        /* Read the clock every 64 rounds: it costs more than a look at the word. */
        if ((i & 63) == 0 && xipc__os_clock_ns() >= end)
            break;
    }
    uint32_t less = budget / 2 > SPIN_MIN_NS ? budget / 2 : SPIN_MIN_NS;
    atomic_store_explicit(budget_ns, less, memory_order_relaxed);
    return 1;
}
