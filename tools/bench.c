/* tools/bench.c: `xipc bench`, each mechanism measured through xipc and through the raw OS calls
 * it maps onto, in the same run, between two processes pinned to two CPUs.
 *
 * Every measurement spawns a fresh peer (`xipc bench-peer ...`) that holds the far ends of two
 * pipes (or of one named-pipe connection, or of two FIFOs). The raw side runs on the very same OS
 * objects (xipc_stream_native), with the plainest calls a program would make on them
 * (tools/{posix,win32}/bench_os.c), so the ratio is the cost of xipc itself; only Windows FIFOs,
 * which the OS lacks, are compared with a named-pipe pair. Raw and xipc runs alternate, and each
 * figure is the median over the runs.
 *
 * Workloads: round trips of one message (p50 and p99), and one-way streams of records (64 KiB
 * for throughput, 64 B for message rate). Every record carries its sequence number and a fixed
 * pattern; the receiver checks both, so a corrupt, lost or reordered byte fails the row. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_RECORD 65536
#define MSG_RECORD    64

const char *const bench_impl_names[IMPL_COUNT] = { "raw", "xipc" };

enum workload { WORK_RTT, WORK_ONEWAY };

/* One end of a transfer, raw or through xipc. */
struct endpoint {
    xipc_stream *stream;
    struct bench_raw *raw; /* set for IMPL_RAW */
};

static int
endpoint_open(struct endpoint *e, xipc_stream *s, enum impl impl)
{
    intptr_t native;
    e->stream = s;
    e->raw = NULL;
    if (impl == IMPL_XIPC)
        return 0;
    if (xipc_stream_native(s, &native) != 0 || (e->raw = bench_raw_open(native)) == NULL)
        return -1;
    return 0;
}

static void
endpoint_close(struct endpoint *e)
{
    if (e->raw != NULL)
        bench_raw_close(e->raw);
    xipc_stream_close(e->stream);
}

/* Reads what is there into buf: bytes read, 0 at end of stream, -1 on failure. */
static long
endpoint_read(struct endpoint *e, void *buf, size_t cap)
{
    size_t got = 0;
    if (e->raw != NULL)
        return bench_raw_read(e->raw, buf, cap);
    return xipc_stream_read(e->stream, buf, cap, &got, PEER_TIMEOUT_MS) == 0 ? (long)got : -1;
}

static int
endpoint_write(struct endpoint *e, const void *buf, size_t len)
{
    size_t put = 0;
    if (e->raw != NULL)
        return bench_raw_write(e->raw, buf, len);
    return xipc_stream_write(e->stream, buf, len, &put, PEER_TIMEOUT_MS) == 0 ? 0 : -1;
}

static int
endpoint_read_exact(struct endpoint *e, void *buf, size_t n)
{
    for (size_t done = 0; done < n;) {
        long got = endpoint_read(e, (char *)buf + done, n - done);
        if (got <= 0)
            return -1;
        done += (size_t)got;
    }
    return 0;
}

/* ---- Records: an 8-byte sequence number, then a fixed pattern ------------------------------- */

static void
record_pattern(unsigned char *rec, size_t size)
{
    for (size_t i = 0; i < size; i++)
        rec[i] = (unsigned char)(i * 251u + (i >> 8) + 7u);
}

static void
record_stamp(unsigned char *rec, uint64_t seq)
{
    for (int i = 0; i < 8; i++)
        rec[i] = (unsigned char)(seq >> (8 * i));
}

/* Checks n received bytes that start at stream offset `offset` against the record layout;
 * returns how many spans differ. */
static uint64_t
check_span(const unsigned char *p, size_t n, uint64_t offset, size_t size, const unsigned char *ref)
{
    uint64_t bad = 0;
    while (n > 0) {
        size_t pos = (size_t)(offset % size), span = size - pos < n ? size - pos : n;
        uint64_t seq = offset / size;
        for (size_t i = pos; i < 8 && i < pos + span; i++)
            bad += p[i - pos] != (unsigned char)(seq >> (8 * i));
        size_t skip = pos < 8 ? 8 - pos : 0;
        if (span > skip && memcmp(p + skip, ref + pos + skip, span - skip) != 0)
            bad++;
        p += span;
        n -= span;
        offset += span;
    }
    return bad;
}

/* ---- The peer ------------------------------------------------------------------------------- */

static int
peer_echo(struct endpoint *in, struct endpoint *out, long count, size_t size)
{
    unsigned char buf[MSG_RECORD];
    for (long i = 0; i < count; i++) {
        if (endpoint_read_exact(in, buf, size) != 0 || endpoint_write(out, buf, size) != 0)
            return 3;
    }
    return 0;
}

/* Reads records to the end of the stream, then answers with {bytes, bad spans}. */
static int
peer_sink(struct endpoint *in, struct endpoint *out, size_t size, uint64_t total)
{
    static unsigned char buf[STREAM_RECORD], ref[STREAM_RECORD];
    uint64_t report[2] = { 0, 0 };
    record_pattern(ref, size);
    /* Up to the announced total, so that no end of stream is needed (a named-pipe connection
     * has no half-close on Windows) and the report goes back on the same connection. */
    while (report[0] < total) {
        uint64_t left = total - report[0];
        long got = endpoint_read(in, buf, left < sizeof buf ? (size_t)left : sizeof buf);
        if (got < 0)
            return 3;
        if (got == 0)
            break;
        report[1] += check_span(buf, (size_t)got, report[0], size, ref);
        report[0] += (uint64_t)got;
    }
    return endpoint_write(out, report, sizeof report) == 0 ? 0 : 4;
}

/* The peer's streams: two inherited pipe ends (IN and OUT are export texts), one named-pipe
 * connection both ways (IN is "npipe:NAME", OUT "-"), or two FIFOs (IN is "fifo:PATH", OUT the
 * other FIFO's path), opened in the order the measuring side opens them. */
static int
peer_streams(const char *in_text, const char *out_text, xipc_stream **in, xipc_stream **out)
{
    if (strncmp(in_text, "npipe:", 6) == 0) {
        if (xipc_npipe_connect(in_text + 6, in, PEER_TIMEOUT_MS) != 0)
            return -1;
        *out = *in;
        return 0;
    }
    if (strncmp(in_text, "fifo:", 5) == 0) {
        if (xipc_fifo_open(in_text + 5, XIPC_FIFO_READ, PEER_TIMEOUT_MS, in) != 0)
            return -1;
        return xipc_fifo_open(out_text, XIPC_FIFO_WRITE, PEER_TIMEOUT_MS, out) == 0 ? 0 : -1;
    }
    if (xipc_stream_import(in_text, in) != 0 || xipc_stream_import(out_text, out) != 0)
        return -1;
    return 0;
}

/* xipc bench-peer IMPL WORKLOAD COUNT SIZE IN OUT CPU */
int
xipc_tool_bench_peer(int argc, char **argv)
{
    xipc_stream *in_s = NULL, *out_s = NULL;
    struct endpoint in, out;
    if (argc != 8)
        return 2;
    if (bench_sigpipe_policy(getenv(BENCH_GUARD_ENV) != NULL) != 0)
        return 2;
    enum impl impl = strcmp(argv[1], "raw") == 0 ? IMPL_RAW : IMPL_XIPC;
    long count = atol(argv[3]);
    size_t size = (size_t)atol(argv[4]);
    if (peer_streams(argv[5], argv[6], &in_s, &out_s) != 0)
        return 2;
    if (atoi(argv[7]) >= 0)
        (void)bench_os_pin(atoi(argv[7]));
    if (endpoint_open(&in, in_s, impl) != 0 || endpoint_open(&out, out_s, impl) != 0)
        return 2;
    int rc = strcmp(argv[2], "rtt") == 0 ? peer_echo(&in, &out, count, size)
                                         : peer_sink(&in, &out, size, (uint64_t)count * size);
    if (out.stream == in.stream)
        out.stream = NULL; /* one connection: close it once */
    endpoint_close(&in);
    endpoint_close(&out);
    return rc;
}

/* ---- The measuring side --------------------------------------------------------------------- */

/* A running peer and the parent's ends of its two pipes (or of one connection: shared). */
struct peer {
    struct endpoint to, from;
    int shared;
    xipc_proc *proc;
};

/* Undoes a peer_spawn that failed partway: closes the streams it opened (a and b may be NULL or
 * the same connection) and stops the peer if it was started. Returns -1. */
static int
abandon_peer(struct peer *pr, xipc_stream *a, xipc_stream *b)
{
    if (pr->to.raw != NULL)
        bench_raw_close(pr->to.raw);
    if (pr->from.raw != NULL)
        bench_raw_close(pr->from.raw);
    xipc_stream_close(a);
    if (b != a)
        xipc_stream_close(b);
    if (pr->proc != NULL) {
        xipc_exit_status st;
        (void)xipc_proc_kill(pr->proc);
        (void)xipc_proc_wait(pr->proc, &st, PEER_TIMEOUT_MS);
        xipc_proc_close(pr->proc);
    }
    memset(pr, 0, sizeof *pr);
    return -1;
}

/* The npipe mechanism: a byte-mode server here, one connection from the peer, both ways. */
static int
npipe_peer_spawn(
    struct peer *pr, enum impl impl, const char *const *tail, const struct bench_opts *o)
{
    static unsigned serial;
    char name[64], in_text[80];
    xipc_npipe *srv = NULL;
    xipc_stream *conn = NULL;
    snprintf(
        name, sizeof name, "xipc-bench-%llu-%u", (unsigned long long)xipc_self_pid(), serial++);
    snprintf(in_text, sizeof in_text, "npipe:%s", name);
    const char *args[] = { "bench-peer", bench_impl_names[impl], tail[0], tail[1], tail[2], in_text,
        "-", NULL };
    if (xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv) != 0)
        return -1;
    int rc = bench_spawn_peer(args, NULL, 0, o, &pr->proc);
    if (rc == 0)
        rc = xipc_npipe_accept(srv, &conn, PEER_TIMEOUT_MS) == 0 ? 0 : -1;
    xipc_npipe_close(srv);
    if (rc != 0 || endpoint_open(&pr->to, conn, impl) != 0 ||
        endpoint_open(&pr->from, conn, impl) != 0)
        return abandon_peer(pr, conn, conn);
    pr->shared = 1;
    return 0;
}

/* The fifo mechanism: two FIFOs made here, one each way; removed once both ends are open (open
 * ends keep working). */
static int
fifo_peer_spawn(
    struct peer *pr, enum impl impl, const char *const *tail, const struct bench_opts *o)
{
    static unsigned serial;
    char to[1024], from[1024], in_text[1040];
    xipc_stream *w = NULL, *r = NULL;
    unsigned long long me = (unsigned long long)xipc_self_pid();
    snprintf(to, sizeof to, "%s/xipc-bench-%llu-%u.to", bench_os_temp_dir(), me, serial);
    snprintf(from, sizeof from, "%s/xipc-bench-%llu-%u.from", bench_os_temp_dir(), me, serial++);
    snprintf(in_text, sizeof in_text, "fifo:%s", to);
    const char *args[] = { "bench-peer", bench_impl_names[impl], tail[0], tail[1], tail[2], in_text,
        from, NULL };
    int rc = xipc_fifo_create(to, 0) == 0 && xipc_fifo_create(from, 0) == 0 ? 0 : -1;
    if (rc == 0)
        rc = bench_spawn_peer(args, NULL, 0, o, &pr->proc);
    if (rc == 0 &&
        (xipc_fifo_open(to, XIPC_FIFO_WRITE, PEER_TIMEOUT_MS, &w) != 0 ||
            xipc_fifo_open(from, XIPC_FIFO_READ, PEER_TIMEOUT_MS, &r) != 0))
        rc = -1;
    (void)xipc_fifo_remove(to);
    (void)xipc_fifo_remove(from);
    if (rc != 0 || endpoint_open(&pr->to, w, impl) != 0 || endpoint_open(&pr->from, r, impl) != 0)
        return abandon_peer(pr, w, r);
    return 0;
}

static int
peer_spawn(struct peer *pr, const char *mech, enum impl impl, const char *work, long count,
    size_t size, const struct bench_opts *o)
{
    xipc_stream *to_r, *to_w, *from_r, *from_w;
    char in_text[XIPC_HANDLE_TEXT_MAX], out_text[XIPC_HANDLE_TEXT_MAX], n[24], sz[24];
    snprintf(n, sizeof n, "%ld", count);
    snprintf(sz, sizeof sz, "%zu", size);
    memset(pr, 0, sizeof *pr);
    if (strcmp(mech, "npipe") == 0) {
        const char *tail[] = { work, n, sz };
        return npipe_peer_spawn(pr, impl, tail, o);
    }
    /* Without OS FIFOs, the raw fifo rows run on a pipe pair (bench_os_has_fifo). */
    if (strcmp(mech, "fifo") == 0 && (impl == IMPL_XIPC || bench_os_has_fifo())) {
        const char *tail[] = { work, n, sz };
        return fifo_peer_spawn(pr, impl, tail, o);
    }
    if (xipc_pipe(&to_r, &to_w, 0) != 0)
        return -1;
    if (xipc_pipe(&from_r, &from_w, 0) != 0) {
        xipc_stream_close(to_r);
        return abandon_peer(pr, to_w, NULL);
    }
    xipc_handle_export(xipc_stream_handle(to_r), in_text, sizeof in_text);
    xipc_handle_export(xipc_stream_handle(from_w), out_text, sizeof out_text);
    const char *args[] = { "bench-peer", bench_impl_names[impl], work, n, sz, in_text, out_text,
        NULL };
    xipc_handle *pass[] = { xipc_stream_handle(to_r), xipc_stream_handle(from_w) };
    int rc = bench_spawn_peer(args, pass, 2, o, &pr->proc);
    xipc_stream_close(to_r);
    xipc_stream_close(from_w);
    if (rc != 0 || endpoint_open(&pr->to, to_w, impl) != 0 ||
        endpoint_open(&pr->from, from_r, impl) != 0)
        return abandon_peer(pr, to_w, from_r);
    return 0;
}

int
bench_sigpipe_policy(int keep_guard)
{
    return keep_guard || xipc_sigpipe_ignore() == 0 ? 0 : -1;
}

int
bench_spawn_peer(const char *const *args, xipc_handle *const *pass, size_t n_pass,
    const struct bench_opts *o, xipc_proc **proc)
{
    char exe[4096], cpu[8];
    const char *argv[16];
    size_t n = 0;
    if (xipc_self_exe(exe, sizeof exe) != 0)
        return -1;
    snprintf(cpu, sizeof cpu, "%d", o->peer_cpu);
    argv[n++] = exe;
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
    if (o->sigpipe_guard)
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

/* Closes the parent's ends and checks that the peer exited cleanly. */
static void
peer_finish(struct peer *pr, struct sample *s)
{
    if (pr->shared)
        pr->from.stream = NULL; /* one connection: close it once */
    endpoint_close(&pr->to);
    endpoint_close(&pr->from);
    bench_finish_peer(pr->proc, s);
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

static void
measure_rtt(struct peer *pr, long rounds, size_t size, struct sample *s)
{
    unsigned char msg[MSG_RECORD], echo[MSG_RECORD];
    long warm = rounds / 10 + 1;
    double *us = malloc((size_t)rounds * sizeof *us);
    if (us == NULL) {
        snprintf(s->error, sizeof s->error, "out of memory");
        return;
    }
    for (long i = -warm; i < rounds; i++) {
        for (size_t k = 0; k < size; k++)
            msg[k] = (unsigned char)((uint64_t)(i + warm) * 31u + k);
        uint64_t t0 = xipc_now_ns();
        if (endpoint_write(&pr->to, msg, size) != 0 ||
            endpoint_read_exact(&pr->from, echo, size) != 0) {
            snprintf(s->error, sizeof s->error, "transfer failed in round %ld", i + warm);
            break;
        }
        if (i >= 0)
            us[i] = (double)(xipc_now_ns() - t0) / 1e3;
        if (memcmp(msg, echo, size) != 0) {
            snprintf(s->error, sizeof s->error, "round %ld came back different", i + warm);
            break;
        }
    }
    if (s->error[0] == '\0')
        bench_rtt_stats(us, rounds, s);
    free(us);
}

/* Sends count records of size bytes; the peer checks them and reports. */
static void
measure_oneway(struct peer *pr, long count, size_t size, struct sample *s)
{
    static unsigned char rec[STREAM_RECORD];
    uint64_t report[2];
    record_pattern(rec, size);
    uint64_t t0 = xipc_now_ns();
    for (long i = 0; i < count; i++) {
        record_stamp(rec, (uint64_t)i);
        if (endpoint_write(&pr->to, rec, size) != 0) {
            snprintf(s->error, sizeof s->error, "write failed at record %ld", i);
            return;
        }
    }
    /* The peer knows the total and reports once it has it all. */
    if (endpoint_read_exact(&pr->from, report, sizeof report) != 0) {
        snprintf(s->error, sizeof s->error, "no report from the peer");
        return;
    }
    double secs = (double)(xipc_now_ns() - t0) / 1e9;
    if (report[0] != (uint64_t)count * size || report[1] != 0) {
        snprintf(s->error, sizeof s->error, "peer got %llu of %llu bytes, %llu spans wrong",
            (unsigned long long)report[0], (unsigned long long)count * size,
            (unsigned long long)report[1]);
        return;
    }
    s->per_s = (double)count / secs;
}

static void
measure(const char *mech, enum impl impl, enum workload w, long count, size_t size,
    const struct bench_opts *o, struct sample *s)
{
    struct peer pr;
    memset(s, 0, sizeof *s);
    /* Round trips add a tenth for warming up; a stream's peer expects exactly count records. */
    long peer_count = w == WORK_RTT ? count + count / 10 + 1 : count;
    if (peer_spawn(&pr, mech, impl, w == WORK_RTT ? "rtt" : "sink", peer_count, size, o) != 0) {
        snprintf(s->error, sizeof s->error, "could not start the peer");
        return;
    }
    if (w == WORK_RTT)
        measure_rtt(&pr, count, size, s);
    else
        measure_oneway(&pr, count, size, s);
    peer_finish(&pr, s);
}

/* ---- Runs, medians and the table ------------------------------------------------------------ */

struct config {
    const char *name;
    enum workload work;
    size_t size;
};

static const struct config stream_configs[] = {
    { "rtt 1 B", WORK_RTT, 1 },
    { "rtt 64 B", WORK_RTT, MSG_RECORD },
    { "stream 64 KiB", WORK_ONEWAY, STREAM_RECORD },
    { "msgs 64 B", WORK_ONEWAY, MSG_RECORD },
};

/* For signals, size is how late the peer answers (µs): a prompt peer shows the latency; a late
 * one shows what waiting costs in CPU time when spinning cannot pay. */
static const struct config signal_configs[] = {
    { "rtt", WORK_RTT, 0 },
    { "rtt, peer sleeps 200us", WORK_RTT, 200 },
};

/* The mechanisms that exist so far; each row compares xipc with the raw calls on one of them. */
struct mechanism {
    const char *name;
    const struct config *configs;
    size_t config_count;
};

static const struct mechanism mechanisms[] = {
    { "pipe", stream_configs, sizeof stream_configs / sizeof stream_configs[0] },
    { "npipe", stream_configs, sizeof stream_configs / sizeof stream_configs[0] },
    { "fifo", stream_configs, sizeof stream_configs / sizeof stream_configs[0] },
    { "event", signal_configs, sizeof signal_configs / sizeof signal_configs[0] },
    { "sem", signal_configs, sizeof signal_configs / sizeof signal_configs[0] },
};
#define MECHANISM_COUNT (sizeof mechanisms / sizeof mechanisms[0])
#define ROWS_MAX        (MECHANISM_COUNT * 4 * 3)

enum field { FIELD_P50, FIELD_P99, FIELD_RATE, FIELD_CPU };

struct row {
    const char *mechanism;
    char workload[40];
    const char *unit;
    double raw, xipc; /* each the median over the runs */
    /* The median of the runs' own ratios xipc/raw: each run measures both back to back, so
     * drift between runs (this VM's figures wander by several percent) cancels out. */
    double ratio;
    char error[128];
};

static long
config_count(const struct config *c, const struct bench_opts *o)
{
    if (c->work == WORK_RTT)
        return o->rtt_rounds;
    if (c->size == STREAM_RECORD)
        return (long)(o->stream_bytes / STREAM_RECORD);
    return o->msg_count;
}

static double
sample_field(const struct sample *s, enum field f, size_t size)
{
    if (f == FIELD_P50)
        return s->p50_us;
    if (f == FIELD_P99)
        return s->p99_us;
    if (f == FIELD_CPU)
        return s->cpu_us;
    /* Throughput in MB/s for the stream, messages per second otherwise. */
    return size == STREAM_RECORD ? s->per_s * (double)size / 1e6 : s->per_s;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], compare_double);
    return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median over runs of one field, or the first run's error. */
static int
median_of(const struct sample *runs, int n, enum field f, size_t size, double *out, char *error,
    size_t cap)
{
    double v[MAX_RUNS];
    for (int i = 0; i < n; i++) {
        if (runs[i].error[0] != '\0') {
            snprintf(error, cap, "%s", runs[i].error);
            return -1;
        }
        v[i] = sample_field(&runs[i], f, size);
    }
    *out = median(v, n);
    return 0;
}

static void
make_row(struct row *r, const char *mech, const struct config *c, enum field f,
    struct sample runs[IMPL_COUNT][MAX_RUNS], int n)
{
    static const char *const suffix[] = { " p50", " p99", "", " cpu" };
    char why[96] = "";
    memset(r, 0, sizeof *r);
    r->mechanism = mech;
    snprintf(r->workload, sizeof r->workload, "%s%s", c->name, suffix[f]);
    r->unit = f == FIELD_CPU       ? "us/rt"
        : f != FIELD_RATE          ? "us"
        : c->size == STREAM_RECORD ? "MB/s"
                                   : "msg/s";
    for (int impl = 0; impl < IMPL_COUNT; impl++) {
        double *dst = impl == IMPL_RAW ? &r->raw : &r->xipc;
        if (r->error[0] == '\0' && median_of(runs[impl], n, f, c->size, dst, why, sizeof why) != 0)
            snprintf(r->error, sizeof r->error, "%s: %s", bench_impl_names[impl], why);
    }
    if (r->error[0] == '\0') {
        double ratios[MAX_RUNS];
        for (int i = 0; i < n; i++) {
            double raw = sample_field(&runs[IMPL_RAW][i], f, c->size);
            /* 0: a CPU time below its clock's step (Windows counts in 10-16 ms steps; a quick
             * run's few rounds may not reach one). No ratio then, rather than inf or NaN. */
            if (raw <= 0) {
                r->ratio = NAN;
                return;
            }
            ratios[i] = sample_field(&runs[IMPL_XIPC][i], f, c->size) / raw;
        }
        r->ratio = median(ratios, n);
    }
}

static void
progress(
    const struct bench_opts *o, const char *mech, const struct config *c, int run, enum impl impl)
{
    if (o->json || !bench_os_stderr_is_tty())
        return;
    fprintf(stderr, "\r\033[K%s %s, run %d of %d, %s", mech, c->name, run + 1, o->runs,
        bench_impl_names[impl]);
    fflush(stderr);
}

static void
measure_config(const struct mechanism *m, const struct config *c, enum impl impl,
    const struct bench_opts *o, struct sample *s)
{
    if (m->configs == stream_configs)
        measure(m->name, impl, c->work, config_count(c, o), c->size, o, s);
    else
        bench_sync_measure(
            m->name, impl, c->size ? o->late_rounds : o->rtt_rounds, (int)c->size, o, s);
}

/* Measures one mechanism: every configuration, runs alternating raw and xipc. Appends rows. */
static size_t
bench_mechanism(const struct mechanism *m, const struct bench_opts *o, struct row *rows)
{
    static struct sample runs[IMPL_COUNT][MAX_RUNS];
    size_t n = 0;
    for (size_t k = 0; k < m->config_count; k++) {
        const struct config *c = &m->configs[k];
        for (int run = 0; run < o->runs; run++) {
            /* Odd runs go xipc first, so neither side always runs on a warmer machine. */
            for (int i = 0; i < IMPL_COUNT; i++) {
                enum impl impl = (enum impl)(run % 2 == 0 ? i : IMPL_COUNT - 1 - i);
                progress(o, m->name, c, run, impl);
                measure_config(m, c, impl, o, &runs[impl][run]);
            }
        }
        if (c->work == WORK_RTT) {
            make_row(&rows[n++], m->name, c, FIELD_P50, runs, o->runs);
            make_row(&rows[n++], m->name, c, FIELD_P99, runs, o->runs);
            if (m->configs == signal_configs)
                make_row(&rows[n++], m->name, c, FIELD_CPU, runs, o->runs);
        } else {
            make_row(&rows[n++], m->name, c, FIELD_RATE, runs, o->runs);
        }
    }
    return n;
}

static void
print_table(const struct row *rows, size_t n, const struct bench_opts *o, const char *pinning)
{
    printf("xipc bench on %s: median of %d runs; %s\n", bench_os_platform(), o->runs, pinning);
    for (size_t m = 0; m < MECHANISM_COUNT; m++)
        printf("raw %-6s = %s\n", mechanisms[m].name, bench_os_raw_name(mechanisms[m].name));
    if (bench_os_has_sigpipe())
        printf("SIGPIPE: %s\n",
            o->sigpipe_guard
                ? "xipc's default, blocked around each xipc write (raw writes: at its default)"
                : "ignored in both processes (xipc_sigpipe_ignore), as raw writers need; "
                  "--sigpipe-guard measures xipc's default guard");
    printf("latency rows: lower is better; rate rows: higher is better\n");
    printf("xipc/raw: the median of each run's own ratio (raw and xipc back to back)\n\n");
    printf("%-10s %-34s %12s %12s %9s\n", "mechanism", "workload", "raw", "xipc", "xipc/raw");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        char label[64];
        snprintf(label, sizeof label, "%s (%s)", r->workload, r->unit);
        if (r->error[0] != '\0') {
            printf("%-10s %-34s FAILED: %s\n", r->mechanism, label, r->error);
            continue;
        }
        if (isnan(r->ratio))
            printf("%-10s %-34s %12.1f %12.1f %9s\n", r->mechanism, label, r->raw, r->xipc, "n/a");
        else
            printf("%-10s %-34s %12.1f %12.1f %9.3f\n", r->mechanism, label, r->raw, r->xipc,
                r->ratio);
    }
}

static void
print_json(const struct row *rows, size_t n, const struct bench_opts *o)
{
    printf("{\"platform\": \"%s\", \"runs\": %d, \"sigpipe\": \"%s\", \"rows\": [",
        bench_os_platform(), o->runs,
        !bench_os_has_sigpipe() ? "none" : o->sigpipe_guard ? "guard" : "ignored");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        printf("%s\n  {\"mechanism\": \"%s\", \"raw_calls\": \"%s\", \"workload\": \"%s\", "
               "\"unit\": \"%s\", ",
            i ? "," : "", r->mechanism, bench_os_raw_name(r->mechanism), r->workload, r->unit);
        if (r->error[0] != '\0')
            printf("\"error\": \"%s\"}", r->error);
        else if (isnan(r->ratio))
            printf("\"raw\": %.3f, \"xipc\": %.3f, \"ratio\": null}", r->raw, r->xipc);
        else
            printf("\"raw\": %.3f, \"xipc\": %.3f, \"ratio\": %.4f}", r->raw, r->xipc, r->ratio);
    }
    printf("\n]}\n");
}

/* Whether mech is selected by --only (a comma-separated list). */
static int
selected(const char *only, const char *mech)
{
    size_t len = strlen(mech);
    for (const char *p = only; p != NULL && *p != '\0';
         p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, mech, len) == 0 && (p[len] == ',' || p[len] == '\0'))
            return 1;
    }
    return only == NULL;
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
    return o->runs >= 1 && o->runs <= MAX_RUNS ? 0 : -1;
}

int
xipc_tool_bench(int argc, char **argv)
{
    static struct row rows[ROWS_MAX];
    struct bench_opts o;
    size_t n = 0, chosen = 0;
    if (parse_opts(argc, argv, &o) != 0) {
        fprintf(stderr,
            "usage: xipc bench [--quick] [--json] [--only pipe,npipe,fifo,event,sem] [--runs "
            "1..%d] [--sigpipe-guard]\n",
            MAX_RUNS);
        return 2;
    }
    if (bench_sigpipe_policy(o.sigpipe_guard) != 0) {
        fprintf(stderr, "xipc bench: could not ignore SIGPIPE\n");
        return 1;
    }
    const char *pinning = "unpinned (one CPU)";
    if (bench_os_cpu_count() >= 2 && bench_os_pin(0) == 0) {
        o.peer_cpu = 1;
        pinning = "measuring process on CPU 0, peer on CPU 1";
    }
    for (size_t m = 0; m < MECHANISM_COUNT; m++) {
        if (selected(o.only, mechanisms[m].name)) {
            n += bench_mechanism(&mechanisms[m], &o, rows + n);
            chosen++;
        }
    }
    if (!o.json && bench_os_stderr_is_tty())
        fprintf(stderr, "\r\033[K");
    if (chosen == 0) {
        fprintf(stderr,
            "xipc bench: --only names no mechanism (there are: pipe, npipe, fifo, event, sem)\n");
        return 2;
    }
    if (o.json)
        print_json(rows, n, &o);
    else
        print_table(rows, n, &o, pinning);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].error[0] != '\0')
            return 1;
    }
    return 0;
}
