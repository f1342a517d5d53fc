/* tests/test_mq.c: message queues (xipc/mq.h), across real processes. */
#include "xt.h"

#include <stdatomic.h>

/* Request and reply keys of the echo child. */
#define KEY_REQUEST 1u
#define KEY_REPLY   2u

/* A message of len bytes whose content depends on n, so that a mixed-up message shows. */
static void
fill_message(unsigned char *p, size_t len, uint64_t n)
{
    for (size_t i = 0; i < len; i++)
        p[i] = xt_pattern(n * 131071u + i);
}

static bool
message_is(const unsigned char *p, size_t len, uint64_t n)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != xt_pattern(n * 131071u + i))
            return false;
    }
    return true;
}

static xipc_mq *
open_queue(const char *name, size_t capacity, size_t msg_max)
{
    xipc_mq *mq = NULL;
    xipc_mq_attr attr = { capacity, msg_max };
    CHECK_OK(xipc_mq_open(name, name ? XIPC_CREATE : 0, &attr, &mq));
    CHECK(mq != NULL);
    return mq;
}

/* The size of the n-th message of the echo exchange: small ones copied inside the lock and
 * large ones outside it. */
static size_t
echo_size(uint64_t n, size_t msg_max)
{
    static const size_t sizes[] = { 0, 1, 64, 2048, 2049, 65536, 100000 };
    size_t s = sizes[n % (sizeof sizes / sizeof sizes[0])];
    return s < msg_max ? s : msg_max;
}

/* argv: name (or "inherited", or "import" and the text after rounds), rounds. Receives each request
 * (typed KEY_REQUEST), checks it and sends it back as a reply. */
int
xt_child_mq_echo(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    xipc_mq_info info;
    (void)argc;
    if (strcmp(argv[1], "inherited") == 0)
        CHECK_OK(xipc_mq_inherited(0, &mq));
    else if (strcmp(argv[1], "import") == 0)
        CHECK_OK(xipc_mq_import(argv[3], &mq));
    else
        CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    CHECK_OK(xipc_mq_stat(mq, &info));
    long rounds = atol(argv[2]);
    unsigned char *buf = malloc(info.msg_max);
    CHECK(buf != NULL);
    for (long n = 0; n < rounds; n++) {
        size_t len = 0;
        unsigned key = 0;
        CHECK_OK(xipc_mq_recv_typed(
            mq, KEY_REQUEST, 0, buf, info.msg_max, &len, &key, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(key, KEY_REQUEST);
        CHECK_EQ(len, echo_size((uint64_t)n, info.msg_max));
        CHECK(message_is(buf, len, (uint64_t)n));
        CHECK_OK(xipc_mq_send(mq, buf, len, KEY_REPLY, XT_CHILD_TIMEOUT_MS));
    }
    free(buf);
    xipc_mq_close(mq);
    return 0;
}

static void
echo_rounds(xipc_mq *mq, size_t msg_max, long rounds)
{
    unsigned char *buf = malloc(msg_max), *got = malloc(msg_max);
    CHECK(buf != NULL && got != NULL);
    for (long n = 0; n < rounds; n++) {
        size_t len = echo_size((uint64_t)n, msg_max), got_len = 0;
        unsigned key = 0;
        fill_message(buf, len, (uint64_t)n);
        CHECK_OK(xipc_mq_send(mq, buf, len, KEY_REQUEST, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_mq_recv_typed(
            mq, KEY_REPLY, 0, got, msg_max, &got_len, &key, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(key, KEY_REPLY);
        CHECK_EQ(got_len, len);
        CHECK(message_is(got, got_len, (uint64_t)n));
    }
    free(buf);
    free(got);
}

void
xt_test_mq_roundtrip_across_processes(void)
{
    char name[XIPC_NAME_MAX + 1];
    xt_name("mq", name);
    xipc_mq *mq = open_queue(name, 4, 100000);
    const char *args[] = { name, "700", NULL };
    xipc_proc *child = xt_spawn_child("mq_echo", args, NULL, NULL, 0);
    echo_rounds(mq, 100000, 700);
    xt_expect_exit(child, 0);
    xipc_mq_close(mq);
}

void
xt_test_mq_anonymous_to_child(void)
{
    xipc_mq *mq = open_queue(NULL, 2, 70000);
    xipc_handle *h = xipc_mq_handle(mq);
    const char *args[] = { "inherited", "200", NULL };
    xipc_proc *child = xt_spawn_child("mq_echo", args, NULL, &h, 1);
    echo_rounds(mq, 70000, 200);
    xt_expect_exit(child, 0);
    xipc_mq_close(mq);
}

void
xt_test_mq_import_in_child(void)
{
    xipc_mq *mq = open_queue(NULL, 3, 4096);
    xipc_handle *h = xipc_mq_handle(mq);
    const char *args[] = { "import", "100", NULL };
    xipc_proc *child = xt_spawn_passing("mq_echo", args, NULL, &h, 1);
    echo_rounds(mq, 4096, 100);
    xt_expect_exit(child, 0);
    xipc_mq_close(mq);
}

/* ---- Orders --------------------------------------------------------------------------------- */

/* A small deterministic generator both sides of a test run. */
static uint32_t
next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (uint32_t)(*state >> 32);
}

/* The key of the i-th message of a scripted sequence: few distinct keys, so many equal ones,
 * and the extremes. */
static unsigned
script_key(uint64_t *state)
{
    static const unsigned keys[] = { 0, 1, 2, 3, 5, 6, 31, UINT32_MAX };
    return keys[next_random(state) % (sizeof keys / sizeof keys[0])];
}

/* argv: name, count, seed. Sends count messages, each its index (4 bytes), with scripted keys
 * (typed queues get keys of at least 1: System V types start at 1). */
int
xt_child_mq_script_sender(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    (void)argc;
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    long count = atol(argv[2]);
    uint64_t state = (uint64_t)atoll(argv[3]);
    for (long n = 0; n < count; n++) {
        uint32_t index = (uint32_t)n;
        CHECK_OK(xipc_mq_send(mq, &index, sizeof index, script_key(&state), XT_CHILD_TIMEOUT_MS));
    }
    xipc_mq_close(mq);
    return 0;
}

#define SCRIPT_COUNT 200

struct model {
    unsigned key[SCRIPT_COUNT];
    bool taken[SCRIPT_COUNT];
};

static void
script_model(struct model *m, uint64_t seed)
{
    uint64_t state = seed;
    for (int n = 0; n < SCRIPT_COUNT; n++) {
        m->key[n] = script_key(&state);
        m->taken[n] = false;
    }
}

/* The index priority order takes from the model: the highest key, the oldest among equals. */
static int
model_priority(const struct model *m)
{
    int best = -1;
    for (int n = 0; n < SCRIPT_COUNT; n++) {
        if (!m->taken[n] && (best < 0 || m->key[n] > m->key[best]))
            best = n;
    }
    return best;
}

/* The index typed selection takes from the model (System V msgrcv's rules). */
static int
model_typed(const struct model *m, int64_t selector)
{
    int best = -1;
    for (int n = 0; n < SCRIPT_COUNT; n++) {
        if (m->taken[n])
            continue;
        if (selector == 0)
            return n;
        if (selector > 0 && m->key[n] == (uint64_t)selector)
            return n;
        if (selector < 0 && m->key[n] <= (uint64_t)-selector &&
            (best < 0 || m->key[n] < m->key[best]))
            best = n;
    }
    return best;
}

static xipc_mq *
queue_with_script(char name[XIPC_NAME_MAX + 1], const char *tag, uint64_t seed)
{
    char count[16], seed_text[32];
    xt_name(tag, name);
    xipc_mq *mq = open_queue(name, SCRIPT_COUNT, 16);
    snprintf(count, sizeof count, "%d", SCRIPT_COUNT);
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
    const char *args[] = { name, count, seed_text, NULL };
    xt_expect_exit(xt_spawn_child("mq_script_sender", args, NULL, NULL, 0), 0);
    return mq;
}

/* Takes one message with the selector (XIPC__MQ_PRIORITY-like: INT64_MIN for priority order)
 * and checks it is the model's pick. */
static void
take_and_check(xipc_mq *mq, struct model *m, int64_t selector, bool priority)
{
    uint32_t index = 0;
    size_t len = 0;
    unsigned key = 0;
    int want = priority ? model_priority(m) : model_typed(m, selector);
    int rc = priority ? xipc_mq_recv(mq, &index, sizeof index, &len, &key, 0)
                      : xipc_mq_recv_typed(mq, selector, 0, &index, sizeof index, &len, &key, 0);
    if (want < 0) {
        CHECK_RC(rc, XIPC_ETIMEDOUT);
        return;
    }
    CHECK_OK(rc);
    CHECK_EQ(len, sizeof index);
    CHECK_EQ(index, want);
    CHECK_EQ(key, m->key[want]);
    m->taken[want] = true;
}

void
xt_test_mq_priority_order_exact(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct model m;
    xipc_mq_info info;
    uint64_t seed = 0x1234567u;
    script_model(&m, seed);
    xipc_mq *mq = queue_with_script(name, "mq.prio", seed);
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.count, SCRIPT_COUNT);
    for (int n = 0; n <= SCRIPT_COUNT; n++)
        take_and_check(mq, &m, 0, true);
    xipc_mq_close(mq);
}

void
xt_test_mq_typed_selection_exact(void)
{
    static const int64_t selectors[] = { 0, 3, -2, 5, -6, 1, -(int64_t)UINT32_MAX, 31, 4, -1,
        (int64_t)UINT32_MAX, 2, 0, -31, 6 };
    char name[XIPC_NAME_MAX + 1];
    struct model m;
    uint64_t seed = 0xfeedbeefu;
    script_model(&m, seed);
    xipc_mq *mq = queue_with_script(name, "mq.typed", seed);
    /* Both orders on one queue: every fourth take is in priority order. */
    for (int n = 0; n < 3 * SCRIPT_COUNT; n++) {
        size_t k = (size_t)n % (sizeof selectors / sizeof selectors[0]);
        take_and_check(mq, &m, selectors[k], n % 4 == 3);
    }
    for (int n = 0; n <= SCRIPT_COUNT; n++)
        take_and_check(mq, &m, 0, false);
    xipc_mq_close(mq);
}

/* A System V style server: requests come as type 1 and carry the client's pid, and the reply goes
 * back with the client's pid as its type. */
struct request {
    uint64_t pid;
    uint32_t value;
};

/* argv: name. Answers requests until one from pid 0. */
int
xt_child_mq_pid_server(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    (void)argc;
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    for (;;) {
        struct request rq;
        size_t len = 0;
        CHECK_OK(xipc_mq_recv_typed(mq, 1, 0, &rq, sizeof rq, &len, NULL, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(len, sizeof rq);
        if (rq.pid == 0)
            break;
        uint32_t answer = rq.value * 2u + 1u;
        CHECK_OK(xipc_mq_send(mq, &answer, sizeof answer, (unsigned)rq.pid, XT_CHILD_TIMEOUT_MS));
    }
    xipc_mq_close(mq);
    return 0;
}

/* argv: name, requests. */
int
xt_child_mq_pid_client(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    (void)argc;
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    uint64_t me = xipc_self_pid();
    CHECK(me > 1 && me <= UINT32_MAX);
    for (uint32_t n = 0; n < (uint32_t)atol(argv[2]); n++) {
        struct request rq = { me, n };
        uint32_t answer = 0;
        size_t len = 0;
        unsigned key = 0;
        CHECK_OK(xipc_mq_send(mq, &rq, sizeof rq, 1, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_mq_recv_typed(
            mq, (int64_t)me, 0, &answer, sizeof answer, &len, &key, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(key, me);
        CHECK_EQ(answer, n * 2u + 1u);
    }
    xipc_mq_close(mq);
    return 0;
}

void
xt_test_mq_pid_addressed_replies(void)
{
    char name[XIPC_NAME_MAX + 1];
    xt_name("mq.pid", name);
    xipc_mq *mq = open_queue(name, 8, sizeof(struct request));
    const char *server_args[] = { name, NULL }, *client_args[] = { name, "200", NULL };
    xipc_proc *server = xt_spawn_child("mq_pid_server", server_args, NULL, NULL, 0);
    xipc_proc *clients[3];
    for (int i = 0; i < 3; i++)
        clients[i] = xt_spawn_child("mq_pid_client", client_args, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        xt_expect_exit(clients[i], 0);
    struct request stop = { 0, 0 };
    CHECK_OK(xipc_mq_send(mq, &stop, sizeof stop, 1, XT_CHILD_TIMEOUT_MS));
    xt_expect_exit(server, 0);
    xipc_mq_close(mq);
}

/* ---- Full and empty ------------------------------------------------------------------------- */

/* argv: name, "send" or "recv", delay in ms. Opens, says ready, waits delay (on purpose: the
 * test's call waits forever meanwhile), then sends or receives one message. */
int
xt_child_mq_later(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    xt_channel ch;
    unsigned char buf[64] = { 0 };
    size_t len = 0;
    (void)argc;
    xt_channel_import(&ch, argv[4], argv[5]);
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    xt_channel_ready(&ch);
    xt_os_sleep_ms(atoi(argv[3]));
    if (strcmp(argv[2], "send") == 0)
        CHECK_OK(xipc_mq_send(mq, "later", 5, 7, XT_CHILD_TIMEOUT_MS));
    else
        CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, XT_CHILD_TIMEOUT_MS));
    xipc_mq_close(mq);
    xt_channel_close(&ch);
    return 0;
}

static xipc_proc *
spawn_later(const char *name, const char *what, xt_channel *ch)
{
    xipc_handle *ends[2];
    xt_channel_open(ch);
    xt_channel_child_ends(ch, ends);
    const char *args[] = { name, what, "200", NULL };
    xipc_proc *p = xt_spawn_passing("mq_later", args, NULL, ends, 2);
    xt_channel_wait_ready(ch);
    return p;
}

/* A call that must time out after about ms. */
static void
expect_timeout(int rc, uint64_t t0, int ms)
{
    uint64_t took = xt_os_now_ms() - t0;
    CHECK_RC(rc, XIPC_ETIMEDOUT);
    CHECK_GE(took, (uint64_t)ms);
    CHECK_LT(took, (uint64_t)ms + XT_SLACK_MS);
}

void
xt_test_mq_empty_waits_and_times_out(void)
{
    char name[XIPC_NAME_MAX + 1], buf[16];
    size_t len = 0;
    unsigned key = 0;
    xt_channel ch;
    xt_name("mq.empty", name);
    xipc_mq *mq = open_queue(name, 2, sizeof buf);
    uint64_t t0 = xt_os_now_ms();
    expect_timeout(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0), t0, 0);
    t0 = xt_os_now_ms();
    expect_timeout(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 150), t0, 150);
    t0 = xt_os_now_ms();
    expect_timeout(xipc_mq_recv_typed(mq, -5, 0, buf, sizeof buf, &len, NULL, 120), t0, 120);
    /* Forever, until another process sends. */
    xipc_proc *p = spawn_later(name, "send", &ch);
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, &key, XIPC_FOREVER));
    CHECK_EQ(len, 5);
    CHECK_EQ(key, 7);
    CHECK(memcmp(buf, "later", 5) == 0);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_mq_close(mq);
}

void
xt_test_mq_full_waits_and_times_out(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_mq_info info;
    xt_channel ch;
    xt_name("mq.full", name);
    xipc_mq *mq = open_queue(name, 2, 8);
    CHECK_OK(xipc_mq_send(mq, "a", 1, 1, 0));
    CHECK_OK(xipc_mq_send(mq, "b", 1, 1, 0));
    uint64_t t0 = xt_os_now_ms();
    expect_timeout(xipc_mq_send(mq, "c", 1, 1, 0), t0, 0);
    t0 = xt_os_now_ms();
    expect_timeout(xipc_mq_send(mq, "c", 1, 1, 150), t0, 150);
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.count, 2); /* nothing of the timed-out sends was queued */
    xipc_proc *p = spawn_later(name, "recv", &ch);
    CHECK_OK(xipc_mq_send(mq, "c", 1, 1, XIPC_FOREVER));
    xt_expect_exit(p, 0);
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.count, 2);
    xt_channel_close(&ch);
    xipc_mq_close(mq);
}

/* ---- Sizes ---------------------------------------------------------------------------------- */

static void
msgsize_case(size_t msg_max, size_t len, size_t cap)
{
    xipc_mq *mq = open_queue(NULL, 2, msg_max);
    unsigned char *msg = malloc(msg_max + 1), *buf = malloc(msg_max + 1);
    xipc_mq_info info;
    size_t got = 0;
    unsigned key = 0;
    CHECK(msg != NULL && buf != NULL);
    fill_message(msg, msg_max + 1, 9);
    CHECK_RC(xipc_mq_send(mq, msg, msg_max + 1, 1, 0), XIPC_EMSGSIZE);
    CHECK_OK(xipc_mq_send(mq, msg, len, 42, 0));
    /* Too small a buffer: the size, and the message stays. */
    CHECK_RC(xipc_mq_recv(mq, buf, cap, &got, &key, 0), XIPC_EMSGSIZE);
    CHECK_EQ(got, len);
    CHECK_RC(xipc_mq_recv_typed(mq, 42, 0, buf, cap, &got, &key, 0), XIPC_EMSGSIZE);
    CHECK_EQ(got, len);
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.count, 1);
    /* Truncated on request: cut to cap and taken. */
    CHECK_OK(xipc_mq_recv_typed(mq, 0, XIPC_MQ_TRUNCATE, buf, cap, &got, &key, 0));
    CHECK_EQ(got, cap);
    CHECK_EQ(key, 42);
    CHECK(message_is(buf, cap, 9));
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.count, 0);
    /* The whole of it fits a buffer of its size. */
    CHECK_OK(xipc_mq_send(mq, msg, len, 3, 0));
    CHECK_OK(xipc_mq_recv_typed(mq, 0, XIPC_MQ_TRUNCATE, buf, len, &got, &key, 0));
    CHECK_EQ(got, len);
    CHECK(message_is(buf, len, 9));
    free(msg);
    free(buf);
    xipc_mq_close(mq);
}

void
xt_test_mq_msgsize_and_truncate(void)
{
    msgsize_case(100, 50, 10); /* copied inside the lock */
    msgsize_case(20000, 19000, 5000); /* copied outside it */
    msgsize_case(70000, 70000, 3000);
    /* Empty messages. */
    xipc_mq *mq = open_queue(NULL, 1, 1);
    size_t got = 1;
    CHECK_OK(xipc_mq_send(mq, NULL, 0, 5, 0));
    CHECK_OK(xipc_mq_recv(mq, NULL, 0, &got, NULL, 0));
    CHECK_EQ(got, 0);
    xipc_mq_close(mq);
}

void
xt_test_mq_stat(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_mq_info info;
    xipc_mq *other = NULL;
    xt_name("mq.stat", name);
    xipc_mq *mq = open_queue(name, 5, 333);
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.capacity, 5);
    CHECK_EQ(info.msg_max, 333);
    CHECK_EQ(info.count, 0);
    for (int i = 0; i < 3; i++)
        CHECK_OK(xipc_mq_send(mq, "x", 1, 1, 0));
    /* An opener learns the sizes; the count is the queue's. */
    CHECK_OK(xipc_mq_open(name, XIPC_OPEN, NULL, &other));
    CHECK_OK(xipc_mq_stat(other, &info));
    CHECK_EQ(info.capacity, 5);
    CHECK_EQ(info.msg_max, 333);
    CHECK_EQ(info.count, 3);
    xipc_mq_close(other);
    xipc_mq_close(mq);
}

/* ---- Many producers and consumers ----------------------------------------------------------- */

#define MANY_SIDES    3
#define MANY_MESSAGES 100000 /* at most, per producer */

/* What a message of the many-process test carries. */
struct tagged {
    uint32_t producer, seq;
};

/* The stop message that ends a consumer. */
#define MANY_STOP UINT32_MAX

/* The key of message seq of producer p: its own (p + 1, so that each producer's messages keep
 * their order in both orders); "ring", key 0 for all: the queue stays the lock-free ring;
 * "switch", key 0 but every 64th message of producer 0, key 1: the queue leaves the ring and
 * comes back all the time, while the others send and receive on it. */
static unsigned
many_key(const char *keys, uint32_t producer, uint32_t seq)
{
    if (strcmp(keys, "own") == 0)
        return producer + 1;
    return strcmp(keys, "switch") == 0 && producer == 0 && seq % 64 == 0;
}

/* Messages per producer: many more on the ring, whose races need the producers to overlap in
 * time, which short runs on two CPUs seldom do. */
static uint32_t
many_count(const char *keys)
{
    return strcmp(keys, "own") == 0 ? 3000 : MANY_MESSAGES;
}

/* argv: name, producer number, keys ("own" or "ring"). Sends many_count numbered messages. */
int
xt_child_mq_many_producer(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    (void)argc;
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    uint32_t producer = (uint32_t)atoi(argv[2]);
    for (uint32_t seq = 0; seq < many_count(argv[3]); seq++) {
        struct tagged t = { producer, seq };
        CHECK_OK(xipc_mq_send(
            mq, &t, sizeof t, many_key(argv[3], producer, seq), XT_CHILD_TIMEOUT_MS));
    }
    xipc_mq_close(mq);
    return 0;
}

/* argv: name, consumer number, keys, then the ledger's export text. Takes messages (priority
 * order, or typed selector 0, by turns; "switch": selector 0 only, send order) until a stop
 * message, counting each in the ledger and checking that each producer's messages come in
 * order. */
int
xt_child_mq_many_consumer(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    xipc_shm *ledger = NULL;
    uint32_t last[MANY_SIDES];
    (void)argc;
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    CHECK_OK(xipc_shm_import(argv[4], &ledger));
    _Atomic unsigned char *seen = xipc_shm_ptr(ledger);
    for (int p = 0; p < MANY_SIDES; p++)
        last[p] = UINT32_MAX;
    for (unsigned n = 0;; n++) {
        struct tagged t;
        size_t len = 0;
        unsigned key = 0;
        if (n % 2 && strcmp(argv[3], "switch") != 0)
            CHECK_OK(xipc_mq_recv(mq, &t, sizeof t, &len, &key, XT_CHILD_TIMEOUT_MS));
        else
            CHECK_OK(xipc_mq_recv_typed(mq, 0, 0, &t, sizeof t, &len, &key, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(len, sizeof t);
        if (t.producer == MANY_STOP)
            break;
        CHECK(t.producer < MANY_SIDES && t.seq < MANY_MESSAGES);
        CHECK_EQ(key, many_key(argv[3], t.producer, t.seq));
        CHECK(last[t.producer] == UINT32_MAX || t.seq > last[t.producer]);
        last[t.producer] = t.seq;
        atomic_fetch_add(&seen[t.producer * MANY_MESSAGES + t.seq], 1);
    }
    xipc_shm_close(ledger);
    xipc_mq_close(mq);
    return 0;
}

/* MANY_SIDES producers and as many consumers at once on a queue of 16: every message received
 * exactly once, each producer's in order. */
static void
many_sides(const char *keys)
{
    char name[XIPC_NAME_MAX + 1], number[8];
    xipc_shm *ledger = NULL;
    xipc_proc *procs[2 * MANY_SIDES];
    xt_name("mq.many", name);
    xipc_mq *mq = open_queue(name, 16, sizeof(struct tagged));
    CHECK_OK(xipc_shm_open(NULL, 0, MANY_SIDES * MANY_MESSAGES, &ledger));
    xipc_handle *h = xipc_shm_handle(ledger);
    for (int i = 0; i < MANY_SIDES; i++) {
        snprintf(number, sizeof number, "%d", i);
        const char *args[] = { name, number, keys, NULL };
        procs[i] = xt_spawn_passing("mq_many_consumer", args, NULL, &h, 1);
        procs[MANY_SIDES + i] = xt_spawn_child("mq_many_producer", args, NULL, NULL, 0);
    }
    for (int i = 0; i < MANY_SIDES; i++)
        xt_expect_exit(procs[MANY_SIDES + i], 0);
    for (int i = 0; i < MANY_SIDES; i++) {
        struct tagged stop = { MANY_STOP, 0 };
        CHECK_OK(xipc_mq_send(mq, &stop, sizeof stop, 0, XT_CHILD_TIMEOUT_MS));
    }
    for (int i = 0; i < MANY_SIDES; i++)
        xt_expect_exit(procs[i], 0);
    const unsigned char *seen = xipc_shm_ptr(ledger);
    for (size_t k = 0; k < MANY_SIDES * MANY_MESSAGES; k++)
        CHECK_EQ(seen[k], k % MANY_MESSAGES < many_count(keys)); /* exactly once */
    xipc_shm_close(ledger);
    xipc_mq_close(mq);
}

void
xt_test_mq_many_producers_and_consumers(void)
{
    many_sides("own");
}

/* The same with one key for all: the sends and receives race on the ring's slots and ends, with
 * no lock. */
void
xt_test_mq_ring_many_producers_exactly_once(void)
{
    many_sides("ring");
}

/* The queue moves between the ring and the lists under the feet of the others: a send or a
 * receive caught between its claim and its commit by the ring's closing ends under the lock. */
void
xt_test_mq_ring_switch_under_load_exactly_once(void)
{
    many_sides("switch");
}

/* ---- The ring and the lists ----------------------------------------------------------------- */

/* A queue is a lock-free ring while every queued message has one key, and moves to the lists
 * when a send of another key comes; back to the ring when it is empty after enough sends of one
 * key (common/mq_core.c). The layout, version 3 (common/mq.h), as another program knows it: the
 * mode word at offset 48, bit 32 set while the queue is a ring. */
#define MQ_OFF_MODE    48u
#define MQ_MODE_LISTS  10
#define MQ_MODE_RING   11

/* argv: the queue's export text. Exits MQ_MODE_LISTS or MQ_MODE_RING, as the queue's mode
 * word says. */
int
xt_child_mq_peek_mode(int argc, char **argv)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc_shm *shm = NULL;
    uint64_t mode;
    (void)argc;
    const char *value = strchr(argv[1] + strlen("xipc1:"), ':');
    CHECK(value != NULL);
    snprintf(text, sizeof text, "xipc1:shm%s", value);
    CHECK_OK(xipc_shm_import(text, &shm));
    memcpy(&mode, (unsigned char *)xipc_shm_ptr(shm) + MQ_OFF_MODE, sizeof mode);
    xipc_shm_close(shm);
    return mode >> 32 == 1 ? MQ_MODE_RING : MQ_MODE_LISTS;
}

static void
expect_mode(xipc_mq *mq, int mode)
{
    xipc_handle *h = xipc_mq_handle(mq);
    const char *args[] = { NULL };
    xt_expect_exit(xt_spawn_passing("mq_peek_mode", args, NULL, &h, 1), mode);
}

/* The key of message n of the mode script: 0 (the ring a new queue starts as), with a message of
 * another key now and then while the queue holds many. */
static unsigned
mode_script_key(int n)
{
    return n == 60 ? 9 : n == 61 ? 3 : n == 150 ? 1 : 0;
}

/* argv: name, count. Sends count messages, each its index, keyed by mode_script_key. */
int
xt_child_mq_mode_sender(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    (void)argc;
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    long count = atol(argv[2]);
    for (long n = 0; n < count; n++) {
        uint32_t index = (uint32_t)n;
        CHECK_OK(
            xipc_mq_send(mq, &index, sizeof index, mode_script_key((int)n), XT_CHILD_TIMEOUT_MS));
    }
    xipc_mq_close(mq);
    return 0;
}

/* Another process fills the queue by the mode script (60 messages of key 0 in the ring, then
 * keys 9 and 3 while those are queued), and the model checks every receive: priority order
 * (selector INT64_MIN) or the typed selectors given, cycled. */
static void
mode_round(xipc_mq *mq, const char *name, const int64_t *selectors, size_t n_selectors)
{
    char count[16];
    struct model m;
    snprintf(count, sizeof count, "%d", SCRIPT_COUNT);
    for (int n = 0; n < SCRIPT_COUNT; n++) {
        m.key[n] = mode_script_key(n);
        m.taken[n] = false;
    }
    const char *args[] = { name, count, NULL };
    xt_expect_exit(xt_spawn_child("mq_mode_sender", args, NULL, NULL, 0), 0);
    expect_mode(mq, MQ_MODE_LISTS);
    for (int n = 0; n < 2 * SCRIPT_COUNT; n++) {
        int64_t selector = selectors[(size_t)n % n_selectors];
        take_and_check(mq, &m, selector, selector == INT64_MIN);
    }
    for (int n = 0; n <= SCRIPT_COUNT; n++)
        take_and_check(mq, &m, 0, false);
}

void
xt_test_mq_ring_mode_switch_order_exact(void)
{
    static const int64_t priority[] = { INT64_MIN };
    static const int64_t typed[] = { 0, 3, -2, 9, INT64_MIN, 1, -8, 0, 5, -(int64_t)UINT32_MAX };
    char name[XIPC_NAME_MAX + 1];
    uint32_t index = 0;
    size_t len = 0;
    xt_name("mq.mode", name);
    xipc_mq *mq = open_queue(name, SCRIPT_COUNT, 16);
    expect_mode(mq, MQ_MODE_RING);
    mode_round(mq, name, priority, 1);
    /* Drained after a long run of key 0: the ring again, and the same script again. */
    expect_mode(mq, MQ_MODE_RING);
    mode_round(mq, name, typed, sizeof typed / sizeof typed[0]);
    expect_mode(mq, MQ_MODE_RING);
    /* A ring of key 0 answers a selector of another key with nothing, and a too small buffer
     * with the size, the message kept. */
    CHECK_OK(xipc_mq_send(mq, "abcdefgh", 8, 0, 0));
    CHECK_RC(xipc_mq_recv_typed(mq, 4, 0, &index, sizeof index, &len, NULL, 0), XIPC_ETIMEDOUT);
    CHECK_RC(xipc_mq_recv(mq, &index, sizeof index, &len, NULL, 0), XIPC_EMSGSIZE);
    CHECK_EQ(len, 8);
    CHECK_OK(xipc_mq_recv_typed(mq, 0, XIPC_MQ_TRUNCATE, &index, sizeof index, &len, NULL, 0));
    CHECK(len == sizeof index && memcmp(&index, "abcd", 4) == 0);
    expect_mode(mq, MQ_MODE_RING);
    xipc_mq_close(mq);
}

/* ---- Records: each message beside its slot's fields ------------------------------------------ */

/* A slot's record is its line of fields with the payload right after it, msg_max rounded up to
 * whole lines (common/mq.h): a message of msg_max bytes fills its payload up to the next record's
 * word. Sizes at and around the line: 64 (a record of two lines), 65 (one byte over: three), 63
 * and 1, and 128. */
#define RECORD_SLOTS 8

/* The key of message n of a fill: all in the ring ("ring", key 0), in the lists ("lists", keys
 * 1 to 3), or in the ring until half-way, where a key 7 moves the queue to the lists ("switch"). */
static unsigned
record_key(const char *how, int n)
{
    if (strcmp(how, "ring") == 0)
        return 0;
    if (strcmp(how, "lists") == 0)
        return 1u + (unsigned)n % 3u;
    return n < RECORD_SLOTS / 2 ? 0 : 7;
}

/* argv: name, msg_max, how. Fills the queue with RECORD_SLOTS messages of msg_max bytes, message
 * n keyed by record_key and filled by fill_message(n); one byte more is refused, and so is a
 * message once the queue is full. */
int
xt_child_mq_record_filler(int argc, char **argv)
{
    static unsigned char msg[256];
    xipc_mq *mq = NULL;
    (void)argc;
    size_t msg_max = (size_t)atol(argv[2]);
    CHECK(msg_max < sizeof msg);
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN, NULL, &mq));
    CHECK_RC(xipc_mq_send(mq, msg, msg_max + 1, 0, 0), XIPC_EMSGSIZE);
    for (int n = 0; n < RECORD_SLOTS; n++) {
        fill_message(msg, msg_max, (uint64_t)n);
        CHECK_OK(xipc_mq_send(mq, msg, msg_max, record_key(argv[3], n), 0));
    }
    CHECK_RC(xipc_mq_send(mq, msg, msg_max, record_key(argv[3], 0), 0), XIPC_ETIMEDOUT);
    xipc_mq_close(mq);
    return 0;
}

/* Another process fills a queue whose largest message is msg_max as `how` says; each message
 * comes out whole, in send order, its neighbours untouched. */
static void
records_round(size_t msg_max, const char *how)
{
    unsigned char buf[256];
    char name[XIPC_NAME_MAX + 1], size[16];
    size_t len = 0;
    unsigned key = 0;
    xt_name("mq.records", name);
    snprintf(size, sizeof size, "%zu", msg_max);
    xipc_mq *mq = open_queue(name, RECORD_SLOTS, msg_max);
    const char *args[] = { name, size, how, NULL };
    xt_expect_exit(xt_spawn_child("mq_record_filler", args, NULL, NULL, 0), 0);
    for (int n = 0; n < RECORD_SLOTS; n++) {
        memset(buf, 0, sizeof buf);
        CHECK_OK(xipc_mq_recv_typed(mq, 0, 0, buf, sizeof buf, &len, &key, 0));
        if (len != msg_max || key != record_key(how, n) || !message_is(buf, len, (uint64_t)n))
            xt_fail(__FILE__, __LINE__, "msg_max %zu, %s: message %d: %zu bytes, key %u%s",
                msg_max, how, n, len, key, message_is(buf, len, (uint64_t)n) ? "" : ", changed");
    }
    CHECK_RC(xipc_mq_recv_typed(mq, 0, 0, buf, sizeof buf, &len, &key, 0), XIPC_ETIMEDOUT);
    xipc_mq_close(mq);
}

void
xt_test_mq_full_records_keep_their_neighbours(void)
{
    static const size_t sizes[] = { 64, 65, 63, 1, 128 };
    static const char *const hows[] = { "ring", "lists", "switch" };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t h = 0; h < sizeof hows / sizeof hows[0]; h++)
            records_round(sizes[s], hows[h]);
    }
}

/* ---- Misuse, names, leaks ------------------------------------------------------------------- */

void
xt_test_mq_bad_input(void)
{
    char name[XIPC_NAME_MAX + 1], buf[8], too_long[XIPC_NAME_MAX + 2];
    xipc_mq *mq = NULL, *other = NULL;
    xipc_event *ev = NULL;
    xipc_mq_attr attr = { 4, 8 }, zero = { 0, 0 };
    size_t len = 0;
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    xt_name("mq.bad", name);
    CHECK_RC(xipc_mq_open(name, XIPC_CREATE, &attr, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(too_long, XIPC_CREATE, &attr, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open("a/b", XIPC_CREATE, &attr, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, 0, &attr, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(NULL, XIPC_OPEN, &attr, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, XIPC_CREATE | 0x8000u, &attr, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, XIPC_CREATE, NULL, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, XIPC_CREATE, &zero, &mq), XIPC_EINVAL);
    xipc_mq_attr big = { XIPC_MQ_CAPACITY_MAX + 1, 8 }, wide = { 1, XIPC_MQ_MSG_MAX + 1 };
    xipc_mq_attr huge = { XIPC_MQ_CAPACITY_MAX, XIPC_MQ_MSG_MAX };
    CHECK_RC(xipc_mq_open(NULL, 0, &big, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(NULL, 0, &wide, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(NULL, 0, &huge, &mq), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN, NULL, &mq), XIPC_ENOENT);
    CHECK(mq == NULL);
    CHECK_OK(xipc_mq_open(name, XIPC_CREATE, &attr, &mq));
    CHECK_RC(xipc_mq_open(name, XIPC_CREATE, &attr, &other), XIPC_EEXIST);
    /* Sizes an opener asks for must be the queue's. */
    xipc_mq_attr fewer = { 3, 8 }, smaller = { 4, 7 }, cap_only = { 4, 0 };
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN, &fewer, &other), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN, &smaller, &other), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN | XIPC_CREATE, &fewer, &other), XIPC_EINVAL);
    CHECK_OK(xipc_mq_open(name, XIPC_OPEN, &cap_only, &other));
    xipc_mq_close(other);
    CHECK_OK(xipc_mq_open(name, XIPC_OPEN | XIPC_CREATE, &attr, &other));
    xipc_mq_close(other);
    /* Calls. */
    CHECK_RC(xipc_mq_send(NULL, "x", 1, 0, 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_send(mq, NULL, 1, 0, 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_send(mq, "x", 1, 0, -2), XIPC_EINVAL);
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, NULL, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_recv(mq, NULL, 1, &len, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, -5), XIPC_EINVAL);
    CHECK_RC(xipc_mq_recv_typed(mq, 0, 0x2u, buf, sizeof buf, &len, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_recv_typed(mq, (int64_t)UINT32_MAX + 1, 0, buf, sizeof buf, &len, NULL, 0),
        XIPC_EINVAL);
    CHECK_RC(xipc_mq_recv_typed(mq, -(int64_t)UINT32_MAX - 1, 0, buf, sizeof buf, &len, NULL, 0),
        XIPC_EINVAL);
    CHECK_RC(xipc_mq_stat(mq, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_mq_unlink(name, 0x4u), XIPC_EINVAL);
    CHECK_RC(xipc_mq_unlink("a/b", 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_import(NULL, &other), XIPC_EINVAL);
    CHECK_RC(xipc_mq_import("xipc1:event:3", &other), XIPC_EINVAL);
    CHECK_RC(xipc_mq_inherited(0, NULL), XIPC_EINVAL);
    CHECK(xipc_mq_handle(NULL) == NULL);
    CHECK_EQ(xipc_handle_kind(xipc_mq_handle(mq)), XIPC_KIND_MQ);
    /* A handle of another kind. */
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_RC(xipc_mq_send((xipc_mq *)(void *)ev, "x", 1, 0, 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_stat((xipc_mq *)(void *)ev, &(xipc_mq_info) { 0 }), XIPC_EINVAL);
    xipc_event_close(ev);
    /* A closed handle. */
    xipc_mq_close(mq);
    CHECK_RC(xipc_mq_send(mq, "x", 1, 0, 0), XIPC_EBADF);
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0), XIPC_EBADF);
    CHECK_RC(xipc_mq_stat(mq, &(xipc_mq_info) { 0 }), XIPC_EBADF);
    xipc_mq_close(mq); /* a no-op */
    xipc_mq_close(NULL);
}

/* argv: name. Opens the kernel queue and sends priorities 0..31 in a scrambled order, each
 * message its priority in one byte. */
int
xt_child_mq_posix_sender(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    (void)argc;
    CHECK_OK(xipc_mq_open(argv[1], XIPC_OPEN | XIPC_MQ_POSIX, NULL, &mq));
    for (unsigned i = 0; i < 32; i++) {
        unsigned char prio = (unsigned char)((i * 13u) % 32u);
        CHECK_OK(xipc_mq_send(mq, &prio, 1, prio, XT_CHILD_TIMEOUT_MS));
    }
    xipc_mq_close(mq);
    return 0;
}

void
xt_test_mq_posix_flag(void)
{
    xipc_mq *mq = NULL, *other = NULL;
    xipc_mq_attr attr = { 32, 64 }, wrong = { 31, 64 };
    xipc_mq_info info;
    char name[XIPC_NAME_MAX + 1], buf[64];
    size_t len = 0;
    unsigned key = 0;
    xt_name("mq.posix", name);
    int rc = xipc_mq_open(name, XIPC_CREATE | XIPC_MQ_POSIX, &attr, &mq);
    if (rc == XIPC_ENOTSUP) {
        CHECK_RC(xipc_mq_unlink(name, XIPC_MQ_POSIX), XIPC_ENOTSUP);
        XT_SKIP("no XIPC_MQ_POSIX queues here (Windows has none)");
    }
    if (rc == XIPC_EINVAL) {
        attr.capacity = 10; /* the kernel's default limit for users (fs.mqueue.msg_max) */
        CHECK_OK(xipc_mq_open(name, XIPC_CREATE | XIPC_MQ_POSIX, &attr, &mq));
    } else {
        CHECK_OK(rc);
    }
    CHECK_RC(xipc_mq_open(NULL, XIPC_MQ_POSIX, &attr, &other), XIPC_EINVAL);
    CHECK_RC(xipc_mq_open(name, XIPC_CREATE | XIPC_MQ_POSIX, &attr, &other), XIPC_EEXIST);
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN | XIPC_MQ_POSIX, &wrong, &other), XIPC_EINVAL);
    /* An xipc queue of that name is another object. */
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN, NULL, &other), XIPC_ENOENT);
    CHECK_OK(xipc_mq_stat(mq, &info));
    CHECK_EQ(info.capacity, attr.capacity);
    CHECK_EQ(info.msg_max, 64);
    CHECK_EQ(info.count, 0);
    /* The kernel's rules. */
    CHECK_RC(xipc_mq_send(mq, "x", 1, 40000, 0), XIPC_EINVAL);
    CHECK_RC(xipc_mq_recv_typed(mq, 0, 0, buf, sizeof buf, &len, NULL, 0), XIPC_ENOTSUP);
    CHECK_RC(xipc_mq_recv(mq, buf, 10, &len, NULL, 0), XIPC_EMSGSIZE);
    CHECK_EQ(len, 64);
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 100), XIPC_ETIMEDOUT);
    CHECK_GE(xt_os_now_ms() - t0, 100);
    char text[XIPC_HANDLE_TEXT_MAX];
    CHECK_RC(xipc_handle_export(xipc_mq_handle(mq), text, sizeof text), XIPC_ENOTSUP);
    /* Another process sends POSIX priorities: received highest first. */
    if (attr.capacity >= 32) {
        const char *args[] = { name, NULL };
        xt_expect_exit(xt_spawn_child("mq_posix_sender", args, NULL, NULL, 0), 0);
        for (unsigned want = 32; want-- > 0;) {
            CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, &key, 0));
            CHECK_EQ(len, 1);
            CHECK_EQ(key, want);
            CHECK_EQ((unsigned char)buf[0], want);
        }
    }
    /* The creator's close removes the name. */
    xipc_mq_close(mq);
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN | XIPC_MQ_POSIX, NULL, &other), XIPC_ENOENT);
    CHECK_RC(xipc_mq_unlink(name, XIPC_MQ_POSIX), XIPC_ENOENT);
}

void
xt_test_mq_names(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_mq *mq = NULL, *other = NULL, *third = NULL;
    xipc_mq_attr attr = { 4, 16 };
    size_t len = 0;
    char buf[16];
    xt_name("mq.names", name);
    CHECK_OK(xipc_mq_open(name, XIPC_CREATE, &attr, &mq));
    if (xt_os_names_outlive_processes())
        CHECK_EQ(xt_os_sync_object_mode("mq", name), 0600); /* owner-only */
    CHECK_OK(xipc_mq_open(name, XIPC_OPEN, NULL, &other));
    /* A name with its one leading '/' is the same name. */
    char slashed[XIPC_NAME_MAX + 2];
    snprintf(slashed, sizeof slashed, "/%s", name);
    CHECK_OK(xipc_mq_open(slashed, XIPC_OPEN, NULL, &third));
    xipc_mq_close(third);
    /* Other kinds with the same name do not reach it. */
    xipc_shm *shm = NULL;
    if (xt_os_names_outlive_processes()) {
        CHECK_OK(xipc_shm_open(name, XIPC_CREATE, 100, &shm));
        xipc_shm_close(shm);
    }
    CHECK_OK(xipc_mq_send(mq, "hello", 5, 1, 0));
    /* Unlink: handles open keep working; the name is gone. */
    CHECK_OK(xipc_mq_unlink(name, 0));
    if (xt_os_names_outlive_processes()) /* Windows: the name goes with the last handle */
        CHECK_RC(xipc_mq_open(name, XIPC_OPEN, NULL, &third), XIPC_ENOENT);
    CHECK_OK(xipc_mq_recv(other, buf, sizeof buf, &len, NULL, 0));
    CHECK_EQ(len, 5);
    xipc_mq_close(other);
    xipc_mq_close(mq);
    /* The creator's close removes the name. */
    CHECK_OK(xipc_mq_open(name, XIPC_CREATE, &attr, &mq));
    xipc_mq_close(mq);
    CHECK_RC(xipc_mq_open(name, XIPC_OPEN, NULL, &mq), XIPC_ENOENT);
    CHECK_RC(xipc_mq_unlink(name, 0), XIPC_ENOENT);
    /* Another user's queue is refused, and left alone. */
    CHECK_OK(xipc_mq_open(name, XIPC_CREATE, &attr, &mq));
    if (xt_os_give_sync_object_away("mq", name) == 0) {
        CHECK_RC(xipc_mq_open(name, XIPC_OPEN, NULL, &other), XIPC_EACCES);
        CHECK_RC(xipc_mq_unlink(name, 0), XIPC_EACCES);
        xt_os_unplant_sync_name("mq", name);
    } else {
        printf("note: not root (or Windows), so another user's queue was not tried\n");
    }
    xipc_mq_close(mq);
}

void
xt_test_mq_no_handle_leak(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_mq *mq = NULL, *other = NULL;
    xipc_mq_attr attr = { 4, 100 };
    xt_name("mq.leak", name);
    xt_warm_up();
    CHECK_OK(xipc_mq_open(name, XIPC_CREATE, &attr, &mq));
    xipc_mq_close(mq);
    int before = xt_os_handle_count();
    for (int i = 0; i < 50; i++) {
        CHECK_OK(xipc_mq_open(i % 2 ? name : NULL, XIPC_CREATE, &attr, &mq));
        if (i % 2) {
            CHECK_OK(xipc_mq_open(name, XIPC_OPEN, NULL, &other));
            xipc_mq_close(other);
            CHECK_RC(xipc_mq_open(name, XIPC_CREATE, &attr, &other), XIPC_EEXIST);
            xipc_mq_attr wrong = { 5, 100 };
            CHECK_RC(xipc_mq_open(name, XIPC_OPEN, &wrong, &other), XIPC_EINVAL);
        }
        CHECK_OK(xipc_mq_send(mq, "x", 1, 1, 0));
        xipc_mq_close(mq);
    }
    CHECK_EQ(xt_os_handle_count(), before);
}

/* ---- Wait sets ------------------------------------------------------------------------------ */

static unsigned
ready_events(xipc_waitset *ws, xipc_mq *mq, int timeout_ms)
{
    xipc_waitset_entry out[2];
    size_t n = 0;
    int rc = xipc_waitset_wait(ws, out, 2, &n, timeout_ms);
    if (rc == XIPC_ETIMEDOUT)
        return 0;
    CHECK_OK(rc);
    CHECK_EQ(n, 1);
    CHECK(out[0].handle == xipc_mq_handle(mq));
    CHECK_OK(out[0].result);
    return out[0].events;
}

void
xt_test_mq_waitset_readable_writable(void)
{
    char name[XIPC_NAME_MAX + 1], buf[8];
    size_t len = 0;
    xipc_waitset *ws = NULL;
    xt_channel ch;
    xt_name("mq.ws", name);
    xipc_mq *mq = open_queue(name, 2, sizeof buf);
    CHECK_OK(xipc_waitset_open(&ws));
    CHECK_OK(
        xipc_waitset_add(ws, xipc_mq_handle(mq), XIPC_WAITSET_READ | XIPC_WAITSET_WRITE, NULL));
    CHECK_EQ(ready_events(ws, mq, 0), XIPC_WAITSET_WRITE); /* empty: room only */
    CHECK_OK(xipc_mq_send(mq, "a", 1, 1, 0));
    CHECK_EQ(ready_events(ws, mq, 0), XIPC_WAITSET_READ | XIPC_WAITSET_WRITE);
    CHECK_OK(xipc_mq_send(mq, "b", 1, 1, 0));
    CHECK_EQ(ready_events(ws, mq, 0), XIPC_WAITSET_READ); /* full */
    CHECK_EQ(ready_events(ws, mq, 0), XIPC_WAITSET_READ); /* nothing taken: level-triggered */
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0));
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0));
    /* Readable only: nothing until another process sends. */
    CHECK_OK(xipc_waitset_modify(ws, xipc_mq_handle(mq), XIPC_WAITSET_READ, NULL));
    CHECK_EQ(ready_events(ws, mq, 50), 0);
    xipc_proc *p = spawn_later(name, "send", &ch);
    CHECK_EQ(ready_events(ws, mq, XIPC_FOREVER), XIPC_WAITSET_READ);
    CHECK_OK(xipc_mq_recv(mq, buf, sizeof buf, &len, NULL, 0));
    CHECK_EQ(len, 5);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    /* A closed queue leaves the set. */
    xipc_mq_close(mq);
    CHECK_EQ(ready_events(ws, mq, 0), 0);
    xipc_waitset_close(ws);
}

/* ---- Threads -------------------------------------------------------------------------------- */

#define THREAD_MESSAGES 3000

struct thread_work {
    xipc_mq *mq;
    bool sender;
    uint32_t base;
    _Atomic unsigned char *seen;
    int failures;
};

static void
thread_main(void *arg)
{
    struct thread_work *w = arg;
    for (uint32_t n = 0; n < THREAD_MESSAGES; n++) {
        uint32_t v = w->base + n;
        size_t len = 0;
        int rc = w->sender ? xipc_mq_send(w->mq, &v, sizeof v, 1, XT_CHILD_TIMEOUT_MS)
                           : xipc_mq_recv(w->mq, &v, sizeof v, &len, NULL, XT_CHILD_TIMEOUT_MS);
        if (rc != 0 || (!w->sender && (len != sizeof v || v >= 2 * THREAD_MESSAGES)))
            w->failures++;
        else if (!w->sender)
            atomic_fetch_add(&w->seen[v], 1);
    }
}

/* Two threads send and two receive on one handle at once: they share its user entry, and so
 * take turns at the queue's lock through the handle's own flag. */
void
xt_test_mq_threads_share_a_handle(void)
{
    static _Atomic unsigned char seen[2 * THREAD_MESSAGES];
    struct thread_work work[4];
    xt_os_thread *threads[4];
    xipc_mq *mq = open_queue(NULL, 4, sizeof(uint32_t));
    for (int i = 0; i < 4; i++) {
        work[i] = (struct thread_work) { mq, i < 2, (uint32_t)(i % 2) * THREAD_MESSAGES, seen, 0 };
        threads[i] = xt_os_thread_start(thread_main, &work[i]);
    }
    for (int i = 0; i < 4; i++) {
        xt_os_thread_join(threads[i]);
        CHECK_EQ(work[i].failures, 0);
    }
    for (int v = 0; v < 2 * THREAD_MESSAGES; v++)
        CHECK_EQ(seen[v], 1);
    xipc_mq_close(mq);
}
