/* tests/test_mq_crash.c: message queues (xipc/mq.h) whose users are killed at random instants,
 * and queues whose shared bytes are scribbled on. */
#include "xt.h"

#include <stdatomic.h>

/* ---- The ledger ----------------------------------------------------------------------------- */

/* Producer instances (each spawn of a producer is a new one) and messages per instance. */
#define LEDGER_INSTANCES 4096
#define LEDGER_PER       1024

/* What a producer recorded of each of its messages. */
enum { NOT_TRIED = 0, SENDING = 1, SENT = 2, NOT_SENT = 3 };

/* Shared between the test and every child, in a section of its own: what was sent and what was
 * received, and what went wrong where the test cannot see it. */
struct ledger {
    _Atomic uint32_t late; /* calls that returned long after their timeout */
    _Atomic uint32_t damaged; /* messages received that were not whole, or never sent */
    _Atomic uint32_t bad_rc; /* calls that returned a code they should not have */
    _Atomic uint32_t last_bad_rc;
    _Atomic unsigned char sent[LEDGER_INSTANCES][LEDGER_PER];
    _Atomic unsigned char got[LEDGER_INSTANCES][LEDGER_PER];
};

/* A message: who sent it, which of theirs it is, and a payload that shows any mix-up. */
struct header {
    uint32_t instance, k, len;
};

#define CRASH_MSG_MAX     6000
#define CRASH_TIMEOUT     100 /* ms, every call of the children */
#define CRASH_CAPACITY    8
#define CRASH_TIME_CAP_MS 7000

static void
payload_fill(unsigned char *p, size_t len, uint32_t instance, uint32_t k)
{
    for (size_t i = sizeof(struct header); i < len; i++)
        p[i] = xt_pattern(((uint64_t)instance << 20) + ((uint64_t)k << 8) + i);
}

static bool
payload_whole(const unsigned char *p, size_t len)
{
    struct header h;
    if (len < sizeof h)
        return false;
    memcpy(&h, p, sizeof h);
    if (h.len != len || h.instance >= LEDGER_INSTANCES || h.k >= LEDGER_PER)
        return false;
    for (size_t i = sizeof h; i < len; i++) {
        if (p[i] != xt_pattern(((uint64_t)h.instance << 20) + ((uint64_t)h.k << 8) + i))
            return false;
    }
    return true;
}

static struct ledger *
ledger_import(const char *text, xipc_shm **shm)
{
    CHECK_OK(xipc_shm_import(text, shm));
    CHECK(xipc_shm_size(*shm) >= sizeof(struct ledger));
    return xipc_shm_ptr(*shm);
}

/* Records a call's result: one that took longer than its timeout allows, or a code it should
 * not return. */
static void
note_call(struct ledger *lg, int rc, uint64_t t0, int want_rc)
{
    if (xt_os_now_ms() - t0 > CRASH_TIMEOUT + XT_SLACK_MS)
        atomic_fetch_add(&lg->late, 1);
    if (rc != 0 && rc != want_rc) {
        atomic_fetch_add(&lg->bad_rc, 1);
        atomic_store(&lg->last_bad_rc, (uint32_t)-rc);
    }
}

/* Takes a received message into the ledger. */
static void
note_received(struct ledger *lg, const unsigned char *buf, size_t len)
{
    struct header h;
    if (!payload_whole(buf, len)) {
        atomic_fetch_add(&lg->damaged, 1);
        return;
    }
    memcpy(&h, buf, sizeof h);
    unsigned char state = atomic_load(&lg->sent[h.instance][h.k]);
    if (state != SENDING && state != SENT)
        atomic_fetch_add(&lg->damaged, 1); /* never sent, or its send said it was not */
    atomic_fetch_add(&lg->got[h.instance][h.k], 1);
}

/* ---- The children --------------------------------------------------------------------------- */

/* The key of a producer's next message, by its key policy: "mixed" (four keys: the queue stays
 * in the lists), "ring" (key 0 only: the queue stays the lock-free ring, but for the repairs
 * after a death), "switch" (key 0, and one message in 16 of key 1: the queue moves from the ring
 * to the lists and back all the time). */
static unsigned
crash_key(const char *policy, uint64_t seed)
{
    if (strcmp(policy, "ring") == 0)
        return 0;
    if (strcmp(policy, "switch") == 0)
        return (seed >> 20) % 16 == 0;
    return (unsigned)(seed % 4);
}

/* argv: queue name, instance, seed, key policy, ledger text. Sends LEDGER_PER messages of random
 * sizes and keys, recording each attempt and its outcome. */
int
xt_child_mq_crash_producer(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    xipc_shm *shm = NULL;
    unsigned char buf[CRASH_MSG_MAX];
    (void)argc;
    struct ledger *lg = ledger_import(argv[5], &shm);
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    uint32_t instance = (uint32_t)atol(argv[2]);
    uint64_t seed = (uint64_t)atoll(argv[3]) | 1u;
    for (uint32_t k = 0; k < LEDGER_PER; k++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        struct header h = { instance, k,
            (uint32_t)(sizeof h + (seed >> 40) % (CRASH_MSG_MAX - sizeof h)) };
        memcpy(buf, &h, sizeof h);
        payload_fill(buf, h.len, instance, k);
        atomic_store(&lg->sent[instance][k], SENDING);
        uint64_t t0 = xt_os_now_ms();
        int rc = xipc_mq_send(mq, buf, h.len, crash_key(argv[4], seed), CRASH_TIMEOUT);
        note_call(lg, rc, t0, XIPC_ETIMEDOUT);
        atomic_store(&lg->sent[instance][k], rc == 0 ? SENT : NOT_SENT);
    }
    xipc_mq_close(mq);
    xipc_shm_close(shm);
    return 0;
}

/* Receives one message (in one of three ways, by turns) into the ledger. */
static int
receive_one(xipc_mq *mq, struct ledger *lg, unsigned turn, int timeout_ms)
{
    unsigned char buf[CRASH_MSG_MAX];
    size_t len = 0;
    uint64_t t0 = xt_os_now_ms();
    int rc = turn % 3 == 0 ? xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, timeout_ms)
        : turn % 3 == 1    ? xipc_mq_recv_typed(mq, 0, 0, buf, sizeof buf, &len, NULL, timeout_ms)
                           : xipc_mq_recv_typed(mq, -2, 0, buf, sizeof buf, &len, NULL, timeout_ms);
    note_call(lg, rc, t0, XIPC_ETIMEDOUT);
    if (rc == 0)
        note_received(lg, buf, len);
    return rc;
}

/* argv: queue name, ledger text. Receives until killed. */
int
xt_child_mq_crash_consumer(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    xipc_shm *shm = NULL;
    (void)argc;
    struct ledger *lg = ledger_import(argv[2], &shm);
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    for (unsigned turn = 0;; turn++)
        (void)receive_one(mq, lg, turn, CRASH_TIMEOUT);
}

/* ---- The test ------------------------------------------------------------------------------- */

#define CRASH_CHILDREN 4 /* two producers, two consumers */

struct crash_run {
    char name[XIPC_NAME_MAX + 1];
    xipc_shm *ledger_shm;
    struct ledger *lg;
    xipc_proc *child[CRASH_CHILDREN];
    uint32_t next_instance;
    uint64_t rng;
    int kills, consumer_kills, kills_wanted;
    int ring_seen, lists_seen; /* samples of the queue's mode */
};

/* The key policy of the producers started now: the run goes through the three policies twice,
 * so that kills land in the lists, in the ring, and around the switches between them. */
static const char *
era_policy(const struct crash_run *r)
{
    static const char *const policies[] = { "mixed", "ring", "switch" };
    return policies[(r->kills * 6 / r->kills_wanted) % 3];
}

static uint32_t
run_random(struct crash_run *r)
{
    r->rng ^= r->rng << 13, r->rng ^= r->rng >> 7, r->rng ^= r->rng << 17;
    return (uint32_t)(r->rng >> 32);
}

static bool
is_consumer(int i)
{
    return i % 2 == 1;
}

static void
spawn_slot(struct crash_run *r, int i)
{
    xipc_handle *h = xipc_shm_handle(r->ledger_shm);
    if (is_consumer(i)) {
        const char *args[] = { r->name, NULL };
        r->child[i] = xt_spawn_passing("mq_crash_consumer", args, NULL, &h, 1);
        return;
    }
    char instance[16], seed[24];
    CHECK(r->next_instance < LEDGER_INSTANCES);
    snprintf(instance, sizeof instance, "%u", (unsigned)r->next_instance++);
    snprintf(seed, sizeof seed, "%u", (unsigned)run_random(r));
    const char *args[] = { r->name, instance, seed, era_policy(r), NULL };
    r->child[i] = xt_spawn_passing("mq_crash_producer", args, NULL, &h, 1);
}

/* Kills child i at a random instant of its work, and starts another in its place. A producer
 * that finished on its own is simply replaced. */
static void
kill_and_replace(struct crash_run *r, int i)
{
    xipc_exit_status st;
    xt_os_sleep_ms((int)(run_random(r) % 4));
    CHECK_OK(xipc_proc_kill(r->child[i]));
    CHECK_OK(xipc_proc_wait(r->child[i], &st, XT_CHILD_TIMEOUT_MS));
    if (st.kind == XIPC_EXIT_KILLED) {
        r->kills++;
        r->consumer_kills += is_consumer(i);
    } else if (st.kind != XIPC_EXIT_NORMAL || st.code != 0) {
        xt_fail(__FILE__, __LINE__, "a crash child ended with kind %d, code %u", st.kind,
            (unsigned)st.code);
    }
    xipc_proc_close(r->child[i]);
    spawn_slot(r, i);
}

/* After every child is gone: takes what is left in the queue into the ledger. */
static void
drain(xipc_mq *mq, struct ledger *lg)
{
    for (unsigned turn = 0; receive_one(mq, lg, turn, 300) == 0; turn++)
        ;
}

static void
check_ledger(const struct crash_run *r)
{
    const struct ledger *lg = r->lg;
    long missing = 0, received = 0;
    CHECK_EQ(atomic_load(&lg->damaged), 0);
    if (atomic_load(&lg->bad_rc) != 0)
        xt_fail(__FILE__, __LINE__, "%u calls returned an unexpected code, last -%u",
            (unsigned)atomic_load(&lg->bad_rc), (unsigned)atomic_load(&lg->last_bad_rc));
    CHECK_EQ(atomic_load(&lg->late), 0);
    for (uint32_t i = 0; i < r->next_instance; i++) {
        for (uint32_t k = 0; k < LEDGER_PER; k++) {
            unsigned char got = atomic_load(&lg->got[i][k]), sent = atomic_load(&lg->sent[i][k]);
            CHECK(got <= 1); /* nothing received twice */
            missing += sent == SENT && got == 0;
            received += got;
        }
    }
    printf("%ld messages received, %ld lost with a killed receiver\n", received, missing);
    /* A receiver killed after its receive took a message, before it wrote it down, takes that
     * message with it: at most one per killed receiver. */
    if (missing > r->consumer_kills)
        xt_fail(__FILE__, __LINE__, "%ld sent messages lost, %d receivers killed", missing,
            r->consumer_kills);
}

/* Samples the queue's mode (a child reads the mode word: the mq_peek_mode role). */
static void
sample_mode(struct crash_run *r, xipc_mq *mq)
{
    xipc_exit_status st;
    xipc_handle *h = xipc_mq_handle(mq);
    const char *args[] = { NULL };
    xipc_proc *p = xt_spawn_passing("mq_peek_mode", args, NULL, &h, 1);
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    r->ring_seen += st.code == 11;
    r->lists_seen += st.code == 10;
}

static void
crash_rounds(int kills_wanted)
{
    struct crash_run r = { .rng = 0x9e3779b97f4a7c15u ^ xt_os_now_ms(),
        .kills_wanted = kills_wanted };
    xipc_mq *mq = NULL;
    xipc_mq_attr attr = { CRASH_CAPACITY, CRASH_MSG_MAX };
    xt_name("mq.crash", r.name);
    CHECK_OK(xipc_mq_open(r.name, XIPC_CREATE, &attr, &mq));
    CHECK_OK(xipc_shm_open(NULL, 0, sizeof(struct ledger), &r.ledger_shm));
    r.lg = xipc_shm_ptr(r.ledger_shm);
    uint64_t t0 = xt_os_now_ms();
    for (int i = 0; i < CRASH_CHILDREN; i++)
        spawn_slot(&r, i);
    /* Bounded in time too: a process start costs more under the sanitizers (1,000 kills take
     * about 4 s natively, 11 s with AddressSanitizer on this project's VM). */
    while (r.kills < kills_wanted && xt_os_now_ms() - t0 < CRASH_TIME_CAP_MS) {
        kill_and_replace(&r, (int)(run_random(&r) % CRASH_CHILDREN));
        if (r.kills % (kills_wanted / 20) == 0)
            sample_mode(&r, mq);
    }
    CHECK_GE(r.kills, kills_wanted / 10);
    for (int i = 0; i < CRASH_CHILDREN; i++) {
        (void)xipc_proc_kill(r.child[i]);
        xipc_exit_status st;
        CHECK_OK(xipc_proc_wait(r.child[i], &st, XT_CHILD_TIMEOUT_MS));
        r.consumer_kills += is_consumer(i);
        xipc_proc_close(r.child[i]);
    }
    drain(mq, r.lg);
    check_ledger(&r);
    /* The queue still works. */
    xipc_mq_info info;
    size_t len = 0;
    char buf[8];
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.count, 0);
    for (int i = 0; i < CRASH_CAPACITY; i++)
        CHECK_OK(xipc_mq_send(mq, "ok", 2, 1, 1000));
    for (int i = 0; i < CRASH_CAPACITY; i++)
        CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 1000));
    printf("%d kills (%d receivers), %u producers, %llu ms; mode sampled: ring %d, lists %d\n",
        r.kills, r.consumer_kills, (unsigned)r.next_instance,
        (unsigned long long)(xt_os_now_ms() - t0), r.ring_seen, r.lists_seen);
    /* Both modes were under the kills (the samples are few under Wine: not asked there). */
    if (!xt_os_is_wine())
        CHECK(r.ring_seen > 0 && r.lists_seen > 0);
    xipc_shm_close(r.ledger_shm);
    xipc_mq_close(mq);
}

void
xt_test_mq_survives_random_kills(void)
{
    /* A Wine process start costs ~100 ms: fewer rounds there. */
    crash_rounds(xt_os_is_wine() ? 40 : 1000);
}

/* ---- Corruption ----------------------------------------------------------------------------- */

/* Offsets in the shared layout, version 3 (common/mq.h): a header of 4480 bytes, then the slot
 * records, each a line of fields starting with its 64-bit word (state in bits 0-7, a claim's
 * owner in bits 8-15, bit 16 while the slot is the ring's, then its ring position) and then the
 * payload, msg_max rounded up to 64 bytes: 128-byte records for the queues here, whose largest
 * message is at most 64 bytes. The test writes them as another program would: it knows the
 * layout, not the code. */
#define OFF_MAGIC     0u
#define OFF_VERSION   4u
#define OFF_CAPACITY  8u
#define OFF_SIZE      16u
#define OFF_LOCK      40u
#define OFF_MODE      48u
#define OFF_FREE_HEAD 80u
#define OFF_PRIO_HEAD 84u
#define OFF_FIFO_HEAD 92u
#define OFF_COUNT     100u
#define OFF_CLAIMS    104u
#define OFF_SLOTS     4480u
#define SLOT_SIZE     128u
#define SLOT_PAYLOAD  64u
#define SLOT_WORD     0u
#define SLOT_LEN      8u
#define SLOT_FIFO_NXT 36u

/* argv: offset, 32-bit value, then the queue's export text. Writes the value at the offset of
 * the queue's memory, mapped as a shared section. */
int
xt_child_mq_scribble(int argc, char **argv)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc_shm *shm = NULL;
    (void)argc;
    const char *value = strchr(argv[3] + strlen("xipc1:"), ':');
    CHECK(value != NULL);
    snprintf(text, sizeof text, "xipc1:shm%s", value);
    CHECK_OK(xipc_shm_import(text, &shm));
    size_t offset = (size_t)atol(argv[1]);
    uint32_t v = (uint32_t)strtoul(argv[2], NULL, 10);
    CHECK(offset + sizeof v <= xipc_shm_size(shm));
    memcpy((unsigned char *)xipc_shm_ptr(shm) + offset, &v, sizeof v);
    xipc_shm_close(shm);
    return 0;
}

static void
scribble(xipc_mq *mq, size_t offset, uint32_t value)
{
    char off_text[24], value_text[24];
    snprintf(off_text, sizeof off_text, "%zu", offset);
    snprintf(value_text, sizeof value_text, "%lu", (unsigned long)value);
    const char *args[] = { off_text, value_text, NULL };
    xipc_handle *h = xipc_mq_handle(mq);
    xt_expect_exit(xt_spawn_passing("mq_scribble", args, NULL, &h, 1), 0);
}

/* A fresh queue of 4 slots holding two small messages (slots 0 and 1 in send order). */
static xipc_mq *
queue_of_two(const char *name)
{
    xipc_mq *mq = NULL;
    xipc_mq_attr attr = { 4, 64 };
    CHECK_OK(xipc_mq_open(name, name ? XIPC_CREATE : 0, &attr, &mq));
    CHECK_OK(xipc_mq_send(mq, "one", 3, 1, 0));
    CHECK_OK(xipc_mq_send(mq, "two", 3, 2, 0));
    return mq;
}

/* Scribbles value at offset of a fresh queue, then expects XIPC_ECORRUPT from the call kind
 * ("send", "recv", "typed", "stat"). */
static void
expect_corrupt_call(size_t offset, uint32_t value, const char *call)
{
    char buf[64];
    size_t len = 0;
    xipc_mq_info info;
    xipc_mq *mq = queue_of_two(NULL);
    scribble(mq, offset, value);
    int rc = strcmp(call, "send") == 0 ? xipc_mq_send(mq, "x", 1, 1, 0)
        : strcmp(call, "recv") == 0    ? xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0)
        : strcmp(call, "typed") == 0 ? xipc_mq_recv_typed(mq, 7, 0, buf, sizeof buf, &len, NULL, 0)
                                     : xipc_mq_stat(mq, &info);
    if (rc != XIPC_ECORRUPT)
        xt_fail(__FILE__, __LINE__, "offset %zu = %lu: %s gave %s, not XIPC_ECORRUPT", offset,
            (unsigned long)value, call, xipc_errname(rc));
    xipc_mq_close(mq);
}

void
xt_test_mq_corrupt_memory_is_ecorrupt(void)
{
    /* The derived structures. */
    expect_corrupt_call(OFF_FREE_HEAD, 4, "send"); /* a slot that does not exist */
    expect_corrupt_call(OFF_FREE_HEAD, 0, "send"); /* a slot that holds a message */
    expect_corrupt_call(OFF_PRIO_HEAD, 77, "recv");
    expect_corrupt_call(OFF_FIFO_HEAD, 0xfffffffeu, "typed");
    expect_corrupt_call(OFF_COUNT, 5, "stat");
    expect_corrupt_call(OFF_LOCK, 100000, "send");
    /* A slot: its state, its length, a link that loops. */
    expect_corrupt_call(OFF_SLOTS + 1 * SLOT_SIZE + SLOT_WORD, 9, "recv");
    expect_corrupt_call(OFF_SLOTS + 1 * SLOT_SIZE + SLOT_LEN, 65, "recv");
    expect_corrupt_call(OFF_SLOTS + 1 * SLOT_SIZE + SLOT_FIFO_NXT, 0, "typed");
    expect_corrupt_call(OFF_SLOTS + 0 * SLOT_SIZE + SLOT_WORD, 0, "typed");
}

void
xt_test_mq_corrupt_header_refused_at_open(void)
{
    /* Versions 1 and 2: the layouts before, which this library does not read. */
    static const size_t offsets[] = { OFF_MAGIC, OFF_VERSION, OFF_VERSION, OFF_CAPACITY, OFF_SIZE };
    static const uint32_t values[] = { 0x12345678u, 1, 2, 5, 1 };
    char name[XIPC_NAME_MAX + 1];
    xipc_mq *other = NULL;
    xt_name("mq.corrupt", name);
    for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
        xipc_mq *mq = queue_of_two(name);
        scribble(mq, offsets[k], values[k]);
        CHECK_RC(xipc_mq_open(name, XIPC_OPEN, NULL, &other), XIPC_ECORRUPT);
        CHECK(other == NULL);
        xipc_mq_close(mq);
    }
}

/* A lock held by a process that died is taken over, and the queue rebuilt from its slots. */
void
xt_test_mq_dead_lock_holder_taken_over(void)
{
    char buf[64];
    size_t len = 0;
    unsigned key = 0;
    xipc_mq *mq = queue_of_two(NULL);
    /* User entry 1 is free (pid 0): a holder that is gone. Scramble the lists too. */
    scribble(mq, OFF_LOCK, 2);
    scribble(mq, OFF_PRIO_HEAD, 3);
    uint64_t t0 = xt_os_now_ms();
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, &key, 0));
    CHECK_LT(xt_os_now_ms() - t0, XT_SLACK_MS);
    CHECK_EQ(key, 2);
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, &key, 0));
    CHECK_EQ(key, 1);
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, &len, &key, 0), XIPC_ETIMEDOUT);
    xipc_mq_close(mq);
}

/* Claims whose owner is gone (user entry 9, never taken: pid 0) are undone by the next call
 * that finds no room or nothing to take: a claimed send never happened (its slot is free again),
 * a claimed receive never took its message (it is received again, whole). */
void
xt_test_mq_dead_claims_undone(void)
{
    char buf[64];
    size_t len = 0;
    unsigned key = 0;
    xipc_mq *mq = NULL;
    xipc_mq_attr attr = { 1, 64 };
    /* A send claimed slot 0 and died: the queue looks full. */
    CHECK_OK(xipc_mq_open(NULL, 0, &attr, &mq));
    scribble(mq, OFF_FREE_HEAD, 0xffffffffu);
    scribble(mq, OFF_CLAIMS, 1);
    scribble(mq, OFF_SLOTS + SLOT_WORD, 1 /* WRITING */ | 9 << 8);
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_mq_send(mq, "after", 5, 3, 0));
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, &key, 0));
    CHECK(len == 5 && key == 3 && memcmp(buf, "after", 5) == 0);
    xipc_mq_close(mq);
    /* A receive claimed the only message and died: it comes back. */
    CHECK_OK(xipc_mq_open(NULL, 0, &attr, &mq));
    CHECK_OK(xipc_mq_send(mq, "kept", 4, 8, 0));
    scribble(mq, OFF_PRIO_HEAD, 0xffffffffu);
    scribble(mq, OFF_FIFO_HEAD, 0xffffffffu);
    scribble(mq, OFF_COUNT, 0);
    scribble(mq, OFF_CLAIMS, 1);
    scribble(mq, OFF_SLOTS + SLOT_WORD, 3 /* READING */ | 9 << 8);
    CHECK_RC(xipc_mq_send(mq, "x", 1, 1, 0), XIPC_ETIMEDOUT); /* no room: the message is back */
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, &key, 0));
    CHECK(len == 4 && key == 8 && memcmp(buf, "kept", 4) == 0);
    xipc_mq_close(mq);
}

/* A ring (a new queue, key 0) holding two messages, at positions 0 and 1 (slots 0 and 1), the
 * first then made a claim in the middle of its send by user entry owner: a sender killed (owner
 * never registered) or stopped (owner: this process, alive) between its claim and its commit.
 * The message behind it is received all the same, within a slice of a waiting receive. */
static void
expect_ring_claim_got_around(uint32_t owner)
{
    char buf[8];
    size_t len = 0;
    xipc_mq_attr attr = { 4, 8 };
    xipc_mq *mq = NULL;
    CHECK_OK(xipc_mq_open(NULL, 0, &attr, &mq));
    CHECK_OK(xipc_mq_send(mq, "a", 1, 0, 0));
    CHECK_OK(xipc_mq_send(mq, "b", 1, 0, 0));
    scribble(mq, OFF_SLOTS + SLOT_WORD, 1 /* WRITING */ | owner << 8 | 1u << 16 /* in the ring */);
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0), XIPC_ETIMEDOUT);
    uint64_t t0 = xt_os_now_ms();
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 2000));
    CHECK(len == 1 && buf[0] == 'b');
    CHECK_LT(xt_os_now_ms() - t0, 200);
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0), XIPC_ETIMEDOUT);
    xipc_mq_close(mq);
}

void
xt_test_mq_ring_claims_got_around(void)
{
    expect_ring_claim_got_around(9); /* dead: undone, its slot free again */
    expect_ring_claim_got_around(0); /* ours, alive: left as a claim, in the lists */
}
