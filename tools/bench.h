/* tools/bench.h: what the parts of `xipc bench` share (bench.c: pipes and the table;
 * bench_sync.c: events and semaphores). */
#ifndef XIPC_BENCH_H
#define XIPC_BENCH_H

#include "bench_os.h"
#include "tools.h"

#define PEER_TIMEOUT_MS 30000
#define MAX_RUNS        15

enum impl { IMPL_RAW, IMPL_XIPC, IMPL_COUNT };
extern const char *const bench_impl_names[IMPL_COUNT];

struct bench_opts {
    int runs;
    long rtt_rounds;
    long late_rounds; /* round trips with a peer that answers late (signals) */
    uint64_t stream_bytes;
    long msg_count;
    int json;
    const char *only;
    int peer_cpu; /* -1: unpinned */
    int sigpipe_guard; /* 1: keep xipc's per-write SIGPIPE guard; 0: xipc_sigpipe_ignore() */
};

/* What a peer finds in its environment when the measuring side keeps the SIGPIPE guard. */
#define BENCH_GUARD_ENV "XIPC_BENCH_SIGPIPE_GUARD"

/* Puts this process under the SIGPIPE policy the run measures: ignored (xipc_sigpipe_ignore)
 * unless the guard is kept. 0 or -1. */
int bench_sigpipe_policy(int keep_guard);

/* One measurement's outcome: the figures, or why there are none. */
struct sample {
    double p50_us, p99_us, per_s;
    double cpu_us; /* CPU time of the measuring process per round trip (signals) */
    char error[96];
};

/* Spawns this program with args (a NULL-terminated list starting with the peer's subcommand)
 * plus the peer's CPU as the last argument, passing the given handles. 0 or -1. */
int bench_spawn_peer(const char *const *args, xipc_handle *const *pass, size_t n_pass,
    const struct bench_opts *o, xipc_proc **proc);

/* Waits for the peer; a bad ending becomes s's error unless it has one already. */
void bench_finish_peer(xipc_proc *proc, struct sample *s);

/* Sorts n round-trip times (µs) and fills s's p50 and p99. */
void bench_rtt_stats(double *us, long n, struct sample *s);

/* Round trips of a signal (kind "event" or "sem") between two processes: through xipc objects,
 * or through the raw OS objects of bench_os.h. The peer answers each ping delay_us late. */
void bench_sync_measure(const char *kind, enum impl impl, long rounds, int delay_us,
    const struct bench_opts *o, struct sample *s);

#endif /* XIPC_BENCH_H */
