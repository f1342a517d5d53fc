/* tools/bench.c: `xipc bench`, each mechanism measured through xipc and through the raw OS calls
 * it maps onto, in the same run, between two processes pinned to two CPUs.
 *
 * The mechanism table drives the command: the names --only accepts, the usage text, the runs,
 * the rows each mechanism reports and the dispatch of `xipc bench-peer NAME`. A mechanism's own
 * file measures one run of one workload, raw and xipc (bench_pipe.c, bench_npipe.c,
 * bench_msgpipe.c and bench_fifo.c through bench_stream.c; bench_sync.c; bench_shm.c;
 * bench_mq.c). Here each figure becomes the median over the runs, and each ratio the median of
 * the runs' own ratios. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bench_impl_names[IMPL_COUNT] = { "raw", "xipc" };

/* The mechanisms, in the order they run and print; each compares xipc with the raw calls on the
 * same kind of OS object. A new mechanism is a row here and its family's file. */
static const struct bench_mechanism mechanisms[] = {
    {
        .name = "pipe",
        .what = "anonymous pipes, one each way",
        .raw_calls = bench_os_raw_pipe,
        .workloads = bench_stream_workloads,
        .measure = bench_pipe_measure,
        .peer = bench_pipe_peer,
    },
    {
        .name = "npipe",
        .what = "one named-pipe connection in byte mode, both ways",
        .raw_calls = bench_os_raw_npipe,
        .workloads = bench_stream_workloads,
        .measure = bench_npipe_measure,
        .peer = bench_npipe_peer,
    },
    {
        .name = "msgpipe",
        .what = "one named-pipe connection in message mode, both ways",
        .raw_calls = bench_os_raw_msgpipe,
        .workloads = bench_message_workloads,
        .measure = bench_msgpipe_measure,
        .peer = bench_msgpipe_peer,
    },
    {
        .name = "fifo",
        .what = "FIFOs, one each way",
        .raw_calls = bench_os_raw_fifo,
        .workloads = bench_stream_workloads,
        .measure = bench_fifo_measure,
        .peer = bench_fifo_peer,
    },
    {
        .name = "tcp",
        .what = "one loopback TCP connection, both ways",
        .raw_calls = bench_os_raw_tcp,
        .workloads = bench_stream_workloads,
        .measure = bench_tcp_measure,
        .peer = bench_tcp_peer,
    },
    {
        .name = "duplex",
        .what = "one duplex pipe, both ways",
        .raw_calls = bench_os_raw_duplex,
        .workloads = bench_stream_workloads,
        .measure = bench_duplex_measure,
        .peer = bench_duplex_peer,
    },
    {
        .name = "udp",
        .what = "one connected loopback UDP endpoint pair, both ways",
        .raw_calls = bench_os_raw_udp,
        .workloads = bench_dgram_workloads,
        .measure = bench_udp_measure,
        .peer = bench_udp_peer,
    },
    {
        .name = "unix",
        .what = "one AF_UNIX stream connection at a path, both ways",
        .raw_calls = bench_os_raw_unix,
        .workloads = bench_stream_workloads,
        .measure = bench_unix_measure,
        .peer = bench_unix_peer,
    },
    {
        .name = "unixdgram",
        .what = "one connected AF_UNIX datagram pair at paths, both ways",
        .raw_calls = bench_os_raw_unixdgram,
        .workloads = bench_dgram_workloads,
        .measure = bench_unixdgram_measure,
        .peer = bench_unixdgram_peer,
    },
    {
        .name = "pass",
        .what = "a pipe end handed to a running peer over a named-pipe connection, closed there",
        .raw_calls = bench_os_raw_pass,
        .workloads = bench_pass_workloads,
        .measure = bench_pass_measure,
        .peer = bench_pass_peer,
    },
    {
        .name = "event",
        .what = "auto-reset events, a ping and a pong",
        .raw_calls = bench_os_raw_event,
        .workloads = bench_signal_workloads,
        .measure = bench_event_measure,
        .peer = bench_event_peer,
    },
    {
        .name = "sem",
        .what = "semaphores, a ping and a pong",
        .raw_calls = bench_os_raw_sem,
        .workloads = bench_signal_workloads,
        .measure = bench_sem_measure,
        .peer = bench_sem_peer,
    },
    {
        .name = "shm",
        .what = "a named section made, mapped, touched and dropped, in one process",
        .raw_calls = bench_os_raw_shm,
        .workloads = bench_shm_workloads,
        .measure = bench_shm_measure,
        .peer = bench_shm_peer,
    },
    {
        .name = "waitset",
        .what = "a wait set's wake, then the read, on a pipe each way (alone, and among 1000 idle)",
        .raw_calls = bench_os_raw_waitset,
        .workloads = bench_waitset_workloads,
        .measure = bench_waitset_measure,
        .peer = bench_waitset_peer,
    },
    {
        .name = "flock",
        .what = "a file lock's hand-off to a process waiting for it (no limit, and a limit)",
        .raw_calls = bench_os_raw_flock,
        .workloads = bench_flock_workloads,
        .measure = bench_flock_measure,
        .peer = bench_flock_peer,
    },
    {
        .name = "mq",
        .what = "a message queue against a bare shared-memory ring, one producer, one consumer",
        .raw_calls = bench_os_raw_mq,
        .workloads = bench_mq_workloads,
        .measure = bench_mq_measure,
        .peer = bench_mq_peer,
    },
    {
        .name = "mqos",
        .what = "a message queue against the OS's queue, one and four producers",
        .raw_calls = bench_os_raw_mqos,
        .workloads = bench_mqos_workloads,
        .measure = bench_mqos_measure,
        .peer = bench_mqos_peer,
    },
};
#define MECHANISM_COUNT (sizeof mechanisms / sizeof mechanisms[0])

/* The row named by the len bytes at name, or NULL. */
static const struct bench_mechanism *
find_mechanism(const char *name, size_t len)
{
    for (size_t m = 0; m < MECHANISM_COUNT; m++) {
        if (strlen(mechanisms[m].name) == len && strncmp(mechanisms[m].name, name, len) == 0)
            return &mechanisms[m];
    }
    return NULL;
}

/* ---- What the measure functions share ------------------------------------------------------- */

enum impl
bench_turn(enum impl first, int turn)
{
    return turn % 2 == 0 ? first : (enum impl)(IMPL_COUNT - 1 - first);
}

long
bench_count(const struct bench_workload *w, const struct bench_opts *o)
{
    switch (w->count) {
    case COUNT_ROUNDS:
        return o->rtt_rounds;
    case COUNT_LATE_ROUNDS:
        return o->late_rounds;
    case COUNT_BYTES:
        return (long)(o->stream_bytes / w->size);
    case COUNT_MESSAGES:
        return o->msg_count;
    }
    return 0;
}

void
bench_progress(const struct bench_case *c, const char *impl)
{
    if (c->opts->json || !bench_os_stderr_is_tty())
        return;
    fprintf(stderr, "\r\033[K%s %s, run %d of %d, %s", c->mech->name, c->work->name, c->run + 1,
        c->opts->runs, impl != NULL ? impl : "raw and xipc by turns");
    fflush(stderr);
}

int
bench_sigpipe_policy(int keep_guard)
{
    return keep_guard || xipc_sigpipe_ignore() == 0 ? 0 : -1;
}

int
bench_spawn_peer(const struct bench_case *c, const char *const *args, xipc_handle *const *pass,
    size_t n_pass, xipc_proc **proc)
{
    char exe[4096], cpu[8];
    const char *argv[16];
    size_t n = 0;
    if (xipc_self_exe(exe, sizeof exe) != 0)
        return -1;
    snprintf(cpu, sizeof cpu, "%d", c->opts->peer_cpu);
    argv[n++] = exe;
    argv[n++] = "bench-peer";
    argv[n++] = c->mech->name;
    for (size_t i = 0; args[i] != NULL && n < 14; i++)
        argv[n++] = args[i];
    argv[n++] = cpu; /* every peer takes its CPU last */
    argv[n] = NULL;
    xipc_spawn_opts opts = { 0 };
    opts.file = exe;
    opts.argv = argv;
    opts.handles = pass;
    opts.handle_count = n_pass;
    opts.flags = XIPC_SPAWN_DIE_WITH_PARENT;
    const char *guard_env[] = { BENCH_GUARD_ENV "=1", NULL };
    if (c->opts->sigpipe_guard)
        opts.env = guard_env;
    return xipc_spawn(&opts, proc) == 0 ? 0 : -1;
}

void
bench_finish_peer(xipc_proc *proc, struct sample *s)
{
    xipc_exit_status st = { 0, 0 };
    int rc = xipc_proc_wait(proc, &st, PEER_TIMEOUT_MS);
    if (s->error[0] == '\0' && (rc != 0 || st.kind != XIPC_EXIT_NORMAL || st.code != 0))
        snprintf(s->error, sizeof s->error, "peer ended badly (kind %d, code %lu)", st.kind,
            (unsigned long)st.code);
    if (rc != 0)
        (void)xipc_proc_kill(proc);
    xipc_proc_close(proc);
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void
bench_rtt_stats(double *us, long n, struct sample *s)
{
    qsort(us, (size_t)n, sizeof *us, compare_double);
    s->p50_us = us[n / 2];
    s->p99_us = us[n * 99 / 100];
}

/* xipc bench-peer NAME ARG...: the peer process of the mechanism NAME. */
int
xipc_tool_bench_peer(int argc, char **argv)
{
    const struct bench_mechanism *m = argc >= 2 ? find_mechanism(argv[1], strlen(argv[1])) : NULL;
    return m != NULL ? m->peer(argc - 1, argv + 1) : 2;
}

/* ---- Runs, medians and the table ------------------------------------------------------------ */

/* How each figure's row is labelled. */
static const struct {
    const char *suffix, *unit;
} figure_labels[FIG_COUNT] = {
    [FIG_P50] = { " p50", "us" },
    [FIG_P99] = { " p99", "us" },
    [FIG_MBPS] = { "", "MB/s" },
    [FIG_MSGS] = { "", "msg/s" },
    [FIG_CPU] = { " cpu", "us/rt" },
};

struct row {
    const struct bench_mechanism *mech;
    char workload[40];
    const char *unit;
    double raw, xipc; /* each the median over the runs */
    /* The median of the runs' own ratios xipc/raw: each run measures both back to back, so
     * drift between runs (this VM's figures wander by several percent) cancels out. */
    double ratio;
    char error[128];
};

static double
sample_figure(const struct sample *s, enum bench_figure f, const struct bench_workload *w)
{
    switch (f) {
    case FIG_P50:
        return s->p50_us;
    case FIG_P99:
        return s->p99_us;
    case FIG_MBPS:
        return s->per_s * (double)w->size / 1e6;
    case FIG_MSGS:
        return s->per_s;
    case FIG_CPU:
        return s->cpu_us;
    case FIG_COUNT:
        break;
    }
    return NAN;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], compare_double);
    return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median over runs of one figure, or the first run's error. */
static int
median_of(const struct sample *runs, int n, enum bench_figure f, const struct bench_workload *w,
    double *out, char *error, size_t cap)
{
    double v[MAX_RUNS];
    for (int i = 0; i < n; i++) {
        if (runs[i].error[0] != '\0') {
            snprintf(error, cap, "%s", runs[i].error);
            return -1;
        }
        v[i] = sample_figure(&runs[i], f, w);
    }
    *out = median(v, n);
    return 0;
}

static void
make_row(struct row *r, const struct bench_mechanism *m, const struct bench_workload *w,
    enum bench_figure f, struct sample runs[IMPL_COUNT][MAX_RUNS], int n)
{
    char why[96] = "";
    memset(r, 0, sizeof *r);
    r->mech = m;
    snprintf(r->workload, sizeof r->workload, "%s%s", w->name, figure_labels[f].suffix);
    r->unit = figure_labels[f].unit;
    for (int impl = 0; impl < IMPL_COUNT; impl++) {
        double *dst = impl == IMPL_RAW ? &r->raw : &r->xipc;
        if (r->error[0] == '\0' && median_of(runs[impl], n, f, w, dst, why, sizeof why) != 0)
            snprintf(r->error, sizeof r->error, "%s: %s", bench_impl_names[impl], why);
    }
    if (r->error[0] == '\0') {
        double ratios[MAX_RUNS];
        for (int i = 0; i < n; i++) {
            double raw = sample_figure(&runs[IMPL_RAW][i], f, w);
            /* 0: a CPU time below its clock's step (Windows counts in 10-16 ms steps; a quick
             * run's few rounds may not reach one). No ratio then, rather than inf or NaN. */
            if (raw <= 0) {
                r->ratio = NAN;
                return;
            }
            ratios[i] = sample_figure(&runs[IMPL_XIPC][i], f, w) / raw;
        }
        r->ratio = median(ratios, n);
    }
}

/* Measures every run of one workload of m, both impls in each (odd runs put xipc first, so that
 * neither always runs on a warmer machine). Appends the workload's rows; returns how many. */
static size_t
bench_workload(const struct bench_mechanism *m, const struct bench_workload *w,
    const struct bench_opts *o, struct row *rows)
{
    static struct sample runs[IMPL_COUNT][MAX_RUNS];
    size_t n = 0;
    for (int run = 0; run < o->runs; run++) {
        struct bench_case c = { m, w, o, run, run % 2 == 0 ? IMPL_RAW : IMPL_XIPC };
        struct sample s[IMPL_COUNT];
        memset(s, 0, sizeof s); /* a measure that fails nothing leaves its error empty */
        m->measure(&c, s);
        for (int i = 0; i < IMPL_COUNT; i++)
            runs[i][run] = s[i];
    }
    for (int f = 0; f < FIG_COUNT; f++) {
        if (w->figures & (1u << f))
            make_row(&rows[n++], m, w, (enum bench_figure)f, runs, o->runs);
    }
    return n;
}

/* How many rows the whole table can have. */
static size_t
rows_max(void)
{
    size_t n = 0;
    for (size_t m = 0; m < MECHANISM_COUNT; m++) {
        for (const struct bench_workload *w = mechanisms[m].workloads; w->name != NULL; w++) {
            for (int f = 0; f < FIG_COUNT; f++)
                n += (w->figures >> f) & 1u;
        }
    }
    return n;
}


/* Where a row's error is "skip: why" (the OS lacks the mechanism, bench_sock.c): the why. NULL
 * for a row that failed. */
static const char *
row_skip_reason(const struct row *r)
{
    const char *skip = strstr(r->error, "skip: ");
    return skip != NULL ? skip + 6 : NULL;
}

static void
print_table(const struct row *rows, size_t n, const struct bench_opts *o, const char *pinning)
{
    printf("xipc bench on %s: median of %d runs; %s\n", bench_os_platform(), o->runs, pinning);
    for (size_t m = 0; m < MECHANISM_COUNT; m++)
        printf("raw %-7s = %s\n", mechanisms[m].name, mechanisms[m].raw_calls);
    printf("raw, \"limits\" rows = %s\n", bench_os_raw_limits);
    if (bench_os_has_sigpipe())
        printf("SIGPIPE: %s\n",
            o->sigpipe_guard
                ? "xipc's default, blocked around each xipc write (raw writes: at its default)"
                : "ignored in both processes (xipc_sigpipe_ignore), as raw writers need; "
                  "--sigpipe-guard measures xipc's default guard");
    printf("latency rows: lower is better; rate rows: higher is better\n");
    printf("xipc/raw: the median of each run's own ratio (streams: raw and xipc by turns in each "
           "run; signals: back to back)\n\n");
    printf("%-10s %-34s %12s %12s %9s\n", "mechanism", "workload", "raw", "xipc", "xipc/raw");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        char label[64];
        snprintf(label, sizeof label, "%s (%s)", r->workload, r->unit);
        if (r->error[0] != '\0') {
            const char *skip = row_skip_reason(r);
            if (skip != NULL)
                printf("%-10s %-34s skipped: %s\n", r->mech->name, label, skip);
            else
                printf("%-10s %-34s FAILED: %s\n", r->mech->name, label, r->error);
            continue;
        }
        if (isnan(r->ratio))
            printf("%-10s %-34s %12.1f %12.1f %9s\n", r->mech->name, label, r->raw, r->xipc, "n/a");
        else
            printf("%-10s %-34s %12.1f %12.1f %9.3f\n", r->mech->name, label, r->raw, r->xipc,
                r->ratio);
    }
}

static void
print_json(const struct row *rows, size_t n, const struct bench_opts *o)
{
    printf("{\"platform\": \"%s\", \"runs\": %d, \"sigpipe\": \"%s\", \"rows\": [",
        bench_os_platform(), o->runs,
        !bench_os_has_sigpipe() ? "none"
            : o->sigpipe_guard  ? "guard"
                                : "ignored");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        printf("%s\n  {\"mechanism\": \"%s\", \"raw_calls\": \"%s\", \"workload\": \"%s\", "
               "\"unit\": \"%s\", ",
            i ? "," : "", r->mech->name, r->mech->raw_calls, r->workload, r->unit);
        if (r->error[0] != '\0')
            printf("\"error\": \"%s\"}", r->error);
        else if (isnan(r->ratio))
            printf("\"raw\": %.3f, \"xipc\": %.3f, \"ratio\": null}", r->raw, r->xipc);
        else
            printf("\"raw\": %.3f, \"xipc\": %.3f, \"ratio\": %.4f}", r->raw, r->xipc, r->ratio);
    }
    printf("\n]}\n");
}

/* ---- Options -------------------------------------------------------------------------------- */

/* Whether m is selected by --only (a comma-separated list of names; NULL: all). */
static int
selected(const char *only, const struct bench_mechanism *m)
{
    for (const char *p = only; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (find_mechanism(p, strcspn(p, ",")) == m)
            return 1;
    }
    return only == NULL;
}

/* Checks that --only names mechanisms of the table, and only those. 0 or -1. */
static int
check_only(const char *only)
{
    for (const char *p = only; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        size_t len = strcspn(p, ",");
        if (find_mechanism(p, len) == NULL) {
            fprintf(stderr, "xipc bench: --only: there is no mechanism \"%.*s\"\n", (int)len, p);
            return -1;
        }
    }
    return 0;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
    static const struct bench_opts full = { 7, 20000, 5000, 512u << 20, 200000, 0, NULL, -1, 0 };
    /* Quick: under 30 s under Wine too, where a 64-byte message takes ~25 µs and a sleeping
     * peer's round trip ~1.2 ms (its timer is coarse). */
    static const struct bench_opts quick = { 3, 1000, 200, 64u << 20, 8000, 0, NULL, -1, 0 };
    *o = full;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            *o = quick; /* first, so that the other options apply to it wherever they stand */
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            o->json = 1;
        else if (strcmp(argv[i], "--sigpipe-guard") == 0)
            o->sigpipe_guard = 1;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            o->only = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            o->runs = atoi(argv[++i]);
        else
            return -1;
    }
    if (check_only(o->only) != 0)
        return -1;
    return o->runs >= 1 && o->runs <= MAX_RUNS ? 0 : -1;
}

static int
usage(void)
{
    fprintf(stderr, "usage: xipc bench [--quick] [--json] [--only ");
    for (size_t m = 0; m < MECHANISM_COUNT; m++)
        fprintf(stderr, "%s%s", m > 0 ? "," : "", mechanisms[m].name);
    fprintf(stderr, "] [--runs 1..%d] [--sigpipe-guard]\n", MAX_RUNS);
    fprintf(stderr, "mechanisms, each through xipc and through the raw OS calls:\n");
    for (size_t m = 0; m < MECHANISM_COUNT; m++)
        fprintf(stderr, "  %-9s %s\n", mechanisms[m].name, mechanisms[m].what);
    return 2;
}

/* ---- The command ---------------------------------------------------------------------------- */

/* Every run of every selected mechanism, and the table. 1 if a row failed. */
static int
run_all(const struct bench_opts *o, const char *pinning)
{
    struct row *rows = calloc(rows_max(), sizeof *rows);
    size_t n = 0;
    int rc = 0;
    if (rows == NULL) {
        fprintf(stderr, "xipc bench: out of memory\n");
        return 1;
    }
    for (size_t m = 0; m < MECHANISM_COUNT; m++) {
        if (!selected(o->only, &mechanisms[m]))
            continue;
        for (const struct bench_workload *w = mechanisms[m].workloads; w->name != NULL; w++)
            n += bench_workload(&mechanisms[m], w, o, rows + n);
    }
    if (!o->json && bench_os_stderr_is_tty())
        fprintf(stderr, "\r\033[K");
    if (o->json)
        print_json(rows, n, o);
    else
        print_table(rows, n, o, pinning);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].error[0] != '\0' && row_skip_reason(&rows[i]) == NULL)
            rc = 1; /* a failed row; a skipped one is what the OS lacks, not a failure */
    }
    free(rows);
    return rc;
}

int
xipc_tool_bench(int argc, char **argv)
{
    struct bench_opts o;
    if (parse_opts(argc, argv, &o) != 0)
        return usage();
    if (bench_sigpipe_policy(o.sigpipe_guard) != 0) {
        fprintf(stderr, "xipc bench: could not ignore SIGPIPE\n");
        return 1;
    }
    const char *pinning = "unpinned (one CPU)";
    if (bench_os_cpu_count() >= 2 && bench_os_pin(0) == 0) {
        o.peer_cpu = 1;
        pinning = "measuring process on CPU 0, peer on CPU 1";
    }
    return run_all(&o, pinning);
}
