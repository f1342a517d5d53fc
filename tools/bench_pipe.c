/* tools/bench_pipe.c: the `xipc bench` mechanism pipe: the stream workloads (bench_stream.c) on
 * an anonymous pipe each way, made here, the peer's ends passed to it at spawn. Raw and xipc
 * use the same kind of pipe: on Windows a named-pipe pair, which is what xipc_pipe makes. */
#include "bench_stream.h"

#include <stdlib.h>

/* The peer's ends, held until it has its own copies. */
struct lent_ends {
    xipc_stream *in, *out;
};

static int
pipe_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    struct lent_ends *lent = calloc(1, sizeof *lent);
    (void)tag; /* anonymous */
    if ((ch->held = lent) == NULL)
        return -1;
    if (xipc_pipe(0, &lent->in, &ch->to) != 0 || xipc_pipe(0, &ch->from, &lent->out) != 0 ||
        xipc_handle_export(xipc_stream_handle(lent->in), ch->in_text, sizeof ch->in_text) != 0 ||
        xipc_handle_export(xipc_stream_handle(lent->out), ch->out_text, sizeof ch->out_text) != 0)
        return -1;
    pass[(*n_pass)++] = xipc_stream_handle(lent->in);
    pass[(*n_pass)++] = xipc_stream_handle(lent->out);
    return 0;
}

static void
pipe_release(struct bench_channel *ch)
{
    struct lent_ends *lent = ch->held;
    if (lent != NULL) {
        xipc_stream_close(lent->in);
        xipc_stream_close(lent->out);
        free(lent);
    }
    ch->held = NULL;
}

/* The peer runs with its own copies of its ends: this side's copies go, so that each end of a
 * pipe is open in one process only. */
static int
pipe_connect(struct bench_channel *ch)
{
    pipe_release(ch);
    return 0;
}

static int
pipe_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    return xipc_stream_import(in_text, &ch->to) == 0 && xipc_stream_import(out_text, &ch->from) == 0
        ? 0
        : -1;
}

const struct bench_channel_ops bench_pipe_channel = {
    pipe_prepare,
    pipe_connect,
    pipe_release,
    pipe_peer_open,
};

static const struct bench_channel_ops *const channels[IMPL_COUNT] = {
    [IMPL_RAW] = &bench_pipe_channel,
    [IMPL_XIPC] = &bench_pipe_channel,
};

void
bench_pipe_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    bench_stream_measure(channels, c, s);
}

int
bench_pipe_peer(int argc, char **argv)
{
    return bench_stream_peer(channels, argc, argv);
}
