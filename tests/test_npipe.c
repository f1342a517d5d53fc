/* tests/test_npipe.c: named pipes across real processes: byte echo, message boundaries and
 * XIPC_EMSGSIZE, 64 concurrent clients, peer pids, errors, the runtime directory's security,
 * bad input and leaks. */
#include "xt.h"

/* Before counting handles: besides xt_warm_up's, Windows keeps one handle per process after
 * its first named kernel object (the directory of named objects), which a server creates. */
static void
warm_up_named_objects(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL;
    xt_warm_up();
    xt_name("warm", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    xipc_npipe_close(srv);
}

/* ---- byte mode ------------------------------------------------------------------------------ */

/* argv: name. Connects in byte mode and echoes until the server closes. */
int
xt_child_npipe_echo_client(int argc, char **argv)
{
    xipc_stream *s = NULL;
    char buf[4096];
    (void)argc;
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &s, XT_CHILD_TIMEOUT_MS));
    for (;;) {
        size_t got = 0;
        CHECK_OK(xipc_stream_read(s, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        xt_write_all(s, buf, got, XT_CHILD_TIMEOUT_MS);
    }
    xipc_stream_close(s);
    return 0;
}

void
xt_test_npipe_byte_echo_across_processes(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL;
    xipc_stream *conn = NULL;
    unsigned char out[200000], back[200000];
    xt_name("echo", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_child("npipe_echo_client", args, NULL, NULL, 0);
    CHECK_OK(xipc_npipe_accept(srv, &conn, XT_CHILD_TIMEOUT_MS));
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = xt_pattern(i);
    /* In pieces, reading the echo back in between, so neither side's buffer fills. */
    for (size_t done = 0; done < sizeof out;) {
        size_t n = sizeof out - done < 7000 ? sizeof out - done : 7000;
        xt_write_all(conn, out + done, n, XT_CHILD_TIMEOUT_MS);
        xt_read_exact(conn, back + done, n, XT_CHILD_TIMEOUT_MS);
        done += n;
    }
    CHECK(memcmp(out, back, sizeof out) == 0);
    xipc_stream_close(conn);
    xt_expect_exit(p, 0);
    xipc_npipe_close(srv);
}

/* ---- message mode --------------------------------------------------------------------------- */

/* argv: name. Sends messages of 3, 5 and 100 bytes, then waits for the server to close. */
int
xt_child_npipe_msg_sender(int argc, char **argv)
{
    xipc_msgpipe *c = NULL;
    char big[100], buf[8];
    size_t len;
    (void)argc;
    memset(big, 'm', sizeof big);
    CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_send(c, "abc", 3, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_send(c, "defgh", 5, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_send(c, big, sizeof big, XT_CHILD_TIMEOUT_MS));
    CHECK_RC(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_msgpipe_close(c);
    return 0;
}

void
xt_test_npipe_message_boundaries_and_emsgsize(void)
{
    char name[XIPC_NAME_MAX + 1], buf[200];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *c = NULL;
    size_t len = 0;
    xt_name("msg", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_child("npipe_msg_sender", args, NULL, NULL, 0);
    CHECK_OK(xipc_msgpipe_accept(srv, &c, XT_CHILD_TIMEOUT_MS));
    /* Boundaries kept: 3, then 5, never 8. */
    CHECK_OK(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    CHECK_OK(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 5);
    CHECK(memcmp(buf, "defgh", 5) == 0);
    /* Too small a buffer: the size is reported and the message stays queued, twice over. */
    CHECK_RC(xipc_msgpipe_recv(c, buf, 10, &len, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
    CHECK_EQ(len, 100);
    CHECK_RC(xipc_msgpipe_recv(c, buf, 99, &len, 0), XIPC_EMSGSIZE);
    CHECK_EQ(len, 100);
    memset(buf, 0, sizeof buf);
    CHECK_OK(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 100);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(buf[i], 'm');
    /* Nothing more. */
    CHECK_RC(xipc_msgpipe_recv(c, buf, sizeof buf, &len, 0), XIPC_ETIMEDOUT);
    xipc_msgpipe_close(c);
    xt_expect_exit(p, 0);
    xipc_npipe_close(srv);
}

/* Message sizes and receive buffers on both sides of every size at which a receive changes how
 * it takes a message (POSIX: a small buffer through the spill area, a larger one extended by it,
 * one of XIPC_MSGPIPE_MAX straight; Windows: one ReadFile, then the rest of a message). */
static const size_t msg_sizes[] = { 1, 64, 8192, 8193, 20000, XIPC_MSGPIPE_MAX - 1,
    XIPC_MSGPIPE_MAX };
static const size_t msg_caps[] = { 1, 63, 64, 8191, 8192, 8193, 20000, XIPC_MSGPIPE_MAX - 1,
    XIPC_MSGPIPE_MAX, XIPC_MSGPIPE_MAX + 100 };
#define MSG_SIZES (sizeof msg_sizes / sizeof msg_sizes[0])
#define MSG_CAPS  (sizeof msg_caps / sizeof msg_caps[0])

static unsigned char
msg_byte(size_t size, size_t copy, size_t i)
{
    return (unsigned char)(i * 31u + size + copy * 7u);
}

/* argv: name. Sends each of msg_sizes once per msg_caps entry, each copy with its own bytes,
 * then waits for the server to close. */
int
xt_child_npipe_msg_sizes_sender(int argc, char **argv)
{
    static unsigned char msg[XIPC_MSGPIPE_MAX];
    xipc_msgpipe *c = NULL;
    size_t len;
    (void)argc;
    CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &c, XT_CHILD_TIMEOUT_MS));
    for (size_t k = 0; k < MSG_SIZES; k++) {
        for (size_t copy = 0; copy < MSG_CAPS; copy++) {
            for (size_t i = 0; i < msg_sizes[k]; i++)
                msg[i] = msg_byte(msg_sizes[k], copy, i);
            CHECK_OK(xipc_msgpipe_send(c, msg, msg_sizes[k], XT_CHILD_TIMEOUT_MS));
        }
    }
    CHECK_RC(xipc_msgpipe_recv(c, msg, 1, &len, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_msgpipe_close(c);
    return 0;
}

/* Checks a received copy: its size, every byte, and nothing written past it. */
static void
check_msg(const unsigned char *buf, size_t len, size_t size, size_t copy)
{
    CHECK_EQ(len, size);
    for (size_t i = 0; i < size; i++) {
        if (buf[i] != msg_byte(size, copy, i))
            xt_fail(__FILE__, __LINE__, "message of %zu bytes, copy %zu: byte %zu differs",
                size, copy, i);
    }
    for (size_t i = size; i < size + 16; i++)
        CHECK_EQ(buf[i], 0xEE);
}

void
xt_test_npipe_message_every_size_and_buffer(void)
{
    static unsigned char buf[XIPC_MSGPIPE_MAX + 200];
    char name[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *m = NULL;
    size_t len = 0;
    xt_name("sizes", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_child("npipe_msg_sizes_sender", args, NULL, NULL, 0);
    CHECK_OK(xipc_msgpipe_accept(srv, &m, XT_CHILD_TIMEOUT_MS));
    for (size_t k = 0; k < MSG_SIZES; k++) {
        size_t size = msg_sizes[k];
        for (size_t copy = 0; copy < MSG_CAPS; copy++) {
            size_t cap = msg_caps[copy];
            memset(buf, 0xEE, sizeof buf);
            if (cap < size) {
                /* Too small: the size, and the message kept, however often asked. */
                CHECK_RC(xipc_msgpipe_recv(m, buf, cap, &len, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
                CHECK_EQ(len, size);
                CHECK_RC(xipc_msgpipe_recv(m, buf, cap, &len, 0), XIPC_EMSGSIZE);
                CHECK_EQ(len, size);
                memset(buf, 0xEE, sizeof buf);
                cap = size;
            }
            CHECK_OK(xipc_msgpipe_recv(m, buf, cap, &len, XT_CHILD_TIMEOUT_MS));
            check_msg(buf, len, size, copy);
        }
    }
    CHECK_RC(xipc_msgpipe_recv(m, buf, sizeof buf, &len, 0), XIPC_ETIMEDOUT);
    xipc_msgpipe_close(m);
    xt_expect_exit(p, 0);
    xipc_npipe_close(srv);
}

/* A message longer than XIPC_MSGPIPE_MAX, which only a program that is not xipc can send (here
 * on a raw socket pair, one end imported): POSIX cuts it short, and every receive drops it with
 * XIPC_EMSGSIZE, a buffer of XIPC_MSGPIPE_MAX (one recv with MSG_TRUNC) and a small one (through
 * the spill area) alike; the next message comes whole. */
void
xt_test_npipe_message_longer_than_the_max_from_another_program(void)
{
    static unsigned char big[XIPC_MSGPIPE_MAX + 10], buf[XIPC_MSGPIPE_MAX];
    static const size_t caps[] = { XIPC_MSGPIPE_MAX, 64, 20000 };
    intptr_t fds[2];
    char text[64];
    xipc_msgpipe *m = NULL;
    size_t len = 0;
    if (xt_os_raw_message_pair(fds) != 0)
        XT_SKIP("no raw message socket pair here (Windows: no sender can pass XIPC_MSGPIPE_MAX, "
                "xipc's own message pipes refuse to)");
    snprintf(text, sizeof text, "xipc1:msgpipe:%lld", (long long)fds[1]);
    CHECK_OK(xipc_msgpipe_import(text, &m));
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        CHECK_EQ(xt_os_raw_message_send(fds[0], big, sizeof big), 0);
        CHECK_EQ(xt_os_raw_message_send(fds[0], "next", 4), 0);
        CHECK_RC(xipc_msgpipe_recv(m, buf, caps[i], &len, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
        CHECK_GE(len, XIPC_MSGPIPE_MAX + 1);
        CHECK_OK(xipc_msgpipe_recv(m, buf, caps[i], &len, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(len, 4);
        CHECK(memcmp(buf, "next", 4) == 0);
    }
    xipc_msgpipe_close(m);
    xt_os_raw_close(fds[0]);
}

/* ---- many clients --------------------------------------------------------------------------- */

#define CLIENT_PROCS  8
#define CONNS_EACH    8
#define REQUESTS_EACH 5

/* argv: name, client number. Opens CONNS_EACH connections, then on each in turn sends a request
 * naming itself and checks that the reply is its own. */
int
xt_child_npipe_many_client(int argc, char **argv)
{
    xipc_msgpipe *c[CONNS_EACH];
    char msg[64], reply[80], want[80];
    size_t len;
    (void)argc;
    for (int k = 0; k < CONNS_EACH; k++)
        CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &c[k], XT_CHILD_TIMEOUT_MS));
    for (int r = 0; r < REQUESTS_EACH; r++) {
        for (int k = 0; k < CONNS_EACH; k++) {
            int n = snprintf(msg, sizeof msg, "client %s conn %d req %d", argv[2], k, r);
            CHECK_OK(xipc_msgpipe_send(c[k], msg, (size_t)n, XT_CHILD_TIMEOUT_MS));
        }
        for (int k = 0; k < CONNS_EACH; k++) {
            snprintf(want, sizeof want, "re: client %s conn %d req %d", argv[2], k, r);
            CHECK_OK(xipc_msgpipe_recv(c[k], reply, sizeof reply - 1, &len, XT_CHILD_TIMEOUT_MS));
            reply[len] = '\0';
            CHECK_STR(reply, want);
        }
    }
    for (int k = 0; k < CONNS_EACH; k++)
        xipc_msgpipe_close(c[k]);
    return 0;
}

/* Serves every connection round-robin until each has answered REQUESTS_EACH requests. A client
 * that has all its replies closes its connections while others are still served. */
static void
serve_round_robin(xipc_msgpipe **conns, int n)
{
    int answered = 0, total = n * REQUESTS_EACH, served[CLIENT_PROCS * CONNS_EACH] = { 0 };
    char msg[80], reply[96];
    uint64_t give_up = xt_os_now_ms() + 60000;
    while (answered < total) {
        bool idle = true;
        for (int i = 0; i < n; i++) {
            size_t len = 0;
            if (served[i] == REQUESTS_EACH)
                continue;
            int rc = xipc_msgpipe_recv(conns[i], msg, sizeof msg - 1, &len, 0);
            if (rc == XIPC_ETIMEDOUT)
                continue;
            CHECK_OK(rc);
            served[i]++;
            msg[len] = '\0';
            int m = snprintf(reply, sizeof reply, "re: %s", msg);
            CHECK_OK(xipc_msgpipe_send(conns[i], reply, (size_t)m, XT_CHILD_TIMEOUT_MS));
            answered++;
            idle = false;
        }
        CHECK(xt_os_now_ms() < give_up);
        if (idle)
            xt_os_sleep_ms(1);
    }
}

void
xt_test_npipe_64_concurrent_clients(void)
{
    char name[XIPC_NAME_MAX + 1], ids[CLIENT_PROCS][8];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *conns[CLIENT_PROCS * CONNS_EACH];
    xipc_proc *procs[CLIENT_PROCS];
    xt_name("many", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    for (int i = 0; i < CLIENT_PROCS; i++) {
        snprintf(ids[i], sizeof ids[i], "%d", i);
        const char *args[] = { name, ids[i], NULL };
        procs[i] = xt_spawn_child("npipe_many_client", args, NULL, NULL, 0);
    }
    /* All 64 are open at once before any is served. */
    for (int i = 0; i < CLIENT_PROCS * CONNS_EACH; i++)
        CHECK_OK(xipc_msgpipe_accept(srv, &conns[i], XT_CHILD_TIMEOUT_MS));
    serve_round_robin(conns, CLIENT_PROCS * CONNS_EACH);
    for (int i = 0; i < CLIENT_PROCS; i++)
        xt_expect_exit(procs[i], 0);
    for (int i = 0; i < CLIENT_PROCS * CONNS_EACH; i++)
        xipc_msgpipe_close(conns[i]);
    xipc_npipe_close(srv);
}

/* ---- peer pids ------------------------------------------------------------------------------ */

/* argv: name. Connects and sends the server's pid as it sees it, and its own. */
int
xt_child_npipe_pid_client(int argc, char **argv)
{
    xipc_msgpipe *c = NULL;
    uint64_t pids[2] = { 0, xipc_self_pid() };
    char buf[4];
    size_t len;
    (void)argc;
    CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_peer_pid(c, &pids[0]));
    CHECK_OK(xipc_msgpipe_send(c, pids, sizeof pids, XT_CHILD_TIMEOUT_MS));
    CHECK_RC(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_msgpipe_close(c);
    return 0;
}

void
xt_test_npipe_peer_pids(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *c = NULL;
    xipc_stream *rd, *wr;
    uint64_t pids[2], peer = 0, child = 0;
    size_t len;
    xt_name("pid", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_child("npipe_pid_client", args, NULL, NULL, 0);
    CHECK_OK(xipc_proc_pid(p, &child));
    CHECK_OK(xipc_msgpipe_accept(srv, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_peer_pid(c, &peer));
    CHECK_OK(xipc_msgpipe_recv(c, pids, sizeof pids, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, sizeof pids);
    CHECK_EQ(peer, child);
    CHECK_EQ(pids[1], child);
    CHECK_EQ(pids[0], xipc_self_pid());
    xipc_msgpipe_close(c);
    xt_expect_exit(p, 0);
    xipc_npipe_close(srv);
    /* An anonymous pipe has no single peer. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_RC(xipc_stream_peer_pid(rd, &peer), XIPC_ENOTSUP);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

/* ---- errors --------------------------------------------------------------------------------- */

void
xt_test_npipe_connect_without_server_fails_at_once(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_stream *s = NULL;
    xipc_msgpipe *m = NULL;
    xipc_npipe *srv = NULL;
    xt_name("nobody", name);
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_npipe_connect(name, 0, &s, 5000), XIPC_ENOENT);
    CHECK_RC(xipc_msgpipe_connect(name, 0, &m, 5000), XIPC_ENOENT);
    CHECK_LT(xt_os_now_ms() - t0, 2000);
    CHECK(s == NULL && m == NULL);
    /* Nor after a server came and went. */
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    xipc_npipe_close(srv);
    CHECK_RC(xipc_npipe_connect(name, 0, &s, 5000), XIPC_ENOENT);
}

/* argv: name, channel. Listens on name, says 'l', and waits to be killed. */
int
xt_child_npipe_listen_and_hang(int argc, char **argv)
{
    xipc_npipe *srv = NULL;
    xipc_stream *ch = xt_import(argv[2]);
    (void)argc;
    CHECK_OK(xipc_npipe_listen(argv[1], XIPC_NPIPE_BYTE, &srv));
    xt_write_all(ch, "l", 1, XT_CHILD_TIMEOUT_MS);
    for (;;)
        xt_os_sleep_ms(1000);
}

void
xt_test_npipe_second_server_is_eaddrinuse(void)
{
    char name[XIPC_NAME_MAX + 1], text[XIPC_HANDLE_TEXT_MAX], c;
    xipc_npipe *a = NULL, *b = NULL;
    xipc_stream *rd, *wr;
    xipc_exit_status st;
    xt_name("taken", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &a));
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &b), XIPC_EADDRINUSE);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &b), XIPC_EADDRINUSE);
    CHECK(b == NULL);
    /* Finding the name taken must not have knocked on the live server's door. */
    xipc_stream *knock = NULL;
    CHECK_RC(xipc_npipe_accept(a, &knock, 0), XIPC_ETIMEDOUT);
    xipc_npipe_close(a);
    /* Free again once closed. */
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &a));
    xipc_npipe_close(a);

    /* Held by another process; and once that process is killed, the name can be taken over. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xt_export(wr, text);
    const char *args[] = { name, text, NULL };
    xipc_handle *h = xipc_stream_handle(wr);
    xipc_proc *p = xt_spawn_child("npipe_listen_and_hang", args, NULL, &h, 1);
    xt_read_exact(rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &b), XIPC_EADDRINUSE);
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &b));
    xipc_npipe_close(b);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

/* argv: name, channel, what. Connects; "wait": says 'c' and waits for the server to close
 * (then checks the clean errors); "die": sends half a message's worth of bytes, says 'c' and
 * waits to be killed. */
int
xt_child_npipe_peer_client(int argc, char **argv)
{
    xipc_stream *ch = xt_import(argv[2]);
    char buf[16];
    size_t got = 0, put = 0;
    (void)argc;
    if (strcmp(argv[3], "die") == 0) {
        xipc_stream *s = NULL;
        CHECK_OK(xipc_npipe_connect(argv[1], 0, &s, XT_CHILD_TIMEOUT_MS));
        xt_write_all(s, "half", 4, XT_CHILD_TIMEOUT_MS);
        xt_write_all(ch, "c", 1, XT_CHILD_TIMEOUT_MS);
        for (;;)
            xt_os_sleep_ms(1000);
    }
    xipc_msgpipe *m = NULL;
    xipc_stream *s = NULL;
    CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &m, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_npipe_connect(argv[4], 0, &s, XT_CHILD_TIMEOUT_MS));
    xt_write_all(ch, "c", 1, XT_CHILD_TIMEOUT_MS);
    /* The server closes both: the message end says closed, the byte end reads the end. */
    CHECK_RC(xipc_msgpipe_recv(m, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    int rc = xipc_msgpipe_send(m, "x", 1, XT_CHILD_TIMEOUT_MS);
    CHECK(rc == XIPC_EPIPE || rc == XIPC_ECLOSED);
    CHECK_OK(xipc_stream_read(s, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(got, 0);
    CHECK_RC(xipc_stream_write(s, "x", 1, &put, XT_CHILD_TIMEOUT_MS), XIPC_EPIPE);
    xipc_msgpipe_close(m);
    xipc_stream_close(s);
    return 0;
}

void
xt_test_npipe_peer_gone_mid_conversation(void)
{
    char msg_name[XIPC_NAME_MAX + 1], byte_name[XIPC_NAME_MAX + 1], buf[16], c;
    struct {
        xipc_stream *rd, *wr;
        char text[XIPC_HANDLE_TEXT_MAX];
    } ch;
    xipc_npipe *msrv = NULL, *bsrv = NULL;
    xipc_msgpipe *m = NULL;
    xipc_stream *s = NULL;
    xipc_exit_status st;
    size_t got = 0;
    warm_up_named_objects();
    int before = xt_os_handle_count();
    xt_name("gone.m", msg_name);
    xt_name("gone.b", byte_name);
    CHECK_OK(xipc_pipe(0, &ch.rd, &ch.wr));
    xt_export(ch.wr, ch.text);
    xipc_handle *h = xipc_stream_handle(ch.wr);
    CHECK_OK(xipc_npipe_listen(msg_name, XIPC_NPIPE_MESSAGE, &msrv));
    CHECK_OK(xipc_npipe_listen(byte_name, XIPC_NPIPE_BYTE, &bsrv));

    /* The server goes away while a client waits for a reply. */
    const char *wait_args[] = { msg_name, ch.text, "wait", byte_name, NULL };
    xipc_proc *p = xt_spawn_child("npipe_peer_client", wait_args, NULL, &h, 1);
    CHECK_OK(xipc_msgpipe_accept(msrv, &m, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_npipe_accept(bsrv, &s, XT_CHILD_TIMEOUT_MS));
    xt_read_exact(ch.rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    xipc_msgpipe_close(m);
    xipc_stream_close(s);
    xt_expect_exit(p, 0);

    /* A client dies mid-message: the server reads what came, then the end. */
    const char *die_args[] = { byte_name, ch.text, "die", NULL };
    p = xt_spawn_child("npipe_peer_client", die_args, NULL, &h, 1);
    CHECK_OK(xipc_npipe_accept(bsrv, &s, XT_CHILD_TIMEOUT_MS));
    xt_read_exact(ch.rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(s, buf, 4, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "half", 4) == 0);
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    CHECK_OK(xipc_stream_read(s, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(got, 0);
    xipc_stream_close(s);

    xipc_npipe_close(msrv);
    xipc_npipe_close(bsrv);
    xipc_stream_close(ch.rd);
    xipc_stream_close(ch.wr);
    CHECK_EQ(xt_os_handle_count(), before);
}

/* Waits for want ms in a call that must time out; checks it took at least that long. */
#define CHECK_TIMES_OUT(call, want_ms)                        \
    do {                                                      \
        uint64_t t0_ = xt_os_now_ms();                        \
        CHECK_RC(call, XIPC_ETIMEDOUT);                       \
        uint64_t waited_ = xt_os_now_ms() - t0_;              \
        CHECK_GE(waited_, (uint64_t)(want_ms));               \
        CHECK_LT(waited_, (uint64_t)(want_ms) + XT_SLACK_MS); \
    } while (0)

/* Timeouts on both kinds of connection, in one process: reads and receives that wait (each a
 * different timeout, then a longer one again: a timeout kept from the call before must not cut
 * the next short, nor make it late), and writes into a peer that does not read, which report
 * exactly what they moved. */
void
xt_test_npipe_timeouts(void)
{
    char name[XIPC_NAME_MAX + 1], mname[XIPC_NAME_MAX + 1], buf[64];
    static unsigned char big[4 << 20], back[4 << 20];
    xipc_npipe *srv = NULL, *msrv = NULL;
    xipc_stream *a = NULL, *b = NULL;
    xipc_msgpipe *ma = NULL, *mb = NULL;
    size_t got = 0, put = 0, len = 0;
    xt_name("tmo", name);
    xt_name("tmo.m", mname);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_npipe_connect(name, 0, &a, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_npipe_accept(srv, &b, XT_CHILD_TIMEOUT_MS));
    /* Byte-mode connections know their peer too (here: this very process, at both ends). */
    uint64_t pid_a = 0, pid_b = 0;
    CHECK_OK(xipc_stream_peer_pid(a, &pid_a));
    CHECK_OK(xipc_stream_peer_pid(b, &pid_b));
    CHECK_EQ(pid_a, xipc_self_pid());
    CHECK_EQ(pid_b, xipc_self_pid());

    CHECK_TIMES_OUT(xipc_stream_read(a, buf, sizeof buf, &got, 0), 0);
    /* Longer than the slack, so that the short one after it fails if it waits as long. */
    CHECK_TIMES_OUT(
        xipc_stream_read(a, buf, sizeof buf, &got, XT_SLACK_MS + 300), XT_SLACK_MS + 300);
    CHECK_TIMES_OUT(xipc_stream_read(a, buf, sizeof buf, &got, 60), 60);
    CHECK_TIMES_OUT(xipc_stream_read(a, buf, sizeof buf, &got, 250), 250);
    CHECK_EQ(got, 0);
    /* Still usable after timing out. */
    xt_write_all(b, "ok", 2, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(a, buf, 2, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "ok", 2) == 0);

    /* Nobody reads b: a big write stops at the deadline, having moved exactly put bytes. */
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = xt_pattern(i);
    CHECK_TIMES_OUT(xipc_stream_write(a, big, sizeof big, &put, 200), 200);
    CHECK(put > 0 && put < sizeof big);
    xt_read_exact(b, back, put, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(big, back, put) == 0);
    CHECK_RC(xipc_stream_read(b, back, sizeof back, &got, 0), XIPC_ETIMEDOUT);

    /* Messages: a receive that waits; sends into a full pipe until one times out, then every
     * message that was sent arrives whole, and no other. */
    CHECK_OK(xipc_npipe_listen(mname, XIPC_NPIPE_MESSAGE, &msrv));
    CHECK_OK(xipc_msgpipe_connect(mname, 0, &ma, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_accept(msrv, &mb, XT_CHILD_TIMEOUT_MS));
    CHECK_TIMES_OUT(xipc_msgpipe_recv(mb, buf, sizeof buf, &len, 150), 150);
    int sent = 0, rc;
    while ((rc = xipc_msgpipe_send(ma, big + sent, 1000, sent < 4 ? XT_CHILD_TIMEOUT_MS : 0)) == 0)
        sent++;
    CHECK_RC(rc, XIPC_ETIMEDOUT);
    CHECK_TIMES_OUT(xipc_msgpipe_send(ma, big, 1000, 100), 100);
    for (int i = 0; i < sent; i++) {
        CHECK_OK(xipc_msgpipe_recv(mb, back, sizeof back, &len, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(len, 1000);
        CHECK(memcmp(back, big + i, 1000) == 0);
    }
    CHECK_RC(xipc_msgpipe_recv(mb, back, sizeof back, &len, 0), XIPC_ETIMEDOUT);

    xipc_msgpipe_close(ma);
    xipc_msgpipe_close(mb);
    xipc_npipe_close(msrv);
    xipc_stream_close(a);
    xipc_stream_close(b);
    xipc_npipe_close(srv);
}

/* A connection on which this process timed out once becomes a child's standard input: the
 * child, which reads stdin the plain way, must block until data comes, not fail early. */
void
xt_test_npipe_connection_as_a_child_stdin(void)
{
    char name[XIPC_NAME_MAX + 1], buf[8];
    xipc_npipe *srv = NULL;
    xipc_stream *a = NULL, *b = NULL, *out_r = NULL, *out_w = NULL;
    xipc_stdio io[3];
    size_t got = 0, len = 0;
    xt_name("stdin", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_npipe_connect(name, 0, &a, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_npipe_accept(srv, &b, XT_CHILD_TIMEOUT_MS));
    CHECK_RC(xipc_stream_read(b, buf, sizeof buf, &got, 50), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_pipe(0, &out_r, &out_w));
    io[0].mode = XIPC_STDIO_STREAM;
    io[0].stream = b;
    io[1].mode = XIPC_STDIO_STREAM;
    io[1].stream = out_w;
    io[2].mode = XIPC_STDIO_INHERIT;
    io[2].stream = NULL;
    xt_channel ch;
    xipc_handle *ends[2];
    xt_channel_open(&ch);
    xt_channel_child_ends(&ch, ends);
    xipc_proc *p = xt_spawn_passing("proc_stdio_echo", NULL, io, ends, 2);
    xipc_stream_close(b);
    xipc_stream_close(out_w);
    xt_channel_wait_ready(&ch);
    /* On purpose: time for the child's read to last longer than the timeout above. */
    xt_os_sleep_ms(200);
    xt_write_all(a, "hello", 5, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(a);
    char *out = xt_read_to_eof(out_r, &len, XT_CHILD_TIMEOUT_MS);
    CHECK_STR(out, "out:5:hello");
    free(out);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_stream_close(out_r);
    xipc_npipe_close(srv);
}

void
xt_test_npipe_mode_mismatch_and_bad_input(void)
{
    char name[XIPC_NAME_MAX + 1], buf[8];
    xipc_npipe *srv = NULL, *dead = NULL;
    xipc_stream *s = NULL;
    xipc_msgpipe *m = NULL;
    size_t len = 3;
    xt_name("bad", name);
    CHECK_RC(xipc_npipe_listen(NULL, XIPC_NPIPE_BYTE, &srv), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_listen("a/b", XIPC_NPIPE_BYTE, &srv), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_listen("..", XIPC_NPIPE_BYTE, &srv), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_listen(name, 0, &srv), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE | XIPC_NPIPE_MESSAGE, &srv), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_listen(name, XIPC_CREATE, &srv), XIPC_EINVAL); /* no such flag here */
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE | XIPC_OPEN, &srv), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_connect("bad\\name", 0, &s, 0), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_connect(name, 0, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_connect(name, 0, &s, -5), XIPC_EINVAL);

    /* A byte server takes no message clients, and the other way round. */
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_RC(xipc_msgpipe_connect(name, 0, &m, 1000), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_accept(srv, &m, 0), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_accept(srv, &s, 0), XIPC_ETIMEDOUT);
    CHECK_RC(xipc_npipe_accept(srv, &s, -3), XIPC_EINVAL);
    CHECK(m == NULL && s == NULL);
    xipc_npipe_close(srv);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    CHECK_RC(xipc_npipe_connect(name, 0, &s, 1000), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_accept(srv, &s, 0), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_accept(srv, &m, 0), XIPC_ETIMEDOUT);
    CHECK(m == NULL && s == NULL);

    /* Messages: empty and oversized, NULLs, a closed server. */
    CHECK_RC(xipc_msgpipe_send(NULL, "x", 1, 0), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_recv(NULL, buf, sizeof buf, &len, 0), XIPC_EINVAL);
    CHECK_EQ(len, 0);
    CHECK_RC(xipc_npipe_listen("", XIPC_NPIPE_BYTE, &dead), XIPC_EINVAL);
    xipc_npipe_close(srv);
    CHECK_RC(xipc_npipe_accept(srv, &s, 0), XIPC_EBADF);
    xipc_npipe_close(srv); /* a second close is a no-op */
    xipc_npipe_close(NULL);
    xipc_msgpipe_close(NULL);
}

/* A message pipe pair inside this process, for the message checks that need no second one. */
void
xt_test_npipe_message_limits(void)
{
    char name[XIPC_NAME_MAX + 1], buf[16];
    static char big[XIPC_MSGPIPE_MAX + 1];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *a = NULL, *b = NULL;
    size_t len = 0;
    xt_name("limits", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    CHECK_OK(xipc_msgpipe_connect(name, 0, &a, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_accept(srv, &b, XT_CHILD_TIMEOUT_MS));
    CHECK_RC(xipc_msgpipe_send(a, "x", 0, 0), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_send(a, big, sizeof big, 0), XIPC_EMSGSIZE);
    CHECK_RC(xipc_msgpipe_send(a, NULL, 1, 0), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_recv(b, NULL, 1, &len, 0), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_recv(b, buf, 0, &len, 0), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_recv(b, buf, sizeof buf, NULL, 0), XIPC_EINVAL);
    /* The largest message goes whole, every byte in its place after a receive into too small a
     * buffer (which makes xipc keep the message, its start and its rest, in this process). */
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7 % 251);
    CHECK_OK(xipc_msgpipe_send(a, big, XIPC_MSGPIPE_MAX, XT_CHILD_TIMEOUT_MS));
    static char in[XIPC_MSGPIPE_MAX];
    CHECK_RC(xipc_msgpipe_recv(b, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
    CHECK_EQ(len, XIPC_MSGPIPE_MAX);
    CHECK_OK(xipc_msgpipe_recv(b, in, sizeof in, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, XIPC_MSGPIPE_MAX);
    CHECK(memcmp(in, big, XIPC_MSGPIPE_MAX) == 0);
    xipc_msgpipe_close(a);
    CHECK_RC(xipc_msgpipe_recv(b, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_msgpipe_close(b);
    xipc_npipe_close(srv);
}

/* ---- servers that are not xipc's ------------------------------------------------------------- */

/* argv: name, kind ("byte", "message", "byte-any": any number of instances), "fill" or "idle",
 * gap ms, and a ready/go channel's two ends.
 * Runs a raw server (xt_os_raw_server: a program that never heard of xipc), filled by clients of
 * its own or not, says 'r', waits for a byte on the go channel, waits 300 ms more, lets its own
 * clients go (and with a gap, leaves the name missing that long) and echoes one client. */
int
xt_child_npipe_raw_server(int argc, char **argv)
{
    xt_channel ch;
    int kind = strcmp(argv[2], "message") == 0 ? XT_RAW_MESSAGE
        : strcmp(argv[2], "byte-any") == 0     ? XT_RAW_BYTE_ANY_INSTANCES
                                               : XT_RAW_BYTE;
    (void)argc;
    xt_channel_import(&ch, argv[5], argv[6]);
    xt_os_raw_server *srv = xt_os_raw_server_open(argv[1], kind);
    CHECK(srv != NULL);
    if (strcmp(argv[3], "fill") == 0)
        CHECK_EQ(xt_os_raw_server_fill(srv), 0);
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    /* On purpose: the test's client meets a busy server for this long before it is let in. */
    xt_os_sleep_ms(300);
    CHECK_EQ(xt_os_raw_server_echo_next(srv, atoi(argv[4])), 0);
    xt_os_raw_server_close(srv);
    xt_channel_close(&ch);
    return 0;
}

/* A raw server child and the channel that lines it up with the test. */
struct raw_child {
    xipc_proc *proc;
    xt_channel ch;
};

/* Starts xt_child_npipe_raw_server and waits until its server is up. */
static void
raw_child_start(
    struct raw_child *rc, const char *name, const char *kind, const char *fill, const char *gap_ms)
{
    const char *args[] = { name, kind, fill, gap_ms, NULL };
    xipc_handle *ends[2];
    xt_channel_open(&rc->ch);
    xt_channel_child_ends(&rc->ch, ends);
    rc->proc = xt_spawn_passing("npipe_raw_server", args, NULL, ends, 2);
    xt_channel_wait_ready(&rc->ch);
}

static void
raw_child_finish(struct raw_child *rc)
{
    xt_expect_exit(rc->proc, 0);
    xt_channel_close(&rc->ch);
}

/* Connects in the given mode with a timeout; sends "ping" and expects it echoed. */
static int
connect_and_ping(const char *name, bool message, int timeout_ms)
{
    char buf[8];
    size_t len = 0;
    if (message) {
        xipc_msgpipe *m = NULL;
        int rc = xipc_msgpipe_connect(name, 0, &m, timeout_ms);
        if (rc != 0)
            return rc;
        CHECK_OK(xipc_msgpipe_send(m, "ping", 4, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(len, 4);
        xipc_msgpipe_close(m);
    } else {
        xipc_stream *s = NULL;
        int rc = xipc_npipe_connect(name, 0, &s, timeout_ms);
        if (rc != 0)
            return rc;
        xt_write_all(s, "ping", 4, XT_CHILD_TIMEOUT_MS);
        xt_read_exact(s, buf, 4, XT_CHILD_TIMEOUT_MS);
        xipc_stream_close(s);
    }
    CHECK(memcmp(buf, "ping", 4) == 0);
    return 0;
}

/* One round against a busy raw server: timeouts that end as timeouts (a busy server is no
 * "no server"), then a connect that waits until the server takes a client again, gap_ms after
 * the name went missing when gap_ms > 0. */
static void
connect_to_busy_raw_server(const char *tag, const char *kind, const char *gap_ms)
{
    char name[XIPC_NAME_MAX + 1];
    struct raw_child rc;
    xipc_stream *s = NULL;
    xipc_msgpipe *m = NULL;
    bool message = strcmp(kind, "message") == 0;
    xt_name(tag, name);
    raw_child_start(&rc, name, kind, "fill", gap_ms);
    if (message) {
        CHECK_TIMES_OUT(xipc_msgpipe_connect(name, 0, &m, 0), 0);
        CHECK_TIMES_OUT(xipc_msgpipe_connect(name, 0, &m, 100), 100);
    } else {
        CHECK_TIMES_OUT(xipc_npipe_connect(name, 0, &s, 0), 0);
        CHECK_TIMES_OUT(xipc_npipe_connect(name, 0, &s, 100), 100);
    }
    CHECK(s == NULL && m == NULL);
    /* The server frees its instance (or backlog) 300 ms after the go, plus the gap. */
    uint64_t t0 = xt_os_now_ms();
    xt_channel_go(&rc.ch);
    CHECK_OK(connect_and_ping(name, message, 10000));
    CHECK_GE(xt_os_now_ms() - t0, 250 + (uint64_t)atoi(gap_ms));
    raw_child_finish(&rc);
}

/* A server seen busy that then goes away for good (its name stays missing for 5 s): the connect
 * does not wait for its whole timeout, but ends with XIPC_ENOENT once the name has been missing
 * for a second (xipc_npipe_connect). */
static void
connect_to_busy_raw_server_that_leaves(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct raw_child rc;
    xipc_stream *s = NULL;
    xipc_exit_status st;
    xt_name("busy.gone", name);
    raw_child_start(&rc, name, "byte", "fill", "5000");
    uint64_t t0 = xt_os_now_ms();
    xt_channel_go(&rc.ch);
    CHECK_RC(xipc_npipe_connect(name, 0, &s, 10000), XIPC_ENOENT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 250 + 1000);
    CHECK_LT(waited, 300 + 5000);
    CHECK_OK(xipc_proc_kill(rc.proc)); /* it waits for a client that never comes */
    CHECK_OK(xipc_proc_wait(rc.proc, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(rc.proc);
    xt_channel_close(&rc.ch);
}

/* A client of a busy server that is not xipc's
 * (Windows: a one-instance pipe held by a client of its own; POSIX: a listener with a full
 * backlog) waits within its timeout; XIPC_ENOENT is only for a name without a server. */
void
xt_test_npipe_connect_waits_for_a_busy_server_not_xipcs(void)
{
    connect_to_busy_raw_server("busy.b", "byte", "0");
    connect_to_busy_raw_server("busy.m", "message", "0");
    /* A server between two instances: it closed the busy one and makes the next 150 ms later. */
    connect_to_busy_raw_server("busy.gap", "byte", "150");
    connect_to_busy_raw_server_that_leaves();
}

/* A name that a program which is not xipc holds is taken, and listening
 * leaves that program's server alone. */
void
xt_test_npipe_listen_on_a_name_another_program_holds(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct raw_child rc;
    xipc_npipe *srv = NULL;
    xt_name("held", name);
    /* Windows: a pipe that allows more instances, which only the first-instance check (or, where
     * Wine ignores it, the look xipc takes first) keeps xipc's listen from joining. */
    raw_child_start(&rc, name, "byte-any", "idle", "0");
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), XIPC_EADDRINUSE);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv), XIPC_EADDRINUSE);
    CHECK(srv == NULL);
    /* Its server still serves. */
    xt_channel_go(&rc.ch);
    CHECK_OK(connect_and_ping(name, false, 10000));
    raw_child_finish(&rc);

    /* The same with its backlog full (POSIX), or its only instance taken (Windows). */
    xt_name("held.full", name);
    raw_child_start(&rc, name, "message", "fill", "0");
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv), XIPC_EADDRINUSE);
    xt_channel_go(&rc.ch);
    CHECK_OK(connect_and_ping(name, true, 10000));
    raw_child_finish(&rc);

    /* POSIX: a datagram socket of a live program is no stale file to take over either. */
    xt_name("held.dgram", name);
    xt_os_raw_server *dgram = xt_os_raw_server_open(name, XT_RAW_DATAGRAM);
    if (dgram == NULL) {
        printf("note: no datagram pipes here (Windows), that part was not exercised\n");
        return;
    }
    char path[200];
    CHECK_EQ(xt_os_npipe_socket_path(name, path, sizeof path), 0);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), XIPC_EADDRINUSE);
    CHECK(xt_os_path_mode(path) != -1);
    xt_os_raw_server_close(dgram);
}

/* What listen says when the socket file cannot be made. */
void
xt_test_npipe_listen_bind_errors(void)
{
    char name[XIPC_NAME_MAX + 1], path[200], base[256], deep[512];
    xipc_npipe *srv = NULL;
    xipc_stream *s = NULL;
    if (!xt_os_has_runtime_dir())
        XT_SKIP("Windows pipe names are no files: no directory can be in the way, and the "
                "longest xipc name fits (the Windows side of a name held by another program "
                "is npipe_listen_on_a_name_another_program_holds)");
    xt_name("bind", name);
    CHECK_EQ(xt_os_npipe_socket_path(name, path, sizeof path), 0);

    /* Something that is not a socket has the path: xipc neither binds nor removes it. */
    CHECK_EQ(xt_os_mkdir(path, 0700), 0);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), XIPC_EEXIST);
    CHECK_EQ(xt_os_path_mode(path), 0700);
    xt_os_remove_tree(path);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("keep", f);
    fclose(f);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv), XIPC_EEXIST);
    CHECK(xt_os_path_mode(path) != -1);
    CHECK_EQ(remove(path), 0);
    CHECK(srv == NULL);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv)); /* free once the file is gone */
    xipc_npipe_close(srv);

    /* A runtime directory so deep that <dir>/xipc/NAME does not fit sun_path (108 bytes). */
    xt_os_temp_path("deep", base, sizeof base);
    snprintf(deep, sizeof deep, "%s/%0100d", base, 0); /* 100 zeros */
    CHECK_EQ(xt_os_mkdir(base, 0700), 0);
    CHECK_EQ(xt_os_mkdir(deep, 0700), 0);
    xt_os_setenv("XDG_RUNTIME_DIR", deep);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), XIPC_ENAMETOOLONG);
    CHECK_RC(xipc_npipe_connect(name, 0, &s, 1000), XIPC_ENAMETOOLONG);
    xt_os_setenv("XDG_RUNTIME_DIR", NULL);
    xt_os_remove_tree(base);
}

/* ---- fork without exec ---------------------------------------------------------------------- */

static int
fork_does_nothing(void *arg)
{
    (void)arg;
    return 0;
}

static int
fork_closes_server(void *srv)
{
    xipc_npipe_close(srv);
    return 0;
}

/* A forked child that closes its copy of a server leaves the parent's name
 * alone: the parent's server still takes clients, and the name stays taken. */
void
xt_test_npipe_forked_child_close_keeps_the_parents_name(void)
{
    char name[XIPC_NAME_MAX + 1], c;
    xipc_npipe *srv = NULL, *second = NULL;
    if (xt_os_fork_run(fork_does_nothing, NULL) != 0)
        XT_SKIP("no fork without exec here (Windows)");
    static const unsigned modes[] = { XIPC_NPIPE_BYTE, XIPC_NPIPE_MESSAGE };
    for (int i = 0; i < 2; i++) {
        xipc_stream *a = NULL, *b = NULL;
        xipc_msgpipe *ma = NULL, *mb = NULL;
        xt_name(i == 0 ? "fork.b" : "fork.m", name);
        CHECK_OK(xipc_npipe_listen(name, modes[i], &srv));
        CHECK_EQ(xt_os_fork_run(fork_closes_server, srv), 0);
        if (modes[i] == XIPC_NPIPE_BYTE) {
            CHECK_OK(xipc_npipe_connect(name, 0, &a, 1000));
            CHECK_OK(xipc_npipe_accept(srv, &b, XT_CHILD_TIMEOUT_MS));
            xt_write_all(a, "f", 1, XT_CHILD_TIMEOUT_MS);
            xt_read_exact(b, &c, 1, XT_CHILD_TIMEOUT_MS);
        } else {
            CHECK_OK(xipc_msgpipe_connect(name, 0, &ma, 1000));
            CHECK_OK(xipc_msgpipe_accept(srv, &mb, XT_CHILD_TIMEOUT_MS));
        }
        CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &second), XIPC_EADDRINUSE);
        xipc_stream_close(a);
        xipc_stream_close(b);
        xipc_msgpipe_close(ma);
        xipc_msgpipe_close(mb);
        /* The parent's own close still removes the name. */
        xipc_npipe_close(srv);
        CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &second));
        xipc_npipe_close(second);
    }
}

/* ---- security ------------------------------------------------------------------------------- */

void
xt_test_npipe_runtime_dir_owner_only(void)
{
    char base[512], dir[600], sock[700], lock[720], name[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL;
    if (!xt_os_has_runtime_dir())
        XT_SKIP("Windows pipes have no runtime directory; xipc gives them an owner-only DACL and "
                "PIPE_REJECT_REMOTE_CLIENTS, which Wine 8 stores but does not enforce");
    xt_name("sec", name);
    xt_os_temp_path("rt", base, sizeof base);
    CHECK_EQ(xt_os_mkdir(base, 0700), 0);
    xt_os_setenv("XDG_RUNTIME_DIR", base);
    snprintf(dir, sizeof dir, "%s/xipc", base);
    snprintf(sock, sizeof sock, "%s/%s", dir, name);
    snprintf(lock, sizeof lock, "%s/.lock-%s", dir, name);

    /* Created 0700 with an owner-only socket and lock file. */
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_EQ(xt_os_path_mode(dir), 0700);
    CHECK_EQ(xt_os_path_mode(sock), 0600);
    CHECK_EQ(xt_os_path_mode(lock), 0600);
    xipc_npipe_close(srv);
    CHECK_EQ(xt_os_path_mode(sock), -1); /* the server took its files along */
    CHECK_EQ(xt_os_path_mode(lock), -1);

    /* Wider permissions: refused on listen and on connect. */
    CHECK_EQ(xt_os_chmod(dir, 0755), 0);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), XIPC_EACCES);
    xipc_stream *s = NULL;
    CHECK_RC(xipc_npipe_connect(name, 0, &s, 0), XIPC_EACCES);
    CHECK_EQ(xt_os_chmod(dir, 0700), 0);
    /* Another owner: refused. */
    if (xt_os_chown_path(dir) == 0)
        CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), XIPC_EACCES);
    else
        printf("note: not root, so the foreign-owner check was not exercised\n");
    xt_os_remove_tree(base);
}

/* ---- leaks ---------------------------------------------------------------------------------- */

void
xt_test_npipe_no_handle_leak(void)
{
    char name[XIPC_NAME_MAX + 1], buf[8];
    size_t len;
    xt_name("leak", name);
    xt_warm_up();
    for (int round = 0; round < 2; round++) {
        int before = xt_os_handle_count();
        for (int i = 0; i < 10; i++) {
            xipc_npipe *srv = NULL;
            xipc_msgpipe *a = NULL, *b = NULL;
            CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
            CHECK_OK(xipc_msgpipe_connect(name, 0, &a, XT_CHILD_TIMEOUT_MS));
            CHECK_OK(xipc_msgpipe_accept(srv, &b, XT_CHILD_TIMEOUT_MS));
            CHECK_OK(xipc_msgpipe_send(a, "hi", 2, XT_CHILD_TIMEOUT_MS));
            CHECK_OK(xipc_msgpipe_recv(b, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
            xipc_msgpipe_close(a);
            xipc_msgpipe_close(b);
            xipc_npipe_close(srv);
        }
        /* The first round warms up what Windows keeps per process; the second must be flat. */
        if (round == 1)
            CHECK_EQ(xt_os_handle_count(), before);
    }
}

/* ---- a connect that waits for its server --------------------------------------------------- */

/* argv: name, mode ("byte" or "msg"), started (a pipe's write end). Says 's' on started, then
 * connects with XIPC_NPIPE_WAIT_SERVER before any server exists, sends "hi" and expects "ok". */
int
xt_child_npipe_wait_client(int argc, char **argv)
{
    xipc_stream *started = xt_import(argv[3]);
    char buf[8];
    size_t n = 0;
    (void)argc;
    xt_write_all(started, "s", 1, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(started);
    if (strcmp(argv[2], "byte") == 0) {
        xipc_stream *c = NULL;
        CHECK_OK(xipc_npipe_connect(argv[1], XIPC_NPIPE_WAIT_SERVER, &c, XT_CHILD_TIMEOUT_MS));
        xt_write_all(c, "hi", 2, XT_CHILD_TIMEOUT_MS);
        xt_read_exact(c, buf, 2, XT_CHILD_TIMEOUT_MS);
        xipc_stream_close(c);
    } else {
        xipc_msgpipe *m = NULL;
        CHECK_OK(xipc_msgpipe_connect(argv[1], XIPC_NPIPE_WAIT_SERVER, &m, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_msgpipe_send(m, "hi", 2, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &n, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(n, 2);
        xipc_msgpipe_close(m);
    }
    return memcmp(buf, "ok", 2) == 0 ? 0 : 3;
}

/* The server of a client started first, 300 ms after the client began to connect. */
static void
serve_late_client(const char *mode)
{
    char name[XIPC_NAME_MAX + 1], text[XIPC_HANDLE_TEXT_MAX], buf[8], c = 0;
    xipc_stream *rd, *wr;
    xipc_npipe *srv = NULL;
    xt_name(mode, name);
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xt_export(wr, text);
    const char *args[] = { name, mode, text, NULL };
    xipc_handle *h = xipc_stream_handle(wr);
    xipc_proc *p = xt_spawn_child("npipe_wait_client", args, NULL, &h, 1);
    xipc_stream_close(wr);
    xt_read_exact(rd, &c, 1, XT_CHILD_TIMEOUT_MS); /* the client is about to connect */
    xipc_stream_close(rd);
    xt_os_sleep_ms(300);
    bool byte = strcmp(mode, "byte") == 0;
    CHECK_OK(xipc_npipe_listen(name, byte ? XIPC_NPIPE_BYTE : XIPC_NPIPE_MESSAGE, &srv));
    if (byte) {
        xipc_stream *conn = NULL;
        CHECK_OK(xipc_npipe_accept(srv, &conn, XT_CHILD_TIMEOUT_MS));
        xt_read_exact(conn, buf, 2, XT_CHILD_TIMEOUT_MS);
        xt_write_all(conn, "ok", 2, XT_CHILD_TIMEOUT_MS);
        xt_expect_exit(p, 0);
        xipc_stream_close(conn);
    } else {
        xipc_msgpipe *m = NULL;
        size_t n = 0;
        CHECK_OK(xipc_msgpipe_accept(srv, &m, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &n, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_msgpipe_send(m, "ok", 2, XT_CHILD_TIMEOUT_MS));
        xt_expect_exit(p, 0);
        xipc_msgpipe_close(m);
    }
    CHECK(memcmp(buf, "hi", 2) == 0);
    xipc_npipe_close(srv);
}

void
xt_test_npipe_connect_waits_for_a_server_to_appear(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_stream *s = NULL;
    xipc_msgpipe *m = NULL;
    xt_name("late", name);
    /* Without the flag: XIPC_ENOENT at once, whatever the timeout. */
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_npipe_connect(name, 0, &s, 5000), XIPC_ENOENT);
    CHECK_LT(xt_os_now_ms() - t0, 2000);
    /* With it and no server: the whole timeout, then XIPC_ETIMEDOUT. */
    t0 = xt_os_now_ms();
    CHECK_RC(xipc_npipe_connect(name, XIPC_NPIPE_WAIT_SERVER, &s, 150), XIPC_ETIMEDOUT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 150);
    CHECK_LT(waited, 150 + XT_SLACK_MS);
    CHECK_RC(xipc_msgpipe_connect(name, XIPC_NPIPE_WAIT_SERVER, &m, 0), XIPC_ETIMEDOUT);
    CHECK(s == NULL && m == NULL);
    CHECK_RC(xipc_npipe_connect(name, 0x1u, &s, 0), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_connect(name, XIPC_NPIPE_BYTE, &m, 0), XIPC_EINVAL);
    /* A client started before its server connects once the server comes. */
    serve_late_client("byte");
    serve_late_client("msg");
}

/* ---- message pipes passed to a child ------------------------------------------------------- */

/* argv: name. Connects in message mode, sends "one", "two!" and 100 bytes, expects "done" from
 * whoever holds the server's end by then, and then the end of the connection. */
int
xt_child_npipe_pass_client(int argc, char **argv)
{
    xipc_msgpipe *c = NULL;
    char big[100], buf[8];
    size_t len = 0;
    (void)argc;
    memset(big, 'm', sizeof big);
    CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_send(c, "one", 3, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_send(c, "two!", 4, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_send(c, big, sizeof big, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 4);
    CHECK(memcmp(buf, "done", 4) == 0);
    /* The second child closed its end and the parent its copy: nobody else holds it. */
    CHECK_RC(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_msgpipe_close(c);
    return 0;
}

/* argv: the server's end's export text, listed at index 0. Fetches it once (a second fetch, by
 * index or by text, is XIPC_EEXIST), then talks to the client: boundaries kept, a message too
 * large for the buffer reported and kept. */
int
xt_child_npipe_pass_server(int argc, char **argv)
{
    xipc_msgpipe *m = NULL, *again = NULL;
    xipc_stream *s = NULL;
    char buf[200];
    size_t len = 0;
    (void)argc;
    CHECK_EQ(xipc_inherited_count(), 1);
    CHECK_OK(xipc_msgpipe_inherited(0, &m));
    CHECK_RC(xipc_msgpipe_inherited(0, &again), XIPC_EEXIST);
    CHECK_RC(xipc_msgpipe_import(argv[1], &again), XIPC_EEXIST);
    CHECK_RC(xipc_msgpipe_inherited(1, &again), XIPC_ENOENT);
    CHECK_RC(xipc_stream_inherited(0, &s), XIPC_EINVAL);
    CHECK_RC(xipc_stream_import(argv[1], &s), XIPC_EINVAL);
    CHECK(again == NULL && s == NULL);
    CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 4);
    CHECK(memcmp(buf, "two!", 4) == 0);
    CHECK_RC(xipc_msgpipe_recv(m, buf, 10, &len, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
    CHECK_EQ(len, 100);
    memset(buf, 0, sizeof buf);
    CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 100);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(buf[i], 'm');
    CHECK_OK(xipc_msgpipe_send(m, "done", 4, XT_CHILD_TIMEOUT_MS));
    xipc_msgpipe_close(m);
    return 0;
}

void
xt_test_npipe_msgpipe_passed_to_a_child(void)
{
    char name[XIPC_NAME_MAX + 1], text[XIPC_HANDLE_TEXT_MAX], buf[8];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *m = NULL;
    size_t len = 0;
    xt_name("passmsg", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    const char *args[] = { name, NULL };
    xipc_proc *client = xt_spawn_child("npipe_pass_client", args, NULL, NULL, 0);
    CHECK_OK(xipc_msgpipe_accept(srv, &m, XT_CHILD_TIMEOUT_MS));
    /* A receive with too small a buffer: the message is now held in this process, which a child
     * would not get: not passable until it is received. */
    CHECK_RC(xipc_msgpipe_recv(m, buf, 2, &len, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
    CHECK_EQ(len, 3);
    CHECK_RC(xipc_handle_export(xipc_msgpipe_handle(m), text, sizeof text), XIPC_ENOTSUP);
    CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 3);
    CHECK(memcmp(buf, "one", 3) == 0);
    /* The rest of the conversation is the second child's; this process closes its copy. */
    xipc_handle *pass = xipc_msgpipe_handle(m);
    xipc_proc *server = xt_spawn_passing("npipe_pass_server", NULL, NULL, &pass, 1);
    xipc_msgpipe_close(m);
    xt_expect_exit(server, 0);
    xt_expect_exit(client, 0);
    xipc_npipe_close(srv);
}

/* What a message pipe's import refuses, before it changes anything: another kind's text, a
 * byte-mode connection's native under a message pipe's text, a message pipe this process holds. */
void
xt_test_npipe_msgpipe_import_refusals(void)
{
    char name[XIPC_NAME_MAX + 1], text[XIPC_HANDLE_TEXT_MAX];
    xipc_npipe *bsrv = NULL, *msrv = NULL;
    xipc_stream *rd, *wr, *bclient = NULL, *bconn = NULL, *s = NULL;
    xipc_msgpipe *mclient = NULL, *mconn = NULL, *m = NULL;
    intptr_t native = 0;
    CHECK_RC(xipc_msgpipe_import(NULL, &m), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_import("xipc1:msgpipe:", &m), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_import("xipc1:msgpipe:4", NULL), XIPC_EINVAL);
    CHECK_RC(xipc_msgpipe_inherited(0, NULL), XIPC_EINVAL);
    /* A stream's text. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xt_export(rd, text);
    CHECK_RC(xipc_msgpipe_import(text, &m), XIPC_EINVAL);
    /* A byte-mode connection's native under a message pipe's text: its kind is checked before
     * its owner, so this process's own connection is XIPC_EINVAL, not XIPC_EEXIST. */
    xt_name("passbyte", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &bsrv));
    CHECK_OK(xipc_npipe_connect(name, 0, &bclient, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_npipe_accept(bsrv, &bconn, XT_CHILD_TIMEOUT_MS));
    intptr_t byte_ends[] = { 0, 0 };
    CHECK_OK(xipc_handle_native(xipc_stream_handle(bconn), &byte_ends[0]));
    CHECK_OK(xipc_handle_native(xipc_stream_handle(bclient), &byte_ends[1]));
    for (int i = 0; i < 2; i++) {
        snprintf(text, sizeof text, "xipc1:msgpipe:%lld", (long long)byte_ends[i]);
        CHECK_RC(xipc_msgpipe_import(text, &m), XIPC_EINVAL);
    }
    /* A pipe's native too. */
    CHECK_OK(xipc_handle_native(xipc_stream_handle(rd), &native));
    snprintf(text, sizeof text, "xipc1:msgpipe:%lld", (long long)native);
    CHECK_RC(xipc_msgpipe_import(text, &m), XIPC_EINVAL);
    /* A message pipe this process holds: the same text imported twice would give two owners. */
    xt_name("passown", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &msrv));
    CHECK_OK(xipc_msgpipe_connect(name, 0, &mclient, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_accept(msrv, &mconn, XT_CHILD_TIMEOUT_MS));
    xt_export(mconn, text);
    CHECK_RC(xipc_msgpipe_import(text, &m), XIPC_EEXIST);
    CHECK_RC(xipc_stream_import(text, &s), XIPC_EINVAL);
    CHECK(m == NULL && s == NULL);
    /* Both still work. */
    CHECK_OK(xipc_msgpipe_send(mclient, "ok", 2, 0));
    size_t len = 0;
    char buf[4];
    CHECK_OK(xipc_msgpipe_recv(mconn, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 2);
    xipc_msgpipe_close(mconn);
    xipc_msgpipe_close(mclient);
    xipc_npipe_close(msrv);
    xipc_stream_close(bconn);
    xipc_stream_close(bclient);
    xipc_npipe_close(bsrv);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

/* ---- connects left pending by threads that end ---------------------------------------------- */

/* argv: name, then the ready/go channel's two texts. Connects in byte mode, says ready, then
 * echoes until the server closes. */
int
xt_child_npipe_ready_echo_client(int argc, char **argv)
{
    xt_channel ch;
    xipc_stream *s = NULL;
    char buf[4096];
    (void)argc;
    xt_channel_import(&ch, argv[2], argv[3]);
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &s, XT_CHILD_TIMEOUT_MS));
    xt_channel_ready(&ch);
    for (;;) {
        size_t got = 0;
        CHECK_OK(xipc_stream_read(s, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        xt_write_all(s, buf, got, XT_CHILD_TIMEOUT_MS);
    }
    xipc_stream_close(s);
    xt_channel_close(&ch);
    return 0;
}

/* A server call run on a thread of its own, which ends when the call returns. */
struct thread_call {
    const char *name;
    xipc_npipe *srv;
    xipc_stream *conn;
    int timeout_ms;
    int rc;
};

static void
listen_on_thread(void *arg)
{
    struct thread_call *c = arg;
    c->rc = xipc_npipe_listen(c->name, XIPC_NPIPE_BYTE, &c->srv);
}

static void
accept_on_thread(void *arg)
{
    struct thread_call *c = arg;
    c->rc = xipc_npipe_accept(c->srv, &c->conn, c->timeout_ms);
}

static void
run_on_thread(void (*fn)(void *), struct thread_call *c)
{
    xt_os_thread_join(xt_os_thread_start(fn, c));
}

/* Starts the ready echo client and waits until it has connected: to the spare instance whose
 * connect a thread that has ended issued. */
static xipc_proc *
spawn_connected_client(const char *name, xt_channel *ch)
{
    xipc_handle *ends[2];
    const char *args[] = { name, NULL };
    xt_channel_open(ch);
    xt_channel_child_ends(ch, ends);
    xipc_proc *p = xt_spawn_passing("npipe_ready_echo_client", args, NULL, ends, 2);
    xt_channel_wait_ready(ch);
    return p;
}

/* Echoes a pattern through conn and closes it; the client then exits 0. */
static void
echo_and_close(xipc_stream *conn, xipc_proc *client, xt_channel *ch)
{
    unsigned char out[5000], back[5000];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = xt_pattern(i + 7);
    xt_write_all(conn, out, sizeof out, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(conn, back, sizeof back, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(out, back, sizeof out) == 0);
    xipc_stream_close(conn);
    xt_expect_exit(client, 0);
    xt_channel_close(ch);
}

/* Windows cancels the I/O a thread issued when the thread ends, so the spare instance's pending
 * connect dies with the thread that called listen or accept. A client that connects after that
 * must still be accepted, whole, by another thread: after a listen on an ended thread, an accept
 * with timeout 0 on another ended thread, and an accept that returned a connection on an ended
 * thread (which made the next spare there). */
void
xt_test_npipe_accept_after_the_listening_thread_ended(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct thread_call c = { name, NULL, NULL, 0, 0 };
    xt_channel ch1, ch2;
    xt_name("thread", name);
    run_on_thread(listen_on_thread, &c);
    CHECK_OK(c.rc);
    run_on_thread(accept_on_thread, &c);
    CHECK_RC(c.rc, XIPC_ETIMEDOUT);
    xipc_proc *first = spawn_connected_client(name, &ch1);
    c.timeout_ms = 5000; /* the client waits already */
    run_on_thread(accept_on_thread, &c);
    CHECK_OK(c.rc);
    xipc_proc *second = spawn_connected_client(name, &ch2);
    xipc_stream *conn = NULL;
    CHECK_OK(xipc_npipe_accept(c.srv, &conn, 5000));
    echo_and_close(c.conn, first, &ch1);
    echo_and_close(conn, second, &ch2);
    xipc_npipe_close(c.srv);
}

/* ---- a server passed to children ------------------------------------------------------------ */

/* Requests are REQUEST_LEN bytes of the pattern from request number * REQUEST_LEN; a reply is
 * the serving process's id byte, then the request. */
#define REQUEST_LEN 3000

static unsigned
mode_of(const char *word)
{
    return strcmp(word, "byte") == 0 ? XIPC_NPIPE_BYTE : XIPC_NPIPE_MESSAGE;
}

static void
fill_request(unsigned char *buf, int number)
{
    for (size_t i = 0; i < REQUEST_LEN; i++)
        buf[i] = xt_pattern((uint64_t)number * REQUEST_LEN + i);
}

/* Accepts one client within timeout_ms and answers its request: 0, or XIPC_ETIMEDOUT when none
 * came. */
static int
serve_one(xipc_npipe *srv, unsigned mode, char id, int timeout_ms)
{
    unsigned char buf[REQUEST_LEN + 1];
    size_t len = 0;
    buf[0] = (unsigned char)id;
    if (mode == XIPC_NPIPE_BYTE) {
        xipc_stream *s = NULL;
        int rc = xipc_npipe_accept(srv, &s, timeout_ms);
        if (rc != 0)
            return rc;
        xt_read_exact(s, buf + 1, REQUEST_LEN, XT_CHILD_TIMEOUT_MS);
        xt_write_all(s, buf, sizeof buf, XT_CHILD_TIMEOUT_MS);
        xt_expect_eof(s, XT_CHILD_TIMEOUT_MS);
        xipc_stream_close(s);
        return 0;
    }
    xipc_msgpipe *m = NULL;
    int rc = xipc_msgpipe_accept(srv, &m, timeout_ms);
    if (rc != 0)
        return rc;
    CHECK_OK(xipc_msgpipe_recv(m, buf + 1, REQUEST_LEN, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, REQUEST_LEN);
    CHECK_OK(xipc_msgpipe_send(m, buf, sizeof buf, XT_CHILD_TIMEOUT_MS));
    CHECK_RC(xipc_msgpipe_recv(m, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_msgpipe_close(m);
    return 0;
}

/* Sends request number to the server on name and checks the reply; returns the id of the process
 * that served it. */
static char
request_once(const char *name, unsigned mode, int number)
{
    unsigned char req[REQUEST_LEN], reply[REQUEST_LEN + 1];
    size_t len = 0;
    fill_request(req, number);
    if (mode == XIPC_NPIPE_BYTE) {
        xipc_stream *s = NULL;
        CHECK_OK(xipc_npipe_connect(name, 0, &s, XT_CHILD_TIMEOUT_MS));
        xt_write_all(s, req, sizeof req, XT_CHILD_TIMEOUT_MS);
        xt_read_exact(s, reply, sizeof reply, XT_CHILD_TIMEOUT_MS);
        xipc_stream_close(s);
    } else {
        xipc_msgpipe *m = NULL;
        CHECK_OK(xipc_msgpipe_connect(name, 0, &m, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_msgpipe_send(m, req, sizeof req, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_msgpipe_recv(m, reply, sizeof reply, &len, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(len, sizeof reply);
        xipc_msgpipe_close(m);
    }
    CHECK(memcmp(reply + 1, req, sizeof req) == 0);
    return (char)reply[0];
}

/* argv: mode, id, close ("close" or "exit"); then the ready/go channel's texts and the server's
 * text (listed at index 2). Imports the server (a second import is XIPC_EEXIST), says ready, and
 * serves clients until told to stop; then closes the server, or ends holding it. No handle of
 * the import is left after the close. */
int
xt_child_npipe_worker(int argc, char **argv)
{
    xt_channel ch;
    xipc_npipe *srv = NULL, *again = NULL;
    char c = 0;
    size_t got = 0;
    (void)argc;
    warm_up_named_objects();
    xt_channel_import(&ch, argv[4], argv[5]);
    /* A stream's first read or write makes what it keeps until closed (Windows: an event): the
     * channel's go reader reads before the count, its ready writer's first write is counted. */
    CHECK_RC(xipc_stream_read(ch.go_rd, &c, 1, &got, 0), XIPC_ETIMEDOUT);
    int before = xt_os_handle_count();
    CHECK_OK(xipc_npipe_inherited(2, &srv));
    CHECK_RC(xipc_npipe_inherited(2, &again), XIPC_EEXIST);
    CHECK_RC(xipc_npipe_import(argv[6], &again), XIPC_EEXIST);
    CHECK(again == NULL);
    int ready_made = xt_os_handle_count();
    xt_channel_ready(&ch);
    ready_made = xt_os_handle_count() - ready_made;
    for (;;) {
        int rc = serve_one(srv, mode_of(argv[1]), argv[2][0], 20);
        if (rc != XIPC_ETIMEDOUT)
            CHECK_OK(rc);
        else if (xipc_stream_read(ch.go_rd, &c, 1, &got, 0) == 0)
            break;
    }
    if (strcmp(argv[3], "exit") == 0)
        return 0; /* the process's end releases its hold */
    xipc_npipe_close(srv);
    /* The two natives it inherited went too. */
    CHECK_EQ(xt_os_handle_count(), before - 2 + ready_made);
    xt_channel_close(&ch);
    return 0;
}

/* argv: name, mode, first request number, count. Sends count requests, one connection each. */
int
xt_child_npipe_requester(int argc, char **argv)
{
    int first = atoi(argv[3]), count = atoi(argv[4]);
    (void)argc;
    for (int i = 0; i < count; i++)
        printf("%c", request_once(argv[1], mode_of(argv[2]), first + i));
    printf("\n");
    return 0;
}

/* Starts a worker that imports srv; returns once it serves. */
static xipc_proc *
start_worker(xipc_npipe *srv, const char *mode, const char *id, const char *end, xt_channel *ch)
{
    xipc_handle *pass[3];
    const char *args[] = { mode, id, end, NULL };
    xt_channel_open(ch);
    xt_channel_child_ends(ch, pass);
    pass[2] = xipc_npipe_handle(srv);
    xipc_proc *p = xt_spawn_passing("npipe_worker", args, NULL, pass, 3);
    xt_channel_wait_ready(ch);
    return p;
}

/* Serves in this process too until the requester child has ended. */
static void
serve_until_exit(xipc_npipe *srv, unsigned mode, xipc_proc *requester)
{
    xipc_exit_status st = { 0, 0 };
    int rc;
    for (;;) {
        rc = serve_one(srv, mode, 'p', 20);
        if (rc == XIPC_ETIMEDOUT && (rc = xipc_proc_wait(requester, &st, 0)) == 0)
            break;
        if (rc != XIPC_ETIMEDOUT)
            CHECK_OK(rc);
    }
    CHECK_EQ(st.kind, XIPC_EXIT_NORMAL);
    CHECK_EQ(st.code, 0);
    xipc_proc_close(requester);
}

static void
pass_server_in_mode(const char *mode_word)
{
    char name[XIPC_NAME_MAX + 1];
    unsigned mode = mode_of(mode_word);
    xipc_npipe *srv = NULL;
    xt_channel ch1, ch2;
    xt_name(mode_word, name);
    int before = xt_os_handle_count();
    CHECK_OK(xipc_npipe_listen(name, mode, &srv));
    xipc_proc *w1 = start_worker(srv, mode_word, "1", "close", &ch1);
    xipc_proc *w2 = start_worker(srv, mode_word, "2", "exit", &ch2);
    /* Three holders accept: every request is answered whole by one of them. */
    const char *args[] = { name, mode_word, "0", "12", NULL };
    serve_until_exit(srv, mode, xt_spawn_child("npipe_requester", args, NULL, NULL, 0));
    /* The process that listened closes first; the workers keep the name and its clients. */
    xipc_npipe_close(srv);
    for (int i = 12; i < 18; i++)
        CHECK(strchr("12", request_once(name, mode, i)) != NULL);
    xipc_npipe *second = NULL;
    CHECK_RC(xipc_npipe_listen(name, mode, &second), XIPC_EADDRINUSE);
    /* One worker closes, the last one ends holding it: then the name is free. */
    xt_channel_go(&ch1);
    xt_expect_exit(w1, 0);
    CHECK(request_once(name, mode, 18) == '2');
    xt_channel_go(&ch2);
    xt_expect_exit(w2, 0);
    xipc_stream *s = NULL;
    xipc_msgpipe *m = NULL;
    CHECK_RC(mode == XIPC_NPIPE_BYTE ? xipc_npipe_connect(name, 0, &s, 1000)
                                     : xipc_msgpipe_connect(name, 0, &m, 1000),
        XIPC_ENOENT);
    CHECK_OK(xipc_npipe_listen(name, mode, &second));
    xipc_npipe_close(second);
    xt_channel_close(&ch1);
    xt_channel_close(&ch2);
    CHECK_EQ(xt_os_handle_count(), before);
}

/* A pre-forked server: the parent listens and passes the server to two workers, and all three
 * accept on the one name. The name lasts until the last holder closes the server or ends,
 * whichever process listened first; then a connect finds no server and a new listen succeeds.
 * No handle is left behind, in the parent or in a worker that closes. */
void
xt_test_npipe_server_passed_to_workers(void)
{
    warm_up_named_objects();
    pass_server_in_mode("byte");
    pass_server_in_mode("message");
}

/* What a server's import refuses, before it changes anything. */
void
xt_test_npipe_server_import_refusals(void)
{
    char name[XIPC_NAME_MAX + 1], text[XIPC_HANDLE_TEXT_MAX], bad[XIPC_HANDLE_TEXT_MAX + 32];
    xipc_npipe *srv = NULL, *got = NULL;
    xipc_stream *rd, *wr;
    intptr_t native = 0;
    CHECK_RC(xipc_npipe_import(NULL, &got), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_import("xipc1:npipe:b:4:4:x", NULL), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_inherited(0, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_npipe_inherited(0, &got), XIPC_ENOENT); /* this process inherited nothing */
    static const char *const malformed[] = { "xipc1:npipe:", "xipc1:npipe:b", "xipc1:npipe:x:4:4:n",
        "xipc1:npipe:b:4", "xipc1:npipe:b:4:n", "xipc1:npipe:b:4:4:4:n", "xipc1:npipe:b::4:n",
        "xipc1:npipe:b:04:4:n", "xipc1:npipe:b:4:4:bad/name",
        "xipc1:npipe:b:4:4:", "xipc1:msgpipe:4" };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        CHECK_RC(xipc_npipe_import(malformed[i], &got), XIPC_EINVAL);
    /* A stream's text, and a pipe's native under a server's text. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xt_export(rd, text);
    CHECK_RC(xipc_npipe_import(text, &got), XIPC_EINVAL);
    CHECK_OK(xipc_handle_native(xipc_stream_handle(rd), &native));
    xt_name("refuse", name);
    snprintf(
        bad, sizeof bad, "xipc1:npipe:b:%lld:%lld:%s", (long long)native, (long long)native, name);
    CHECK_RC(xipc_npipe_import(bad, &got), XIPC_EINVAL);
    /* This process's own server: another mode or name is refused for what it is; its own text
     * because this process holds it already. */
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    xt_export(srv, text);
    CHECK_RC(xipc_npipe_import(text, &got), XIPC_EEXIST);
    text[strlen("xipc1:npipe:")] = 'm';
    CHECK_RC(xipc_npipe_import(text, &got), XIPC_EINVAL);
    text[strlen("xipc1:npipe:")] = 'b';
    text[strlen(text) - 1] = text[strlen(text) - 1] == 'x' ? 'y' : 'x';
    CHECK_RC(xipc_npipe_import(text, &got), XIPC_EINVAL);
    CHECK_RC(xipc_stream_import(text, &rd), XIPC_EINVAL);
    CHECK(got == NULL);
    /* Values that name nothing open here. */
    snprintf(bad, sizeof bad, "xipc1:npipe:b:%d:%d:%s", 4000, 4004, name);
    CHECK_RC(xipc_npipe_import(bad, &got), XIPC_EBADF);
    xipc_npipe_close(srv);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

/* ---- squatters, and names that differ in case ----------------------------------------------- */

/* argv: name, "byte" or "message". Connects within 2 s and, if that works, sends "secret": a
 * client that should have refused the server. Exits with xt_child_exit_code of the connect. */
int
xt_child_npipe_try_connect(int argc, char **argv)
{
    (void)argc;
    if (strcmp(argv[2], "byte") == 0) {
        xipc_stream *s = NULL;
        int rc = xipc_npipe_connect(argv[1], 0, &s, 2000);
        if (rc == 0)
            xt_write_all(s, "secret", 6, XT_CHILD_TIMEOUT_MS);
        xipc_stream_close(s);
        return xt_child_exit_code(rc);
    }
    xipc_msgpipe *m = NULL;
    int rc = xipc_msgpipe_connect(argv[1], 0, &m, 2000);
    if (rc == 0)
        CHECK_OK(xipc_msgpipe_send(m, "secret", 6, XT_CHILD_TIMEOUT_MS));
    xipc_msgpipe_close(m);
    return xt_child_exit_code(rc);
}

/* Another user made the pipe first, open to all (Windows: pipe names are machine-wide, and the
 * maker of the first instance fixes the security descriptor): a client in another process
 * refuses it before sending anything (XIPC_EACCES), and listen refuses the name
 * (XIPC_EADDRINUSE). Both were let in: the client sent its data to the squatter. */
void
xt_test_npipe_squatted_name_refused(void)
{
    char name[XIPC_NAME_MAX + 1];
    const char *why = NULL;
    xipc_npipe *srv = NULL;
    xt_name("squat", name);
    xt_os_squatter *sq = xt_os_squat_pipe(name, false, &why);
    if (sq == NULL)
        XT_SKIP(why);
    const char *byte_args[] = { name, "byte", NULL }, *msg_args[] = { name, "message", NULL };
    xt_expect_exit(xt_spawn_child("npipe_try_connect", byte_args, NULL, NULL, 0),
        xt_child_exit_code(XIPC_EACCES));
    xt_expect_exit(xt_spawn_child("npipe_try_connect", msg_args, NULL, NULL, 0),
        xt_child_exit_code(XIPC_EACCES));
    CHECK_EQ(xt_os_squatter_received(sq), 0);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), XIPC_EADDRINUSE);
    CHECK_RC(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv), XIPC_EADDRINUSE);
    CHECK(srv == NULL);
    xt_os_squatter_close(sq);
    /* Once the squatter has gone, the name is free. */
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    xipc_npipe_close(srv);
}

/* Upper-cases the ASCII letters of s in place. */
static void
upper_case(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
    }
}

/* Named-pipe names that differ only in case name one server on both platforms (Windows pipe
 * names are case-insensitive; xipc folds the name for every part of the server, POSIX's socket
 * and lock files included): a second listen is XIPC_EADDRINUSE, and a client of the other
 * spelling reaches the server. Events stay case-sensitive, as Local\ and POSIX names are. POSIX
 * made two servers, and a client of "FOO" found none. */
void
xt_test_npipe_names_differing_in_case_are_one_server(void)
{
    char lower[XIPC_NAME_MAX + 1], upper[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL, *second = NULL;
    xipc_stream *conn = NULL;
    xipc_event *a = NULL, *b = NULL;
    char buf[4];
    xt_name("case", lower);
    strcpy(upper, lower);
    upper_case(upper);
    CHECK_OK(xipc_npipe_listen(upper, XIPC_NPIPE_BYTE, &srv));
    CHECK_RC(xipc_npipe_listen(lower, XIPC_NPIPE_BYTE, &second), XIPC_EADDRINUSE);
    CHECK_RC(xipc_npipe_listen(lower, XIPC_NPIPE_MESSAGE, &second), XIPC_EADDRINUSE);
    CHECK(second == NULL);
    const char *args[] = { lower, NULL };
    xipc_proc *p = xt_spawn_child("npipe_echo_client", args, NULL, NULL, 0);
    CHECK_OK(xipc_npipe_accept(srv, &conn, XT_CHILD_TIMEOUT_MS));
    xt_write_all(conn, "case", 4, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(conn, buf, 4, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "case", 4) == 0);
    xipc_stream_close(conn);
    xt_expect_exit(p, 0);
    xipc_npipe_close(srv);

    CHECK_OK(xipc_event_open(lower, XIPC_CREATE, &a));
    CHECK_OK(xipc_event_open(upper, XIPC_CREATE, &b));
    xipc_event_close(a);
    xipc_event_close(b);
}
