/* tools/bench_fifo.c: the `xipc bench` mechanism fifo: the stream workloads (bench_stream.c) on
 * two FIFOs made here, one each way. Windows has no FIFOs: there the raw channel is a pipe pair
 * (bench_pipe.c), the object xipc builds its FIFOs on (bench_os.h, bench_os_has_fifo). */
#include "bench_stream.h"

#include <stdio.h>

/* Both sides open each FIFO with XIPC_CREATE | XIPC_OPEN: whichever comes first makes it and
 * waits for the other, and its close removes it. */
#define FIFO_EITHER (XIPC_CREATE | XIPC_OPEN)

/* The FIFOs' paths are the texts: IN the one this side writes to, OUT the one it reads. */
static int
fifo_prepare(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass)
{
    const char *dir = bench_os_temp_dir();
    (void)pass; /* the peer opens the FIFOs by path */
    (void)n_pass;
    snprintf(ch->in_text, sizeof ch->in_text, "%s/%s.to", dir, tag);
    snprintf(ch->out_text, sizeof ch->out_text, "%s/%s.from", dir, tag);
    return 0;
}

static void
fifo_release(struct bench_channel *ch)
{
    if (ch->in_text[0] == '\0')
        return; /* never prepared */
    (void)xipc_fifo_unlink(ch->in_text); /* made by a peer that died before closing */
    (void)xipc_fifo_unlink(ch->out_text);
}

static int
fifo_connect(struct bench_channel *ch)
{
    if (xipc_fifo_open(ch->in_text, FIFO_EITHER | XIPC_FIFO_WRITE, &ch->to, PEER_TIMEOUT_MS) != 0 ||
        xipc_fifo_open(ch->out_text, FIFO_EITHER | XIPC_FIFO_READ, &ch->from, PEER_TIMEOUT_MS) !=
            0)
        return -1;
    return 0;
}

static int
fifo_peer_open(const char *in_text, const char *out_text, struct bench_channel *ch)
{
    if (xipc_fifo_open(in_text, FIFO_EITHER | XIPC_FIFO_READ, &ch->to, PEER_TIMEOUT_MS) != 0)
        return -1;
    return xipc_fifo_open(out_text, FIFO_EITHER | XIPC_FIFO_WRITE, &ch->from, PEER_TIMEOUT_MS) == 0
        ? 0
        : -1;
}

static const struct bench_channel_ops fifo_channel = {
    fifo_prepare,
    fifo_connect,
    fifo_release,
    fifo_peer_open,
};

/* The channel of each impl: FIFOs, but for raw where the OS has none. */
static void
fifo_channels(const struct bench_channel_ops *ops[IMPL_COUNT])
{
    ops[IMPL_RAW] = bench_os_has_fifo() ? &fifo_channel : &bench_pipe_channel;
    ops[IMPL_XIPC] = &fifo_channel;
}

void
bench_fifo_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    const struct bench_channel_ops *ops[IMPL_COUNT];
    fifo_channels(ops);
    bench_stream_measure(ops, c, s);
}

int
bench_fifo_peer(int argc, char **argv)
{
    const struct bench_channel_ops *ops[IMPL_COUNT];
    fifo_channels(ops);
    return bench_stream_peer(ops, argc, argv);
}
