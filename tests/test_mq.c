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

/* argv: name (or "inherited"), rounds. Receives each request (typed KEY_REQUEST), checks it
 * and sends it back as a reply. */
int
xt_child_mq_echo(int argc, char **argv)
{
    xipc_mq *mq = NULL;
    xipc_mq_info info;
    (void)argc;
    if (strcmp(argv[1], "inherited") == 0)
        CHECK_OK(xipc_mq_inherited(0, &mq));
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
