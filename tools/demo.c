/* tools/demo.c: `xipc demo`. Spawns this program as a child that inherits two pipe ends, runs
 * ping-pong round trips and a one-way stream through them, checks every byte, and prints what it
 * measured. It shows the whole path a portable program takes: pipe, spawn with the ends listed,
 * and the child fetching them by their index in that list. */
#include "tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_MSG     64
#define DEMO_STREAM  (64u << 20)
#define DEMO_CHUNK   65536
#define DEMO_TIMEOUT 30000

static unsigned char
pattern(uint64_t i)
{
    return (unsigned char)(i * 131u + (i >> 10));
}

static int
fail(const char *what, int rc)
{
    char os[256];
    xipc_last_os_error_describe(os, sizeof os);
    fprintf(stderr, "xipc demo: %s: %s (%s)%s%s\n", what, xipc_strerror(rc), xipc_errname(rc),
        os[0] ? "; " : "", os);
    return 1;
}

static int
read_exact(xipc_stream *s, void *buf, size_t n)
{
    for (size_t done = 0, got = 0; done < n; done += got) {
        int rc = xipc_stream_read(s, (char *)buf + done, n - done, &got, DEMO_TIMEOUT);
        if (rc != 0)
            return rc;
        if (got == 0)
            return XIPC_ECLOSED;
    }
    return 0;
}

/* The child: echo each message, then swallow the stream and answer with its checksum. */
int
xipc_tool_demo_child(int argc, char **argv)
{
    xipc_stream *in = NULL, *out = NULL;
    unsigned char buf[DEMO_CHUNK];
    size_t put;
    if (argc != 2 || xipc_stream_inherited(0, &in) != 0 || xipc_stream_inherited(1, &out) != 0)
        return 2;
    long rounds = atol(argv[1]);
    for (long i = 0; i < rounds; i++) {
        if (read_exact(in, buf, DEMO_MSG) != 0 ||
            xipc_stream_write(out, buf, DEMO_MSG, &put, DEMO_TIMEOUT) != 0)
            return 3;
    }
    uint64_t total = 0, bad = 0;
    for (size_t got = 1; got > 0; total += got) {
        if (xipc_stream_read(in, buf, sizeof buf, &got, DEMO_TIMEOUT) != 0)
            return 4;
        for (size_t i = 0; i < got; i++)
            bad += buf[i] != pattern(total + i);
    }
    uint64_t answer[2] = { total, bad };
    return xipc_stream_write(out, answer, sizeof answer, &put, DEMO_TIMEOUT) == 0 ? 0 : 5;
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Spawns `xipc demo-child <rounds>` holding the far ends of both pipes, handles 0 and 1. */
static int
spawn_peer(xipc_stream *to_r, xipc_stream *from_w, long rounds, xipc_proc **child)
{
    char exe[4096], n[24];
    int rc;
    if ((rc = xipc_self_exe(exe, sizeof exe)) != 0)
        return rc;
    snprintf(n, sizeof n, "%ld", rounds);
    const char *argv[] = { exe, "demo-child", n, NULL };
    xipc_handle *handles[] = { xipc_stream_handle(to_r), xipc_stream_handle(from_w) };
    xipc_spawn_opts opts = { 0 };
    opts.file = exe;
    opts.argv = argv;
    opts.handles = handles;
    opts.handle_count = 2;
    opts.flags = XIPC_SPAWN_DIE_WITH_PARENT;
    return xipc_spawn(&opts, child);
}

/* Round trips of one 64-byte message; fills rtt_ns (sorted). */
static int
ping_pong(xipc_stream *to, xipc_stream *from, long rounds, uint64_t *rtt_ns)
{
    unsigned char msg[DEMO_MSG], echo[DEMO_MSG];
    size_t put;
    for (long i = 0; i < rounds; i++) {
        for (size_t k = 0; k < DEMO_MSG; k++)
            msg[k] = pattern((uint64_t)i * DEMO_MSG + k);
        uint64_t t0 = xipc_now_ns();
        int rc = xipc_stream_write(to, msg, DEMO_MSG, &put, DEMO_TIMEOUT);
        if (rc != 0 || (rc = read_exact(from, echo, DEMO_MSG)) != 0)
            return fail("round trip", rc);
        rtt_ns[i] = xipc_now_ns() - t0;
        if (memcmp(msg, echo, DEMO_MSG) != 0) {
            fprintf(stderr, "xipc demo: round trip %ld came back different\n", i);
            return 1;
        }
    }
    qsort(rtt_ns, (size_t)rounds, sizeof *rtt_ns, compare_u64);
    return 0;
}

/* Streams DEMO_STREAM bytes and reads back the child's count and checksum. */
static int
stream_through(xipc_stream *to, xipc_stream *from, double *mb_per_s)
{
    static unsigned char chunk[DEMO_CHUNK];
    uint64_t answer[2];
    size_t put;
    uint64_t t0 = xipc_now_ns();
    for (uint64_t sent = 0; sent < DEMO_STREAM; sent += DEMO_CHUNK) {
        for (size_t k = 0; k < DEMO_CHUNK; k++)
            chunk[k] = pattern(sent + k);
        int rc = xipc_stream_write(to, chunk, DEMO_CHUNK, &put, DEMO_TIMEOUT);
        if (rc != 0)
            return fail("stream", rc);
    }
    xipc_stream_close(to);
    int rc = read_exact(from, answer, sizeof answer);
    if (rc != 0)
        return fail("stream answer", rc);
    *mb_per_s = DEMO_STREAM / 1e6 / ((double)(xipc_now_ns() - t0) / 1e9);
    if (answer[0] != DEMO_STREAM || answer[1] != 0) {
        fprintf(stderr, "xipc demo: child got %llu bytes, %llu wrong\n",
            (unsigned long long)answer[0], (unsigned long long)answer[1]);
        return 1;
    }
    return 0;
}

int
xipc_tool_demo(int argc, char **argv)
{
    xipc_stream *to_r = NULL, *to_w = NULL, *from_r = NULL, *from_w = NULL;
    xipc_proc *child = NULL;
    xipc_exit_status st;
    uint64_t pid = 0;
    double mbs = 0;
    long rounds = 2000;
    if (argc == 3 && strcmp(argv[1], "--rounds") == 0)
        rounds = atol(argv[2]);
    if (rounds < 1 || rounds > 10000000)
        return fprintf(stderr, "xipc demo: --rounds takes 1..10000000\n"), 2;
    uint64_t *rtt = malloc((size_t)rounds * sizeof *rtt);
    int rc = rtt ? xipc_pipe(0, &to_r, &to_w) : XIPC_ENOMEM;
    if (rc != 0 || (rc = xipc_pipe(0, &from_r, &from_w)) != 0)
        return fail("pipe", rc);
    if ((rc = spawn_peer(to_r, from_w, rounds, &child)) != 0)
        return fail("spawn", rc);
    xipc_stream_close(to_r);
    xipc_stream_close(from_w);
    xipc_proc_pid(child, &pid);
    printf(
        "spawned child %llu; it inherited one end of each of two pipes\n", (unsigned long long)pid);
    if (ping_pong(to_w, from_r, rounds, rtt) != 0 || stream_through(to_w, from_r, &mbs) != 0)
        return 1;
    if ((rc = xipc_proc_wait(child, &st, DEMO_TIMEOUT)) != 0)
        return fail("wait", rc);
    printf("round trip, 64 B, %ld rounds: p50 %.1f us, p99 %.1f us, every echo checked\n", rounds,
        rtt[rounds / 2] / 1e3, rtt[rounds * 99 / 100] / 1e3);
    printf("one-way stream, 64 KiB writes, %u MiB: %.0f MB/s, every byte checked\n",
        DEMO_STREAM >> 20, mbs);
    printf("child exited with code %u\n", (unsigned)st.code);
    xipc_proc_close(child);
    xipc_stream_close(from_r);
    free(rtt);
    return st.kind == XIPC_EXIT_NORMAL && st.code == 0 ? 0 : 1;
}
