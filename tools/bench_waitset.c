/* tools/bench_waitset.c: the `xipc bench` mechanism waitset: round trips of one byte over a pipe
 * each way, where the measuring side waits for the answer through a wait set then reads it
 * (xipc_waitset_wait, xipc_stream_read), against the plain wait and read a program makes on the
 * same pipe (bench_raw_waiter: Linux epoll_wait then read(2); Windows WaitForMultipleObjects on
 * an overlapped ReadFile's event). Once with the one pipe in the set, once with 1000 idle pipes
 * beside it (on Windows the raw side of that row still waits on the one pipe alone:
 * WaitForMultipleObjects stops at 64 handles). The peer answers with plain xipc reads and
 * writes, the same for both. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_PIPES 1000

const struct bench_workload bench_waitset_workloads[] = {
    {
        .name = "rtt 1B, 1 object",
        .round_trips = 1,
        .size = 1,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "rtt 1B, 1000 idle",
        .round_trips = 1,
        .size = 1,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    { .name = NULL },
};

static size_t
idle_count(const struct bench_workload *w)
{
    return w == &bench_waitset_workloads[1] ? IDLE_PIPES : 0;
}

/* NAME IN OUT ROUNDS CPU: echoes ROUNDS bytes from IN to OUT. */
int
bench_waitset_peer(int argc, char **argv)
{
    xipc_stream *in = NULL, *out = NULL;
    if (argc != 5)
        return 2;
    long rounds = atol(argv[3]);
    if (atoi(argv[4]) >= 0)
        (void)bench_os_pin(atoi(argv[4]));
    if (xipc_stream_import(argv[1], &in) != 0 || xipc_stream_import(argv[2], &out) != 0)
        return 2;
    for (long i = 0; i < rounds; i++) {
        char c;
        size_t got = 0, put = 0;
        if (xipc_stream_read(in, &c, 1, &got, PEER_TIMEOUT_MS) != 0 || got != 1 ||
            xipc_stream_write(out, &c, 1, &put, PEER_TIMEOUT_MS) != 0)
            return 3;
    }
    xipc_stream_close(in);
    xipc_stream_close(out);
    return 0;
}

/* What one impl's run holds: the pipes, the idle ones, and the waiter of either kind. */
struct ws_run {
    xipc_stream *to, *from, *idle_r[IDLE_PIPES], *idle_w[IDLE_PIPES];
    size_t idle;
    xipc_waitset *ws;
    struct bench_raw_waiter *raw;
    xipc_proc *proc;
};

static void
run_close(struct ws_run *r)
{
    xipc_waitset_close(r->ws);
    if (r->raw != NULL)
        bench_raw_waiter_close(r->raw);
    xipc_stream_close(r->to);
    xipc_stream_close(r->from);
    for (size_t i = 0; i < r->idle; i++) {
        xipc_stream_close(r->idle_r[i]);
        xipc_stream_close(r->idle_w[i]);
    }
}

/* The waiter of impl over r->from and the idle read ends. */
static int
run_waiter(struct ws_run *r, enum impl impl)
{
    intptr_t native = 0, idle[IDLE_PIPES];
    for (size_t i = 0; i < r->idle; i++) {
        if (xipc_handle_native(xipc_stream_handle(r->idle_r[i]), &idle[i]) != 0)
            return -1;
    }
    if (impl == IMPL_RAW) {
        if (xipc_handle_native(xipc_stream_handle(r->from), &native) != 0)
            return -1;
        return (r->raw = bench_raw_waiter_open(native, idle, r->idle)) != NULL ? 0 : -1;
    }
    if (xipc_waitset_open(&r->ws) != 0)
        return -1;
    for (size_t i = 0; i < r->idle; i++) {
        if (xipc_waitset_add(r->ws, xipc_stream_handle(r->idle_r[i]), XIPC_WAITSET_READ, NULL))
            return -1;
    }
    return xipc_waitset_add(r->ws, xipc_stream_handle(r->from), XIPC_WAITSET_READ, r);
}

/* The pipes, the idle ones, and the peer with its ends. */
static int
run_open(struct ws_run *r, const struct bench_case *c, long rounds)
{
    xipc_stream *peer_in = NULL, *peer_out = NULL;
    char in[XIPC_HANDLE_TEXT_MAX], out[XIPC_HANDLE_TEXT_MAX], n[24];
    int rc = -1;
    if (xipc_pipe(0, &peer_in, &r->to) == 0 && xipc_pipe(0, &r->from, &peer_out) == 0 &&
        xipc_handle_export(xipc_stream_handle(peer_in), in, sizeof in) == 0 &&
        xipc_handle_export(xipc_stream_handle(peer_out), out, sizeof out) == 0) {
        xipc_handle *pass[2] = { xipc_stream_handle(peer_in), xipc_stream_handle(peer_out) };
        snprintf(n, sizeof n, "%ld", rounds);
        const char *args[] = { in, out, n, NULL };
        rc = bench_spawn_peer(c, args, pass, 2, &r->proc);
    }
    xipc_stream_close(peer_in);
    xipc_stream_close(peer_out);
    size_t want = idle_count(c->work);
    if (want > 0 && bench_os_raise_fd_limit(2 * IDLE_PIPES + 64) != 0)
        rc = -1;
    for (; rc == 0 && r->idle < want; r->idle++) {
        if (xipc_pipe(0, &r->idle_r[r->idle], &r->idle_w[r->idle]) != 0)
            rc = -1;
    }
    return rc;
}

/* Waits for the answer and reads it: 1 byte, or -1. */
static long
wait_and_read(struct ws_run *r, char *c)
{
    xipc_waitset_entry e;
    size_t n = 0, got = 0;
    if (r->raw != NULL)
        return bench_raw_waiter_read(r->raw, c, 1);
    if (xipc_waitset_wait(r->ws, &e, 1, &n, PEER_TIMEOUT_MS) != 0 || n != 1 || e.user != r)
        return -1;
    return xipc_stream_read(r->from, c, 1, &got, 0) == 0 ? (long)got : -1;
}

static void
measure_impl(const struct bench_case *c, enum impl impl, struct sample *s)
{
    static struct ws_run r; /* 2000 stream pointers: not on the stack */
    long rounds = bench_count(c->work, c->opts), warm = rounds / 10 + 1;
    double *us = malloc((size_t)rounds * sizeof *us);
    memset(&r, 0, sizeof r);
    memset(s, 0, sizeof *s);
    if (us == NULL || run_open(&r, c, rounds + warm) != 0 || run_waiter(&r, impl) != 0) {
        snprintf(s->error, sizeof s->error, "%s: no waiter with %zu idle pipes here",
            bench_impl_names[impl], idle_count(c->work));
    }
    for (long i = -warm; i < rounds && s->error[0] == '\0'; i++) {
        char b = (char)i, back = 0;
        size_t put = 0;
        uint64_t t0 = xipc_now_ns();
        if (xipc_stream_write(r.to, &b, 1, &put, PEER_TIMEOUT_MS) != 0 ||
            wait_and_read(&r, &back) != 1 || back != b)
            snprintf(s->error, sizeof s->error, "round %ld: lost or failed", i + warm);
        else if (i >= 0)
            us[i] = (double)(xipc_now_ns() - t0) / 1e3;
    }
    if (s->error[0] == '\0')
        bench_rtt_stats(us, rounds, s);
    xipc_stream_close(r.to); /* the peer, if it still waits, sees the end */
    r.to = NULL;
    if (r.proc != NULL)
        bench_finish_peer(r.proc, s);
    run_close(&r);
    free(us);
}

void
bench_waitset_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    for (int i = 0; i < IMPL_COUNT; i++) {
        enum impl impl = bench_turn(c->first, i);
        bench_progress(c, bench_impl_names[impl]);
        measure_impl(c, impl, &s[impl]);
    }
}
