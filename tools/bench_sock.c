/* tools/bench_sock.c: the `xipc bench` socket mechanisms: the stream workloads (bench_stream.c)
 * on one loopback TCP connection, one AF_UNIX stream connection and one duplex pipe
 * (xipc_duplex), each both ways; the datagram workloads on one connected UDP endpoint pair and
 * one connected AF_UNIX datagram pair. The raw side makes the plainest calls on the same socket
 * or pipe (tools/{posix,win32}/bench_os.c). And handle passing (pass): a pipe end handed to a
 * running peer over a named-pipe connection, which closes it and answers one byte, through
 * xipc_handle_send / xipc_stream_receive against raw SCM_RIGHTS or DuplicateHandle. Where the OS
 * has no AF_UNIX sockets of a kind (Wine 8 none, Windows no datagrams), their rows are skipped with
 * the reason. */
#include "bench_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- TCP: a listener of its own per channel, closed once the peer's connection came -------- */

static int
tcp_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    xipc_listener *l = NULL;
    int port = 0;
    (void)tag;
    (void)pass; /* the peer connects by port */
    (void)n_pass;
    if (xipc_tcp_listen(NULL, 0, 0, &l) != 0)
        return -1;
    ch->held = l;
    if (xipc_listener_port(l, &port) != 0)
        return -1;
    snprintf(ch->in_text, sizeof ch->in_text, "%d", port);
    snprintf(ch->out_text, sizeof ch->out_text, "-");
    return 0;
}

static void
tcp_release(struct bench_channel *ch)
{
    xipc_listener_close(ch->held);
    ch->held = NULL;
}

static int
tcp_connect(struct bench_channel *ch)
{
    int rc = xipc_listener_accept(ch->held, &ch->to, PEER_TIMEOUT_MS);
    ch->from = ch->to;
    tcp_release(ch);
    return rc == 0 ? 0 : -1;
}

static int
tcp_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    (void)out_text;
    if (xipc_tcp_connect(NULL, atoi(in_text), 0, &ch->to, PEER_TIMEOUT_MS) != 0)
        return -1;
    ch->from = ch->to;
    return 0;
}

static const struct bench_channel_ops tcp_channel = {
    tcp_prepare,
    tcp_connect,
    tcp_release,
    tcp_peer_open,
};

static const struct bench_channel_ops *const tcp_channels[IMPL_COUNT] = {
    [IMPL_RAW] = &tcp_channel,
    [IMPL_XIPC] = &tcp_channel,
};

void
bench_tcp_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    bench_stream_measure(tcp_channels, c, s);
}

int
bench_tcp_peer(int argc, char **argv)
{
    return bench_stream_peer(tcp_channels, argc, argv);
}

/* ---- Duplex: this side keeps one end, the peer inherits the other ------------------------- */

struct duplex_ends {
    xipc_stream *mine, *theirs;
};

static int
duplex_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    struct duplex_ends *ends = calloc(1, sizeof *ends);
    (void)tag; /* anonymous */
    if ((ch->held = ends) == NULL)
        return -1;
    if (xipc_duplex(0, &ends->mine, &ends->theirs) != 0 ||
        xipc_handle_export(xipc_stream_handle(ends->theirs), ch->in_text, sizeof ch->in_text) != 0)
        return -1;
    snprintf(ch->out_text, sizeof ch->out_text, "-");
    pass[(*n_pass)++] = xipc_stream_handle(ends->theirs);
    return 0;
}

static void
duplex_release(struct bench_channel *ch)
{
    struct duplex_ends *ends = ch->held;
    if (ends != NULL) {
        xipc_stream_close(ends->theirs);
        if (ch->to != ends->mine)
            xipc_stream_close(ends->mine); /* connect never took it */
        free(ends);
    }
    ch->held = NULL;
}

static int
duplex_connect(struct bench_channel *ch)
{
    struct duplex_ends *ends = ch->held;
    ch->to = ch->from = ends->mine;
    duplex_release(ch); /* the peer has its copy of the other end */
    return 0;
}

static int
duplex_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    (void)out_text;
    if (xipc_stream_import(in_text, &ch->to) != 0)
        return -1;
    ch->from = ch->to;
    return 0;
}

static const struct bench_channel_ops duplex_channel = {
    duplex_prepare,
    duplex_connect,
    duplex_release,
    duplex_peer_open,
};

static const struct bench_channel_ops *const duplex_channels[IMPL_COUNT] = {
    [IMPL_RAW] = &duplex_channel,
    [IMPL_XIPC] = &duplex_channel,
};

void
bench_duplex_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    bench_stream_measure(duplex_channels, c, s);
}

int
bench_duplex_peer(int argc, char **argv)
{
    return bench_stream_peer(duplex_channels, argc, argv);
}

/* ---- AF_UNIX: socket files in the scratch directory, named from the channel's tag ----------- */

/* The socket path of tag, with suffix (the peer's own datagram end). 0, or -1 if too long. */
static int
unix_path(char *buf, size_t cap, const char *tag, const char *suffix)
{
    int n = snprintf(buf, cap, "%s/%s%s", bench_os_temp_dir(), tag, suffix);
    return n > 0 && (size_t)n < cap && n < 100 ? 0 : -1;
}

/* Whether this OS has AF_UNIX sockets of the kind (dgram: datagrams, else streams); if not,
 * every figure of the case gets the reason, which the table prints as a skip. */
static int
unix_available(int dgram, struct sample s[IMPL_COUNT])
{
    char path[200];
    xipc_listener *l = NULL;
    xipc_dgram *d = NULL;
    char tag[64];
    snprintf(tag, sizeof tag, "xipc-bench-probe-%llu", (unsigned long long)xipc_self_pid());
    if (unix_path(path, sizeof path, tag, "") != 0)
        return 0;
    int rc = dgram ? xipc_unix_dgram_open(path, 0, &d) : xipc_unix_listen(path, 0, &l);
    xipc_dgram_close(d);
    xipc_listener_close(l);
    if (rc == 0)
        return 1;
    for (int i = 0; i < IMPL_COUNT; i++)
        snprintf(s[i].error, sizeof s[i].error, "skip: no AF_UNIX %s sockets here (%s)",
            dgram ? "datagram" : "stream", xipc_errname(rc));
    return 0;
}

static int
unix_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    xipc_listener *l = NULL;
    (void)pass; /* the peer connects by path */
    (void)n_pass;
    if (unix_path(ch->in_text, sizeof ch->in_text, tag, "") != 0 ||
        xipc_unix_listen(ch->in_text, 0, &l) != 0)
        return -1;
    ch->held = l;
    snprintf(ch->out_text, sizeof ch->out_text, "-");
    return 0;
}

static int
unix_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    (void)out_text;
    if (xipc_unix_connect(in_text, &ch->to, PEER_TIMEOUT_MS) != 0)
        return -1;
    ch->from = ch->to;
    return 0;
}

/* A listener's channel, as TCP's: accepted, then the listener closes (removing its file). */
static const struct bench_channel_ops unix_channel = {
    unix_prepare,
    tcp_connect,
    tcp_release,
    unix_peer_open,
};

static const struct bench_channel_ops *const unix_channels[IMPL_COUNT] = {
    [IMPL_RAW] = &unix_channel,
    [IMPL_XIPC] = &unix_channel,
};

void
bench_unix_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    memset(s, 0, IMPL_COUNT * sizeof *s);
    if (unix_available(0, s))
        bench_stream_measure(unix_channels, c, s);
}

int
bench_unix_peer(int argc, char **argv)
{
    return bench_stream_peer(unix_channels, argc, argv);
}

/* ---- Datagrams: this side's endpoint waits for the peer's first datagram, then connects ----- */

static void
dgram_release(struct bench_channel *ch)
{
    xipc_dgram_close(ch->held);
    ch->held = NULL;
}

/* Takes the peer's hello, whose sender is the peer's endpoint, and connects to it. */
static int
dgram_connect(struct bench_channel *ch)
{
    xipc_sockaddr from;
    char hello[8];
    size_t len = 0;
    if (xipc_dgram_recv_from(ch->held, hello, sizeof hello, &len, &from, PEER_TIMEOUT_MS) != 0 ||
        xipc_dgram_connect(ch->held, &from) != 0)
        return -1;
    ch->dgram = ch->held;
    ch->held = NULL;
    return 0;
}

/* In the peer: connects d to the measuring side's endpoint at to and says hello. */
static int
dgram_hello(xipc_dgram *d, const xipc_sockaddr *to, struct bench_channel *ch)
{
    ch->dgram = d;
    if (xipc_dgram_connect(d, to) != 0 || xipc_dgram_send(d, "h", 1, PEER_TIMEOUT_MS) != 0)
        return -1;
    return 0;
}

static int
udp_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    xipc_dgram *d = NULL;
    xipc_sockaddr a;
    int port = 0;
    (void)tag;
    (void)pass; /* the peer sends to the port */
    (void)n_pass;
    if (xipc_udp_open(NULL, 0, 0, &d) != 0)
        return -1;
    ch->held = d;
    if (xipc_dgram_addr(d, &a) != 0 || xipc_sockaddr_port(&a, &port) != 0)
        return -1;
    snprintf(ch->in_text, sizeof ch->in_text, "%d", port);
    snprintf(ch->out_text, sizeof ch->out_text, "-");
    return 0;
}

static int
udp_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    xipc_dgram *d = NULL;
    xipc_sockaddr to;
    (void)out_text;
    if (xipc_sockaddr_resolve(NULL, atoi(in_text), 0, &to) != 0 ||
        xipc_udp_open(NULL, 0, 0, &d) != 0)
        return -1;
    return dgram_hello(d, &to, ch);
}

static const struct bench_channel_ops udp_channel = {
    udp_prepare,
    dgram_connect,
    dgram_release,
    udp_peer_open,
};

static const struct bench_channel_ops *const udp_channels[IMPL_COUNT] = {
    [IMPL_RAW] = &udp_channel,
    [IMPL_XIPC] = &udp_channel,
};

void
bench_udp_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    bench_stream_measure(udp_channels, c, s);
}

int
bench_udp_peer(int argc, char **argv)
{
    return bench_stream_peer(udp_channels, argc, argv);
}

static int
unix_dgram_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    xipc_dgram *d = NULL;
    (void)pass; /* the peer sends to the path */
    (void)n_pass;
    if (unix_path(ch->in_text, sizeof ch->in_text, tag, "") != 0 ||
        xipc_unix_dgram_open(ch->in_text, 0, &d) != 0)
        return -1;
    ch->held = d;
    snprintf(ch->out_text, sizeof ch->out_text, "-");
    return 0;
}

/* The peer's endpoint is bound beside the measuring side's, with ".p" added: a datagram's
 * sender needs a path for the answer to come back. */
static int
unix_dgram_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    char mine[200];
    xipc_dgram *d = NULL;
    xipc_sockaddr to;
    (void)out_text;
    if (snprintf(mine, sizeof mine, "%s.p", in_text) >= (int)sizeof mine ||
        xipc_sockaddr_unix(in_text, &to) != 0 || xipc_unix_dgram_open(mine, 0, &d) != 0)
        return -1;
    return dgram_hello(d, &to, ch);
}

static const struct bench_channel_ops unix_dgram_channel = {
    unix_dgram_prepare,
    dgram_connect,
    dgram_release,
    unix_dgram_peer_open,
};

static const struct bench_channel_ops *const unix_dgram_channels[IMPL_COUNT] = {
    [IMPL_RAW] = &unix_dgram_channel,
    [IMPL_XIPC] = &unix_dgram_channel,
};

void
bench_unixdgram_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    memset(s, 0, IMPL_COUNT * sizeof *s);
    if (unix_available(1, s))
        bench_stream_measure(unix_dgram_channels, c, s);
}

int
bench_unixdgram_peer(int argc, char **argv)
{
    return bench_stream_peer(unix_dgram_channels, argc, argv);
}

/* ---- Handle passing: one pipe end handed over and over -------------------------------------- */

const struct bench_workload bench_pass_workloads[] = {
    {
        .name = "rtt, 1 handle",
        .round_trips = 1,
        .size = 1,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    { .name = NULL },
};

/* NAME IMPL PIPE ROUNDS CPU: connects to the byte-mode named pipe PIPE, then ROUNDS times takes
 * a handle, closes it, and answers one byte. */
int
bench_pass_peer(int argc, char **argv)
{
    xipc_stream *conn = NULL;
    struct bench_raw *raw = NULL;
    intptr_t native = 0;
    if (argc != 5)
        return 2;
    int is_raw = strcmp(argv[1], "raw") == 0;
    long rounds = atol(argv[3]);
    if (atoi(argv[4]) >= 0)
        (void)bench_os_pin(atoi(argv[4]));
    if (xipc_npipe_connect(argv[2], 0, &conn, PEER_TIMEOUT_MS) != 0)
        return 2;
    if (is_raw &&
        (xipc_handle_native(xipc_stream_handle(conn), &native) != 0 ||
            (raw = bench_raw_open(native)) == NULL))
        return 2;
    for (long i = 0; i < rounds; i++) {
        xipc_stream *got = NULL;
        size_t put = 0;
        if (is_raw) {
            intptr_t h = bench_raw_pass_recv(raw);
            if (h == -1)
                return 3;
            bench_raw_pass_close(h);
            if (bench_raw_write(raw, "k", 1) != 0)
                return 3;
            continue;
        }
        if (xipc_stream_receive(xipc_stream_handle(conn), &got, PEER_TIMEOUT_MS) != 0)
            return 3;
        xipc_stream_close(got);
        if (xipc_stream_write(conn, "k", 1, &put, PEER_TIMEOUT_MS) != 0)
            return 3;
    }
    if (raw != NULL)
        bench_raw_close(raw);
    xipc_stream_close(conn);
    return 0;
}

/* One round trip: rd handed over, the byte back. */
static int
pass_round(xipc_stream *conn, struct bench_raw *raw, xipc_stream *rd, uint64_t peer_pid)
{
    char back = 0;
    size_t got = 0;
    if (raw != NULL) {
        intptr_t native = 0;
        return xipc_handle_native(xipc_stream_handle(rd), &native) == 0 &&
                bench_raw_pass_send(raw, native, peer_pid) == 0 &&
                bench_raw_read(raw, &back, 1) == 1 && back == 'k'
            ? 0
            : -1;
    }
    return xipc_handle_send(xipc_stream_handle(conn), xipc_stream_handle(rd), PEER_TIMEOUT_MS) ==
                0 &&
            xipc_stream_read(conn, &back, 1, &got, PEER_TIMEOUT_MS) == 0 && got == 1 && back == 'k'
        ? 0
        : -1;
}

/* The peer of one impl, its connection, and the pipe end handed over. */
struct pass_run {
    xipc_npipe *srv;
    xipc_stream *conn, *rd, *wr;
    struct bench_raw *raw;
    xipc_proc *proc;
    uint64_t peer_pid;
};

static int
pass_open(struct pass_run *r, const struct bench_case *c, enum impl impl, long rounds)
{
    char name[64], n[24];
    intptr_t native = 0;
    snprintf(name, sizeof name, "xipc-bench-%llu-pass-%s", (unsigned long long)xipc_self_pid(),
        bench_impl_names[impl]);
    snprintf(n, sizeof n, "%ld", rounds);
    const char *args[] = { bench_impl_names[impl], name, n, NULL };
    if (xipc_pipe(0, &r->rd, &r->wr) != 0 ||
        xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &r->srv) != 0 ||
        bench_spawn_peer(c, args, NULL, 0, &r->proc) != 0 ||
        xipc_npipe_accept(r->srv, &r->conn, PEER_TIMEOUT_MS) != 0 ||
        xipc_proc_pid(r->proc, &r->peer_pid) != 0)
        return -1;
    if (impl == IMPL_RAW &&
        (xipc_handle_native(xipc_stream_handle(r->conn), &native) != 0 ||
            (r->raw = bench_raw_open(native)) == NULL))
        return -1;
    return 0;
}

static void
pass_close(struct pass_run *r, struct sample *s)
{
    if (r->raw != NULL)
        bench_raw_close(r->raw);
    xipc_stream_close(r->conn); /* the peer, if it still waits, sees the end */
    if (r->proc != NULL)
        bench_finish_peer(r->proc, s);
    xipc_npipe_close(r->srv);
    xipc_stream_close(r->rd);
    xipc_stream_close(r->wr);
}

static void
pass_measure_impl(const struct bench_case *c, enum impl impl, struct sample *s)
{
    struct pass_run r;
    long rounds = bench_count(c->work, c->opts), warm = rounds / 10 + 1;
    double *us = malloc((size_t)rounds * sizeof *us);
    memset(&r, 0, sizeof r);
    memset(s, 0, sizeof *s);
    if (us == NULL || pass_open(&r, c, impl, rounds + warm) != 0)
        snprintf(s->error, sizeof s->error, "%s: could not start the peer", bench_impl_names[impl]);
    for (long i = -warm; i < rounds && s->error[0] == '\0'; i++) {
        uint64_t t0 = xipc_now_ns();
        if (pass_round(r.conn, r.raw, r.rd, r.peer_pid) != 0)
            snprintf(s->error, sizeof s->error, "round %ld: lost or failed", i + warm);
        else if (i >= 0)
            us[i] = (double)(xipc_now_ns() - t0) / 1e3;
    }
    if (s->error[0] == '\0')
        bench_rtt_stats(us, rounds, s);
    pass_close(&r, s);
    free(us);
}

void
bench_pass_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    for (int i = 0; i < IMPL_COUNT; i++) {
        enum impl impl = bench_turn(c->first, i);
        bench_progress(c, bench_impl_names[impl]);
        pass_measure_impl(c, impl, &s[impl]);
    }
}
