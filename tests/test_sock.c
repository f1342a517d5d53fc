/* tests/test_sock.c: sockets across real processes: TCP connections as streams (IPv4, IPv6, host
 * names, port 0), half-close, addresses, timeouts, XIPC_EPIPE without SIGPIPE, passing a
 * connection to a child, inheritance, bad input and leaks; calls without a limit (the plain
 * recv and send) among calls with one, on a socket another process changed, to a peer that is
 * gone, and on a message pipe; and the duplex pipe. */
#include "xt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A loopback listener on a free port, and that port as text for a child's argv. */
static xipc_listener *
listen_loopback(char port_text[16])
{
    xipc_listener *l = NULL;
    int port = 0;
    CHECK_OK(xipc_tcp_listen(NULL, 0, 0, &l));
    CHECK_OK(xipc_listener_port(l, &port));
    CHECK(port > 0 && port <= 65535);
    snprintf(port_text, 16, "%d", port);
    return l;
}

/* Before counting handles: Winsock's own handles come with its start, once per process. */
static void
warm_up_sockets(void)
{
    char port[16];
    xt_warm_up();
    xipc_listener *l = listen_loopback(port);
    xipc_stream *c = NULL, *a = NULL;
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_listener_accept(l, &a, XT_CHILD_TIMEOUT_MS));
    xipc_stream_close(a);
    xipc_stream_close(c);
    xipc_listener_close(l);
}

/* ---- TCP across processes ------------------------------------------------------------------- */

/* argv: port. Connects, sends 100000 pattern bytes, half-closes, then reads the reply "done"
 * and the end of the stream. */
int
xt_child_tcp_sender(int argc, char **argv)
{
    xipc_stream *s = NULL;
    static unsigned char out[100000];
    char reply[5] = { 0 };
    (void)argc;
    CHECK_OK(xipc_tcp_connect(NULL, atoi(argv[1]), 0, &s, XT_CHILD_TIMEOUT_MS));
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = xt_pattern(i);
    xt_write_all(s, out, sizeof out, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_stream_shutdown(s));
    /* This end writes no more; it still reads. */
    CHECK_RC(xipc_stream_write(s, "x", 1, NULL, XT_CHILD_TIMEOUT_MS), XIPC_EPIPE);
    xt_read_exact(s, reply, 4, XT_CHILD_TIMEOUT_MS);
    CHECK_STR(reply, "done");
    xt_expect_eof(s, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(s);
    return 0;
}

void
xt_test_tcp_half_close_across_processes(void)
{
    char port[16];
    size_t len = 0;
    xipc_stream *conn = NULL;
    xipc_listener *l = listen_loopback(port);
    const char *args[] = { port, NULL };
    xipc_proc *p = xt_spawn_child("tcp_sender", args, NULL, NULL, 0);
    CHECK_OK(xipc_listener_accept(l, &conn, XT_CHILD_TIMEOUT_MS));
    /* Everything the child sent, then the end of the stream its shutdown made, while the
     * connection still carries the reply the other way. */
    unsigned char *got = (unsigned char *)xt_read_to_eof(conn, &len, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(len, 100000);
    for (size_t i = 0; i < len; i++)
        CHECK_EQ(got[i], xt_pattern(i));
    free(got);
    xt_write_all(conn, "done", 4, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(conn);
    xt_expect_exit(p, 0);
    xipc_listener_close(l);
}

/* argv: port, then a host ("-": none) and a family ("4", "6" or "any"). Connects and echoes
 * until the end. */
int
xt_child_tcp_echo(int argc, char **argv)
{
    xipc_stream *s = NULL;
    char buf[4096];
    const char *host = argc > 2 && strcmp(argv[2], "-") != 0 ? argv[2] : NULL;
    unsigned flags = 0;
    if (argc > 3 && strcmp(argv[3], "4") == 0)
        flags = XIPC_SOCK_IPV4;
    if (argc > 3 && strcmp(argv[3], "6") == 0)
        flags = XIPC_SOCK_IPV6;
    CHECK_OK(xipc_tcp_connect(host, atoi(argv[1]), flags, &s, XT_CHILD_TIMEOUT_MS));
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

/* A round trip of a few sizes with a child connected by tcp_echo. */
static void
echo_rounds(xipc_stream *conn)
{
    static unsigned char out[70000], back[70000];
    const size_t sizes[] = { 1, 64, 4096, sizeof out };
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = xt_pattern(i * 7);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        /* In pieces, reading the echo in between, so neither side's buffer fills. */
        for (size_t done = 0; done < sizes[k];) {
            size_t n = sizes[k] - done < 8000 ? sizes[k] - done : 8000;
            xt_write_all(conn, out + done, n, XT_CHILD_TIMEOUT_MS);
            xt_read_exact(conn, back + done, n, XT_CHILD_TIMEOUT_MS);
            done += n;
        }
        CHECK(memcmp(out, back, sizes[k]) == 0);
    }
}

/* Serves one tcp_echo child that connects to host with family; checks the addresses. */
static void
serve_echo(xipc_listener *l, const char *port, const char *host, const char *family)
{
    xipc_stream *conn = NULL;
    xipc_sockaddr local, peer, lst;
    char text[XIPC_SOCKADDR_TEXT_MAX], ltext[XIPC_SOCKADDR_TEXT_MAX];
    int lport = 0, sport = 0;
    const char *args[] = { port, host, family, NULL };
    xipc_proc *p = xt_spawn_child("tcp_echo", args, NULL, NULL, 0);
    CHECK_OK(xipc_listener_accept(l, &conn, XT_CHILD_TIMEOUT_MS));
    echo_rounds(conn);
    /* The connection's local end is the listener's address; its peer is the child's. */
    CHECK_OK(xipc_stream_local_addr(conn, &local));
    CHECK_OK(xipc_listener_addr(l, &lst));
    CHECK_OK(xipc_sockaddr_format(&local, text, sizeof text));
    CHECK_OK(xipc_sockaddr_format(&lst, ltext, sizeof ltext));
    CHECK_STR(text, ltext);
    CHECK_OK(xipc_stream_peer_addr(conn, &peer));
    CHECK_OK(xipc_sockaddr_port(&peer, &sport));
    CHECK_OK(xipc_sockaddr_port(&local, &lport));
    CHECK(sport > 0 && sport != lport);
    xipc_stream_close(conn);
    xt_expect_exit(p, 0);
}

void
xt_test_tcp_echo_ipv4_and_names(void)
{
    char port[16], text[XIPC_SOCKADDR_TEXT_MAX];
    xipc_sockaddr a;
    xipc_listener *l = listen_loopback(port);
    /* No host: loopback only. */
    CHECK_OK(xipc_listener_addr(l, &a));
    CHECK_OK(xipc_sockaddr_format(&a, text, sizeof text));
    CHECK(strncmp(text, "127.0.0.1:", 10) == 0);
    CHECK_STR(text + 10, port);
    serve_echo(l, port, "127.0.0.1", "any");
    serve_echo(l, port, "localhost", "4");
    xipc_listener_close(l);
}

void
xt_test_tcp_echo_ipv6(void)
{
    xipc_listener *l = NULL;
    char port[16], text[XIPC_SOCKADDR_TEXT_MAX];
    xipc_sockaddr a;
    int n = 0;
    int rc = xipc_tcp_listen("::1", 0, 0, &l);
    if (rc == XIPC_EINVAL || rc == XIPC_ENOTSUP || rc == XIPC_ENOENT)
        XT_SKIP("no IPv6 loopback on this machine");
    CHECK_OK(rc);
    CHECK_OK(xipc_listener_addr(l, &a));
    CHECK_OK(xipc_sockaddr_format(&a, text, sizeof text));
    CHECK(strncmp(text, "[::1]:", 6) == 0);
    CHECK_OK(xipc_sockaddr_port(&a, &n));
    snprintf(port, sizeof port, "%d", n);
    serve_echo(l, port, "::1", "any");
    xipc_listener_close(l);
    /* No host with XIPC_SOCK_IPV6: ::1. */
    CHECK_OK(xipc_tcp_listen(NULL, 0, XIPC_SOCK_IPV6, &l));
    CHECK_OK(xipc_listener_addr(l, &a));
    CHECK_OK(xipc_sockaddr_format(&a, text, sizeof text));
    CHECK(strncmp(text, "[::1]:", 6) == 0);
    CHECK_OK(xipc_sockaddr_port(&a, &n));
    snprintf(port, sizeof port, "%d", n);
    serve_echo(l, port, "-", "6");
    xipc_listener_close(l);
}

/* ---- Writes to a gone peer, timeouts, half-close -------------------------------------------- */

/* argv: port. Connects, then exits without a word: its socket closes with it. */
int
xt_child_tcp_connect_and_exit(int argc, char **argv)
{
    xipc_stream *s = NULL;
    (void)argc;
    CHECK_OK(xipc_tcp_connect(NULL, atoi(argv[1]), 0, &s, XT_CHILD_TIMEOUT_MS));
    return 0;
}

void
xt_test_tcp_write_to_gone_peer_is_epipe(void)
{
    char port[16], buf[4096];
    xipc_stream *conn = NULL;
    size_t got = 1;
    int rc = 0;
    memset(buf, 'x', sizeof buf);
    xipc_listener *l = listen_loopback(port);
    const char *args[] = { port, NULL };
    xipc_proc *p = xt_spawn_child("tcp_connect_and_exit", args, NULL, NULL, 0);
    CHECK_OK(xipc_listener_accept(l, &conn, XT_CHILD_TIMEOUT_MS));
    xt_expect_exit(p, 0);
    CHECK_OK(xipc_stream_read(conn, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(got, 0);
    /* The first write may still be taken (the peer answers it with a reset); a later one finds
     * the connection gone. SIGPIPE keeps its default action here (xt_main), so a raw send
     * without MSG_NOSIGNAL would end this process. */
    for (int i = 0; i < 100 && rc == 0; i++) {
        rc = xipc_stream_write(conn, buf, sizeof buf, NULL, XT_CHILD_TIMEOUT_MS);
        if (rc == 0)
            xt_os_sleep_ms(10);
    }
    CHECK_RC(rc, XIPC_EPIPE);
    xipc_stream_close(conn);
    xipc_listener_close(l);
}

void
xt_test_tcp_timeouts(void)
{
    char port[16], buf[16];
    xipc_stream *c = NULL, *a = NULL;
    size_t got = 7;
    xipc_listener *l = listen_loopback(port);
    /* Nothing to accept. */
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_listener_accept(l, &a, 0), XIPC_ETIMEDOUT);
    CHECK(a == NULL);
    CHECK_RC(xipc_listener_accept(l, &a, 150), XIPC_ETIMEDOUT);
    CHECK_GE(xt_os_now_ms() - t0, 150);
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_listener_accept(l, &a, XT_CHILD_TIMEOUT_MS));
    /* Nothing to read. */
    CHECK_RC(xipc_stream_read(a, buf, sizeof buf, &got, 0), XIPC_ETIMEDOUT);
    CHECK_EQ(got, 0);
    t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_read(a, buf, sizeof buf, &got, 200), XIPC_ETIMEDOUT);
    uint64_t took = xt_os_now_ms() - t0;
    CHECK_GE(took, 200);
    CHECK_LT(took, 200 + XT_SLACK_MS);
    /* A write into a peer that does not read stops at its deadline and says how much went. */
    static char big[1 << 16];
    size_t put = 0, total = 0;
    int rc = 0;
    for (int i = 0; i < 4096 && rc == 0; i++) {
        rc = xipc_stream_write(c, big, sizeof big, &put, 100);
        total += put;
    }
    CHECK_RC(rc, XIPC_ETIMEDOUT);
    CHECK(put < sizeof big);
    /* Every byte reported went: the reader gets exactly total. */
    size_t drained = 0;
    static char sink[1 << 16];
    while (drained < total) {
        CHECK_OK(xipc_stream_read(a, sink, sizeof sink, &got, XT_CHILD_TIMEOUT_MS));
        CHECK(got > 0);
        drained += got;
    }
    CHECK_EQ(drained, total);
    CHECK_RC(xipc_stream_read(a, sink, sizeof sink, &got, 50), XIPC_ETIMEDOUT);
    xipc_stream_close(a);
    xipc_stream_close(c);
    xipc_listener_close(l);
}

/* ---- Calls without a limit: the plain recv and send, and what they must still handle -------- */

/* argv: port, then the ready and go channel texts. Connects and writes "1"; takes "g", then after
 * 300 ms writes "2"; says ready; on go reads to the end of the stream and answers with the count
 * of bytes, as text. */
int
xt_child_tcp_limits_peer(int argc, char **argv)
{
    xipc_stream *s = NULL;
    xt_channel ch;
    char g = 0, count[32];
    size_t len = 0;
    (void)argc;
    xt_channel_import(&ch, argv[2], argv[3]);
    CHECK_OK(xipc_tcp_connect(NULL, atoi(argv[1]), 0, &s, XT_CHILD_TIMEOUT_MS));
    xt_write_all(s, "1", 1, XIPC_FOREVER);
    xt_read_exact(s, &g, 1, XIPC_FOREVER);
    CHECK_EQ(g, 'g');
    xt_os_sleep_ms(300);
    xt_write_all(s, "2", 1, XIPC_FOREVER);
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    free(xt_read_to_eof(s, &len, XT_CHILD_TIMEOUT_MS));
    snprintf(count, sizeof count, "%zu", len);
    xt_write_all(s, count, strlen(count), XIPC_FOREVER);
    xipc_stream_close(s);
    xt_channel_close(&ch);
    return 0;
}

/* Calls with a limit among calls without one, on one connection: each limit holds although the
 * calls before it were plain blocking ones, and each call without a limit waits as long as it
 * takes although a limit's timeout was set on the socket before it. */
void
xt_test_tcp_limit_after_calls_without_one(void)
{
    char port[16], c = 0, count[32] = { 0 };
    static char chunk[1 << 16];
    xipc_stream *a = NULL;
    xipc_handle *ends[2];
    xt_channel ch;
    size_t got = 0, put = 0, total = 0;
    int rc = 0;
    xipc_listener *l = listen_loopback(port);
    xt_channel_open(&ch);
    xt_channel_child_ends(&ch, ends);
    const char *args[] = { port, NULL };
    xipc_proc *p = xt_spawn_passing("tcp_limits_peer", args, NULL, ends, 2);
    CHECK_OK(xipc_listener_accept(l, &a, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_stream_read(a, &c, 1, &got, XIPC_FOREVER));
    CHECK(got == 1 && c == '1');
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_read(a, &c, 1, &got, 150), XIPC_ETIMEDOUT);
    uint64_t took = xt_os_now_ms() - t0;
    CHECK_GE(took, 150);
    CHECK_LT(took, 150 + XT_SLACK_MS);
    /* The peer answers 300 ms after the go, past the 150 ms the socket may still hold. */
    xt_write_all(a, "g", 1, XIPC_FOREVER);
    CHECK_OK(xipc_stream_read(a, &c, 1, &got, XIPC_FOREVER));
    CHECK(got == 1 && c == '2');
    /* Writes without a limit, then with one into a peer that reads nothing yet: the limit ends
     * them, and every byte reported went. */
    xt_channel_wait_ready(&ch);
    for (int i = 0; i < 4; i++) {
        CHECK_OK(xipc_stream_write(a, chunk, 4096, &put, XIPC_FOREVER));
        total += put;
    }
    for (int i = 0; i < 4096 && rc == 0; i++) {
        rc = xipc_stream_write(a, chunk, sizeof chunk, &put, 100);
        total += put;
    }
    CHECK_RC(rc, XIPC_ETIMEDOUT);
    xt_channel_go(&ch);
    CHECK_OK(xipc_stream_shutdown(a));
    char *reply = xt_read_to_eof(a, &got, XIPC_FOREVER);
    snprintf(count, sizeof count, "%zu", total);
    CHECK_STR(reply, count);
    free(reply);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_stream_close(a);
    xipc_listener_close(l);
}

/* argv: "timeout" or "nonblock", then the texts of the two ends of a connection and of the ready
 * channel end. Changes the first end's socket as a program that is not xipc may: timeouts of
 * 50 ms, and O_NONBLOCK for "nonblock"; says ready; after 300 ms writes "x" on the other end,
 * then reads 1 MiB of pattern from it. */
int
xt_child_tcp_meddler(int argc, char **argv)
{
    xipc_stream *a = xt_import(argv[argc - 3]), *c = xt_import(argv[argc - 2]);
    xipc_stream *ready = xt_import(argv[argc - 1]);
    static unsigned char in[1 << 20];
    intptr_t native = 0;
    CHECK_OK(xipc_handle_native(xipc_stream_handle(a), &native));
    CHECK_EQ(xt_os_socket_meddle(native, 50, strcmp(argv[1], "nonblock") == 0), 0);
    xipc_stream_close(a);
    xt_write_all(ready, "r", 1, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(ready);
    xt_os_sleep_ms(300);
    xt_write_all(c, "x", 1, XIPC_FOREVER);
    xt_read_exact(c, in, sizeof in, XIPC_FOREVER);
    for (size_t i = 0; i < sizeof in; i++)
        if (in[i] != xt_pattern(i))
            xt_fail(__FILE__, __LINE__, "byte %zu differs", i);
    xipc_stream_close(c);
    return 0;
}

/* A connection passed to a child, which changes the socket behind xipc's back: the timeouts
 * belong to the socket and O_NONBLOCK to the description, both shared. A read without a limit
 * still waits until data comes, a write without a limit still writes everything, and a read
 * with a limit still ends at its limit. */
void
xt_test_tcp_shared_socket_changed_by_another_process(void)
{
    static const char *const how[] = { "timeout", "nonblock" };
    static unsigned char out[1 << 20];
    char port[16], r = 0, x = 0;
    size_t got = 0, put = 0;
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = xt_pattern(i);
    for (int k = 0; k < 2; k++) {
        xipc_stream *c = NULL, *a = NULL, *ready_rd = NULL, *ready_wr = NULL;
        intptr_t native = 0;
        xipc_listener *l = listen_loopback(port);
        CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_listener_accept(l, &a, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_handle_native(xipc_stream_handle(c), &native));
        if (xt_os_socket_meddle(native, 0, false) != 0)
            XT_SKIP("Windows: xipc's sockets are non-blocking already, and their overlapped "
                    "reads take no socket timeout; nothing another process sets there applies");
        CHECK_OK(xipc_pipe(0, &ready_rd, &ready_wr));
        xipc_handle *h[3] = { xipc_stream_handle(a), xipc_stream_handle(c),
            xipc_stream_handle(ready_wr) };
        const char *args[] = { how[k], NULL };
        xipc_proc *p = xt_spawn_passing("tcp_meddler", args, NULL, h, 3);
        xipc_stream_close(ready_wr);
        xt_read_exact(ready_rd, &r, 1, XT_CHILD_TIMEOUT_MS);
        CHECK_OK(xipc_stream_read(a, &x, 1, &got, XIPC_FOREVER));
        CHECK(got == 1 && x == 'x');
        CHECK_OK(xipc_stream_write(a, out, sizeof out, &put, XIPC_FOREVER));
        CHECK_EQ(put, sizeof out);
        xt_expect_exit(p, 0);
        uint64_t t0 = xt_os_now_ms();
        CHECK_RC(xipc_stream_read(a, &x, 1, &got, 200), XIPC_ETIMEDOUT);
        CHECK_GE(xt_os_now_ms() - t0, 200);
        xipc_stream_close(ready_rd);
        xipc_stream_close(c);
        xipc_stream_close(a);
        xipc_listener_close(l);
    }
}

/* A peer that is gone, seen by calls without a limit: the read is the end of the stream (also
 * when the peer reset the connection: it had data of ours unread), and a write XIPC_EPIPE, never
 * SIGPIPE (whose action stays the default here: a plain write would end this process). */
void
xt_test_tcp_gone_peer_without_limit(void)
{
    char port[16], buf[4096];
    xipc_stream *conn = NULL;
    size_t got = 1;
    int rc = 0;
    memset(buf, 'x', sizeof buf);
    xipc_listener *l = listen_loopback(port);
    const char *args[] = { port, NULL };
    xipc_proc *p = xt_spawn_child("tcp_connect_and_exit", args, NULL, NULL, 0);
    CHECK_OK(xipc_listener_accept(l, &conn, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_stream_write(conn, buf, 100, NULL, XIPC_FOREVER));
    xt_expect_exit(p, 0);
    xt_os_sleep_ms(100); /* the reset for those 100 bytes has come */
    CHECK_OK(xipc_stream_read(conn, buf, sizeof buf, &got, XIPC_FOREVER));
    CHECK_EQ(got, 0);
    for (int i = 0; i < 100 && rc == 0; i++) {
        rc = xipc_stream_write(conn, buf, sizeof buf, NULL, XIPC_FOREVER);
        if (rc == 0)
            xt_os_sleep_ms(10);
    }
    CHECK_RC(rc, XIPC_EPIPE);
    CHECK_OK(xipc_stream_read(conn, buf, sizeof buf, &got, XIPC_FOREVER));
    CHECK_EQ(got, 0);
    xipc_stream_close(conn);
    xipc_listener_close(l);
}

/* ---- Message pipes without a limit ---------------------------------------------------------- */

/* argv: name. Connects; after 200 ms sends "ping"; takes "pong"; after 150 ms sends "ok"; waits
 * for the server to close. Every call without a limit. */
int
xt_child_msgpipe_late_peer(int argc, char **argv)
{
    xipc_msgpipe *c = NULL;
    char buf[8];
    size_t len = 0;
    (void)argc;
    CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &c, XT_CHILD_TIMEOUT_MS));
    xt_os_sleep_ms(200);
    CHECK_OK(xipc_msgpipe_send(c, "ping", 4, XIPC_FOREVER));
    CHECK_OK(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XIPC_FOREVER));
    CHECK(len == 4 && memcmp(buf, "pong", 4) == 0);
    xt_os_sleep_ms(150);
    CHECK_OK(xipc_msgpipe_send(c, "ok", 2, XIPC_FOREVER));
    CHECK_RC(xipc_msgpipe_recv(c, buf, sizeof buf, &len, XIPC_FOREVER), XIPC_ECLOSED);
    xipc_msgpipe_close(c);
    return 0;
}

/* A message pipe's calls without a limit wait as long as it takes, before a call with a limit
 * and after it (whose timeout the socket may still hold), and one with a limit ends there. */
void
xt_test_msgpipe_calls_without_limit_across_processes(void)
{
    char name[XIPC_NAME_MAX + 1], buf[8];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *m = NULL;
    size_t len = 0;
    xt_name("late", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_child("msgpipe_late_peer", args, NULL, NULL, 0);
    CHECK_OK(xipc_msgpipe_accept(srv, &m, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &len, XIPC_FOREVER));
    CHECK(len == 4 && memcmp(buf, "ping", 4) == 0);
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_msgpipe_recv(m, buf, sizeof buf, &len, 100), XIPC_ETIMEDOUT);
    CHECK_GE(xt_os_now_ms() - t0, 100);
    CHECK_OK(xipc_msgpipe_send(m, "pong", 4, XIPC_FOREVER));
    CHECK_OK(xipc_msgpipe_recv(m, buf, sizeof buf, &len, XIPC_FOREVER));
    CHECK(len == 2 && memcmp(buf, "ok", 2) == 0);
    xipc_msgpipe_close(m);
    xt_expect_exit(p, 0);
    xipc_npipe_close(srv);
}

/* ---- Listening ------------------------------------------------------------------------------ */

void
xt_test_tcp_port_in_use_and_refused(void)
{
    char port[16];
    xipc_listener *l = listen_loopback(port), *l2 = NULL;
    xipc_stream *s = NULL;
    /* A second listener on a port in use, whatever the platform's reuse rules. */
    CHECK_RC(xipc_tcp_listen(NULL, atoi(port), 0, &l2), XIPC_EADDRINUSE);
    CHECK(l2 == NULL);
    xipc_listener_close(l);
    /* Nothing listens there now. */
    CHECK_RC(xipc_tcp_connect(NULL, atoi(port), 0, &s, XT_CHILD_TIMEOUT_MS), XIPC_ECONNREFUSED);
    CHECK(s == NULL);
    /* The port is free again for a new listener. */
    CHECK_OK(xipc_tcp_listen(NULL, atoi(port), 0, &l));
    xipc_listener_close(l);
}

void
xt_test_tcp_bad_input(void)
{
    xipc_listener *l = NULL;
    xipc_stream *s = NULL, *rd = NULL, *wr = NULL;
    xipc_sockaddr a;
    char text[XIPC_SOCKADDR_TEXT_MAX], port[16];
    int n = 0;
    CHECK_RC(xipc_tcp_listen(NULL, -1, 0, &l), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_listen(NULL, 65536, 0, &l), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_listen("", 0, 0, &l), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_listen(NULL, 0, 0x1, &l), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_listen(NULL, 0, XIPC_SOCK_IPV4 | XIPC_SOCK_IPV6, &l), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_listen(NULL, 0, 0, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_listen("999.1.1.1", 0, 0, &l), XIPC_ENOENT);
    CHECK_RC(xipc_tcp_listen("no-such-host.invalid", 0, 0, &l), XIPC_ENOENT);
    /* A numeric address that is not this machine's. */
    CHECK_RC(xipc_tcp_listen("192.0.2.1", 0, 0, &l), XIPC_EINVAL);
    CHECK(l == NULL);
    CHECK_RC(xipc_tcp_connect(NULL, 0, 0, &s, 100), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_connect(NULL, 70000, 0, &s, 100), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_connect(NULL, 1, 0, &s, -2), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_connect(NULL, 1, 0, NULL, 100), XIPC_EINVAL);
    CHECK_RC(xipc_tcp_connect("no-such-host.invalid", 1, 0, &s, 100), XIPC_ENOENT);
    CHECK_RC(xipc_tcp_connect_addr(NULL, &s, 100), XIPC_EINVAL);
    CHECK(s == NULL);
    CHECK_RC(xipc_sockaddr_resolve("1.2.3.4", 5, XIPC_SOCK_IPV6, &a), XIPC_ENOENT);
    CHECK_OK(xipc_sockaddr_resolve("1.2.3.4", 5, 0, &a));
    CHECK_OK(xipc_sockaddr_format(&a, text, sizeof text));
    CHECK_STR(text, "1.2.3.4:5");
    CHECK_RC(xipc_sockaddr_format(&a, text, 4), XIPC_ENAMETOOLONG);
    CHECK_STR(text, "");
    memset(&a, 0, sizeof a);
    CHECK_RC(xipc_sockaddr_format(&a, text, sizeof text), XIPC_EINVAL);
    CHECK_RC(xipc_sockaddr_port(&a, &n), XIPC_EINVAL);
    CHECK_RC(xipc_sockaddr_port(NULL, &n), XIPC_EINVAL);
    /* Wrong kinds and closed handles. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_RC(xipc_listener_accept((xipc_listener *)(void *)rd, &s, 0), XIPC_EINVAL);
    CHECK_RC(xipc_stream_local_addr(rd, &a), XIPC_ENOTSUP);
    CHECK_RC(xipc_stream_peer_addr(wr, &a), XIPC_ENOTSUP);
    CHECK_RC(xipc_stream_shutdown(wr), XIPC_ENOTSUP);
    CHECK_RC(xipc_stream_shutdown(NULL), XIPC_EINVAL);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
    l = listen_loopback(port);
    CHECK_RC(xipc_listener_port(l, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_listener_accept(l, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_listener_accept(l, &s, -5), XIPC_EINVAL);
    CHECK_EQ(xipc_handle_kind(xipc_listener_handle(l)), XIPC_KIND_LISTENER);
    CHECK_OK(xipc_handle_export(xipc_listener_handle(l), text, sizeof text));
    xipc_listener *l2 = NULL;
    CHECK_RC(xipc_listener_import(text, &l2), XIPC_EEXIST); /* this process holds it already */
    CHECK_RC(xipc_listener_import("xipc1:stream:rw:3", &l2), XIPC_EINVAL);
    CHECK(l2 == NULL);
    xipc_listener_close(l);
    CHECK_RC(xipc_listener_accept(l, &s, 0), XIPC_EBADF);
    CHECK_RC(xipc_listener_port(l, &n), XIPC_EBADF);
    xipc_listener_close(NULL);
}

/* ---- Inheritance and passing ---------------------------------------------------------------- */

/* argv: ready and go channel texts. Says ready, then waits for go. */
int
xt_child_tcp_hold(int argc, char **argv)
{
    xt_channel ch;
    (void)argc;
    xt_channel_import(&ch, argv[1], argv[2]);
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    xt_channel_close(&ch);
    return 0;
}

/* A child spawned while a connection is open does not get it: closing our end is seen by the
 * peer at once, not when the child ends. */
void
xt_test_tcp_not_inherited(void)
{
    char port[16];
    xipc_stream *c = NULL, *a = NULL;
    xipc_handle *ends[2];
    xt_channel ch;
    xipc_listener *l = listen_loopback(port);
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_listener_accept(l, &a, XT_CHILD_TIMEOUT_MS));
    xt_channel_open(&ch);
    xt_channel_child_ends(&ch, ends);
    xipc_proc *p = xt_spawn_passing("tcp_hold", NULL, NULL, ends, 2);
    xt_channel_wait_ready(&ch);
    xipc_stream_close(a);
    xt_expect_eof(c, 5000);
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_stream_close(c);
    xipc_listener_close(l);
}

/* argv: the text of a connection. Echoes on it until the end. */
int
xt_child_tcp_passed_echo(int argc, char **argv)
{
    xipc_stream *s = xt_import(argv[argc - 1]);
    char buf[4096];
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

/* An accepted connection handed to a child serves the client from there. */
void
xt_test_tcp_pass_to_child(void)
{
    char port[16];
    xipc_stream *c = NULL, *a = NULL;
    xipc_listener *l = listen_loopback(port);
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_listener_accept(l, &a, XT_CHILD_TIMEOUT_MS));
    xipc_handle *h = xipc_stream_handle(a);
    xipc_proc *p = xt_spawn_passing("tcp_passed_echo", NULL, NULL, &h, 1);
    xipc_stream_close(a);
    echo_rounds(c);
    CHECK_OK(xipc_stream_shutdown(c));
    xt_expect_eof(c, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(p, 0);
    xipc_stream_close(c);
    xipc_listener_close(l);
}

void
xt_test_tcp_no_handle_leak(void)
{
    char port[16], buf[8];
    warm_up_sockets();
    int before = xt_os_handle_count();
    for (int i = 0; i < 3; i++) {
        xipc_stream *c = NULL, *a = NULL;
        xipc_listener *l = listen_loopback(port);
        CHECK_OK(xipc_tcp_connect("127.0.0.1", atoi(port), XIPC_SOCK_IPV4, &c, 5000));
        CHECK_OK(xipc_listener_accept(l, &a, 5000));
        xt_write_all(c, "ping", 4, 5000);
        xt_read_exact(a, buf, 4, 5000);
        CHECK_OK(xipc_stream_shutdown(a));
        xt_expect_eof(c, 5000);
        xipc_stream_close(a);
        xipc_stream_close(c);
        xipc_listener_close(l);
        /* A refused connect leaves nothing behind either. */
        CHECK_RC(xipc_tcp_connect(NULL, atoi(port), 0, &c, 5000), XIPC_ECONNREFUSED);
    }
    CHECK_EQ(xt_os_handle_count(), before);
}

/* ---- Duplex pipes --------------------------------------------------------------------------- */

/* argv: the text of a duplex end. Reads to the end of the stream, replies with the count and
 * the sum of the bytes, then reads the end again (its peer half-closed for good). */
int
xt_child_duplex_peer(int argc, char **argv)
{
    xipc_stream *s = xt_import(argv[argc - 1]);
    size_t len = 0;
    unsigned sum = 0;
    char reply[64];
    unsigned char *got = (unsigned char *)xt_read_to_eof(s, &len, XT_CHILD_TIMEOUT_MS);
    for (size_t i = 0; i < len; i++)
        sum += got[i];
    free(got);
    int n = snprintf(reply, sizeof reply, "%zu %u", len, sum);
    xt_write_all(s, reply, (size_t)n, XT_CHILD_TIMEOUT_MS);
    xt_expect_eof(s, 0);
    xipc_stream_close(s);
    return 0;
}

void
xt_test_duplex_half_close_across_processes(void)
{
    xipc_stream *a = NULL, *b = NULL;
    static unsigned char out[100000];
    char want[64];
    unsigned sum = 0;
    size_t len = 0;
    CHECK_OK(xipc_duplex(0, &a, &b));
    xipc_handle *h = xipc_stream_handle(b);
    xipc_proc *p = xt_spawn_passing("duplex_peer", NULL, NULL, &h, 1);
    xipc_stream_close(b);
    for (size_t i = 0; i < sizeof out; i++) {
        out[i] = xt_pattern(i);
        sum += out[i];
    }
    xt_write_all(a, out, sizeof out, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_stream_shutdown(a));
    CHECK_OK(xipc_stream_shutdown(a)); /* once more: nothing more happens */
    CHECK_RC(xipc_stream_write(a, "x", 1, NULL, 0), XIPC_EPIPE);
    /* The child saw the end of the stream and still answers on the other direction. */
    char *reply = xt_read_to_eof(a, &len, XT_CHILD_TIMEOUT_MS);
    snprintf(want, sizeof want, "%zu %u", sizeof out, sum);
    CHECK_STR(reply, want);
    free(reply);
    xt_expect_exit(p, 0);
    xipc_stream_close(a);
}

/* argv: a duplex end, then the ready and go channel ends. Says ready, then reads the end with a
 * limit of its own, long beside the parent's, so that it sets the socket's timeout (on POSIX,
 * SO_RCVTIMEO belongs to the socket both processes hold) while the parent reads it too. */
int
xt_child_duplex_long_reader(int argc, char **argv)
{
    xipc_stream *s = xt_import(argv[argc - 3]);
    xt_channel ch;
    char c = 0;
    size_t got = 0;
    xt_channel_import(&ch, argv[argc - 2], argv[argc - 1]);
    xt_channel_ready(&ch);
    int rc = xipc_stream_read(s, &c, 1, &got, 3000);
    CHECK(rc == 0 || rc == XIPC_ETIMEDOUT);
    xipc_stream_close(s);
    xt_channel_close(&ch);
    return 0;
}

/* One end read by two processes, each with its own limit: the parent's short limit holds while
 * the child waits with a long one. On POSIX the timeout is the socket's, so a process that set
 * it and remembered it would wait the child's 3 s. */
void
xt_test_duplex_shared_end_keeps_each_limit(void)
{
    xipc_stream *a = NULL, *b = NULL;
    xt_channel ch;
    xipc_handle *h[3];
    char c = 0;
    size_t got = 0;
    CHECK_OK(xipc_duplex(0, &a, &b));
    CHECK_RC(xipc_stream_read(a, &c, 1, &got, 100), XIPC_ETIMEDOUT); /* its limit, set here */
    xt_channel_open(&ch);
    h[0] = xipc_stream_handle(a);
    xt_channel_child_ends(&ch, &h[1]);
    xipc_proc *p = xt_spawn_passing("duplex_long_reader", NULL, NULL, h, 3);
    xt_channel_wait_ready(&ch);
    xt_os_sleep_ms(300); /* the child is in its read */
    for (int i = 0; i < 3; i++) {
        uint64_t start = xt_os_now_ms();
        CHECK_RC(xipc_stream_read(a, &c, 1, &got, 100), XIPC_ETIMEDOUT);
        uint64_t took = xt_os_now_ms() - start;
        if (took > 1500)
            xt_fail(__FILE__, __LINE__, "a read with a limit of 100 ms took %llu ms",
                (unsigned long long)took);
    }
    xt_write_all(b, "x", 1, XT_CHILD_TIMEOUT_MS); /* ends the child's read */
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_stream_close(a);
    xipc_stream_close(b);
}

void
xt_test_duplex_both_ways_in_one_process(void)
{
    xipc_stream *a = NULL, *b = NULL;
    char buf[4096];
    size_t got = 0;
    xt_warm_up();
    int before = xt_os_handle_count();
    CHECK_OK(xipc_duplex(0, &a, &b));
    xt_write_all(a, "ping", 4, 5000);
    xt_write_all(b, "pong!", 5, 5000);
    xt_read_exact(b, buf, 4, 5000);
    CHECK(memcmp(buf, "ping", 4) == 0);
    /* Data, then the half-close: one read with room for more gets the data alone, the next one
     * the end of the stream. */
    xt_write_all(a, "hello", 5, 5000);
    CHECK_OK(xipc_stream_shutdown(a));
    CHECK_OK(xipc_stream_read(b, buf, sizeof buf, &got, 5000));
    CHECK_EQ(got, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    xt_expect_eof(b, 5000);
    xt_expect_eof(b, 0);
    /* The other direction still carries data both ways of closing. */
    xt_read_exact(a, buf, 5, 5000);
    CHECK(memcmp(buf, "pong!", 5) == 0);
    CHECK_RC(xipc_stream_read(a, buf, sizeof buf, &got, 0), XIPC_ETIMEDOUT);
    xt_write_all(b, "last", 4, 5000);
    xipc_stream_close(b);
    xt_read_exact(a, buf, 4, 5000);
    xt_expect_eof(a, 5000);
    xipc_stream_close(a);
    CHECK_EQ(xt_os_handle_count(), before);
    /* Bad input. */
    CHECK_RC(xipc_duplex(1, &a, &b), XIPC_EINVAL);
    CHECK(a == NULL && b == NULL);
    CHECK_RC(xipc_duplex(0, NULL, &b), XIPC_EINVAL);
    CHECK_RC(xipc_duplex(0, &a, NULL), XIPC_EINVAL);
}

/* ---- UDP ------------------------------------------------------------------------------------ */

static int
dgram_port(xipc_dgram *d)
{
    xipc_sockaddr a;
    int port = 0;
    CHECK_OK(xipc_dgram_addr(d, &a));
    CHECK_OK(xipc_sockaddr_port(&a, &port));
    return port;
}

/* argv: the test's port. Sends datagrams of these sizes, each answered by its echo. */
static const size_t udp_sizes[] = { 1, 0, 1000, 60000, 5000 };

int
xt_child_udp_sender(int argc, char **argv)
{
    xipc_dgram *d = NULL;
    xipc_sockaddr to, from;
    static unsigned char out[60000], back[60000];
    (void)argc;
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &d));
    CHECK_OK(xipc_sockaddr_resolve(NULL, atoi(argv[1]), 0, &to));
    for (size_t k = 0; k < sizeof udp_sizes / sizeof udp_sizes[0]; k++) {
        size_t n = udp_sizes[k], len = 0;
        for (size_t i = 0; i < n; i++)
            out[i] = xt_pattern(i + k);
        CHECK_OK(xipc_dgram_send_to(d, out, n, &to, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_dgram_recv_from(d, back, sizeof back, &len, &from, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(len, n);
        CHECK(memcmp(out, back, n) == 0);
    }
    xipc_dgram_close(d);
    return 0;
}

void
xt_test_udp_boundaries_and_sender_across_processes(void)
{
    char port[16], text[XIPC_SOCKADDR_TEXT_MAX];
    static unsigned char buf[65536];
    xipc_dgram *d = NULL;
    xipc_sockaddr from, again;
    size_t len = 0;
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &d));
    snprintf(port, sizeof port, "%d", dgram_port(d));
    const char *args[] = { port, NULL };
    xipc_proc *p = xt_spawn_child("udp_sender", args, NULL, NULL, 0);
    for (size_t k = 0; k < sizeof udp_sizes / sizeof udp_sizes[0]; k++) {
        size_t n = udp_sizes[k];
        if (n == 5000) {
            /* Too small a buffer: the size, and the datagram stays for the next receive. */
            CHECK_RC(
                xipc_dgram_recv_from(d, buf, 100, &len, &from, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
            CHECK_EQ(len, 5000);
            CHECK_RC(xipc_dgram_recv_from(d, buf, 4999, &len, &from, 0), XIPC_EMSGSIZE);
            CHECK_EQ(len, 5000);
        }
        CHECK_OK(xipc_dgram_recv_from(d, buf, sizeof buf, &len, &from, XT_CHILD_TIMEOUT_MS));
        /* Each datagram whole and alone, from the child's address. */
        CHECK_EQ(len, n);
        for (size_t i = 0; i < n; i++)
            CHECK_EQ(buf[i], xt_pattern(i + k));
        CHECK_OK(xipc_sockaddr_format(&from, text, sizeof text));
        CHECK(strncmp(text, "127.0.0.1:", 10) == 0);
        if (k > 0)
            CHECK_EQ(memcmp(&from, &again, sizeof from), 0);
        again = from;
        CHECK_OK(xipc_dgram_send_to(d, buf, len, &from, XT_CHILD_TIMEOUT_MS));
    }
    xt_expect_exit(p, 0);
    xipc_dgram_close(d);
}

void
xt_test_udp_connected_mode(void)
{
    xipc_dgram *a = NULL, *b = NULL, *c = NULL;
    xipc_sockaddr aa, ba;
    char buf[64];
    size_t len = 0;
    CHECK_OK(xipc_udp_open("127.0.0.1", 0, XIPC_SOCK_IPV4, &a));
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &b));
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &c));
    CHECK_OK(xipc_dgram_addr(a, &aa));
    CHECK_OK(xipc_dgram_addr(b, &ba));
    CHECK_RC(xipc_dgram_send(a, "x", 1, 0), XIPC_EINVAL);
    CHECK_RC(xipc_dgram_recv(a, buf, sizeof buf, &len, 0), XIPC_EINVAL);
    CHECK_OK(xipc_dgram_connect(a, &ba));
    CHECK_OK(xipc_dgram_connect(b, &aa));
    CHECK_OK(xipc_dgram_send(a, "to b", 4, 1000));
    CHECK_OK(xipc_dgram_recv(b, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 4);
    CHECK(memcmp(buf, "to b", 4) == 0);
    /* A connected endpoint hears its peer alone. */
    CHECK_OK(xipc_dgram_send_to(c, "from c", 6, &aa, 1000));
    CHECK_OK(xipc_dgram_send(b, "from b", 6, 1000));
    CHECK_OK(xipc_dgram_recv(a, buf, sizeof buf, &len, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 6);
    CHECK(memcmp(buf, "from b", 6) == 0);
    CHECK_RC(xipc_dgram_recv(a, buf, sizeof buf, &len, 100), XIPC_ETIMEDOUT);
    xipc_dgram_close(a);
    xipc_dgram_close(b);
    xipc_dgram_close(c);
}

void
xt_test_udp_bad_input_and_timeouts(void)
{
    xipc_dgram *d = NULL;
    xipc_sockaddr v6, self;
    static char big[XIPC_DGRAM_MAX + 1];
    char text[XIPC_HANDLE_TEXT_MAX];
    size_t len = 9;
    xt_warm_up();
    warm_up_sockets();
    int before = xt_os_handle_count();
    CHECK_RC(xipc_udp_open(NULL, 70000, 0, &d), XIPC_EINVAL);
    CHECK_RC(xipc_udp_open("", 0, 0, &d), XIPC_EINVAL);
    CHECK_RC(xipc_udp_open(NULL, 0, 0, NULL), XIPC_EINVAL);
    /* An address that is not this machine's. Wine 8 binds a UDP socket to it (Windows and Linux
     * say WSAEADDRNOTAVAIL, EADDRNOTAVAIL; its TCP bind does too). */
    int rc = xipc_udp_open("192.0.2.1", 0, 0, &d);
    if (!xt_os_is_wine() || rc != 0)
        CHECK_RC(rc, XIPC_EINVAL);
    xipc_dgram_close(d);
    d = NULL;
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &d));
    CHECK_OK(xipc_dgram_addr(d, &self));
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_dgram_recv_from(d, text, sizeof text, &len, NULL, 0), XIPC_ETIMEDOUT);
    CHECK_EQ(len, 0);
    CHECK_RC(xipc_dgram_recv_from(d, text, sizeof text, &len, NULL, 150), XIPC_ETIMEDOUT);
    CHECK_GE(xt_os_now_ms() - t0, 150);
    CHECK_RC(xipc_dgram_send_to(d, big, sizeof big, &self, 0), XIPC_EMSGSIZE);
    CHECK_OK(xipc_sockaddr_resolve("::1", 1, XIPC_SOCK_IPV6, &v6));
    CHECK_RC(xipc_dgram_send_to(d, "x", 1, &v6, 0), XIPC_EINVAL);
    CHECK_RC(xipc_dgram_send_to(d, "x", 1, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_dgram_send_to(d, NULL, 1, &self, 0), XIPC_EINVAL);
    CHECK_RC(xipc_dgram_send_to(d, "x", 1, &self, -3), XIPC_EINVAL);
    CHECK_RC(xipc_dgram_recv_from(d, NULL, 1, &len, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_dgram_connect(d, &v6), XIPC_EINVAL);
    CHECK_OK(xipc_handle_export(xipc_dgram_handle(d), text, sizeof text));
    CHECK_EQ(xipc_handle_kind(xipc_dgram_handle(d)), XIPC_KIND_DGRAM);
    /* To itself, whole, and a too small buffer keeps it. */
    CHECK_OK(xipc_dgram_send_to(d, "hello", 5, &self, 1000));
    CHECK_RC(xipc_dgram_recv_from(d, text, 2, &len, NULL, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
    CHECK_EQ(len, 5);
    CHECK_OK(xipc_dgram_recv_from(d, text, sizeof text, &len, NULL, 0));
    CHECK_EQ(len, 5);
    CHECK(memcmp(text, "hello", 5) == 0);
    xipc_dgram_close(d);
    CHECK_RC(xipc_dgram_send_to(d, "x", 1, &self, 0), XIPC_EBADF);
    CHECK_RC(xipc_dgram_addr(d, &self), XIPC_EBADF);
    xipc_dgram_close(NULL);
    CHECK_EQ(xt_os_handle_count(), before);
}

/* ---- AF_UNIX at a path ---------------------------------------------------------------------- */

/* A socket path for this test in the temporary directory, nothing there yet. */
static void
unix_path(const char *tag, char path[108])
{
    char name[XIPC_NAME_MAX + 1];
    xt_name(tag, name);
    xt_os_temp_path(name, path, 108);
    xt_os_remove_tree(path);
}

/* Skips where the OS has no AF_UNIX sockets of the kind rc came from: Wine 8 none at all,
 * Windows no datagrams. */
static void
skip_if_no_af_unix(int rc, const char *what)
{
    if (rc == XIPC_ENOTSUP && !xt_os_has_runtime_dir()) {
        if (xt_os_is_wine())
            XT_SKIP("Wine 8 has no AF_UNIX sockets (socket() fails with WSAEAFNOSUPPORT)");
        XT_SKIP(what);
    }
}

/* argv: a socket path. Connects, echoes until the end, then says "bye" and closes. */
int
xt_child_unix_echo(int argc, char **argv)
{
    xipc_stream *s = NULL;
    char buf[4096];
    (void)argc;
    CHECK_OK(xipc_unix_connect(argv[1], &s, XT_CHILD_TIMEOUT_MS));
    for (;;) {
        size_t got = 0;
        CHECK_OK(xipc_stream_read(s, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        xt_write_all(s, buf, got, XT_CHILD_TIMEOUT_MS);
    }
    xt_write_all(s, "bye", 3, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(s);
    return 0;
}

void
xt_test_unix_stream_across_processes(void)
{
    char path[108], text[XIPC_SOCKADDR_TEXT_MAX + 64], buf[4];
    xipc_listener *l = NULL;
    xipc_stream *conn = NULL;
    xipc_sockaddr local;
    unix_path("us", path);
    int rc = xipc_unix_listen(path, 0, &l);
    skip_if_no_af_unix(rc, "no AF_UNIX stream sockets here");
    CHECK_OK(rc);
    /* Owner-only, whatever the umask. */
    int mode = xt_os_path_mode(path);
    if (mode >= 0)
        CHECK_EQ(mode & 0777, 0600);
    const char *args[] = { path, NULL };
    xipc_proc *p = xt_spawn_child("unix_echo", args, NULL, NULL, 0);
    CHECK_OK(xipc_listener_accept(l, &conn, XT_CHILD_TIMEOUT_MS));
    echo_rounds(conn);
    CHECK_OK(xipc_stream_local_addr(conn, &local));
    CHECK_OK(xipc_sockaddr_format(&local, text, sizeof text));
    CHECK_STR(text, path);
    /* Half-close: the child sees the end, and answers on the other direction. */
    CHECK_OK(xipc_stream_shutdown(conn));
    xt_read_exact(conn, buf, 3, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "bye", 3) == 0);
    xt_expect_eof(conn, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(conn);
    xt_expect_exit(p, 0);
    xipc_listener_close(l);
    if (mode >= 0)
        CHECK_EQ(xt_os_path_mode(path), -1); /* the listener removed its socket file */
}

void
xt_test_unix_stream_errors(void)
{
    char path[108], file[108], long_path[200];
    xipc_listener *l = NULL, *l2 = NULL;
    xipc_stream *s = NULL;
    xipc_sockaddr a;
    unix_path("ue", path);
    int rc = xipc_unix_listen(path, 0, &l);
    skip_if_no_af_unix(rc, "no AF_UNIX stream sockets here");
    CHECK_OK(rc);
    CHECK_RC(xipc_unix_listen(path, 0, &l2), XIPC_EADDRINUSE);
    CHECK(l2 == NULL);
    xipc_listener_close(l);
    CHECK_RC(xipc_unix_connect(path, &s, 1000), XIPC_ENOENT);
    /* Something that is no socket. */
    unix_path("uf", file);
    CHECK_OK(xt_os_mkdir(file, 0700) == 0 ? 0 : XIPC_EIO);
    CHECK_RC(xipc_unix_connect(file, &s, 1000), XIPC_ECONNREFUSED);
    xt_os_remove_tree(file);
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    CHECK_RC(xipc_unix_listen(long_path, 0, &l), XIPC_ENAMETOOLONG);
    CHECK_RC(xipc_sockaddr_unix(long_path, &a), XIPC_ENAMETOOLONG);
    CHECK_RC(xipc_unix_listen("", 0, &l), XIPC_EINVAL);
    CHECK_RC(xipc_unix_listen(path, 1, &l), XIPC_EINVAL);
    CHECK_RC(xipc_unix_connect(NULL, &s, 0), XIPC_EINVAL);
    CHECK(s == NULL && l == NULL);
}

/* argv: its own path, then the test's. Sends "hi" from its path and waits for the reply. */
int
xt_child_unix_dgram_peer(int argc, char **argv)
{
    xipc_dgram *d = NULL;
    xipc_sockaddr to;
    char buf[16];
    size_t len = 0;
    (void)argc;
    CHECK_OK(xipc_unix_dgram_open(argv[1], 0, &d));
    CHECK_OK(xipc_sockaddr_unix(argv[2], &to));
    CHECK_OK(xipc_dgram_send_to(d, "hi", 2, &to, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_dgram_recv_from(d, buf, sizeof buf, &len, NULL, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    xipc_dgram_close(d);
    return 0;
}

void
xt_test_unix_dgram_sender_path_across_processes(void)
{
    char mine[108], theirs[108], text[128], buf[16];
    xipc_dgram *d = NULL, *anon = NULL;
    xipc_sockaddr from;
    size_t len = 0;
    unix_path("ud", mine);
    unix_path("up", theirs);
    int rc = xipc_unix_dgram_open(mine, 0, &d);
    skip_if_no_af_unix(rc, "Windows has AF_UNIX stream sockets only, no datagrams");
    CHECK_OK(rc);
    const char *args[] = { theirs, mine, NULL };
    xipc_proc *p = xt_spawn_child("unix_dgram_peer", args, NULL, NULL, 0);
    /* Too small a buffer first: the datagram stays. */
    CHECK_RC(xipc_dgram_recv_from(d, buf, 1, &len, &from, XT_CHILD_TIMEOUT_MS), XIPC_EMSGSIZE);
    CHECK_EQ(len, 2);
    CHECK_OK(xipc_dgram_recv_from(d, buf, sizeof buf, &len, &from, 0));
    CHECK_EQ(len, 2);
    CHECK(memcmp(buf, "hi", 2) == 0);
    CHECK_OK(xipc_sockaddr_format(&from, text, sizeof text));
    CHECK_STR(text, theirs);
    CHECK_OK(xipc_dgram_send_to(d, "hello", 5, &from, XT_CHILD_TIMEOUT_MS));
    xt_expect_exit(p, 0);
    /* An unbound sender is unnamed. */
    CHECK_OK(xipc_unix_dgram_open(NULL, 0, &anon));
    CHECK_OK(xipc_sockaddr_unix(mine, &from));
    CHECK_OK(xipc_dgram_send_to(anon, "x", 1, &from, 1000));
    CHECK_OK(xipc_dgram_recv_from(d, buf, sizeof buf, &len, &from, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_sockaddr_format(&from, text, sizeof text));
    CHECK_STR(text, "");
    xipc_dgram_close(anon);
    xipc_dgram_close(d);
    CHECK_EQ(xt_os_path_mode(mine), -1);
}

/* ---- Passing handles between running processes ---------------------------------------------- */

/* argv: a byte-mode named pipe and this worker's tag. Connects to the server, then serves each
 * TCP connection the server hands over: reads "req", answers its tag. Ends when the server
 * closes the pipe. */
int
xt_child_pass_worker(int argc, char **argv)
{
    xipc_stream *conn = NULL, *s = NULL;
    char req[3];
    int served = 0, rc;
    (void)argc;
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &conn, XT_CHILD_TIMEOUT_MS));
    while ((rc = xipc_stream_receive(xipc_stream_handle(conn), &s, XT_CHILD_TIMEOUT_MS)) == 0) {
        xt_read_exact(s, req, 3, XT_CHILD_TIMEOUT_MS);
        CHECK(memcmp(req, "req", 3) == 0);
        xt_write_all(s, argv[2], strlen(argv[2]), XT_CHILD_TIMEOUT_MS);
        xipc_stream_close(s);
        served++;
    }
    CHECK_RC(rc, XIPC_ECLOSED);
    CHECK(s == NULL);
    xipc_stream_close(conn);
    return served > 0 ? 0 : 1;
}

/* argv: a TCP port and a count. Makes that many connections one after the other; exits with
 * how many different workers answered. */
int
xt_child_pass_tcp_clients(int argc, char **argv)
{
    bool seen[10] = { false };
    int distinct = 0;
    (void)argc;
    for (int i = 0; i < atoi(argv[2]); i++) {
        xipc_stream *s = NULL;
        char tag[2];
        CHECK_OK(xipc_tcp_connect(NULL, atoi(argv[1]), 0, &s, XT_CHILD_TIMEOUT_MS));
        xt_write_all(s, "req", 3, XT_CHILD_TIMEOUT_MS);
        xt_read_exact(s, tag, 2, XT_CHILD_TIMEOUT_MS);
        CHECK(tag[0] == 'w' && tag[1] >= '0' && tag[1] <= '9');
        xt_expect_eof(s, XT_CHILD_TIMEOUT_MS);
        distinct += !seen[tag[1] - '0'];
        seen[tag[1] - '0'] = true;
        xipc_stream_close(s);
    }
    return distinct;
}

/* The pre-forked server: the parent accepts TCP clients and hands each connection to one of 4
 * workers, started before any client came, which serve it; the parent keeps no copy. */
void
xt_test_pass_prefork_server_with_4_workers(void)
{
    enum { WORKERS = 4, CLIENTS = 12 };
    char name[XIPC_NAME_MAX + 1], port[16], tags[WORKERS][4];
    xipc_npipe *srv = NULL;
    xipc_stream *workers[WORKERS];
    xipc_proc *procs[WORKERS];
    xt_name("prefork", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    xipc_listener *l = listen_loopback(port);
    for (int i = 0; i < WORKERS; i++) {
        snprintf(tags[i], sizeof tags[i], "w%d", i);
        const char *args[] = { name, tags[i], NULL };
        procs[i] = xt_spawn_child("pass_worker", args, NULL, NULL, 0);
        CHECK_OK(xipc_npipe_accept(srv, &workers[i], XT_CHILD_TIMEOUT_MS));
    }
    const char *client_args[] = { port, "12", NULL };
    xipc_proc *clients = xt_spawn_child("pass_tcp_clients", client_args, NULL, NULL, 0);
    for (int i = 0; i < CLIENTS; i++) {
        xipc_stream *c = NULL;
        CHECK_OK(xipc_listener_accept(l, &c, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_handle_send(
            xipc_stream_handle(workers[i % WORKERS]), xipc_stream_handle(c), XT_CHILD_TIMEOUT_MS));
        xipc_stream_close(c); /* the worker's copy alone serves, and ends, the connection */
    }
    xt_expect_exit(clients, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        xipc_stream_close(workers[i]);
        xt_expect_exit(procs[i], 0);
    }
    xipc_listener_close(l);
    xipc_npipe_close(srv);
}

/* argv: a message-mode named pipe. Connects (it was given nothing at spawn), receives an event
 * and a semaphore over the pipe, posts the semaphore twice and sets the event. */
int
xt_child_pass_sync_receiver(int argc, char **argv)
{
    xipc_msgpipe *m = NULL;
    xipc_event *ev = NULL;
    xipc_sem *sem = NULL;
    (void)argc;
    CHECK_OK(xipc_msgpipe_connect(argv[1], 0, &m, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_event_receive(xipc_msgpipe_handle(m), &ev, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_sem_receive(xipc_msgpipe_handle(m), &sem, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_sem_post(sem));
    CHECK_OK(xipc_sem_post(sem));
    CHECK_OK(xipc_event_set(ev));
    xipc_sem_close(sem);
    xipc_event_close(ev);
    xipc_msgpipe_close(m);
    return 0;
}

void
xt_test_pass_event_to_an_unrelated_process(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL;
    xipc_msgpipe *m = NULL;
    xipc_event *ev = NULL;
    xipc_sem *sem = NULL;
    unsigned value = 0;
    xt_name("passev", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &sem));
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_child("pass_sync_receiver", args, NULL, NULL, 0);
    CHECK_OK(xipc_msgpipe_accept(srv, &m, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_handle_send(xipc_msgpipe_handle(m), xipc_event_handle(ev), XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_handle_send(xipc_msgpipe_handle(m), xipc_sem_handle(sem), XT_CHILD_TIMEOUT_MS));
    /* The child's set reaches our event: they are one object. */
    CHECK_OK(xipc_event_wait(ev, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_sem_value(sem, &value));
    CHECK_EQ(value, 2);
    xt_expect_exit(p, 0);
    xipc_msgpipe_close(m);
    xipc_sem_close(sem);
    xipc_event_close(ev);
    xipc_npipe_close(srv);
}

void
xt_test_pass_errors(void)
{
    char name[XIPC_NAME_MAX + 1], port[16];
    xipc_npipe *srv = NULL;
    xipc_stream *a = NULL, *b = NULL, *c = NULL, *t = NULL, *got = NULL;
    xipc_event *ev = NULL;
    xipc_mutex *mx = NULL;
    warm_up_sockets();
    xt_name("passerr", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_OK(xipc_mutex_open(NULL, 0, &mx));
    xipc_listener *l = listen_loopback(port);
    int before = xt_os_handle_count();
    CHECK_OK(xipc_npipe_connect(name, 0, &a, 5000));
    CHECK_OK(xipc_npipe_accept(srv, &b, 5000));
    xipc_handle *ha = xipc_stream_handle(a), *hb = xipc_stream_handle(b);
    /* Within one process too: a mutex, then an event received as what it is not. */
    CHECK_OK(xipc_handle_send(ha, xipc_mutex_handle(mx), 5000));
    xipc_mutex *mx2 = NULL;
    CHECK_OK(xipc_mutex_receive(hb, &mx2, 5000));
    CHECK_OK(xipc_mutex_lock(mx2, 0));
    CHECK_OK(xipc_mutex_unlock(mx2));
    xipc_mutex_close(mx2);
    CHECK_OK(xipc_handle_send(ha, xipc_event_handle(ev), 5000));
    CHECK_RC(xipc_stream_receive(hb, &got, 5000), XIPC_EINVAL);
    CHECK(got == NULL);
    CHECK_RC(xipc_stream_receive(hb, &got, 0), XIPC_ETIMEDOUT);
    /* What cannot carry handles, and what cannot be sent. */
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, 5000));
    CHECK_OK(xipc_listener_accept(l, &t, 5000));
    CHECK_RC(xipc_handle_send(xipc_stream_handle(c), xipc_event_handle(ev), 0), XIPC_ENOTSUP);
    xipc_stream *std_in = NULL;
    CHECK_OK(xipc_stream_stdio(0, &std_in));
    CHECK_RC(xipc_handle_send(ha, xipc_stream_handle(std_in), 0), XIPC_ENOTSUP);
    xipc_stream_close(std_in);
    CHECK_RC(xipc_handle_send(xipc_listener_handle(l), xipc_event_handle(ev), 0), XIPC_EINVAL);
    CHECK_RC(xipc_handle_send(ha, ha, 0), XIPC_EINVAL);
    CHECK_RC(xipc_handle_send(ha, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_handle_send(ha, xipc_event_handle(ev), -7), XIPC_EINVAL);
    CHECK_RC(xipc_stream_receive(hb, NULL, 0), XIPC_EINVAL);
    xipc_stream_close(c);
    xipc_stream_close(t);
    /* The peer gone. */
    xipc_stream_close(a);
    CHECK_RC(xipc_stream_receive(hb, &got, 5000), XIPC_ECLOSED);
    CHECK_RC(xipc_handle_send(ha, xipc_event_handle(ev), 0), XIPC_EBADF);
    xipc_stream_close(b);
    CHECK_EQ(xt_os_handle_count(), before);
    xipc_listener_close(l);
    xipc_mutex_close(mx);
    xipc_event_close(ev);
    xipc_npipe_close(srv);
}

/* ---- Load ----------------------------------------------------------------------------------- */

/* A request or a reply: which client process, which of its connections, which round. */
struct load_msg {
    uint32_t client, conn, round, check;
};

static uint32_t
load_check(const struct load_msg *m, uint32_t salt)
{
    return (m->client * 2654435761u) ^ (m->conn * 40503u) ^ (m->round * 97u) ^ salt;
}

/* argv: port, this client's number, its connection count, rounds. Opens every connection
 * first, so that all are open at once, then each round sends one request on each and reads
 * every reply, each checked against its own connection. */
int
xt_child_load_client(int argc, char **argv)
{
    uint32_t client = (uint32_t)atoi(argv[2]), count = (uint32_t)atoi(argv[3]);
    int rounds = atoi(argv[4]);
    xipc_stream **s = calloc(count, sizeof *s);
    (void)argc;
    CHECK(s != NULL);
    for (uint32_t i = 0; i < count; i++)
        CHECK_OK(xipc_tcp_connect(NULL, atoi(argv[1]), 0, &s[i], XT_CHILD_TIMEOUT_MS));
    for (int r = 0; r < rounds; r++) {
        for (uint32_t i = 0; i < count; i++) {
            struct load_msg m = { client, i, (uint32_t)r, 0 };
            m.check = load_check(&m, 1);
            xt_write_all(s[i], &m, sizeof m, XT_CHILD_TIMEOUT_MS);
        }
        for (uint32_t i = 0; i < count; i++) {
            struct load_msg m;
            xt_read_exact(s[i], &m, sizeof m, XT_CHILD_TIMEOUT_MS);
            CHECK(m.client == client && m.conn == i && m.round == (uint32_t)r);
            CHECK_EQ(m.check, load_check(&m, 2));
        }
    }
    for (uint32_t i = 0; i < count; i++)
        xipc_stream_close(s[i]);
    free(s);
    return 0;
}

/* One server holds every client connection at once (1024 natively, 256 under Wine, whose
 * process starts and wineserver round trips are slow) from 4 client processes, and answers
 * each request on its own connection: nothing mixed, nothing lost. */
void
xt_test_tcp_load_1024_connections(void)
{
    enum { CLIENTS = 4, ROUNDS = 3 };
    const int total = xt_os_is_wine() ? 256 : 1024, per = total / CLIENTS;
    char port[16], per_text[16], rounds_text[16], ids[CLIENTS][8];
    xipc_proc *procs[CLIENTS];
    if (xt_os_fd_limit_at_least(total + 256) != 0)
        XT_SKIP("the descriptor limit is below the connection count and cannot be raised");
    xipc_stream **conns = calloc((size_t)total, sizeof *conns);
    CHECK(conns != NULL);
    xipc_listener *l = listen_loopback(port);
    snprintf(per_text, sizeof per_text, "%d", per);
    snprintf(rounds_text, sizeof rounds_text, "%d", ROUNDS);
    for (int c = 0; c < CLIENTS; c++) {
        snprintf(ids[c], sizeof ids[c], "%d", c);
        const char *args[] = { port, ids[c], per_text, rounds_text, NULL };
        procs[c] = xt_spawn_child("load_client", args, NULL, NULL, 0);
    }
    for (int i = 0; i < total; i++)
        CHECK_OK(xipc_listener_accept(l, &conns[i], XT_CHILD_TIMEOUT_MS));
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < total; i++) {
            struct load_msg m;
            xt_read_exact(conns[i], &m, sizeof m, XT_CHILD_TIMEOUT_MS);
            CHECK(m.client < CLIENTS && m.conn < (uint32_t)per && m.round == (uint32_t)r);
            CHECK_EQ(m.check, load_check(&m, 1));
            m.check = load_check(&m, 2);
            xt_write_all(conns[i], &m, sizeof m, XT_CHILD_TIMEOUT_MS);
        }
    }
    for (int c = 0; c < CLIENTS; c++)
        xt_expect_exit(procs[c], 0);
    for (int i = 0; i < total; i++)
        xipc_stream_close(conns[i]);
    free(conns);
    xipc_listener_close(l);
}

/* No socket xipc makes is inheritable: a child started by any means, not only xipc_spawn (which
 * passes listed handles alone), gets none of them. Where a kind gives no native (Windows
 * sockets: xipc_handle_native is XIPC_ENOTSUP) there is nothing to look at. */
static int
check_not_inheritable(xipc_handle *h)
{
    intptr_t native = 0;
    if (xipc_handle_native(h, &native) != 0)
        return 0;
    CHECK(!xt_os_is_inheritable(native));
    return 1;
}

void
xt_test_sock_natives_not_inheritable(void)
{
    char port[16], path[108];
    xipc_stream *c = NULL, *a = NULL, *d1 = NULL, *d2 = NULL, *uc = NULL, *ua = NULL;
    xipc_dgram *u = NULL;
    xipc_listener *ul = NULL;
    int looked = 0;
    xipc_listener *l = listen_loopback(port);
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, 5000));
    CHECK_OK(xipc_listener_accept(l, &a, 5000));
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &u));
    CHECK_OK(xipc_duplex(0, &d1, &d2));
    looked += check_not_inheritable(xipc_listener_handle(l));
    looked += check_not_inheritable(xipc_stream_handle(c));
    looked += check_not_inheritable(xipc_stream_handle(a));
    looked += check_not_inheritable(xipc_dgram_handle(u));
    looked += check_not_inheritable(xipc_stream_handle(d1));
    looked += check_not_inheritable(xipc_stream_handle(d2));
    unix_path("ui", path);
    if (xipc_unix_listen(path, 0, &ul) == 0) {
        CHECK_OK(xipc_unix_connect(path, &uc, 5000));
        CHECK_OK(xipc_listener_accept(ul, &ua, 5000));
        looked += check_not_inheritable(xipc_listener_handle(ul));
        looked += check_not_inheritable(xipc_stream_handle(uc));
        looked += check_not_inheritable(xipc_stream_handle(ua));
    }
    CHECK(looked >= 2); /* the duplex ends at least */
    xipc_stream_close(ua);
    xipc_stream_close(uc);
    xipc_listener_close(ul);
    xipc_stream_close(d1);
    xipc_stream_close(d2);
    xipc_dgram_close(u);
    xipc_stream_close(a);
    xipc_stream_close(c);
    xipc_listener_close(l);
}

/* ---- Winsock's start ------------------------------------------------------------------------ */

struct first_call {
    int rc;
};

static void
first_socket_call(void *arg)
{
    struct first_call *fc = arg;
    xipc_listener *l = NULL;
    fc->rc = xipc_tcp_listen(NULL, 0, 0, &l);
    xipc_listener_close(l);
}

/* A fresh process whose first socket calls come from 8 threads at once: each works (Windows:
 * Winsock starts once, whichever thread comes first, and the others wait for it). */
int
xt_child_sock_first_calls_in_threads(int argc, char **argv)
{
    enum { THREADS = 8 };
    struct first_call fc[THREADS];
    xt_os_thread *t[THREADS];
    (void)argc;
    (void)argv;
    for (int i = 0; i < THREADS; i++)
        t[i] = xt_os_thread_start(first_socket_call, &fc[i]);
    for (int i = 0; i < THREADS; i++) {
        xt_os_thread_join(t[i]);
        CHECK_OK(fc[i].rc);
    }
    return 0;
}

void
xt_test_sock_first_calls_in_threads(void)
{
    for (int round = 0; round < 3; round++)
        xt_expect_exit(xt_spawn_child("sock_first_calls_in_threads", NULL, NULL, NULL, 0), 0);
}

/* Writes "hi" to its stdout and exits. */
int
xt_child_sock_stdout_hi(int argc, char **argv)
{
    xipc_stream *out = NULL;
    (void)argc;
    (void)argv;
    CHECK_OK(xipc_stream_stdio(1, &out));
    xt_write_all(out, "hi", 2, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(out);
    return 0;
}

/* A TCP connection as a child's stdout: POSIX, as inetd does; Windows refuses it. */
void
xt_test_tcp_as_child_stdio(void)
{
    char port[16], buf[2];
    const char *argv[8];
    xipc_stream *c = NULL, *a = NULL;
    xipc_proc *p = NULL;
    xipc_listener *l = listen_loopback(port);
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, 5000));
    CHECK_OK(xipc_listener_accept(l, &a, 5000));
    xipc_spawn_opts opts = xt_child_opts(argv, "sock_stdout_hi", NULL);
    opts.stdio[0].mode = XIPC_STDIO_INHERIT;
    opts.stdio[1].mode = XIPC_STDIO_STREAM;
    opts.stdio[1].stream = a;
    opts.stdio[2].mode = XIPC_STDIO_INHERIT;
    int rc = xipc_spawn(&opts, &p);
    if (!xt_os_has_runtime_dir()) {
        CHECK_RC(rc, XIPC_ENOTSUP); /* Windows */
        CHECK(p == NULL);
    } else {
        CHECK_OK(rc);
        xipc_stream_close(a);
        a = NULL;
        xt_read_exact(c, buf, 2, XT_CHILD_TIMEOUT_MS);
        CHECK(memcmp(buf, "hi", 2) == 0);
        xt_expect_exit(p, 0);
        xt_expect_eof(c, XT_CHILD_TIMEOUT_MS);
    }
    xipc_stream_close(a);
    xipc_stream_close(c);
    xipc_listener_close(l);
}

/* ---- Listeners and datagram endpoints passed on --------------------------------------------- */

/* argv: a listener's text, then a datagram endpoint's. Accepts one connection on the listener
 * and answers "pong" to its "ping"; receives one datagram and sends it back to its sender. */
int
xt_child_sock_passed_listener_and_dgram(int argc, char **argv)
{
    xipc_listener *l = NULL;
    xipc_dgram *d = NULL;
    xipc_stream *s = NULL;
    xipc_sockaddr from;
    char buf[16];
    size_t len = 0;
    CHECK_OK(xipc_listener_import(argv[argc - 2], &l));
    CHECK_OK(xipc_dgram_import(argv[argc - 1], &d));
    CHECK_OK(xipc_listener_accept(l, &s, XT_CHILD_TIMEOUT_MS));
    xt_read_exact(s, buf, 4, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "ping", 4) == 0);
    xt_write_all(s, "pong", 4, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_dgram_recv_from(d, buf, sizeof buf, &len, &from, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_dgram_send_to(d, buf, len, &from, XT_CHILD_TIMEOUT_MS));
    xipc_stream_close(s);
    xipc_dgram_close(d);
    xipc_listener_close(l);
    return 0;
}

/* A listener and a UDP endpoint handed to a child serve from there, after the parent closed
 * its own copies: the port stays bound while the child holds it. */
void
xt_test_sock_listener_and_dgram_to_child(void)
{
    char port[16], buf[16];
    xipc_stream *c = NULL;
    xipc_dgram *d = NULL, *me = NULL;
    xipc_sockaddr to;
    size_t len = 0;
    xipc_listener *l = listen_loopback(port);
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &d));
    CHECK_OK(xipc_dgram_addr(d, &to));
    xipc_handle *h[2] = { xipc_listener_handle(l), xipc_dgram_handle(d) };
    xipc_proc *p = xt_spawn_passing("sock_passed_listener_and_dgram", NULL, NULL, h, 2);
    xipc_listener_close(l);
    xipc_dgram_close(d);
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, XT_CHILD_TIMEOUT_MS));
    xt_write_all(c, "ping", 4, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(c, buf, 4, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "pong", 4) == 0);
    CHECK_OK(xipc_udp_open(NULL, 0, 0, &me));
    CHECK_OK(xipc_dgram_send_to(me, "echo", 4, &to, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_dgram_recv_from(me, buf, sizeof buf, &len, NULL, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(len, 4);
    CHECK(memcmp(buf, "echo", 4) == 0);
    xt_expect_exit(p, 0);
    xipc_dgram_close(me);
    xipc_stream_close(c);
}

/* A listener received over a connection accepts, in the same process here. */
void
xt_test_pass_listener_over_a_connection(void)
{
    char name[XIPC_NAME_MAX + 1], port[16];
    xipc_npipe *srv = NULL;
    xipc_stream *a = NULL, *b = NULL, *c = NULL, *s = NULL;
    xipc_listener *got = NULL;
    xt_name("passl", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_npipe_connect(name, 0, &a, 5000));
    CHECK_OK(xipc_npipe_accept(srv, &b, 5000));
    xipc_listener *l = listen_loopback(port);
    CHECK_OK(xipc_handle_send(xipc_stream_handle(a), xipc_listener_handle(l), 5000));
    xipc_listener_close(l);
    CHECK_OK(xipc_listener_receive(xipc_stream_handle(b), &got, 5000));
    CHECK_OK(xipc_tcp_connect(NULL, atoi(port), 0, &c, 5000));
    CHECK_OK(xipc_listener_accept(got, &s, 5000));
    xipc_stream_close(s);
    xipc_stream_close(c);
    xipc_listener_close(got);
    xipc_stream_close(a);
    xipc_stream_close(b);
    xipc_npipe_close(srv);
}

/* argv: a byte-mode named pipe and the AF_UNIX socket path. Receives an AF_UNIX connection over
 * the pipe, checks its address, says "hi", half-closes it, then reads the answer and the end. */
int
xt_child_unix_passed_shutdown(int argc, char **argv)
{
    xipc_stream *conn = NULL, *s = NULL;
    xipc_sockaddr local;
    char text[XIPC_SOCKADDR_TEXT_MAX + 64], buf[2];
    (void)argc;
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &conn, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_stream_receive(xipc_stream_handle(conn), &s, XT_CHILD_TIMEOUT_MS));
    xt_write_all(s, "hi", 2, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_stream_shutdown(s));
    CHECK_OK(xipc_stream_local_addr(s, &local));
    CHECK_OK(xipc_sockaddr_format(&local, text, sizeof text));
    CHECK_STR(text, argv[2]);
    CHECK_RC(xipc_stream_write(s, "x", 1, NULL, XT_CHILD_TIMEOUT_MS), XIPC_EPIPE);
    xt_read_exact(s, buf, 2, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "ok", 2) == 0);
    xt_expect_eof(s, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(s);
    xipc_stream_close(conn);
    return 0;
}

/* An AF_UNIX connection handed to a running process is the same stream there: it half-closes
 * and has its address, as a named-pipe connection (whose socket has a path too) does not. */
void
xt_test_unix_stream_passed_shuts_down(void)
{
    char name[XIPC_NAME_MAX + 1], path[108], buf[2];
    xipc_npipe *srv = NULL;
    xipc_listener *l = NULL;
    xipc_stream *worker = NULL, *c = NULL, *a = NULL;
    unix_path("ups", path);
    int rc = xipc_unix_listen(path, 0, &l);
    skip_if_no_af_unix(rc, "no AF_UNIX stream sockets here");
    CHECK_OK(rc);
    xt_name("ups", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    const char *args[] = { name, path, NULL };
    xipc_proc *p = xt_spawn_child("unix_passed_shutdown", args, NULL, NULL, 0);
    CHECK_OK(xipc_npipe_accept(srv, &worker, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_unix_connect(path, &c, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_listener_accept(l, &a, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(
        xipc_handle_send(xipc_stream_handle(worker), xipc_stream_handle(a), XT_CHILD_TIMEOUT_MS));
    xipc_stream_close(a); /* the child's copy alone is the accepted end now */
    xt_read_exact(c, buf, 2, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "hi", 2) == 0);
    xt_expect_eof(c, XT_CHILD_TIMEOUT_MS);
    xt_write_all(c, "ok", 2, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(c);
    xt_expect_exit(p, 0);
    xipc_stream_close(worker);
    xipc_npipe_close(srv);
    xipc_listener_close(l);
}
