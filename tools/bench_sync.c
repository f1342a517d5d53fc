/* tools/bench_sync.c: the `xipc bench` mechanisms event and sem: round trips of a signal between
 * two processes, a ping object set by the measuring side and a pong object set back by the
 * peer. xipc runs on anonymous objects handed to the peer at spawn; raw runs on named OS objects
 * made with the plainest calls (tools/{posix,win32}/bench_os.c). Each impl has a peer of its
 * own, one after the other. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct bench_workload bench_signal_workloads[] = {
    /* A prompt peer shows the latency; a late one shows what waiting costs in CPU time when
     * spinning cannot pay. */
    {
        .name = "rtt",
        .round_trips = 1,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY | (1u << FIG_CPU),
    },
    {
        .name = "rtt, peer sleeps 200us",
        .round_trips = 1,
        .delay_us = 200,
        .count = COUNT_LATE_ROUNDS,
        .figures = FIGS_LATENCY | (1u << FIG_CPU),
    },
    /* The pong seen through a wait set (POSIX: its helper thread sleeps on the object's word),
     * against the raw wait on the object alone; late enough that a set which looked between
     * growing sleeps would show it. */
    {
        .name = "rtt via wait set, peer sleeps 1ms",
        .round_trips = 1,
        .delay_us = 1000,
        .via_waitset = 1,
        .count = COUNT_LATE_ROUNDS,
        .figures = FIGS_LATENCY | (1u << FIG_CPU),
    },
    { .name = NULL },
};

/* ---- The kinds of signal: what the round trips call on each --------------------------------- */

/* One kind of xipc object, which obj points to, and its raw twin. */
struct signal_kind {
    enum bench_raw_sig_kind raw;
    int (*create)(void **obj); /* a new anonymous object, not signalled */
    int (*import)(const char *text, void **obj);
    xipc_handle *(*handle)(void *obj);
    int (*post)(void *obj);
    int (*wait)(void *obj, int timeout_ms);
    void (*close)(void *obj);
};

static int
event_create(void **obj)
{
    xipc_event *ev = NULL;
    int rc = xipc_event_open(NULL, 0, &ev);
    *obj = ev;
    return rc;
}

static int
event_import(const char *text, void **obj)
{
    xipc_event *ev = NULL;
    int rc = xipc_event_import(text, &ev);
    *obj = ev;
    return rc;
}

static xipc_handle *
event_handle(void *obj)
{
    return xipc_event_handle(obj);
}

static int
event_post(void *obj)
{
    return xipc_event_set(obj);
}

static int
event_wait(void *obj, int timeout_ms)
{
    return xipc_event_wait(obj, timeout_ms);
}

static void
event_close(void *obj)
{
    xipc_event_close(obj);
}

static const struct signal_kind event_kind = {
    BENCH_RAW_EVENT,
    event_create,
    event_import,
    event_handle,
    event_post,
    event_wait,
    event_close,
};

static int
semaphore_create(void **obj)
{
    xipc_sem *sem = NULL;
    int rc = xipc_sem_open(NULL, 0, 0, &sem);
    *obj = sem;
    return rc;
}

static int
semaphore_import(const char *text, void **obj)
{
    xipc_sem *sem = NULL;
    int rc = xipc_sem_import(text, &sem);
    *obj = sem;
    return rc;
}

static xipc_handle *
semaphore_handle(void *obj)
{
    return xipc_sem_handle(obj);
}

static int
semaphore_post(void *obj)
{
    return xipc_sem_post(obj);
}

static int
semaphore_wait(void *obj, int timeout_ms)
{
    return xipc_sem_wait(obj, timeout_ms);
}

static void
semaphore_close(void *obj)
{
    xipc_sem_close(obj);
}

static const struct signal_kind sem_kind = {
    BENCH_RAW_SEM,
    semaphore_create,
    semaphore_import,
    semaphore_handle,
    semaphore_post,
    semaphore_wait,
    semaphore_close,
};

/* ---- A ping/pong pair ----------------------------------------------------------------------- */

/* Both objects of a ping/pong pair, xipc or raw. */
struct sig_pair {
    const struct signal_kind *kind;
    void *obj[2]; /* xipc */
    struct bench_raw_sig *raw;
    xipc_waitset *ws; /* xipc, via_waitset: holds the pong */
};

static int
pair_post(struct sig_pair *p, int which)
{
    if (p->raw != NULL)
        return bench_raw_sig_post(p->raw, which);
    return p->kind->post(p->obj[which]);
}

static int
pair_wait(struct sig_pair *p, int which)
{
    if (p->raw != NULL)
        return bench_raw_sig_wait(p->raw, which);
    if (p->ws != NULL && which == 1) {
        xipc_waitset_entry e;
        size_t n = 0;
        int rc = xipc_waitset_wait(p->ws, &e, 1, &n, PEER_TIMEOUT_MS);
        return rc == 0 && n == 1 && e.result == 0 ? 0 : -1;
    }
    return p->kind->wait(p->obj[which], PEER_TIMEOUT_MS);
}

static void
pair_close(struct sig_pair *p)
{
    xipc_waitset_close(p->ws);
    if (p->raw != NULL)
        bench_raw_sig_close(p->raw);
    for (int i = 0; i < 2; i++) {
        if (p->obj[i] != NULL)
            p->kind->close(p->obj[i]);
    }
    memset(p, 0, sizeof *p);
}

/* The measuring side's pair: new anonymous xipc objects, or new named raw ones. */
static int
pair_create(struct sig_pair *p, const struct signal_kind *k, enum impl impl, char *tag, size_t cap)
{
    static unsigned serial;
    memset(p, 0, sizeof *p);
    p->kind = k;
    if (impl == IMPL_RAW) {
        snprintf(tag, cap, "xipc-bench-%llu-%u", (unsigned long long)xipc_self_pid(), serial++);
        p->raw = bench_raw_sig_open(k->raw, tag, 1);
        return p->raw ? 0 : -1;
    }
    for (int i = 0; i < 2; i++) {
        if (k->create(&p->obj[i]) != 0)
            return -1;
    }
    return 0;
}

/* The measuring side's wait set, holding the pong, for a workload that waits through one. */
static int
pair_watch(struct sig_pair *p, const struct bench_workload *w)
{
    if (p->raw != NULL || !w->via_waitset)
        return 0;
    if (xipc_waitset_open(&p->ws) != 0)
        return -1;
    return xipc_waitset_add(p->ws, p->kind->handle(p->obj[1]), XIPC_WAITSET_READ, NULL);
}

/* The peer's pair: the raw objects named PING (the tag), or the xipc objects exported as PING
 * and PONG. */
static int
pair_open_peer(struct sig_pair *p, const struct signal_kind *k, const char *impl, const char *ping,
    const char *pong)
{
    memset(p, 0, sizeof *p);
    p->kind = k;
    if (strcmp(impl, "raw") == 0)
        return (p->raw = bench_raw_sig_open(k->raw, ping, 0)) != NULL ? 0 : -1;
    return k->import(ping, &p->obj[0]) == 0 && k->import(pong, &p->obj[1]) == 0 ? 0 : -1;
}

/* ---- The peer ------------------------------------------------------------------------------- */

/* NAME IMPL ROUNDS DELAY PING PONG CPU: PING and PONG are export texts (xipc) or the tag and "-"
 * (raw). Waits for ping, sleeps DELAY µs, sets pong, ROUNDS times. */
static int
signal_peer(const struct signal_kind *k, int argc, char **argv)
{
    struct sig_pair p;
    if (argc != 7)
        return 2;
    long rounds = atol(argv[2]);
    int delay_us = atoi(argv[3]), cpu = atoi(argv[6]);
    if (cpu >= 0)
        (void)bench_os_pin(cpu);
    if (pair_open_peer(&p, k, argv[1], argv[4], argv[5]) != 0)
        return 2; /* the process ends: what it opened goes with it */
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

int
bench_event_peer(int argc, char **argv)
{
    return signal_peer(&event_kind, argc, argv);
}

int
bench_sem_peer(int argc, char **argv)
{
    return signal_peer(&sem_kind, argc, argv);
}

/* ---- The measuring side --------------------------------------------------------------------- */

static int
spawn_signal_peer(const struct bench_case *c, struct sig_pair *p, enum impl impl, const char *tag,
    long count, xipc_proc **proc)
{
    char ping[XIPC_HANDLE_TEXT_MAX] = "-", pong[XIPC_HANDLE_TEXT_MAX] = "-", n[24], delay[16];
    xipc_handle *pass[2] = { NULL, NULL };
    size_t n_pass = 0;
    if (impl == IMPL_XIPC) {
        pass[0] = p->kind->handle(p->obj[0]);
        pass[1] = p->kind->handle(p->obj[1]);
        n_pass = 2;
        if (xipc_handle_export(pass[0], ping, sizeof ping) != 0 ||
            xipc_handle_export(pass[1], pong, sizeof pong) != 0)
            return -1;
    } else {
        snprintf(ping, sizeof ping, "%s", tag);
    }
    snprintf(n, sizeof n, "%ld", count);
    snprintf(delay, sizeof delay, "%d", c->work->delay_us);
    const char *args[] = { bench_impl_names[impl], n, delay, ping, pong, NULL };
    return bench_spawn_peer(c, args, pass, n_pass, proc);
}

/* Round trips of one impl's pair with a peer of its own, after a tenth as many to warm up. */
static void
measure_pair(
    const struct signal_kind *k, const struct bench_case *c, enum impl impl, struct sample *s)
{
    struct sig_pair p;
    xipc_proc *proc = NULL;
    char tag[64] = "";
    long rounds = bench_count(c->work, c->opts), warm = rounds / 10 + 1;
    double *us = malloc((size_t)rounds * sizeof *us);
    memset(s, 0, sizeof *s);
    memset(&p, 0, sizeof p);
    if (us == NULL || pair_create(&p, k, impl, tag, sizeof tag) != 0 ||
        pair_watch(&p, c->work) != 0 ||
        spawn_signal_peer(c, &p, impl, tag, rounds + warm, &proc) != 0) {
        snprintf(
            s->error, sizeof s->error, "could not set up the %s pair and its peer", c->mech->name);
        pair_close(&p);
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

/* One run of both impls, back to back in the run's order, so that neither always runs on a
 * warmer machine. */
static void
measure_signals(
    const struct signal_kind *k, const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    for (int i = 0; i < IMPL_COUNT; i++) {
        enum impl impl = bench_turn(c->first, i);
        bench_progress(c, bench_impl_names[impl]);
        measure_pair(k, c, impl, &s[impl]);
    }
}

void
bench_event_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    measure_signals(&event_kind, c, s);
}

void
bench_sem_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    measure_signals(&sem_kind, c, s);
}
