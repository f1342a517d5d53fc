/* tools/bench_mq.c: the `xipc bench` mechanisms mq and mqos: xipc's message queues (xipc/mq.h)
 * against two raw sides, in the same run.
 *
 *   mq    the floor: a minimal single-producer single-consumer ring in shared memory, written
 *         here (fixed slots, head and tail on cache lines of their own, a spin of up to 20 us,
 *         then a sleep on a bell: futex on Linux, an auto-reset event on Windows, see
 *         bench_raw_sig_sleep), rung only when the other side said it sleeps. Its rows: 64-byte
 *         round trips with a prompt peer and with one that sleeps 200 us before it answers (the
 *         ring's round trip is then the raw futex or event ping-pong), 64-byte one-way message
 *         rate, and 64 KiB messages one-way (the ring then has 64 KiB slots).
 *   mqos  the OS's own queue (bench_raw_queue: POSIX mq_send/mq_receive, or on Windows, which
 *         has none, a message-mode named pipe): the 64-byte one-way rate with one producer and
 *         with four.
 *
 * Both impls get the same capacity (MSG_CAPACITY, BULK_CAPACITY), except the POSIX queue, which
 * holds no more than fs.mqueue.msg_max messages (10 by default). The xipc calls wait without a
 * limit (XIPC_FOREVER), as the raw sides do.
 *
 * As bench_stream.c does, one run spawns its peers once and goes back and forth between raw and
 * xipc in blocks (a warm-up block of each, then BLOCKS of each, the first impl alternating
 * between runs), so that both see the same machine. One-way rows: the peers are the producers
 * and the measuring process the consumer; each block starts when the consumer posts each
 * producer's semaphore, and its time runs from the first message received to the last, so
 * that waking the producers is not counted. Every message carries its producer's number and
 * sequence number (64 KiB messages: the sequence number at both ends, so a torn message shows);
 * the consumer checks each, so a lost, repeated, reordered or torn message fails the row. */
#include "bench.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_SIZE      64
#define BULK_SIZE     (64u << 10)
#define MSG_CAPACITY  1024u /* messages of 64 bytes a queue or ring holds */
#define BULK_CAPACITY 16u /* messages of 64 KiB */
#define PRODUCERS_MAX 4
#define BLOCKS        5
#define SPIN_NS       20000u /* as the queue's own spin (common/mq_core.c) */
/* Shared memory moves messages many times faster than the OS: runs through it send more, so
 * that a block lasts long enough to measure (a quick run's 64-byte block: 8,000 messages). */
#define FAST_SCALE      5
#define FAST_SCALE_BULK 2

const struct bench_workload bench_mq_workloads[] = {
    {
        .name = "rtt 64 B",
        .round_trips = 1,
        .size = MSG_SIZE,
        .count = COUNT_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "rtt 64 B, peer sleeps 200us",
        .round_trips = 1,
        .size = MSG_SIZE,
        .delay_us = 200,
        .count = COUNT_LATE_ROUNDS,
        .figures = FIGS_LATENCY,
    },
    {
        .name = "msgs 64 B",
        .size = MSG_SIZE,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    {
        .name = "msgs 64 KiB",
        .size = BULK_SIZE,
        .count = COUNT_BYTES,
        .figures = 1u << FIG_MBPS,
    },
    { .name = NULL },
};

const struct bench_workload bench_mqos_workloads[] = {
    {
        .name = "msgs 64 B",
        .size = MSG_SIZE,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    {
        .name = "msgs 64 B, 4 producers",
        .size = MSG_SIZE,
        .producers = 4,
        .count = COUNT_MESSAGES,
        .figures = 1u << FIG_MSGS,
    },
    { .name = NULL },
};

/* What a mechanism's raw side is. */
struct raw_side {
    int os_queue; /* 0: the ring (mq); 1: the OS's queue (mqos) */
};
static const struct raw_side ring_side = { 0 };
static const struct raw_side os_queue_side = { 1 };

/* ---- The floor: a single-producer single-consumer ring in shared memory --------------------- */

/* The ring's shared part, at the start of its section; the slots follow at RING_HEADER. Each
 * index has a cache line of its own, so that the producer's writes of head do not take the line
 * the consumer writes tail on. */
struct ring_shared {
    _Alignas(64) _Atomic uint64_t head; /* messages published */
    _Alignas(64) _Atomic uint64_t tail; /* messages taken */
    _Alignas(64) _Atomic uint32_t asleep[2]; /* by bell: 1 while that side sleeps or is about to */
};
#define RING_HEADER 256u
enum { BELL_DATA, BELL_ROOM }; /* bells of the consumer (ring empty) and the producer (full) */

/* This process's end of a ring. */
struct ring {
    struct ring_shared *sh;
    unsigned char *slots;
    size_t capacity, slot_size; /* capacity: a power of two */
    uint64_t next; /* the producer's head, or the consumer's tail */
    uint64_t other; /* the other side's index as last read */
    xipc_shm *shm;
    struct bench_raw_sig *bells;
};

static void
ring_close(struct ring *r)
{
    if (r == NULL)
        return;
    if (r->bells != NULL)
        bench_raw_sig_close(r->bells);
    xipc_shm_close(r->shm);
    free(r);
}

/* Creates (create 1) or opens the ring named from tag: the section "TAG.m" and bells named TAG. */
static struct ring *
ring_open(const char *tag, int create, size_t capacity, size_t slot_size)
{
    char name[XIPC_NAME_MAX + 1];
    size_t size = RING_HEADER + capacity * slot_size;
    struct ring *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    snprintf(name, sizeof name, "%s.m", tag);
    r->capacity = capacity;
    r->slot_size = slot_size;
    if (xipc_shm_open(name, create ? XIPC_CREATE : XIPC_OPEN, create ? size : 0, &r->shm) != 0 ||
        xipc_shm_size(r->shm) < size ||
        (r->bells = bench_raw_sig_open(BENCH_RAW_EVENT, tag, create)) == NULL) {
        ring_close(r);
        return NULL;
    }
    r->sh = xipc_shm_ptr(r->shm); /* a new section is all zeros: both indices 0 */
    r->slots = (unsigned char *)r->sh + RING_HEADER;
    return r;
}

/* Waits until *index is no longer `stuck` (the value that keeps the ring full or empty for this
 * side); spins first, then says so in asleep[bell] and sleeps until the other side rings. The
 * new value in *seen. 0 or -1. */
static int
ring_wait(struct ring *r, _Atomic uint64_t *index, uint64_t stuck, int bell, uint64_t *seen)
{
    uint64_t t0 = xipc_now_ns();
    for (unsigned i = 1;; i++) {
        if ((*seen = atomic_load_explicit(index, memory_order_acquire)) != stuck)
            return 0;
        bench_os_cpu_relax();
        if (i % 64 == 0 && xipc_now_ns() - t0 >= SPIN_NS)
            break;
    }
    for (;;) {
        /* Sequentially consistent: either the other side sees the flag after it moved its
         * index, or this load sees the index moved (ring_ring). */
        atomic_store(&r->sh->asleep[bell], 1u);
        if ((*seen = atomic_load(index)) != stuck) {
            atomic_store_explicit(&r->sh->asleep[bell], 0u, memory_order_relaxed);
            return 0;
        }
        if (bench_raw_sig_sleep(r->bells, bell) != 0)
            return -1;
    }
}

/* After this side moved its index: wakes the other side if it sleeps on bell. 0 or -1. */
static int
ring_ring(struct ring *r, int bell)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&r->sh->asleep[bell], memory_order_relaxed) == 0 ||
        atomic_exchange(&r->sh->asleep[bell], 0u) == 0)
        return 0;
    return bench_raw_sig_post(r->bells, bell);
}

static int
ring_send(struct ring *r, const void *buf)
{
    uint64_t head = r->next;
    if (head - r->other >= r->capacity) {
        r->other = atomic_load_explicit(&r->sh->tail, memory_order_acquire);
        if (head - r->other >= r->capacity &&
            ring_wait(r, &r->sh->tail, head - r->capacity, BELL_ROOM, &r->other) != 0)
            return -1;
    }
    memcpy(r->slots + (head & (r->capacity - 1)) * r->slot_size, buf, r->slot_size);
    atomic_store_explicit(&r->sh->head, head + 1, memory_order_release);
    r->next = head + 1;
    return ring_ring(r, BELL_DATA);
}

static int
ring_recv(struct ring *r, void *buf)
{
    uint64_t tail = r->next;
    if (r->other == tail) {
        r->other = atomic_load_explicit(&r->sh->head, memory_order_acquire);
        if (r->other == tail && ring_wait(r, &r->sh->head, tail, BELL_DATA, &r->other) != 0)
            return -1;
    }
    memcpy(buf, r->slots + (tail & (r->capacity - 1)) * r->slot_size, r->slot_size);
    atomic_store_explicit(&r->sh->tail, tail + 1, memory_order_release);
    r->next = tail + 1;
    return ring_ring(r, BELL_ROOM);
}

/* ---- Channels: one direction of one impl ---------------------------------------------------- */

/* One end of a queue: xipc's, the ring, or the OS's queue. */
struct chan {
    xipc_mq *mq;
    struct ring *ring;
    struct bench_raw_queue *osq;
};

static int
chan_send(struct chan *ch, const void *buf, size_t len)
{
    if (ch->ring != NULL)
        return ring_send(ch->ring, buf);
    if (ch->osq != NULL)
        return bench_raw_queue_send(ch->osq, buf, len);
    return xipc_mq_send(ch->mq, buf, len, 0, XIPC_FOREVER) == 0 ? 0 : -1;
}

/* Receives one message into buf: its size, or -1. */
static long
chan_recv(struct chan *ch, void *buf, size_t cap)
{
    size_t len = 0;
    if (ch->ring != NULL)
        return ring_recv(ch->ring, buf) == 0 ? (long)ch->ring->slot_size : -1;
    if (ch->osq != NULL)
        return bench_raw_queue_recv(ch->osq, buf, cap);
    return xipc_mq_recv(ch->mq, buf, cap, &len, NULL, XIPC_FOREVER) == 0 ? (long)len : -1;
}

static void
chan_close(struct chan *ch)
{
    ring_close(ch->ring);
    bench_raw_queue_close(ch->osq);
    xipc_mq_close(ch->mq);
    memset(ch, 0, sizeof *ch);
}

/* ---- What both sides agree on --------------------------------------------------------------- */

/* Messages each producer sends, or round trips, per block of one impl. */
static long
per_block(const struct raw_side *side, const struct bench_case *c, enum impl impl)
{
    long n = bench_count(c->work, c->opts);
    int producers = c->work->producers > 1 ? c->work->producers : 1;
    if (!c->work->round_trips && !(impl == IMPL_RAW && side->os_queue))
        n *= c->work->size == MSG_SIZE ? FAST_SCALE : FAST_SCALE_BULK;
    n /= BLOCKS * producers;
    return n > 1 ? n : 2;
}

static long
warm_count(long per)
{
    return per / 2 + 1;
}

static size_t
capacity_for(size_t size)
{
    return size == MSG_SIZE ? MSG_CAPACITY : BULK_CAPACITY;
}

/* Message i of a producer: its number, its sequence number (also in its last 8 bytes when it is
 * long enough to be torn), and zeros. */
static void
stamp(unsigned char *msg, size_t size, uint32_t producer, uint64_t seq)
{
    memcpy(msg, &producer, sizeof producer);
    memcpy(msg + 4, &seq, sizeof seq);
    if (size > MSG_SIZE)
        memcpy(msg + size - 8, &seq, sizeof seq);
}

/* Checks a received message against the next sequence number of its producer. 0 or -1. */
static int
check(const unsigned char *msg, long len, size_t size, int producers, uint64_t *next)
{
    uint32_t producer;
    uint64_t seq, end;
    if (len != (long)size)
        return -1;
    memcpy(&producer, msg, sizeof producer);
    memcpy(&seq, msg + 4, sizeof seq);
    memcpy(&end, msg + size - 8, sizeof end);
    if (producer >= (uint32_t)producers || seq != next[producer] || (size > MSG_SIZE && end != seq))
        return -1;
    next[producer]++;
    return 0;
}

/* ---- The peer ------------------------------------------------------------------------------- */

/* NAME ROLE PER_RAW PER_XIPC SIZE FIRST INDEX TAG XIPC_A XIPC_B GO CPU, ROLE "send" (a producer,
 * number INDEX) or "echo:DELAY_US"; XIPC_A, XIPC_B and GO export texts or "-". */
struct peer_args {
    int echo, delay_us, index;
    long per[IMPL_COUNT];
    size_t size;
    enum impl first;
};

/* Opens the peer's ends: A (and B when echoing) of each impl, and the go semaphore. */
static int
peer_open(const struct raw_side *side, const struct peer_args *a, char **argv, struct chan ch[2][2],
    xipc_sem **go)
{
    char tag[80];
    size_t cap = capacity_for(a->size);
    for (int q = 0; q < 1 + a->echo; q++) {
        snprintf(tag, sizeof tag, "%s.%c", argv[7], 'a' + q);
        if (side->os_queue)
            ch[IMPL_RAW][q].osq = bench_raw_queue_open(argv[7]);
        else
            ch[IMPL_RAW][q].ring = ring_open(tag, 0, cap, a->size);
        if ((ch[IMPL_RAW][q].osq == NULL && ch[IMPL_RAW][q].ring == NULL) ||
            xipc_mq_import(argv[8 + q], &ch[IMPL_XIPC][q].mq) != 0)
            return -1;
    }
    return a->echo || xipc_sem_import(argv[10], go) == 0 ? 0 : -1;
}

static int
peer_echo(struct chan ch[2][2], const struct peer_args *a)
{
    static unsigned char msg[BULK_SIZE];
    for (int b = -2; b < 2 * BLOCKS; b++) {
        enum impl impl = bench_turn(a->first, b < 0 ? b + 2 : b);
        long rounds = b < 0 ? warm_count(a->per[impl]) : a->per[impl];
        for (long i = 0; i < rounds; i++) {
            long len = chan_recv(&ch[impl][0], msg, sizeof msg);
            if (len < 0)
                return 3;
            if (a->delay_us > 0)
                bench_os_sleep_us(a->delay_us);
            if (chan_send(&ch[impl][1], msg, (size_t)len) != 0)
                return 3;
        }
    }
    return 0;
}

static int
peer_produce(struct chan ch[2][2], xipc_sem *go, const struct peer_args *a)
{
    static unsigned char msg[BULK_SIZE];
    uint64_t seq[IMPL_COUNT] = { 0, 0 };
    memset(msg, 0, sizeof msg);
    for (int b = -2; b < 2 * BLOCKS; b++) {
        enum impl impl = bench_turn(a->first, b < 0 ? b + 2 : b);
        long count = b < 0 ? warm_count(a->per[impl]) : a->per[impl];
        if (xipc_sem_wait(go, PEER_TIMEOUT_MS) != 0)
            return 3;
        for (long i = 0; i < count; i++) {
            stamp(msg, a->size, (uint32_t)a->index, seq[impl]++);
            if (chan_send(&ch[impl][0], msg, a->size) != 0)
                return 3;
        }
    }
    return 0;
}

static int
mq_peer(const struct raw_side *side, int argc, char **argv)
{
    struct chan ch[2][2];
    struct peer_args a;
    xipc_sem *go = NULL;
    if (argc != 12)
        return 2;
    memset(ch, 0, sizeof ch);
    a.echo = strncmp(argv[1], "echo:", 5) == 0;
    a.delay_us = a.echo ? atoi(argv[1] + 5) : 0;
    a.per[IMPL_RAW] = atol(argv[2]);
    a.per[IMPL_XIPC] = atol(argv[3]);
    a.size = (size_t)atol(argv[4]);
    a.first = strcmp(argv[5], "raw") == 0 ? IMPL_RAW : IMPL_XIPC;
    a.index = atoi(argv[6]);
    if (a.size < MSG_SIZE || a.size > BULK_SIZE || a.per[IMPL_RAW] < 1 || a.per[IMPL_XIPC] < 1)
        return 2;
    if (atoi(argv[11]) >= 0)
        (void)bench_os_pin(atoi(argv[11]));
    if (peer_open(side, &a, argv, ch, &go) != 0)
        return 2; /* the process ends: what it opened goes with it */
    int rc = a.echo ? peer_echo(ch, &a) : peer_produce(ch, go, &a);
    for (int i = 0; i < IMPL_COUNT; i++) {
        chan_close(&ch[i][0]);
        chan_close(&ch[i][1]);
    }
    xipc_sem_close(go);
    return rc;
}

int
bench_mq_peer(int argc, char **argv)
{
    return mq_peer(&ring_side, argc, argv);
}

int
bench_mqos_peer(int argc, char **argv)
{
    return mq_peer(&os_queue_side, argc, argv);
}

/* ---- The measuring side --------------------------------------------------------------------- */

/* One run: the queues of each impl (A, and B for round trips), the go semaphore and the peers. */
struct mq_run {
    const struct raw_side *side;
    const struct bench_case *c;
    int producers, queues;
    long per[IMPL_COUNT];
    char tag[64];
    struct chan ch[IMPL_COUNT][2];
    xipc_sem *go[PRODUCERS_MAX]; /* one each: a semaphore shared by all would let a fast
                                  * producer take two posts of one block */
    xipc_proc *peers[PRODUCERS_MAX];
};

/* Makes the queues and the producers' go semaphores. 0 or -1. */
static int
run_make_queues(struct mq_run *r)
{
    static unsigned serial;
    char tag[80];
    size_t size = r->c->work->size, cap = capacity_for(size);
    xipc_mq_attr attr = { cap, size };
    snprintf(r->tag, sizeof r->tag, "xb-%s-%llu-%u", r->c->mech->name,
        (unsigned long long)xipc_self_pid(), serial++);
    for (int q = 0; q < r->queues; q++) {
        struct chan *raw = &r->ch[IMPL_RAW][q];
        snprintf(tag, sizeof tag, "%s.%c", r->tag, 'a' + q);
        if (r->side->os_queue)
            raw->osq = bench_raw_queue_create(r->tag, r->producers, cap, size);
        else
            raw->ring = ring_open(tag, 1, cap, size);
        if ((raw->osq == NULL && raw->ring == NULL) ||
            xipc_mq_open(NULL, 0, &attr, &r->ch[IMPL_XIPC][q].mq) != 0)
            return -1;
    }
    for (int p = 0; p < r->producers && r->queues == 1; p++) {
        if (xipc_sem_open(NULL, 0, 0, &r->go[p]) != 0)
            return -1;
    }
    return 0;
}

/* Starts peer number index: the echo, or a producer. 0 or -1. */
static int
run_spawn(struct mq_run *r, int index)
{
    char role[24], per[IMPL_COUNT][24], size[24], number[16];
    char texts[3][XIPC_HANDLE_TEXT_MAX] = { "-", "-", "-" };
    xipc_handle *pass[3];
    size_t n_pass = 0;
    for (int q = 0; q < r->queues; q++) {
        pass[n_pass] = xipc_mq_handle(r->ch[IMPL_XIPC][q].mq);
        if (xipc_handle_export(pass[n_pass++], texts[q], sizeof texts[q]) != 0)
            return -1;
    }
    if (r->go[index] != NULL) {
        pass[n_pass] = xipc_sem_handle(r->go[index]);
        if (xipc_handle_export(pass[n_pass++], texts[2], sizeof texts[2]) != 0)
            return -1;
    }
    if (r->queues == 2)
        snprintf(role, sizeof role, "echo:%d", r->c->work->delay_us);
    else
        snprintf(role, sizeof role, "send");
    for (int i = 0; i < IMPL_COUNT; i++)
        snprintf(per[i], sizeof per[i], "%ld", r->per[i]);
    snprintf(size, sizeof size, "%zu", r->c->work->size);
    snprintf(number, sizeof number, "%d", index);
    const char *args[] = { role, per[IMPL_RAW], per[IMPL_XIPC], size, bench_impl_names[r->c->first],
        number, r->tag, texts[0], texts[1], texts[2], NULL };
    return bench_spawn_peer(r->c, args, pass, n_pass, &r->peers[index]);
}

static int
run_start(struct mq_run *r, const struct raw_side *side, const struct bench_case *c)
{
    memset(r, 0, sizeof *r);
    r->side = side;
    r->c = c;
    r->queues = c->work->round_trips ? 2 : 1;
    r->producers = c->work->round_trips || c->work->producers < 1 ? 1 : c->work->producers;
    for (int i = 0; i < IMPL_COUNT; i++)
        r->per[i] = per_block(side, c, (enum impl)i);
    if (r->producers > PRODUCERS_MAX || (r->producers > 1 && !side->os_queue) ||
        run_make_queues(r) != 0)
        return -1;
    for (int p = 0; p < r->producers; p++) {
        if (run_spawn(r, p) != 0)
            return -1;
    }
    return 0;
}

/* Closes the queues, then waits for each peer: a bad ending fails both impls' figures of the
 * run, unless one of them failed already. */
static void
run_finish(struct mq_run *r, struct sample s[IMPL_COUNT])
{
    int failed = s[IMPL_RAW].error[0] != '\0' || s[IMPL_XIPC].error[0] != '\0';
    for (int i = 0; i < IMPL_COUNT; i++) {
        chan_close(&r->ch[i][0]);
        chan_close(&r->ch[i][1]);
    }
    for (int p = 0; p < r->producers; p++) {
        struct sample end;
        memset(&end, 0, sizeof end);
        if (r->peers[p] != NULL && failed) /* it may wait for what will not come */
            (void)xipc_proc_kill(r->peers[p]);
        if (r->peers[p] != NULL)
            bench_finish_peer(r->peers[p], &end);
        for (int i = 0; i < IMPL_COUNT && !failed && end.error[0] != '\0'; i++)
            snprintf(s[i].error, sizeof s[i].error, "%s", end.error);
        xipc_sem_close(r->go[p]);
    }
}

/* Round trips: a warm-up block of each impl, then the measured blocks by turns. */
static void
measure_rtt(struct mq_run *r, struct sample s[IMPL_COUNT])
{
    static unsigned char msg[BULK_SIZE], echo[BULK_SIZE];
    size_t size = r->c->work->size;
    long done[IMPL_COUNT] = { 0, 0 }, total[IMPL_COUNT];
    double *us[IMPL_COUNT];
    uint64_t round = 0;
    for (int i = 0; i < IMPL_COUNT; i++) {
        total[i] = r->per[i] * BLOCKS;
        us[i] = calloc((size_t)total[i], sizeof(double));
    }
    for (int b = -2; b < 2 * BLOCKS && us[IMPL_RAW] != NULL && us[IMPL_XIPC] != NULL; b++) {
        enum impl impl = bench_turn(r->c->first, b < 0 ? b + 2 : b);
        long rounds = b < 0 ? warm_count(r->per[impl]) : r->per[impl];
        for (long i = 0; i < rounds; i++) {
            stamp(msg, size, 0, round++);
            uint64_t t0 = xipc_now_ns();
            if (chan_send(&r->ch[impl][0], msg, size) != 0 ||
                chan_recv(&r->ch[impl][1], echo, sizeof echo) != (long)size ||
                memcmp(msg, echo, size) != 0) {
                snprintf(s[impl].error, sizeof s[impl].error, "round trip failed or changed");
                goto out;
            }
            if (b >= 0)
                us[impl][done[impl]++] = (double)(xipc_now_ns() - t0) / 1e3;
        }
    }
    for (int i = 0; i < IMPL_COUNT && us[i] != NULL; i++)
        bench_rtt_stats(us[i], total[i], &s[i]);
out:
    free(us[IMPL_RAW]);
    free(us[IMPL_XIPC]);
}

/* Receives one block of count messages; the time from the first to the last in *secs. */
static int
receive_block(struct chan *ch, long count, size_t size, uint64_t *next, int producers, double *secs)
{
    static unsigned char msg[BULK_SIZE];
    uint64_t t0 = 0;
    for (long i = 0; i < count; i++) {
        if (check(msg, chan_recv(ch, msg, sizeof msg), size, producers, next) != 0)
            return -1;
        if (i == 0)
            t0 = xipc_now_ns();
    }
    *secs = (double)(xipc_now_ns() - t0) / 1e9;
    return 0;
}

/* One-way: for each block, lets the producers go and takes all their messages. */
static void
measure_oneway(struct mq_run *r, struct sample s[IMPL_COUNT])
{
    uint64_t next[IMPL_COUNT][PRODUCERS_MAX];
    double secs[IMPL_COUNT] = { 0, 0 };
    long counted[IMPL_COUNT] = { 0, 0 };
    memset(next, 0, sizeof next);
    for (int b = -2; b < 2 * BLOCKS; b++) {
        enum impl impl = bench_turn(r->c->first, b < 0 ? b + 2 : b);
        long count = (b < 0 ? warm_count(r->per[impl]) : r->per[impl]) * r->producers;
        double t = 0;
        for (int p = 0; p < r->producers; p++) {
            if (xipc_sem_post(r->go[p]) != 0) {
                snprintf(s[impl].error, sizeof s[impl].error, "could not start the producers");
                return;
            }
        }
        struct chan *ch = &r->ch[impl][0];
        if (receive_block(ch, count, r->c->work->size, next[impl], r->producers, &t) != 0) {
            snprintf(s[impl].error, sizeof s[impl].error, "a message lost, torn or out of order");
            return;
        }
        if (b >= 0) {
            secs[impl] += t;
            counted[impl] += count - 1; /* the first message of a block starts its clock */
        }
    }
    for (int i = 0; i < IMPL_COUNT; i++)
        s[i].per_s = (double)counted[i] / secs[i];
}

static void
measure(const struct raw_side *side, const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    struct mq_run r;
    memset(s, 0, IMPL_COUNT * sizeof *s);
    bench_progress(c, NULL);
    if (run_start(&r, side, c) != 0) {
        for (int i = 0; i < IMPL_COUNT; i++)
            snprintf(s[i].error, sizeof s[i].error, "could not make the queues or start the peers");
    } else if (c->work->round_trips) {
        measure_rtt(&r, s);
    } else {
        measure_oneway(&r, s);
    }
    run_finish(&r, s);
}

void
bench_mq_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    measure(&ring_side, c, s);
}

void
bench_mqos_measure(const struct bench_case *c, struct sample s[IMPL_COUNT])
{
    measure(&os_queue_side, c, s);
}
