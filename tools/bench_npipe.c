/* tools/bench_npipe.c: the `xipc bench` mechanism npipe: the stream workloads (bench_stream.c)
 * on one byte-mode named-pipe connection, both ways. Each channel has a server of its own here;
 * the peer connects to it, and the server closes once it has accepted. */
#include "bench_stream.h"

#include <stdio.h>

static int
npipe_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    xipc_npipe *srv = NULL;
    (void)pass; /* the peer finds the server by name */
    (void)n_pass;
    snprintf(ch->in_text, sizeof ch->in_text, "%s", tag);
    snprintf(ch->out_text, sizeof ch->out_text, "-");
    if (xipc_npipe_listen(tag, XIPC_NPIPE_BYTE, &srv) != 0)
        return -1;
    ch->held = srv;
    return 0;
}

static void
npipe_release(struct bench_channel *ch)
{
    xipc_npipe_close(ch->held);
    ch->held = NULL;
}

static int
npipe_connect(struct bench_channel *ch)
{
    int rc = xipc_npipe_accept(ch->held, &ch->to, PEER_TIMEOUT_MS);
    ch->from = ch->to;
    npipe_release(ch); /* the one connection it was for is made */
    return rc == 0 ? 0 : -1;
}

static int
npipe_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    (void)out_text;
    if (xipc_npipe_connect(in_text, 0, &ch->to, PEER_TIMEOUT_MS) != 0)
        return -1;
    ch->from = ch->to;
    return 0;
}

static const struct bench_channel_ops npipe_channel = {
    npipe_prepare,
    npipe_connect,
    npipe_release,
    npipe_peer_open,
};

static const struct bench_channel_ops *const channels[IMPL_COUNT] = {
    [IMPL_RAW] = &npipe_channel,
    [IMPL_XIPC] = &npipe_channel,
};

void
bench_npipe_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    bench_stream_measure(channels, c, s);
}

int
bench_npipe_peer(int argc, char **argv)
{
    return bench_stream_peer(channels, argc, argv);
}
