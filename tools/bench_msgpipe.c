/* tools/bench_msgpipe.c: the `xipc bench` mechanism msgpipe: the message workloads
 * (bench_stream.c) on one message-mode named-pipe connection, both ways. Each channel has a
 * server of its own here; the peer connects to it, and the server closes once it has accepted.
 * The raw side sends and receives on the same connection's native handle (an AF_UNIX seqpacket
 * socket, a message-mode pipe), one message per call. */
#include "bench_stream.h"

#include <stdio.h>

static int
msgpipe_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    xipc_npipe *srv = NULL;
    (void)pass; /* the peer finds the server by name */
    (void)n_pass;
    snprintf(ch->in_text, sizeof ch->in_text, "%s", tag);
    snprintf(ch->out_text, sizeof ch->out_text, "-");
    if (xipc_npipe_listen(tag, XIPC_NPIPE_MESSAGE, &srv) != 0)
        return -1;
    ch->held = srv;
    return 0;
}

static void
msgpipe_release(struct bench_channel *ch)
{
    xipc_npipe_close(ch->held);
    ch->held = NULL;
}

static int
msgpipe_connect(struct bench_channel *ch)
{
    int rc = xipc_msgpipe_accept(ch->held, &ch->msg, PEER_TIMEOUT_MS);
    msgpipe_release(ch); /* the one connection it was for is made */
    return rc == 0 ? 0 : -1;
}

static int
msgpipe_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    (void)out_text;
    return xipc_msgpipe_connect(in_text, 0, &ch->msg, PEER_TIMEOUT_MS) == 0 ? 0 : -1;
}

static const struct bench_channel_ops msgpipe_channel = {
    msgpipe_prepare,
    msgpipe_connect,
    msgpipe_release,
    msgpipe_peer_open,
};

static const struct bench_channel_ops *const channels[IMPL_COUNT] = {
    [IMPL_RAW] = &msgpipe_channel,
    [IMPL_XIPC] = &msgpipe_channel,
};

void
bench_msgpipe_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    bench_stream_measure(channels, c, s);
}

int
bench_msgpipe_peer(int argc, char **argv)
{
    return bench_stream_peer(channels, argc, argv);
}
