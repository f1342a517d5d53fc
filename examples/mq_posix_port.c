/* examples/mq_posix_port.c: a program written for POSIX message queues (mq_open, mq_send,
 * mq_receive), ported to xipc. Each xipc call has the POSIX call it replaces beside it.
 *
 * The owner (this program) creates a queue by name, then starts a producer and, once the producer
 * is done, a consumer, each a copy of this program that opens the queue by its name, as two
 * separate POSIX programs would. The producer sends two messages of every priority from 0 to 31,
 * in a scrambled order, until the queue is full. The consumer takes them all and checks that
 * they come in priority order: the highest priority first and, within one priority, the oldest
 * first, as mq_receive promises. Exits 0 when every check passed.
 *
 * What changes in the port: a priority is the message's key; the queue's sizes are in messages
 * and bytes, as mq_attr gives them; a receive buffer need only hold the message it takes, not
 * mq_msgsize bytes (a smaller one is XIPC_EMSGSIZE, and the message stays queued); timeouts are
 * milliseconds from now, not an absolute CLOCK_REALTIME time; and the same program runs on
 * Windows, which has no mq_open.
 *
 *   mq_posix_port                      run the whole thing
 *   mq_posix_port producer|consumer N  (started by the owner) be the producer or the consumer of
 *                                      the queue named N
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRIORITIES 32
#define MESSAGES   (2 * PRIORITIES) /* also the queue's capacity: the producer fills it */
#define MSG_MAX    128
#define TIMEOUT_MS 10000

/* The queue's name in the process that created it, removed at exit even when a check failed. */
static char queue_name[XIPC_NAME_MAX + 1];

static void
remove_queue(void)
{
    (void)xipc_mq_unlink(queue_name, 0);
}

static void
check(int rc, const char *what)
{
    char why[256];
    if (rc == 0)
        return;
    xipc_last_os_error_describe(why, sizeof why);
    fprintf(stderr, "mq_posix_port: %s: %s %s\n", what, xipc_errname(rc), why);
    exit(1);
}

static void
expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "mq_posix_port: %s\n", what);
        exit(1);
    }
}

/* The priority of the i-th message sent: every one of 0..31 twice, in a scrambled order. */
static unsigned
priority_of(int i)
{
    return (unsigned)(i * 13) % PRIORITIES;
}

static int
producer_main(const char *name)
{
    xipc_mq *mq;
    char text[MSG_MAX + 1];
    /* mqd_t mq = mq_open(name, O_WRONLY); */
    check(xipc_mq_open(name, XIPC_OPEN, NULL, &mq), "open");
    for (int i = 0; i < MESSAGES; i++) {
        int len = snprintf(text, sizeof text, "message %d, priority %u", i, priority_of(i));
        /* mq_send(mq, text, len, priority_of(i)); */
        check(xipc_mq_send(mq, text, (size_t)len, priority_of(i), TIMEOUT_MS), "send");
    }
    /* The queue is full now: mq_timedsend with a deadline 50 ms away fails with ETIMEDOUT. */
    expect(xipc_mq_send(mq, "one more", 8, 0, 50) == XIPC_ETIMEDOUT, "a full queue took more");
    /* A message longer than mq_msgsize: EMSGSIZE, as from mq_send. */
    memset(text, 'x', sizeof text);
    expect(xipc_mq_send(mq, text, MSG_MAX + 1, 0, 0) == XIPC_EMSGSIZE, "an oversized send passed");
    /* mq_close(mq); */
    xipc_mq_close(mq);
    return 0;
}

/* Receives every message and checks the order: priorities never rise, and within a priority
 * the messages come in the order they were sent. */
static int
consumer_main(const char *name)
{
    xipc_mq *mq;
    xipc_mq_info info;
    char text[MSG_MAX + 1], small[8];
    unsigned prio, last_prio = PRIORITIES;
    int last_index = -1, index;
    size_t len;
    /* mqd_t mq = mq_open(name, O_RDONLY); */
    check(xipc_mq_open(name, XIPC_OPEN, NULL, &mq), "open");
    /* mq_getattr(mq, &attr): mq_maxmsg, mq_msgsize, mq_curmsgs. */
    check(xipc_mq_stat(mq, &info), "stat");
    expect(info.capacity == MESSAGES && info.msg_max == MSG_MAX && info.count == MESSAGES,
        "the queue's sizes or count are wrong");
    /* POSIX refuses any buffer below mq_msgsize; xipc only one too small for the message, tells
     * its size, and keeps it. */
    expect(xipc_mq_recv(mq, small, sizeof small, &len, &prio, 0) == XIPC_EMSGSIZE && len > 8,
        "a too small buffer was not refused");
    for (int i = 0; i < MESSAGES; i++) {
        /* ssize_t len = mq_receive(mq, text, attr.mq_msgsize, &prio); */
        check(xipc_mq_recv(mq, text, MSG_MAX, &len, &prio, TIMEOUT_MS), "receive");
        text[len] = '\0';
        expect(sscanf(text, "message %d", &index) == 1 && priority_of(index) == prio,
            "a message does not match its priority");
        expect(prio < last_prio || (prio == last_prio && index > last_index),
            "messages came out of priority order");
        last_prio = prio;
        last_index = index;
    }
    /* mq_timedreceive on an empty queue, 100 ms: ETIMEDOUT. */
    expect(xipc_mq_recv(mq, text, MSG_MAX, &len, &prio, 100) == XIPC_ETIMEDOUT,
        "an empty queue gave a message");
    xipc_mq_close(mq);
    printf("mq_posix_port: %d messages in priority order\n", MESSAGES);
    return 0;
}

/* Starts a copy of this program in the given role and checks that it exits 0. */
static void
run_child(const char *self, const char *role, const char *name)
{
    xipc_proc *child;
    xipc_exit_status status;
    const char *argv[] = { self, role, name, NULL };
    xipc_spawn_opts opts = { .file = self, .argv = argv, .flags = XIPC_SPAWN_DIE_WITH_PARENT };
    check(xipc_spawn(&opts, &child), "spawn");
    check(xipc_proc_wait(child, &status, TIMEOUT_MS), "wait");
    xipc_proc_close(child);
    if (status.kind != XIPC_EXIT_NORMAL || status.code != 0) {
        fprintf(stderr, "mq_posix_port: the %s failed\n", role);
        exit(1);
    }
}

int
main(int argc, char **argv)
{
    xipc_mq *mq;
    char self[4096];
    xipc_mq_attr attr = { MESSAGES, MSG_MAX }; /* struct mq_attr: mq_maxmsg, mq_msgsize */

    if (argc == 3 && strcmp(argv[1], "producer") == 0)
        return producer_main(argv[2]);
    if (argc == 3 && strcmp(argv[1], "consumer") == 0)
        return consumer_main(argv[2]);
    check(xipc_self_exe(self, sizeof self), "own path");
    /* A leading '/' as mq_open wants it would be dropped: the name is the same without it. */
    snprintf(
        queue_name, sizeof queue_name, "xipc-example-mq-%llu", (unsigned long long)xipc_self_pid());
    /* mqd_t mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr); xipc's are owner-only. */
    check(xipc_mq_open(queue_name, XIPC_CREATE, &attr, &mq), "create");
    atexit(remove_queue); /* a failed check exits at once: the name goes all the same */
    run_child(self, "producer", queue_name);
    run_child(self, "consumer", queue_name);
    /* mq_unlink(name); the creator's close below would remove the name too. */
    check(xipc_mq_unlink(queue_name, 0), "unlink");
    xipc_mq_close(mq);
    return 0;
}
