/* tools/bench_stream.h: how a stream or message family (bench_pipe.c, bench_npipe.c,
 * bench_msgpipe.c, bench_fifo.c) plugs into the workloads of bench_stream.c. The family makes
 * the channels; bench_stream.c spawns the peer, takes the raw and xipc turns on them and checks
 * every record. */
#ifndef XIPC_BENCH_STREAM_H
#define XIPC_BENCH_STREAM_H

#include "bench.h"

#define BENCH_TEXT_MAX         1040
#define BENCH_CHANNEL_PASS_MAX 2 /* handles a channel may pass to the peer */

/* One channel between the measuring side and the peer, carrying records both ways; a run has
 * one for each impl. */
struct bench_channel {
    /* What the peer is told, to open its ends by (its IN and OUT). */
    char in_text[BENCH_TEXT_MAX], out_text[BENCH_TEXT_MAX];
    /* This side's ends once connected (in the peer: its IN and OUT): streams, where one
     * connection both ways is to == from; or one message pipe, or one connected datagram
     * endpoint, both ways, to and from NULL. */
    xipc_stream *to, *from;
    xipc_msgpipe *msg;
    xipc_dgram *dgram;
    /* What the family holds from prepare to connect (the peer's pipe ends, a server). */
    void *held;
};

/* A family's way of making a channel. */
struct bench_channel_ops {
    /* Before the peer starts: makes the channel's objects, named from tag where they have
     * names, fills the texts and appends to pass the handles the peer must inherit (at most
     * BENCH_CHANNEL_PASS_MAX). 0 or -1. */
    int (*prepare)(struct bench_channel *ch, const char *tag, xipc_handle **pass, size_t *n_pass);
    /* Once the peer runs: sets to and from, opened in the order the peer opens its ends. */
    int (*connect)(struct bench_channel *ch);
    /* Releases what the family holds and removes its names, whatever prepare or connect got
     * to (a channel prepare never saw is all zeros); to and from are the caller's to close. */
    void (*release)(struct bench_channel *ch);
    /* In the peer: opens its ends from the texts into ch (to: its IN, from: its OUT). */
    int (*peer_open)(const char *in_text, const char *out_text, struct bench_channel *ch);
};

/* An anonymous pipe each way (bench_pipe.c); also the raw side of Windows FIFOs. */
extern const struct bench_channel_ops bench_pipe_channel;

/* One run of c's workload on the channels of each impl, raw and xipc by turns in one peer
 * (bench_stream.c, "A run's schedule"). */
void bench_stream_measure(const struct bench_channel_ops *const ops[IMPL_COUNT],
    const struct bench_case *c, struct sample s[IMPL_COUNT]);

/* The peer of a mechanism whose channels are ops:
 * NAME WORKLOAD PER_BLOCK SIZE FIRST RAW_IN RAW_OUT XIPC_IN XIPC_OUT CPU. Its exit code. */
int bench_stream_peer(const struct bench_channel_ops *const ops[IMPL_COUNT], int argc, char **argv);

#endif /* XIPC_BENCH_STREAM_H */
