/* tools/bench.c: `xipc bench`, each mechanism measured through xipc and through the raw OS calls
 * it maps onto, in the same run, between two processes pinned to two CPUs.
 *
 * Every run of a stream workload spawns a peer (`xipc bench-peer ...`) that holds the far ends of
 * two twin channels: two pipe pairs, two named-pipe connections or two FIFO pairs. On one, both
 * sides make the plainest calls a program would make on those OS objects (tools/{posix,win32}/
 * bench_os.c, on the objects' native handles); on the other, both go through xipc. So the ratio is
 * the cost of xipc itself; only Windows FIFOs, which the OS lacks, are compared with a named-pipe
 * pair. The run goes back and forth between the two in blocks ("A run's schedule"), each figure
 * is the median over the runs, and each ratio the median of the runs' own ratios.
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
    if (xipc_handle_native(xipc_stream_handle(s), &native) != 0 ||
        (e->raw = bench_raw_open(native)) == NULL)
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

/* ---- A run's schedule ----------------------------------------------------------------------- */

/* One peer serves a whole run, over two channels: one used with raw calls, one through xipc.
 * The run is BLOCKS blocks of each, by turns, the first impl alternating between runs; round
 * trips start with a warm-up block of each. Taking turns puts raw and xipc under the same
 * conditions: with a peer process for each instead, this VM's drift between processes (a round
 * trip's p50 wandered 45-55 µs) moved the per-run ratios by ±5%. */
#define BLOCKS 5

static enum impl
block_impl(enum impl first, int block)
{
    return block % 2 == 0 ? first : (enum impl)(IMPL_COUNT - 1 - first);
}

/* The warm-up round trips of each impl: as many as a tenth of a run's. */
static long
warm_rounds(long per_block)
{
    return per_block * BLOCKS / 10 + 1;
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

/* Reads total bytes of records, then answers with {bytes, bad spans}. */
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

/* Both sides open each FIFO with XIPC_CREATE | XIPC_OPEN: whichever comes first makes it and
 * waits for the other, and its close removes it. */
#define FIFO_EITHER (XIPC_CREATE | XIPC_OPEN)

/* One channel's streams in the peer: two inherited pipe ends (IN and OUT are export texts), one
 * named-pipe connection both ways (IN is "npipe:NAME", OUT "-"), or two FIFOs (IN is
 * "fifo:PATH", OUT the other FIFO's path), opened in the order the measuring side opens them. */
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
        if (xipc_fifo_open(in_text + 5, FIFO_EITHER | XIPC_FIFO_READ, in, PEER_TIMEOUT_MS) != 0)
            return -1;
        return xipc_fifo_open(out_text, FIFO_EITHER | XIPC_FIFO_WRITE, out, PEER_TIMEOUT_MS) == 0
            ? 0
            : -1;
    }
    if (xipc_stream_import(in_text, in) != 0 || xipc_stream_import(out_text, out) != 0)
        return -1;
    return 0;
}

static void
peer_close(struct endpoint *in, struct endpoint *out)
{
    if (out->stream == in->stream)
        out->stream = NULL; /* one connection: close it once */
    endpoint_close(in);
    endpoint_close(out);
}

/* xipc bench-peer WORKLOAD PER_BLOCK SIZE FIRST RAW_IN RAW_OUT XIPC_IN XIPC_OUT CPU */
int
xipc_tool_bench_peer(int argc, char **argv)
{
    struct endpoint in[IMPL_COUNT], out[IMPL_COUNT];
    int rc = 0;
    if (argc != 10)
        return 2;
    if (bench_sigpipe_policy(getenv(BENCH_GUARD_ENV) != NULL) != 0)
        return 2;
    int rtt = strcmp(argv[1], "rtt") == 0;
    long per_block = atol(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    enum impl first = strcmp(argv[4], "raw") == 0 ? IMPL_RAW : IMPL_XIPC;
    /* Raw's channel first, as the measuring side opens them. */
    for (int i = 0; i < IMPL_COUNT; i++) {
        xipc_stream *s_in = NULL, *s_out = NULL;
        if (peer_streams(argv[5 + 2 * i], argv[6 + 2 * i], &s_in, &s_out) != 0 ||
            endpoint_open(&in[i], s_in, (enum impl)i) != 0 ||
            endpoint_open(&out[i], s_out, (enum impl)i) != 0)
            return 2; /* the process ends: what it opened goes with it */
    }
    if (atoi(argv[9]) >= 0)
        (void)bench_os_pin(atoi(argv[9]));
    for (int b = rtt ? -2 : 0; b < 2 * BLOCKS && rc == 0; b++) {
        enum impl impl = block_impl(first, b < 0 ? b + 2 : b);
        if (rtt)
            rc = peer_echo(&in[impl], &out[impl], b < 0 ? warm_rounds(per_block) : per_block, size);
        else
            rc = peer_sink(&in[impl], &out[impl], size, (uint64_t)per_block * size);
    }
    for (int i = 0; i < IMPL_COUNT; i++)
        peer_close(&in[i], &out[i]);
    return rc;
}

/* ---- The measuring side --------------------------------------------------------------------- */

/* How a channel is made. Pipes: a pair each way, made here, the peer's ends passed to it. npipe:
 * one byte-mode connection to a server here, both ways. fifo: two FIFOs made here; Windows has
 * no FIFOs, so there the raw channel is a pipe pair, the object xipc builds its FIFOs on. */
enum channel_kind { CHANNEL_PIPES, CHANNEL_NPIPE, CHANNEL_FIFOS };

/* One channel: what the peer is told (its IN and OUT, see peer_streams) and this side's ends. */
struct channel {
    enum channel_kind kind;
    char in_text[1040], out_text[1040];
    char to_path[1024], from_path[1024]; /* FIFOs */
    xipc_stream *peer_in, *peer_out; /* pipes: the peer's ends, until it has them */
    xipc_stream *to, *from; /* this side's; one connection for npipe */
};

/* A running peer, its two channels (indexed by impl) and this side's endpoints on them. */
struct peer {
    struct channel ch[IMPL_COUNT];
    struct endpoint to[IMPL_COUNT], from[IMPL_COUNT];
    xipc_npipe *srv; /* npipe, until both connections are accepted */
    xipc_proc *proc;
};

/* Makes what the peer needs to find its end of the channel, before it starts; pass collects the
 * handles it inherits. */
static int
channel_prepare(struct channel *ch, const char *mech, enum impl impl, const char *npipe_name,
    unsigned serial, xipc_handle **pass, size_t *n_pass)
{
    if (strcmp(mech, "npipe") == 0) {
        ch->kind = CHANNEL_NPIPE;
        snprintf(ch->in_text, sizeof ch->in_text, "npipe:%s", npipe_name);
        snprintf(ch->out_text, sizeof ch->out_text, "-");
        return 0;
    }
    if (strcmp(mech, "fifo") == 0 && (impl == IMPL_XIPC || bench_os_has_fifo())) {
        unsigned long long me = (unsigned long long)xipc_self_pid();
        const char *dir = bench_os_temp_dir(), *tag = bench_impl_names[impl];
        ch->kind = CHANNEL_FIFOS;
        snprintf(ch->to_path, sizeof ch->to_path, "%s/xipc-bench-%llu-%u-%s.to", dir, me, serial,
            tag);
        snprintf(ch->from_path, sizeof ch->from_path, "%s/xipc-bench-%llu-%u-%s.from", dir, me,
            serial, tag);
        snprintf(ch->in_text, sizeof ch->in_text, "fifo:%s", ch->to_path);
        snprintf(ch->out_text, sizeof ch->out_text, "%s", ch->from_path);
        return 0;
    }
    ch->kind = CHANNEL_PIPES;
    if (xipc_pipe(0, &ch->peer_in, &ch->to) != 0 || xipc_pipe(0, &ch->from, &ch->peer_out) != 0 ||
        xipc_handle_export(xipc_stream_handle(ch->peer_in), ch->in_text, sizeof ch->in_text) != 0 ||
        xipc_handle_export(xipc_stream_handle(ch->peer_out), ch->out_text, sizeof ch->out_text) !=
            0)
        return -1;
    pass[(*n_pass)++] = xipc_stream_handle(ch->peer_in);
    pass[(*n_pass)++] = xipc_stream_handle(ch->peer_out);
    return 0;
}

/* Once the peer runs: this side's ends, opened in the order the peer opens its own. */
static int
channel_connect(struct channel *ch, xipc_npipe *srv)
{
    int rc = 0;
    switch (ch->kind) {
    case CHANNEL_PIPES:
        xipc_stream_close(ch->peer_in); /* the peer has its own copies now */
        xipc_stream_close(ch->peer_out);
        ch->peer_in = ch->peer_out = NULL;
        return 0;
    case CHANNEL_NPIPE:
        if (xipc_npipe_accept(srv, &ch->to, PEER_TIMEOUT_MS) != 0)
            return -1;
        ch->from = ch->to;
        return 0;
    case CHANNEL_FIFOS:
        if (xipc_fifo_open(ch->to_path, FIFO_EITHER | XIPC_FIFO_WRITE, &ch->to, PEER_TIMEOUT_MS) !=
                0 ||
            xipc_fifo_open(
                ch->from_path, FIFO_EITHER | XIPC_FIFO_READ, &ch->from, PEER_TIMEOUT_MS) != 0)
            rc = -1;
        return rc;
    }
    return -1;
}

static void
channel_close(struct channel *ch, struct endpoint *to, struct endpoint *from)
{
    if (to->raw != NULL)
        bench_raw_close(to->raw);
    if (from->raw != NULL)
        bench_raw_close(from->raw);
    xipc_stream_close(ch->peer_in);
    xipc_stream_close(ch->peer_out);
    xipc_stream_close(ch->to);
    if (ch->from != ch->to)
        xipc_stream_close(ch->from);
    if (ch->kind == CHANNEL_FIFOS) {
        (void)xipc_fifo_unlink(ch->to_path); /* made by a peer that died before closing */
        (void)xipc_fifo_unlink(ch->from_path);
    }
}

/* Closes this side's ends (the peer then sees the end of its streams) and the server. */
static void
peer_close_channels(struct peer *pr)
{
    for (int i = 0; i < IMPL_COUNT; i++)
        channel_close(&pr->ch[i], &pr->to[i], &pr->from[i]);
    xipc_npipe_close(pr->srv);
}

/* Undoes a peer_start that failed partway: stops the peer if it was started. Returns -1. */
static int
abandon_peer(struct peer *pr)
{
    peer_close_channels(pr);
    if (pr->proc != NULL) {
        xipc_exit_status st;
        (void)xipc_proc_kill(pr->proc);
        (void)xipc_proc_wait(pr->proc, &st, PEER_TIMEOUT_MS);
        xipc_proc_close(pr->proc);
    }
    memset(pr, 0, sizeof *pr);
    return -1;
}

/* Starts the peer of one run (see "A run's schedule") with its two channels. */
static int
peer_start(struct peer *pr, const char *mech, enum workload w, long per_block, size_t size,
    enum impl first, const struct bench_opts *o)
{
    static unsigned serial;
    char name[64] = "", n[24], sz[24];
    xipc_handle *pass[2 * IMPL_COUNT];
    size_t n_pass = 0;
    memset(pr, 0, sizeof *pr);
    snprintf(n, sizeof n, "%ld", per_block);
    snprintf(sz, sizeof sz, "%zu", size);
    if (strcmp(mech, "npipe") == 0) {
        snprintf(name, sizeof name, "xipc-bench-%llu-%u", (unsigned long long)xipc_self_pid(),
            serial);
        if (xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &pr->srv) != 0)
            return -1;
    }
    for (int i = 0; i < IMPL_COUNT; i++) {
        if (channel_prepare(&pr->ch[i], mech, (enum impl)i, name, serial, pass, &n_pass) != 0)
            return abandon_peer(pr);
    }
    serial++;
    const char *args[] = { "bench-peer", w == WORK_RTT ? "rtt" : "sink", n, sz,
        bench_impl_names[first], pr->ch[IMPL_RAW].in_text, pr->ch[IMPL_RAW].out_text,
        pr->ch[IMPL_XIPC].in_text, pr->ch[IMPL_XIPC].out_text, NULL };
    if (bench_spawn_peer(args, pass, n_pass, o, &pr->proc) != 0)
        return abandon_peer(pr);
    for (int i = 0; i < IMPL_COUNT; i++) {
        struct channel *ch = &pr->ch[i];
        if (channel_connect(ch, pr->srv) != 0 ||
            endpoint_open(&pr->to[i], ch->to, (enum impl)i) != 0 ||
            endpoint_open(&pr->from[i], ch->from, (enum impl)i) != 0)
            return abandon_peer(pr);
    }
    xipc_npipe_close(pr->srv);
    pr->srv = NULL;
    return 0;
}

/* Closes this side's ends and checks that the peer exited cleanly: a bad ending fails both
 * impls' figures of the run, unless one of them failed already. */
static void
peer_finish(struct peer *pr, struct sample s[IMPL_COUNT])
{
    struct sample end;
    memset(&end, 0, sizeof end);
    peer_close_channels(pr);
    bench_finish_peer(pr->proc, &end);
    if (end.error[0] != '\0' && s[IMPL_RAW].error[0] == '\0' && s[IMPL_XIPC].error[0] == '\0') {
        for (int i = 0; i < IMPL_COUNT; i++)
            snprintf(s[i].error, sizeof s[i].error, "%s", end.error);
    }
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

/* One round trip of size bytes, the message made from round; its time in *us. */
static int
round_trip(struct peer *pr, enum impl impl, size_t size, long round, double *us, struct sample *s)
{
    unsigned char msg[MSG_RECORD], echo[MSG_RECORD];
    for (size_t k = 0; k < size; k++)
        msg[k] = (unsigned char)((uint64_t)round * 31u + k);
    uint64_t t0 = xipc_now_ns();
    if (endpoint_write(&pr->to[impl], msg, size) != 0 ||
        endpoint_read_exact(&pr->from[impl], echo, size) != 0) {
        snprintf(s->error, sizeof s->error, "transfer failed in round %ld", round);
        return -1;
    }
    *us = (double)(xipc_now_ns() - t0) / 1e3;
    if (memcmp(msg, echo, size) != 0) {
        snprintf(s->error, sizeof s->error, "round %ld came back different", round);
        return -1;
    }
    return 0;
}

/* Round trips: a warm-up block of each impl, then the measured blocks by turns. */
static void
measure_rtt(
    struct peer *pr, long per_block, size_t size, enum impl first, struct sample s[IMPL_COUNT])
{
    long total = per_block * BLOCKS, done[IMPL_COUNT] = { 0, 0 }, round[IMPL_COUNT] = { 0, 0 };
    double *us[IMPL_COUNT] = { malloc((size_t)total * sizeof(double)),
        malloc((size_t)total * sizeof(double)) };
    if (us[IMPL_RAW] == NULL || us[IMPL_XIPC] == NULL) {
        snprintf(s[IMPL_RAW].error, sizeof s[IMPL_RAW].error, "out of memory");
        goto out;
    }
    for (int b = -2; b < 2 * BLOCKS; b++) {
        enum impl impl = block_impl(first, b < 0 ? b + 2 : b);
        long rounds = b < 0 ? warm_rounds(per_block) : per_block;
        for (long i = 0; i < rounds; i++) {
            double t;
            if (round_trip(pr, impl, size, round[impl]++, &t, &s[impl]) != 0)
                goto out;
            if (b >= 0)
                us[impl][done[impl]++] = t;
        }
    }
    for (int i = 0; i < IMPL_COUNT; i++)
        bench_rtt_stats(us[i], total, &s[i]);
out:
    free(us[IMPL_RAW]);
    free(us[IMPL_XIPC]);
}

/* Sends count records of size bytes on one impl's channel and waits for the peer's report that
 * it has them all, unchanged; the time in *secs. */
static int
send_block(struct peer *pr, enum impl impl, long count, size_t size, double *secs, struct sample *s)
{
    static unsigned char rec[STREAM_RECORD];
    uint64_t report[2];
    record_pattern(rec, size);
    uint64_t t0 = xipc_now_ns();
    for (long i = 0; i < count; i++) {
        record_stamp(rec, (uint64_t)i);
        if (endpoint_write(&pr->to[impl], rec, size) != 0) {
            snprintf(s->error, sizeof s->error, "write failed at record %ld", i);
            return -1;
        }
    }
    if (endpoint_read_exact(&pr->from[impl], report, sizeof report) != 0) {
        snprintf(s->error, sizeof s->error, "no report from the peer");
        return -1;
    }
    *secs = (double)(xipc_now_ns() - t0) / 1e9;
    if (report[0] != (uint64_t)count * size || report[1] != 0) {
        snprintf(s->error, sizeof s->error, "peer got %llu of %llu bytes, %llu spans wrong",
            (unsigned long long)report[0], (unsigned long long)count * size,
            (unsigned long long)report[1]);
        return -1;
    }
    return 0;
}

/* One-way streams: the blocks by turns; each impl's rate is its records over its blocks' time. */
static void
measure_oneway(
    struct peer *pr, long per_block, size_t size, enum impl first, struct sample s[IMPL_COUNT])
{
    double secs[IMPL_COUNT] = { 0, 0 };
    for (int b = 0; b < 2 * BLOCKS; b++) {
        enum impl impl = block_impl(first, b);
        double t = 0;
        if (send_block(pr, impl, per_block, size, &t, &s[impl]) != 0)
            return;
        secs[impl] += t;
    }
    for (int i = 0; i < IMPL_COUNT; i++)
        s[i].per_s = (double)(per_block * BLOCKS) / secs[i];
}

/* One run of a stream workload: count round trips or records of each impl. */
static void
measure_run(const char *mech, enum workload w, long count, size_t size, enum impl first,
    const struct bench_opts *o, struct sample s[IMPL_COUNT])
{
    struct peer pr;
    long per_block = count / BLOCKS > 0 ? count / BLOCKS : 1;
    memset(s, 0, IMPL_COUNT * sizeof *s);
    if (peer_start(&pr, mech, w, per_block, size, first, o) != 0) {
        for (int i = 0; i < IMPL_COUNT; i++)
            snprintf(s[i].error, sizeof s[i].error, "could not start the peer");
        return;
    }
    if (w == WORK_RTT)
        measure_rtt(&pr, per_block, size, first, s);
    else
        measure_oneway(&pr, per_block, size, first, s);
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

/* The terminal's progress line; impl NULL: both, by turns. */
static void
progress(const struct bench_opts *o, const char *mech, const struct config *c, int run,
    const char *impl)
{
    if (o->json || !bench_os_stderr_is_tty())
        return;
    fprintf(stderr, "\r\033[K%s %s, run %d of %d, %s", mech, c->name, run + 1, o->runs,
        impl != NULL ? impl : "raw and xipc by turns");
    fflush(stderr);
}

/* One run of a configuration, both impls: stream mechanisms by turns in one peer (see "A run's
 * schedule"); signals one after the other, odd runs xipc first, so that neither side always
 * runs on a warmer machine. */
static void
measure_config(const struct mechanism *m, const struct config *c, int run,
    const struct bench_opts *o, struct sample runs[IMPL_COUNT][MAX_RUNS])
{
    enum impl first = run % 2 == 0 ? IMPL_RAW : IMPL_XIPC;
    if (m->configs == stream_configs) {
        struct sample s[IMPL_COUNT];
        progress(o, m->name, c, run, NULL);
        measure_run(m->name, c->work, config_count(c, o), c->size, first, o, s);
        for (int i = 0; i < IMPL_COUNT; i++)
            runs[i][run] = s[i];
        return;
    }
    for (int i = 0; i < IMPL_COUNT; i++) {
        enum impl impl = block_impl(first, i);
        progress(o, m->name, c, run, bench_impl_names[impl]);
        bench_sync_measure(m->name, impl, c->size ? o->late_rounds : o->rtt_rounds, (int)c->size,
            o, &runs[impl][run]);
    }
}

/* Measures one mechanism: every configuration, every run. Appends rows. */
static size_t
bench_mechanism(const struct mechanism *m, const struct bench_opts *o, struct row *rows)
{
    static struct sample runs[IMPL_COUNT][MAX_RUNS];
    size_t n = 0;
    for (size_t k = 0; k < m->config_count; k++) {
        const struct config *c = &m->configs[k];
        for (int run = 0; run < o->runs; run++)
            measure_config(m, c, run, o, runs);
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
    printf("xipc/raw: the median of each run's own ratio (streams: raw and xipc by turns in each "
           "run; signals: back to back)\n\n");
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
