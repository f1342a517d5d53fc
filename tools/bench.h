/* tools/bench.h: what the parts of `xipc bench` share. bench.c holds the mechanism table and
 * drives everything from it (options, usage, runs, medians, output, the peer's dispatch); each
 * family's file measures its mechanisms: bench_pipe.c, bench_npipe.c, bench_msgpipe.c and
 * bench_fifo.c on the workloads of bench_stream.c, bench_sync.c events and semaphores, bench_shm.c
 * sections, bench_flock.c file locks, bench_mq.c message queues. */
#ifndef XIPC_BENCH_H
#define XIPC_BENCH_H

#include "bench_os.h"
#include "tools.h"

#define PEER_TIMEOUT_MS 30000
#define MAX_RUNS        15

enum impl { IMPL_RAW, IMPL_XIPC, IMPL_COUNT };
extern const char *const bench_impl_names[IMPL_COUNT];

/* The impl of a run's turn: first on even turns, the other one on odd turns. */
enum impl bench_turn(enum impl first, int turn);

struct bench_opts {
    int runs;
    long rtt_rounds;
    long late_rounds; /* round trips with a peer that answers late (signals) */
    uint64_t stream_bytes;
    long msg_count;
    int json;
    const char *only; /* comma-separated names of the mechanism table; NULL: all */
    int peer_cpu; /* -1: unpinned */
    int sigpipe_guard; /* 1: keep xipc's per-write SIGPIPE guard; 0: xipc_sigpipe_ignore() */
};

/* What a peer finds in its environment when the measuring side keeps the SIGPIPE guard. */
#define BENCH_GUARD_ENV "XIPC_BENCH_SIGPIPE_GUARD"

/* Puts this process under the SIGPIPE policy the run measures: ignored (xipc_sigpipe_ignore)
 * unless the guard is kept. 0 or -1. */
int bench_sigpipe_policy(int keep_guard);

/* ---- Workloads and the rows they report ----------------------------------------------------- */

/* The figures a workload can report, one table row each, printed in this order. */
enum bench_figure {
    FIG_P50, /* round-trip latency, median (µs) */
    FIG_P99, /* round-trip latency, 99th percentile (µs) */
    FIG_MBPS, /* one-way throughput (MB/s) */
    FIG_MSGS, /* one-way message rate (messages/s) */
    FIG_CPU, /* CPU time of the measuring process per round trip (µs) */
    FIG_COUNT
};
#define FIGS_LATENCY ((1u << FIG_P50) | (1u << FIG_P99))

/* Where a workload's number of round trips or records per run and impl comes from. */
enum bench_count {
    COUNT_ROUNDS, /* bench_opts.rtt_rounds */
    COUNT_LATE_ROUNDS, /* bench_opts.late_rounds */
    COUNT_BYTES, /* as many records of the workload's size as make bench_opts.stream_bytes */
    COUNT_MESSAGES, /* bench_opts.msg_count */
};

/* One workload of a mechanism: one block of table rows. A table of them ends with a NULL name. */
struct bench_workload {
    const char *name; /* the table's workload column, before the figure's suffix */
    int round_trips; /* 1: round trips; 0: a one-way stream of records */
    size_t size; /* streams: bytes per message or record */
    /* One-way streams: 1 when the reader takes exactly one record per read call, as a program
     * that reads record by record does; 0 when it reads all that is there (up to 64 KiB). */
    int one_per_read;
    /* Streams: 1 when xipc's calls pass a time limit (PEER_TIMEOUT_MS); 0 when they wait without
     * one (XIPC_FOREVER), as the raw side's blocking calls do. */
    int time_limit;
    int delay_us; /* signals, queues: how late the peer answers each ping */
    /* Signals: 1 when xipc's side waits for the pong through a wait set holding it (taken by the
     * wait), as a program that waits on more than the one object does; the raw side still waits
     * on the object itself. */
    int via_waitset;
    /* One-way datagrams: the writer waits for the reader's word every window records, as a
     * datagram that finds the receiver full is dropped, not waited for (UDP). 0: none. */
    int window;
    int producers; /* queues' one-way streams: how many processes send (0: one) */
    enum bench_count count;
    unsigned figures; /* 1u << FIG_*: the rows it reports */
};

/* The number of round trips or records of w in one run of one impl. */
long bench_count(const struct bench_workload *w, const struct bench_opts *o);

/* Round trips of 1 and 64 bytes, a 64 KiB stream, 64-byte messages (bench_stream.c). */
extern const struct bench_workload bench_stream_workloads[];
/* Round trips of 1 and 64 bytes and 64-byte messages, one message per receive, for message
 * endpoints (bench_stream.c). */
extern const struct bench_workload bench_message_workloads[];
/* Round trips of 1 and 64 bytes and 64-byte messages acknowledged in windows, for connected
 * datagram endpoints (bench_stream.c). */
extern const struct bench_workload bench_dgram_workloads[];
/* A handle handed to a running peer and answered, per round trip (bench_sock.c). */
extern const struct bench_workload bench_pass_workloads[];
/* Round trips with a prompt peer and with a late one (bench_sync.c). */
extern const struct bench_workload bench_signal_workloads[];
/* One-byte round trips waited for through a wait set, alone and among idle pipes
 * (bench_waitset.c). */
extern const struct bench_workload bench_waitset_workloads[];
/* A section's whole life, in one process (bench_shm.c). */
extern const struct bench_workload bench_shm_workloads[];
/* A file lock's hand-off between processes, without and with a time limit (bench_flock.c). */
extern const struct bench_workload bench_flock_workloads[];

/* Message queues against the shared-memory ring: 64-byte round trips with a prompt and a late
 * peer, 64-byte and 64 KiB one-way streams (bench_mq.c). */
extern const struct bench_workload bench_mq_workloads[];
/* Message queues against the OS's queue: 64-byte one-way streams from one and four producers
 * (bench_mq.c). */
extern const struct bench_workload bench_mqos_workloads[];

/* ---- Mechanisms ----------------------------------------------------------------------------- */

/* One measurement's outcome: the figures, or why there are none. */
struct sample {
    double p50_us, p99_us, per_s;
    double cpu_us; /* CPU time of the measuring process per round trip (signals) */
    char error[96];
};

struct bench_mechanism;

/* One run of one workload of one mechanism: what the run loop hands a measure function. */
struct bench_case {
    const struct bench_mechanism *mech;
    const struct bench_workload *work;
    const struct bench_opts *opts;
    int run; /* from 0 */
    enum impl first; /* the impl that goes first in this run */
};

/* A row of the mechanism table (bench.c). */
struct bench_mechanism {
    const char *name; /* for --only, the output and the peer's command line */
    const char *what; /* what it measures, for the usage text */
    const char *raw_calls; /* what its raw side calls (bench_os_raw_*) */
    const struct bench_workload *workloads; /* the rows it reports */
    /* Measures one case: both impls' figures, or why there are none, in s[impl]. */
    void (*measure)(const struct bench_case *c, struct sample s[IMPL_COUNT]);
    /* The peer process, `xipc bench-peer NAME ARG...` with argv[0] NAME. Its exit code. */
    int (*peer)(int argc, char **argv);
};

/* Each mechanism's measure and peer functions, in its family's file. */
void bench_pipe_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_pipe_peer(int argc, char **argv);
void bench_npipe_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_npipe_peer(int argc, char **argv);
void bench_tcp_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_tcp_peer(int argc, char **argv);
void bench_duplex_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_duplex_peer(int argc, char **argv);
void bench_udp_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_udp_peer(int argc, char **argv);
void bench_unix_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_unix_peer(int argc, char **argv);
void bench_unixdgram_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_unixdgram_peer(int argc, char **argv);
void bench_pass_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_pass_peer(int argc, char **argv);
void bench_msgpipe_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_msgpipe_peer(int argc, char **argv);
void bench_fifo_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_fifo_peer(int argc, char **argv);
void bench_event_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_event_peer(int argc, char **argv);
void bench_sem_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_sem_peer(int argc, char **argv);
void bench_waitset_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_waitset_peer(int argc, char **argv);
void bench_shm_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_shm_peer(int argc, char **argv);
void bench_flock_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_flock_peer(int argc, char **argv);

void bench_mq_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_mq_peer(int argc, char **argv);
void bench_mqos_measure(const struct bench_case *c, struct sample s[IMPL_COUNT]);
int bench_mqos_peer(int argc, char **argv);

/* ---- What the measure functions share (bench.c) --------------------------------------------- */

/* The terminal's progress line for c; impl NULL: raw and xipc by turns. */
void bench_progress(const struct bench_case *c, const char *impl);

/* Spawns the peer of c's mechanism: this program with `bench-peer NAME`, args (NULL-terminated)
 * and the peer's CPU last, passing the given handles. 0 or -1. */
int bench_spawn_peer(const struct bench_case *c, const char *const *args, xipc_handle *const *pass,
    size_t n_pass, xipc_proc **proc);

/* Waits for the peer; a bad ending becomes s's error unless it has one already. */
void bench_finish_peer(xipc_proc *proc, struct sample *s);

/* Sorts n round-trip times (µs) and fills s's p50 and p99. */
void bench_rtt_stats(double *us, long n, struct sample *s);

#endif /* XIPC_BENCH_H */
