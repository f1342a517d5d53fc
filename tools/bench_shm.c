/* tools/bench_shm.c: the `xipc bench` mechanism shm: one process creates a named section, maps
 * it, touches each of its pages, unmaps it, closes it and removes its name, over and over;
 * xipc_shm_open + xipc_shm_close against the raw calls (tools/{posix,win32}/bench_os.c). Nothing
 * crosses processes: what is measured is what a section costs to make and to drop. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

#define TOUCH_STEP 4096u

const struct bench_workload bench_shm_workloads[] = {
    {
        .name = "create+map+touch+close 64KiB",
        .round_trips = 1,
        .size = 64u << 10,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    { .name = NULL },
};

static int
xipc_cycle(const char *name, size_t size)
{
    xipc_shm *shm = NULL;
    if (xipc_shm_open(name, XIPC_CREATE, size, &shm) != 0)
        return -1;
    volatile unsigned char *p = xipc_shm_ptr(shm);
    for (size_t i = 0; i < size; i += TOUCH_STEP)
        p[i] = 1;
    xipc_shm_close(shm); /* unmaps, closes, and the creator's close removes the name */
    return 0;
}

static void
measure_impl(const struct bench_case *c, enum impl impl, struct sample *s)
{
    char name[64];
    long rounds = bench_count(c->work, c->opts), warm = rounds / 10;
    double *us = calloc((size_t)rounds, sizeof *us);
    if (us == NULL) {
        snprintf(s->error, sizeof s->error, "out of memory");
        return;
    }
    snprintf(name, sizeof name, "xb.shm.%llu", (unsigned long long)xipc_now_ns());
    for (long i = -warm; i < rounds; i++) {
        uint64_t t0 = xipc_now_ns();
        int rc = impl == IMPL_RAW ? bench_raw_shm_cycle(name, c->work->size)
                                  : xipc_cycle(name, c->work->size);
        if (rc != 0) {
            snprintf(s->error, sizeof s->error, "round %ld: the cycle failed", i + warm);
            break;
        }
        if (i >= 0)
            us[i] = (double)(xipc_now_ns() - t0) / 1e3;
    }
    if (s->error[0] == '\0')
        bench_rtt_stats(us, rounds, s);
    free(us);
}

void
bench_shm_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    for (int i = 0; i < IMPL_COUNT; i++) {
        enum impl impl = bench_turn(c->first, i);
        bench_progress(c, bench_impl_names[impl]);
        measure_impl(c, impl, &s[impl]);
    }
}

int
bench_shm_peer(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "xipc bench-peer shm: this mechanism has no peer\n");
    return 2;
}
