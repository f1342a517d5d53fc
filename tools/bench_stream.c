/* tools/bench_stream.c: the stream and message workloads of `xipc bench`, run on the channels of
 * a family (bench_stream.h), through xipc and through the raw OS calls in the same run.
 *
 * Every run spawns a peer (`xipc bench-peer NAME ...`) that holds the far ends of two twin
 * channels: two pipe pairs, two named-pipe connections (byte or message mode) or two FIFO pairs.
 * On one, both sides make
 * the plainest calls a program would make on those OS objects (tools/{posix,win32}/bench_os.c, on
 * the objects' native handles); on the other, both go through xipc. So the ratio is the cost of
 * xipc itself; only Windows FIFOs, which the OS lacks, are compared with a named-pipe pair. The
 * run goes back and forth between the two in blocks ("A run's schedule").
 *
 * Workloads: round trips of one message (p50 and p99), and one-way streams of records (64 KiB
 * for throughput, 64 B for message rate). The 64-byte rate is measured twice on streams: with a
 * reader that takes all there is (up to 64 KiB) per read, and with one that takes exactly one
 * record per read, as a program reading record by record does, so that what each read costs
 * shows; and once more with every call on both sides given a time limit ("limits"). There the raw
 * side makes the calls a program that must not wait forever makes (tools/bench_os.h,
 * bench_raw_open_limited: on POSIX a pipe or FIFO O_NONBLOCK, tried, and polled with the limit
 * when it would wait; a socket with SO_RCVTIMEO / SO_SNDTIMEO), not plain blocking ones: a limit
 * is the caller's choice and has its price on Linux whoever pays it (a pipe once polled wakes its
 * readers' queue on every write from then on, posix/posix_nowait.c), so comparing a limited xipc
 * call with an unlimited raw one measured that price, not xipc; the price itself shows as the
 * gap between the "1 per read" row and this one. A message
 * endpoint's reader takes one message per receive. Every record carries its
 * sequence number and a fixed pattern; the receiver checks both, so a corrupt, lost or reordered
 * byte fails the row. */
#include "bench_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_RECORD 65536
#define MSG_RECORD    64

const struct bench_workload bench_stream_workloads[] = {
    {
        .name = "rtt 1 B",
        .round_trips = 1,
        .size = 1,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "rtt 64 B",
        .round_trips = 1,
        .size = MSG_RECORD,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "stream 64 KiB",
        .size = STREAM_RECORD,
        .count = COUNT_BYTES,
        .figures = 1u << FIG_MBPS,
    },
    {
        .name = "msgs 64 B",
        .size = MSG_RECORD,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    {
        .name = "msgs 64 B, 1 per read",
        .size = MSG_RECORD,
        .one_per_read = 1,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    {
        .name = "msgs 64 B, 1 per read, limits",
        .size = MSG_RECORD,
        .one_per_read = 1,
        .time_limit = 1,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    { .name = NULL },
};

const struct bench_workload bench_message_workloads[] = {
    {
        .name = "rtt 1 B",
        .round_trips = 1,
        .size = 1,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "rtt 64 B",
        .round_trips = 1,
        .size = MSG_RECORD,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "msgs 64 B, 1 per receive",
        .size = MSG_RECORD,
        .one_per_read = 1,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    { .name = NULL },
};

/* A window of 32 64-byte datagrams stays far below any receive buffer: none is dropped. */
const struct bench_workload bench_dgram_workloads[] = {
    {
        .name = "rtt 1 B",
        .round_trips = 1,
        .size = 1,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "rtt 64 B",
        .round_trips = 1,
        .size = MSG_RECORD,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "msgs 64 B, acked per 32",
        .size = MSG_RECORD,
        .one_per_read = 1,
        .window = 32,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    { .name = NULL },
};

/* One end of a transfer, raw or through xipc: a stream, a message pipe or a datagram endpoint. */
struct endpoint {
    xipc_stream *stream;
    xipc_msgpipe *msg;
    xipc_dgram *dgram;
    struct bench_raw *raw; /* set for IMPL_RAW */
    int timeout_ms; /* each call's limit: XIPC_FOREVER, or the workload's (raw: made so at open) */
};

/* The endpoint on a channel's stream s, or on its message pipe or datagram endpoint; every call
 * on it waits up to limit_ms (XIPC_FOREVER: no limit). */
static int
endpoint_open(struct endpoint *e, const struct bench_channel *ch, xipc_stream *s, enum impl impl,
    int limit_ms)
{
    intptr_t native;
    e->stream = ch->msg == NULL && ch->dgram == NULL ? s : NULL;
    e->msg = ch->msg;
    e->dgram = ch->dgram;
    e->raw = NULL;
    e->timeout_ms = limit_ms;
    if (impl == IMPL_XIPC)
        return 0;
    xipc_handle *h = e->msg != NULL ? xipc_msgpipe_handle(e->msg)
        : e->dgram != NULL          ? xipc_dgram_handle(e->dgram)
                                    : xipc_stream_handle(s);
    if (xipc_handle_native(h, &native) != 0 ||
        (e->raw = bench_raw_open_limited(native, limit_ms)) == NULL)
        return -1;
    return 0;
}

/* Reads what is there into buf (a message pipe: one message): bytes read, 0 at end of stream,
 * -1 on failure. */
static long
endpoint_read(struct endpoint *e, void *buf, size_t cap)
{
    size_t got = 0;
    int rc;
    if (e->raw != NULL)
        return bench_raw_read(e->raw, buf, cap);
    if (e->msg != NULL)
        rc = xipc_msgpipe_recv(e->msg, buf, cap, &got, e->timeout_ms);
    else if (e->dgram != NULL)
        rc = xipc_dgram_recv(e->dgram, buf, cap, &got, e->timeout_ms);
    else
        rc = xipc_stream_read(e->stream, buf, cap, &got, e->timeout_ms);
    return rc == 0 ? (long)got : -1;
}

static int
endpoint_write(struct endpoint *e, const void *buf, size_t len)
{
    size_t put = 0;
    if (e->raw != NULL)
        return bench_raw_write(e->raw, buf, len);
    if (e->msg != NULL)
        return xipc_msgpipe_send(e->msg, buf, len, e->timeout_ms) == 0 ? 0 : -1;
    if (e->dgram != NULL)
        return xipc_dgram_send(e->dgram, buf, len, e->timeout_ms) == 0 ? 0 : -1;
    return xipc_stream_write(e->stream, buf, len, &put, e->timeout_ms) == 0 ? 0 : -1;
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

/* Closes the raw endpoint on a stream; the stream is its channel's to close. */
static void
endpoint_close_raw(struct endpoint *e)
{
    if (e->raw != NULL)
        bench_raw_close(e->raw);
    e->raw = NULL;
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

/* Reads total bytes of records, then answers with {bytes, bad spans}. one_per_read: each read
 * asks for one record's size only (a record split by the stream takes more than one). window:
 * the same answer after every window records but the last, which the writer waits for. */
static int
peer_sink(struct endpoint *in, struct endpoint *out, size_t size, uint64_t total, int one_per_read,
    int window)
{
    static unsigned char buf[STREAM_RECORD], ref[STREAM_RECORD];
    uint64_t report[2] = { 0, 0 };
    record_pattern(ref, size);
    /* Up to the announced total, so that no end of stream is needed (a named-pipe connection
     * has no half-close on Windows) and the report goes back on the same connection. */
    while (report[0] < total) {
        /* One record, or the rest of one that the stream split; or all there is. */
        size_t want = one_per_read ? size - (size_t)(report[0] % size) : sizeof buf;
        if (total - report[0] < want)
            want = (size_t)(total - report[0]);
        long got = endpoint_read(in, buf, want);
        if (got < 0)
            return 3;
        if (got == 0)
            break;
        report[1] += check_span(buf, (size_t)got, report[0], size, ref);
        report[0] += (uint64_t)got;
        if (window > 0 && report[0] < total && report[0] % ((uint64_t)window * size) == 0 &&
            endpoint_write(out, report, sizeof report) != 0)
            return 4;
    }
    return endpoint_write(out, report, sizeof report) == 0 ? 0 : 4;
}

static void
peer_close(struct endpoint *in, struct endpoint *out)
{
    endpoint_close_raw(in);
    endpoint_close_raw(out);
    if (out->stream != in->stream) /* one connection: close it once */
        xipc_stream_close(out->stream);
    xipc_stream_close(in->stream);
    xipc_msgpipe_close(in->msg);
    xipc_dgram_close(in->dgram);
}

int
bench_stream_peer(const struct bench_channel_ops *const ops[IMPL_COUNT], int argc, char **argv)
{
    struct endpoint in[IMPL_COUNT], out[IMPL_COUNT];
    int rc = 0;
    if (argc != 10)
        return 2;
    if (bench_sigpipe_policy(getenv(BENCH_GUARD_ENV) != NULL) != 0)
        return 2;
    int rtt = strcmp(argv[1], "rtt") == 0, one_per_read = strncmp(argv[1], "each", 4) == 0;
    int limit_ms = strcmp(argv[1], "each-limit") == 0 ? PEER_TIMEOUT_MS : XIPC_FOREVER;
    int window = strncmp(argv[1], "each-w", 6) == 0 ? atoi(argv[1] + 6) : 0;
    long per_block = atol(argv[2]);
    size_t size = (size_t)atol(argv[3]);
    enum impl first = strcmp(argv[4], "raw") == 0 ? IMPL_RAW : IMPL_XIPC;
    /* Raw's channel first, as the measuring side opens them. */
    for (int i = 0; i < IMPL_COUNT; i++) {
        struct bench_channel ch;
        memset(&ch, 0, sizeof ch);
        if (ops[i]->peer_open(argv[5 + 2 * i], argv[6 + 2 * i], &ch) != 0 ||
            endpoint_open(&in[i], &ch, ch.to, (enum impl)i, limit_ms) != 0 ||
            endpoint_open(&out[i], &ch, ch.from, (enum impl)i, limit_ms) != 0)
            return 2; /* the process ends: what it opened goes with it */
    }
    if (atoi(argv[9]) >= 0)
        (void)bench_os_pin(atoi(argv[9]));
    for (int b = rtt ? -2 : 0; b < 2 * BLOCKS && rc == 0; b++) {
        enum impl impl = bench_turn(first, b < 0 ? b + 2 : b);
        if (rtt)
            rc = peer_echo(&in[impl], &out[impl], b < 0 ? warm_rounds(per_block) : per_block, size);
        else
            rc = peer_sink(
                &in[impl], &out[impl], size, (uint64_t)per_block * size, one_per_read, window);
    }
    for (int i = 0; i < IMPL_COUNT; i++)
        peer_close(&in[i], &out[i]);
    return rc;
}

/* ---- The measuring side --------------------------------------------------------------------- */

/* A running peer, the channel of each impl and this side's endpoints on them. */
struct peer {
    const struct bench_channel_ops *ops[IMPL_COUNT];
    struct bench_channel ch[IMPL_COUNT];
    struct endpoint to[IMPL_COUNT], from[IMPL_COUNT];
    xipc_proc *proc;
};

/* Closes this side's ends of every channel (the peer then sees the end of its streams) and what
 * the families hold. */
static void
peer_close_channels(struct peer *pr)
{
    for (int i = 0; i < IMPL_COUNT; i++) {
        struct bench_channel *ch = &pr->ch[i];
        endpoint_close_raw(&pr->to[i]);
        endpoint_close_raw(&pr->from[i]);
        xipc_stream_close(ch->to);
        if (ch->from != ch->to)
            xipc_stream_close(ch->from);
        xipc_msgpipe_close(ch->msg);
        xipc_dgram_close(ch->dgram);
        ch->to = ch->from = NULL;
        ch->msg = NULL;
        ch->dgram = NULL;
        if (pr->ops[i] != NULL)
            pr->ops[i]->release(ch);
    }
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

/* Makes the channel of each impl and what the peer needs to find its ends; pass collects the
 * handles it inherits. */
static int
prepare_channels(struct peer *pr, xipc_handle **pass, size_t *n_pass)
{
    static unsigned serial;
    unsigned long long me = (unsigned long long)xipc_self_pid();
    for (int i = 0; i < IMPL_COUNT; i++) {
        char tag[64];
        snprintf(tag, sizeof tag, "xipc-bench-%llu-%u-%s", me, serial, bench_impl_names[i]);
        if (pr->ops[i]->prepare(&pr->ch[i], tag, pass, n_pass) != 0)
            return -1;
    }
    serial++;
    return 0;
}

/* Starts the peer of one run (see "A run's schedule") with its two channels. */
static int
peer_start(struct peer *pr, const struct bench_channel_ops *const ops[IMPL_COUNT],
    const struct bench_case *c, long per_block)
{
    char n[24], sz[24], windowed[24];
    xipc_handle *pass[BENCH_CHANNEL_PASS_MAX * IMPL_COUNT];
    size_t n_pass = 0;
    memset(pr, 0, sizeof *pr);
    for (int i = 0; i < IMPL_COUNT; i++)
        pr->ops[i] = ops[i];
    if (prepare_channels(pr, pass, &n_pass) != 0)
        return abandon_peer(pr);
    snprintf(n, sizeof n, "%ld", per_block);
    snprintf(sz, sizeof sz, "%zu", c->work->size);
    snprintf(windowed, sizeof windowed, "each-w%d", c->work->window);
    const char *kind = c->work->round_trips ? "rtt"
        : c->work->window > 0               ? windowed
        : c->work->time_limit               ? "each-limit"
        : c->work->one_per_read             ? "each"
                                            : "sink";
    int limit_ms = c->work->time_limit ? PEER_TIMEOUT_MS : XIPC_FOREVER;
    const char *args[] = { kind, n, sz, bench_impl_names[c->first], pr->ch[IMPL_RAW].in_text,
        pr->ch[IMPL_RAW].out_text, pr->ch[IMPL_XIPC].in_text, pr->ch[IMPL_XIPC].out_text, NULL };
    if (bench_spawn_peer(c, args, pass, n_pass, &pr->proc) != 0)
        return abandon_peer(pr);
    for (int i = 0; i < IMPL_COUNT; i++) {
        struct bench_channel *ch = &pr->ch[i];
        if (pr->ops[i]->connect(ch) != 0 ||
            endpoint_open(&pr->to[i], ch, ch->to, (enum impl)i, limit_ms) != 0 ||
            endpoint_open(&pr->from[i], ch, ch->from, (enum impl)i, limit_ms) != 0)
            return abandon_peer(pr);
    }
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
        enum impl impl = bench_turn(first, b < 0 ? b + 2 : b);
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
 * it has them all, unchanged; the time in *secs. With a window, waits for the peer's word after
 * every window records but the last. */
static int
send_block(struct peer *pr, enum impl impl, long count, const struct bench_workload *w,
    double *secs, struct sample *s)
{
    size_t size = w->size;
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
        if (w->window > 0 && (i + 1) % w->window == 0 && i + 1 < count &&
            endpoint_read_exact(&pr->from[impl], report, sizeof report) != 0) {
            snprintf(s->error, sizeof s->error, "no word from the peer at record %ld", i);
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
measure_oneway(struct peer *pr, long per_block, const struct bench_workload *w, enum impl first,
    struct sample s[IMPL_COUNT])
{
    double secs[IMPL_COUNT] = { 0, 0 };
    for (int b = 0; b < 2 * BLOCKS; b++) {
        enum impl impl = bench_turn(first, b);
        double t = 0;
        if (send_block(pr, impl, per_block, w, &t, &s[impl]) != 0)
            return;
        secs[impl] += t;
    }
    for (int i = 0; i < IMPL_COUNT; i++)
        s[i].per_s = (double)(per_block * BLOCKS) / secs[i];
}

void
bench_stream_measure(const struct bench_channel_ops *const ops[IMPL_COUNT],
    const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    struct peer pr;
    long count = bench_count(c->work, c->opts);
    long per_block = count / BLOCKS > 0 ? count / BLOCKS : 1;
    memset(s, 0, IMPL_COUNT * sizeof *s);
    bench_progress(c, NULL);
    if (peer_start(&pr, ops, c, per_block) != 0) {
        for (int i = 0; i < IMPL_COUNT; i++)
            snprintf(s[i].error, sizeof s[i].error, "could not start the peer");
        return;
    }
    if (c->work->round_trips)
        measure_rtt(&pr, per_block, c->work->size, c->first, s);
    else
        measure_oneway(&pr, per_block, c->work, c->first, s);
    peer_finish(&pr, s);
}
