/* examples/mq_sysv_port.c: a server written for System V message queues (msgget, msgsnd,
 * msgrcv), ported to xipc. Each xipc call has the System V call it replaces beside it.
 *
 * One queue carries everything, as System V programs do. Clients send requests of type 1; the
 * server answers each with a message whose type is the client's process id, and each client
 * takes only the messages of its own type. When a client is done it sends a message of type 2.
 * The server receives with the selector -2, "the lowest type not above 2", so that requests
 * (type 1) are always served before a "done" (type 2) is taken; it stops once every client said
 * done, and exits 0 when every client got every answer right and nothing is left in the queue.
 *
 * What changes in the port: a message type is the message's key, given beside the body instead
 * of in a `long mtype` at its start; msgrcv's msgtyp is the selector of xipc_mq_recv_typed, with
 * the same meaning (0: the oldest; above 0: the oldest of that type; below 0: the lowest type not
 * above its absolute value); a queue is named, not keyed by ftok(), and sized in messages, not
 * bytes (msg_qbytes); IPC_NOWAIT is a timeout of 0, and an empty queue is XIPC_ETIMEDOUT where
 * msgrcv says ENOMSG; and the same program runs on Windows, which has no msgget.
 *
 *   mq_sysv_port                  run the whole thing: the server
 *   mq_sysv_port client NAME I    (started by the server) be client number I of queue NAME
 */
#include <xipc.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENTS    6
#define REQUESTS   20 /* per client */
#define CAPACITY   32 /* a client has one request, or one answer, or its "done" queued at once */
#define TIMEOUT_MS 10000

#define TYPE_REQUEST 1u
#define TYPE_DONE    2u

/* The bodies; on System V each would start with its `long mtype`. */
struct request {
    uint32_t client_pid; /* where the answer goes: its type */
    int32_t number;
};
struct answer {
    int64_t square;
};

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
    fprintf(stderr, "mq_sysv_port: %s: %s %s\n", what, xipc_errname(rc), why);
    exit(1);
}

/* This process's id as a message type: above the server's own types, and 32 bits (Linux pids
 * are at most 2^22, Windows ones are DWORDs). */
static unsigned
own_type(void)
{
    uint64_t pid = xipc_self_pid();
    if (pid <= TYPE_DONE || pid > UINT32_MAX) {
        fprintf(stderr, "mq_sysv_port: pid %llu cannot be a type\n", (unsigned long long)pid);
        exit(1);
    }
    return (unsigned)pid;
}

static int
client_main(const char *name, int number)
{
    xipc_mq *mq;
    unsigned me = own_type(), type;
    size_t len;
    /* int id = msgget(ftok(path, 'q'), 0); */
    check(xipc_mq_open(name, XIPC_OPEN, NULL, &mq), "open");
    for (int i = 0; i < REQUESTS; i++) {
        struct request req = { me, number * 1000 + i };
        struct answer ans;
        /* msgsnd(id, &req, sizeof req - sizeof(long), 0) with req.mtype = 1; */
        check(xipc_mq_send(mq, &req, sizeof req, TYPE_REQUEST, TIMEOUT_MS), "send request");
        /* msgrcv(id, &ans, sizeof ans - sizeof(long), getpid(), 0); */
        check(xipc_mq_recv_typed(mq, me, 0, &ans, sizeof ans, &len, &type, TIMEOUT_MS),
            "receive answer");
        if (len != sizeof ans || type != me || ans.square != (int64_t)req.number * req.number) {
            fprintf(stderr, "mq_sysv_port: client %d got a wrong answer\n", number);
            return 1;
        }
    }
    /* msgsnd(id, &done, 0, 0) with done.mtype = 2: a message may be empty. */
    check(xipc_mq_send(mq, NULL, 0, TYPE_DONE, TIMEOUT_MS), "send done");
    xipc_mq_close(mq);
    return 0;
}

/* Serves requests until every client said done; returns how many requests it answered. */
static int
serve(xipc_mq *mq)
{
    int answered = 0, done = 0;
    while (done < CLIENTS) {
        struct request req;
        size_t len;
        unsigned type;
        /* msgrcv(id, &req, sizeof req - sizeof(long), -2, 0): requests before "done". */
        check(xipc_mq_recv_typed(
                  mq, -(int64_t)TYPE_DONE, 0, &req, sizeof req, &len, &type, TIMEOUT_MS),
            "receive");
        if (type == TYPE_DONE) {
            done++;
            continue;
        }
        struct answer ans = { (int64_t)req.number * req.number };
        if (type != TYPE_REQUEST || len != sizeof req || req.client_pid <= TYPE_DONE) {
            fprintf(stderr, "mq_sysv_port: a message of type %u and %zu bytes\n", type, len);
            exit(1);
        }
        /* msgsnd(id, &ans, sizeof ans - sizeof(long), 0) with ans.mtype = req.client_pid; */
        check(xipc_mq_send(mq, &ans, sizeof ans, req.client_pid, TIMEOUT_MS), "send answer");
        answered++;
    }
    return answered;
}

int
main(int argc, char **argv)
{
    xipc_proc *clients[CLIENTS];
    xipc_mq *mq;
    char self[4096], number[16], rest[8];
    xipc_mq_attr attr = { CAPACITY, sizeof(struct request) };
    int failures = 0;
    size_t len;

    if (argc == 4 && strcmp(argv[1], "client") == 0)
        return client_main(argv[2], atoi(argv[3]));
    check(xipc_self_exe(self, sizeof self), "own path");
    snprintf(queue_name, sizeof queue_name, "xipc-example-msq-%llu",
        (unsigned long long)xipc_self_pid());
    /* int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600); */
    check(xipc_mq_open(queue_name, XIPC_CREATE, &attr, &mq), "create");
    atexit(remove_queue); /* a failed check exits at once: the name goes all the same */
    for (int i = 0; i < CLIENTS; i++) {
        snprintf(number, sizeof number, "%d", i);
        const char *cargv[] = { self, "client", queue_name, number, NULL };
        xipc_spawn_opts opts = { .file = self, .argv = cargv, .flags = XIPC_SPAWN_DIE_WITH_PARENT };
        check(xipc_spawn(&opts, &clients[i]), "spawn");
    }
    int answered = serve(mq);
    for (int i = 0; i < CLIENTS; i++) {
        xipc_exit_status status;
        check(xipc_proc_wait(clients[i], &status, TIMEOUT_MS), "wait");
        if (status.kind != XIPC_EXIT_NORMAL || status.code != 0)
            failures++;
        xipc_proc_close(clients[i]);
    }
    /* msgrcv(id, &m, size, 0, IPC_NOWAIT) on an empty queue: ENOMSG; here XIPC_ETIMEDOUT. */
    if (xipc_mq_recv_typed(mq, 0, 0, rest, sizeof rest, &len, NULL, 0) != XIPC_ETIMEDOUT)
        failures++;
    /* msgctl(id, IPC_RMID, NULL): the creator's close removes the name. */
    xipc_mq_close(mq);
    printf("mq_sysv_port: %d requests answered, %d failures\n", answered, failures);
    return failures == 0 && answered == CLIENTS * REQUESTS ? 0 : 1;
}
