/* tools/bench_flock.c: the `xipc bench` mechanism flock: how soon a file lock passes from one
 * process to another that waits for it. The measuring side holds byte 0 of a file; the peer
 * starts waiting for it; the holder notes the time and unlocks; the peer notes the time its lock
 * call returned and sends it back. The figure is that hand-off, t(peer got it) - t(unlocked), on
 * the system-wide monotonic clock. Each side opens the file itself. xipc runs xipc_flock_* (with
 * no limit, and with a limit: POSIX a helper thread's wait, Windows an overlapped wait); raw runs
 * the OS's blocking call (tools/{posix,win32}/bench_os.c). A pipe each way carries "go" and the
 * peer's time, the same for both impls and outside the measured interval. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long the holder waits after "go" before it unlocks, so that the peer waits in its lock
 * call by then (a Wine wake-up through the wineserver takes up to ~100 us). */
#define HOLD_US 1000

const struct bench_workload bench_flock_workloads[] = {
    {
        .name = "hand-off",
        .round_trips = 1,
        .count = COUNT_LATE_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "hand-off, time limit",
        .round_trips = 1,
        .time_limit = 1,
        .count = COUNT_LATE_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    { .name = NULL },
};

/* One side's lock file, xipc or raw. */
struct lock_side {
    xipc_flock *f;
    struct bench_raw_file *raw;
    int timeout_ms; /* xipc */
};

static int
side_open(struct lock_side *side, const char *impl, const char *path, int time_limit)
{
    memset(side, 0, sizeof *side);
    side->timeout_ms = time_limit ? PEER_TIMEOUT_MS : XIPC_FOREVER;
    if (strcmp(impl, "raw") == 0)
        return (side->raw = bench_raw_file_open(path)) != NULL ? 0 : -1;
    return xipc_flock_open(path, XIPC_OPEN, &side->f) == 0 ? 0 : -1;
}

static int
side_lock(struct lock_side *side)
{
    if (side->raw != NULL)
        return bench_raw_file_lock(side->raw);
    return xipc_flock_lock(side->f, 0, 1, XIPC_FLOCK_EXCLUSIVE, side->timeout_ms) == 0 ? 0 : -1;
}

static int
side_unlock(struct lock_side *side)
{
    if (side->raw != NULL)
        return bench_raw_file_unlock(side->raw);
    return xipc_flock_unlock(side->f, 0, 1) == 0 ? 0 : -1;
}

static void
side_close(struct lock_side *side)
{
    bench_raw_file_close(side->raw);
    xipc_flock_close(side->f);
    memset(side, 0, sizeof *side);
}

/* ---- The peer ------------------------------------------------------------------------------- */

/* NAME IMPL ROUNDS LIMIT PATH GO BACK CPU: GO and BACK are export texts of the pipe ends. Each
 * round: reads "go", locks byte 0 (waiting for the holder), notes the time, unlocks, sends the
 * time back. */
int
bench_flock_peer(int argc, char **argv)
{
    struct lock_side side;
    xipc_stream *go = NULL, *back = NULL;
    if (argc != 8)
        return 2;
    long rounds = atol(argv[2]);
    int cpu = atoi(argv[7]), rc = 0;
    if (cpu >= 0)
        (void)bench_os_pin(cpu);
    if (side_open(&side, argv[1], argv[4], atoi(argv[3])) != 0 ||
        xipc_stream_import(argv[5], &go) != 0 || xipc_stream_import(argv[6], &back) != 0)
        return 2; /* the process ends: what it opened goes with it */
    for (long i = 0; i < rounds && rc == 0; i++) {
        char byte;
        size_t n = 0;
        if (xipc_stream_read(go, &byte, 1, &n, PEER_TIMEOUT_MS) != 0 || n != 1 ||
            side_lock(&side) != 0)
            rc = 3;
        uint64_t got_at = xipc_now_ns();
        if (rc == 0 &&
            (side_unlock(&side) != 0 ||
                xipc_stream_write(back, &got_at, sizeof got_at, &n, PEER_TIMEOUT_MS) != 0))
            rc = 3;
    }
    side_close(&side);
    xipc_stream_close(go);
    xipc_stream_close(back);
    return rc;
}

/* ---- The measuring side --------------------------------------------------------------------- */

/* The pipes of one run: "go" to the peer, its times back. */
struct control {
    xipc_stream *go_rd, *go_wr, *back_rd, *back_wr;
};

static void
control_close(struct control *ctl)
{
    xipc_stream_close(ctl->go_rd);
    xipc_stream_close(ctl->go_wr);
    xipc_stream_close(ctl->back_rd);
    xipc_stream_close(ctl->back_wr);
    memset(ctl, 0, sizeof *ctl);
}

static int
spawn_lock_peer(const struct bench_case *c, enum impl impl, const char *path, long count,
    struct control *ctl, xipc_proc **proc)
{
    char go[XIPC_HANDLE_TEXT_MAX], back[XIPC_HANDLE_TEXT_MAX], n[24];
    if (xipc_pipe(0, &ctl->go_rd, &ctl->go_wr) != 0 ||
        xipc_pipe(0, &ctl->back_rd, &ctl->back_wr) != 0)
        return -1;
    xipc_handle *pass[2] = { xipc_stream_handle(ctl->go_rd), xipc_stream_handle(ctl->back_wr) };
    if (xipc_handle_export(pass[0], go, sizeof go) != 0 ||
        xipc_handle_export(pass[1], back, sizeof back) != 0)
        return -1;
    snprintf(n, sizeof n, "%ld", count);
    const char *args[] = { bench_impl_names[impl], n, c->work->time_limit ? "1" : "0", path, go,
        back, NULL };
    return bench_spawn_peer(c, args, pass, 2, proc);
}

/* One round: holds the lock, lets the peer wait for it, unlocks; the hand-off in µs, or -1. */
static double
hand_off(struct lock_side *side, struct control *ctl)
{
    uint64_t got_at = 0;
    size_t n = 0;
    if (side_lock(side) != 0 || xipc_stream_write(ctl->go_wr, "g", 1, &n, PEER_TIMEOUT_MS) != 0)
        return -1;
    bench_os_sleep_us(HOLD_US);
    uint64_t t0 = xipc_now_ns();
    if (side_unlock(side) != 0 ||
        xipc_stream_read(ctl->back_rd, &got_at, sizeof got_at, &n, PEER_TIMEOUT_MS) != 0 ||
        n != sizeof got_at || got_at < t0)
        return -1;
    return (double)(got_at - t0) / 1e3;
}

static void
measure_impl(const struct bench_case *c, enum impl impl, struct sample *s)
{
    static unsigned serial;
    struct lock_side side;
    struct control ctl;
    xipc_proc *proc = NULL;
    xipc_flock *file = NULL;
    char path[512];
    long rounds = bench_count(c->work, c->opts), warm = rounds / 10 + 1;
    double *us = malloc((size_t)rounds * sizeof *us);
    memset(s, 0, sizeof *s);
    memset(&ctl, 0, sizeof ctl);
    memset(&side, 0, sizeof side);
    snprintf(path, sizeof path, "%s/xipc-bench-flock-%llu-%u", bench_os_temp_dir(),
        (unsigned long long)xipc_self_pid(), serial++);
    if (us == NULL || xipc_flock_open(path, XIPC_CREATE | XIPC_OPEN, &file) != 0 ||
        side_open(&side, bench_impl_names[impl], path, c->work->time_limit) != 0 ||
        spawn_lock_peer(c, impl, path, rounds + warm, &ctl, &proc) != 0) {
        snprintf(s->error, sizeof s->error, "could not set up the lock file and its peer");
        rounds = -1;
    }
    for (long i = -warm; i < rounds; i++) {
        double t = hand_off(&side, &ctl);
        if (t < 0) {
            snprintf(s->error, sizeof s->error, "round %ld: lock hand-off failed", i + warm);
            break;
        }
        if (i >= 0)
            us[i] = t;
    }
    if (s->error[0] == '\0')
        bench_rtt_stats(us, rounds, s);
    if (proc != NULL)
        bench_finish_peer(proc, s);
    side_close(&side);
    control_close(&ctl);
    xipc_flock_close(file);
    (void)remove(path);
    free(us);
}

/* One run of both impls, back to back in the run's order. */
void
bench_flock_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    for (int i = 0; i < IMPL_COUNT; i++) {
        enum impl impl = bench_turn(c->first, i);
        bench_progress(c, bench_impl_names[impl]);
        measure_impl(c, impl, &s[impl]);
    }
}
