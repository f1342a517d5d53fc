/* tools/bench_sock.c: the `xipc bench` mechanisms tcp and duplex: the stream workloads
 * (bench_stream.c) on one loopback TCP connection, both ways, and on one duplex pipe
 * (xipc_duplex), both ways. The raw side makes the plainest calls on the same kind of socket or
 * pipe (tools/{posix,win32}/bench_os.c). */
#include "bench_stream.h"

#include <stdio.h>
#include <stdlib.h>

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
