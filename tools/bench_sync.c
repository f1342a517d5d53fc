/* tools/bench_sync.c: `xipc bench` rows for events and semaphores: round trips of a signal
 * between two processes, a ping object set by the measuring side and a pong object set back by
 * the peer. xipc runs on anonymous objects handed to the peer at spawn; raw runs on named OS
 * objects made with the plainest calls (tools/{posix,win32}/bench_os.c). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both objects of a ping/pong pair, xipc or raw. */
struct sig_pair {
    int is_event;
    xipc_event *ev[2];
    xipc_sem *sem[2];
    struct bench_raw_sig *raw;
};

static int
pair_post(struct sig_pair *p, int which)
{
    if (p->raw != NULL)
        return bench_raw_sig_post(p->raw, which);
    return p->is_event ? xipc_event_set(p->ev[which]) : xipc_sem_post(p->sem[which]);
}

static int
pair_wait(struct sig_pair *p, int which)
{
    if (p->raw != NULL)
        return bench_raw_sig_wait(p->raw, which);
    return p->is_event ? xipc_event_wait(p->ev[which], PEER_TIMEOUT_MS)
                       : xipc_sem_wait(p->sem[which], PEER_TIMEOUT_MS);
}

static xipc_handle *
pair_handle(struct sig_pair *p, int which)
{
    return p->is_event ? xipc_event_handle(p->ev[which]) : xipc_sem_handle(p->sem[which]);
}

static void
pair_close(struct sig_pair *p)
{
    if (p->raw != NULL)
        bench_raw_sig_close(p->raw);
    for (int i = 0; i < 2; i++) {
        xipc_event_close(p->ev[i]);
        xipc_sem_close(p->sem[i]);
    }
    memset(p, 0, sizeof *p);
}

/* The measuring side's pair: new anonymous xipc objects, or new named raw ones. */
static int
pair_create(struct sig_pair *p, const char *kind, enum impl impl, char *tag, size_t cap)
{
    static unsigned serial;
    memset(p, 0, sizeof *p);
    p->is_event = strcmp(kind, "event") == 0;
    if (impl == IMPL_RAW) {
        snprintf(tag, cap, "xipc-bench-%llu-%u", (unsigned long long)xipc_self_pid(), serial++);
        p->raw = bench_raw_sig_open(kind, tag, 1);
        return p->raw ? 0 : -1;
    }
    for (int i = 0; i < 2; i++) {
        int rc = p->is_event ? xipc_event_open(NULL, 0, &p->ev[i])
                             : xipc_sem_open(NULL, 0, 0, &p->sem[i]);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* xipc bench-sync-peer KIND IMPL ROUNDS DELAY PING PONG CPU: PING and PONG are export texts
 * (xipc) or the tag and "-" (raw). Waits for ping, sleeps DELAY µs, sets pong, ROUNDS times. */
int
xipc_tool_bench_sync_peer(int argc, char **argv)
{
    struct sig_pair p;
    if (argc != 8)
        return 2;
    memset(&p, 0, sizeof p);
    const char *kind = argv[1], *impl = argv[2], *ping = argv[5], *pong = argv[6];
    long rounds = atol(argv[3]);
    int delay_us = atoi(argv[4]), cpu = atoi(argv[7]);
    p.is_event = strcmp(kind, "event") == 0;
    if (cpu >= 0)
        (void)bench_os_pin(cpu);
    if (strcmp(impl, "raw") == 0) {
        if ((p.raw = bench_raw_sig_open(kind, ping, 0)) == NULL)
            return 2;
    } else {
        const char *texts[2] = { ping, pong };
        for (int i = 0; i < 2; i++) {
            int rc = p.is_event ? xipc_event_import(texts[i], &p.ev[i])
                                : xipc_sem_import(texts[i], &p.sem[i]);
            if (rc != 0)
                return 2;
        }
    }
    int rc = 0;
    for (long i = 0; i < rounds && rc == 0; i++) {
        if (pair_wait(&p, 0) != 0)
            rc = 3;
        else if (delay_us > 0)
            bench_os_sleep_us(delay_us);
        if (rc == 0 && pair_post(&p, 1) != 0)
            rc = 3;
    }
    pair_close(&p);
    return rc;
}

static int
spawn_sync_peer(struct sig_pair *p, const char *kind, enum impl impl, const char *tag, long count,
    int delay_us, const struct bench_opts *o, xipc_proc **proc)
{
    char ping[XIPC_HANDLE_TEXT_MAX] = "-", pong[XIPC_HANDLE_TEXT_MAX] = "-", n[24], delay[16];
    xipc_handle *pass[2] = { NULL, NULL };
    size_t n_pass = 0;
    if (impl == IMPL_XIPC) {
        pass[0] = pair_handle(p, 0);
        pass[1] = pair_handle(p, 1);
        n_pass = 2;
        if (xipc_handle_export(pass[0], ping, sizeof ping) != 0 ||
            xipc_handle_export(pass[1], pong, sizeof pong) != 0)
            return -1;
    } else {
        snprintf(ping, sizeof ping, "%s", tag);
    }
    snprintf(n, sizeof n, "%ld", count);
    snprintf(delay, sizeof delay, "%d", delay_us);
    const char *args[] = { "bench-sync-peer", kind, bench_impl_names[impl], n, delay, ping, pong,
        NULL };
    return bench_spawn_peer(args, pass, n_pass, o, proc);
}

void
bench_sync_measure(const char *kind, enum impl impl, long rounds, int delay_us,
    const struct bench_opts *o, struct sample *s)
{
    struct sig_pair p;
    xipc_proc *proc = NULL;
    char tag[64] = "";
    long warm = rounds / 10 + 1;
    double *us = malloc((size_t)rounds * sizeof *us);
    memset(s, 0, sizeof *s);
    if (us == NULL || pair_create(&p, kind, impl, tag, sizeof tag) != 0 ||
        spawn_sync_peer(&p, kind, impl, tag, rounds + warm, delay_us, o, &proc) != 0) {
        snprintf(s->error, sizeof s->error, "could not set up the %s pair and its peer", kind);
        free(us);
        return;
    }
    uint64_t cpu0 = 0;
    for (long i = -warm; i < rounds; i++) {
        if (i == 0)
            cpu0 = bench_os_cpu_ns();
        uint64_t t0 = xipc_now_ns();
        if (pair_post(&p, 0) != 0 || pair_wait(&p, 1) != 0) {
            snprintf(s->error, sizeof s->error, "round %ld: signal lost or failed", i + warm);
            break;
        }
        if (i >= 0)
            us[i] = (double)(xipc_now_ns() - t0) / 1e3;
    }
    if (s->error[0] == '\0') {
        s->cpu_us = (double)(bench_os_cpu_ns() - cpu0) / 1e3 / (double)rounds;
        bench_rtt_stats(us, rounds, s);
    }
    bench_finish_peer(proc, s);
    pair_close(&p);
    free(us);
}
