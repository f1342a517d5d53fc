/* tests/test_pass.c: passing handles to a running process over one connection, many times: what
 * a connection keeps between passes (Windows: the peer's process handle) is closed with it, a
 * peer that ended takes nothing more and the sender hears XIPC_EPIPE, and a peer that connects
 * again is passed to as the first was. (The pre-forked server, the kinds and the errors are in
 * test_sock.c.) */
#include "xt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PASS_ROUNDS = 200 };

/* Reads and writes once through the pipe rd, wr, so that what a stream makes at its first read
 * or write (Windows: its events) exists before the handles are counted. */
static void
use_pipe_once(xipc_stream *rd, xipc_stream *wr)
{
    char c = 0;
    xt_write_all(wr, "u", 1, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'u');
}

/* One round of the counter: a pipe's write end, which gets one byte, then an event, which is
 * set; both closed again. The handles this process holds are counted into *count just before
 * the set (when count is not NULL), while the parent waits for it and so has nothing on its way
 * here. */
static void
take_and_use(xipc_handle *conn, char byte, int *count)
{
    xipc_stream *wr = NULL;
    xipc_event *ev = NULL;
    size_t put = 0;
    CHECK_OK(xipc_stream_receive(conn, &wr, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_stream_write(wr, &byte, 1, &put, XT_CHILD_TIMEOUT_MS));
    xipc_stream_close(wr);
    CHECK_OK(xipc_event_receive(conn, &ev, XT_CHILD_TIMEOUT_MS));
    if (count != NULL) /* in the first and last rounds: a count takes ~0.1 s under Wine */
        *count = xt_os_handle_count();
    CHECK_OK(xipc_event_set(ev));
    xipc_event_close(ev);
}

/* argv: a byte-mode named pipe and a round count. Connects, takes and uses that many rounds
 * (the handles it holds must be as many in the last as in the first), sends an event of its own
 * back, and exits once the parent closed the connection. */
int
xt_child_pass_counter(int argc, char **argv)
{
    xipc_stream *conn = NULL, *none = NULL;
    xipc_event *mine = NULL;
    int rounds = atoi(argv[2]), first = 0, last = 0;
    (void)argc;
    xt_warm_up();
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &conn, XT_CHILD_TIMEOUT_MS));
    take_and_use(xipc_stream_handle(conn), 'a', &first);
    for (int i = 1; i < rounds; i++)
        take_and_use(
            xipc_stream_handle(conn), (char)('a' + i % 26), i == rounds - 1 ? &last : NULL);
    CHECK_EQ(last, first);
    CHECK_OK(xipc_event_open(NULL, 0, &mine));
    CHECK_OK(xipc_event_set(mine));
    CHECK_OK(
        xipc_handle_send(xipc_stream_handle(conn), xipc_event_handle(mine), XT_CHILD_TIMEOUT_MS));
    xipc_event_close(mine);
    CHECK_RC(
        xipc_stream_receive(xipc_stream_handle(conn), &none, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_stream_close(conn);
    return 0;
}

/* Many passes in a row over one connection, both ways: each handle works in the peer, and
 * neither side holds one handle more once the connection is closed (Windows: the peer's
 * process, opened at the first pass, closes with the connection on each end). */
void
xt_test_pass_many_in_a_row_no_handle_leak(void)
{
    char name[XIPC_NAME_MAX + 1], rounds[16], byte = 0;
    xipc_npipe *srv = NULL;
    xipc_stream *conn = NULL, *rd = NULL, *wr = NULL;
    xipc_event *ev = NULL, *theirs = NULL;
    size_t got = 0;
    xt_warm_up();
    xt_name("passmany", name);
    snprintf(rounds, sizeof rounds, "%d", PASS_ROUNDS);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    use_pipe_once(rd, wr);
    const char *args[] = { name, rounds, NULL };
    int before = xt_os_handle_count();
    xipc_proc *p = xt_spawn_child("pass_counter", args, NULL, NULL, 0);
    CHECK_OK(xipc_npipe_accept(srv, &conn, XT_CHILD_TIMEOUT_MS));
    for (int i = 0; i < PASS_ROUNDS; i++) {
        CHECK_OK(xipc_handle_send(
            xipc_stream_handle(conn), xipc_stream_handle(wr), XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_stream_read(rd, &byte, 1, &got, XT_CHILD_TIMEOUT_MS));
        CHECK(got == 1 && byte == (char)('a' + i % 26));
        CHECK_OK(
            xipc_handle_send(xipc_stream_handle(conn), xipc_event_handle(ev), XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_event_wait(ev, XT_CHILD_TIMEOUT_MS));
    }
    CHECK_OK(xipc_event_receive(xipc_stream_handle(conn), &theirs, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_event_wait(theirs, 0)); /* the child set it before it sent it */
    xipc_event_close(theirs);
    xipc_stream_close(conn);
    xt_expect_exit(p, 0);
    CHECK_EQ(xt_os_handle_count(), before);
    xipc_event_close(ev);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
    xipc_npipe_close(srv);
}

/* argv: a byte-mode named pipe. Connects, takes one event, sets it, and exits. */
int
xt_child_pass_take_one(int argc, char **argv)
{
    xipc_stream *conn = NULL;
    xipc_event *ev = NULL;
    (void)argc;
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &conn, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_event_receive(xipc_stream_handle(conn), &ev, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_event_set(ev));
    xipc_event_close(ev);
    xipc_stream_close(conn);
    return 0;
}

/* One peer takes an event and ends, and nothing (no process handle of this one) keeps its
 * process: a pass over its connection then is XIPC_EPIPE, and leaves nothing behind here. (On
 * Windows a pass looked the peer's pid up again, and with the process gone failed with another
 * code; a pid reused by then named an unrelated process, which a kept process handle rules
 * out.) A peer connecting again gets a new connection, and takes an event over it. */
void
xt_test_pass_to_a_peer_that_ended(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_npipe *srv = NULL;
    xipc_stream *conn = NULL;
    xipc_event *ev = NULL;
    xt_warm_up();
    xt_name("passgone", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    const char *args[] = { name, NULL };
    for (int peer = 0; peer < 2; peer++) {
        xipc_proc *p = xt_spawn_child("pass_take_one", args, NULL, NULL, 0);
        CHECK_OK(xipc_npipe_accept(srv, &conn, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(
            xipc_handle_send(xipc_stream_handle(conn), xipc_event_handle(ev), XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_event_wait(ev, XT_CHILD_TIMEOUT_MS));
        xt_expect_exit(p, 0); /* and its process handle here is closed */
        int before = xt_os_handle_count();
        CHECK_RC(
            xipc_handle_send(xipc_stream_handle(conn), xipc_event_handle(ev), 1000), XIPC_EPIPE);
        CHECK_EQ(xt_os_handle_count(), before);
        xipc_stream_close(conn);
    }
    xipc_event_close(ev);
    xipc_npipe_close(srv);
}

/* argv: a byte-mode named pipe and a number. Connects and writes, as plain data: a record in
 * xipc_handle_send's form naming that number as a stream, without a descriptor beside it; then
 * a record's worth of junk; then, once the parent says so, half a record, and closes. */
int
xt_child_pass_forger(int argc, char **argv)
{
    xipc_stream *conn = NULL;
    char rec[4 + XIPC_HANDLE_TEXT_MAX], junk[sizeof rec], go = 0;
    size_t got = 0;
    (void)argc;
    memset(rec, 0, sizeof rec);
    memcpy(rec, "xhp1", 4);
    snprintf(rec + 4, XIPC_HANDLE_TEXT_MAX, "xipc1:stream:r:%s", argv[2]);
    memset(junk, 'j', sizeof junk);
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &conn, XT_CHILD_TIMEOUT_MS));
    xt_write_all(conn, rec, sizeof rec, XT_CHILD_TIMEOUT_MS);
    xt_write_all(conn, junk, sizeof junk, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_stream_read(conn, &go, 1, &got, XT_CHILD_TIMEOUT_MS));
    xt_write_all(conn, rec, sizeof rec / 2, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(conn);
    return 0;
}

/* What a peer sends that is no handle: a record naming a handle of this process (POSIX: with no
 * descriptor beside it; Windows: one an xipc object here holds) is refused and closes nothing
 * (it was adopted, or closed, as if the peer had sent it), junk is refused, and half a record
 * before the end is the end; nothing is left open. */
void
xt_test_pass_forged_records_close_nothing_here(void)
{
    char name[XIPC_NAME_MAX + 1], number[24], byte = 0;
    xipc_npipe *srv = NULL;
    xipc_stream *conn = NULL, *rd = NULL, *wr = NULL, *got = NULL;
    intptr_t native = 0;
    size_t n = 0;
    xt_warm_up();
    xt_name("passforge", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_handle_native(xipc_stream_handle(rd), &native));
    snprintf(number, sizeof number, "%lld", (long long)native);
    const char *args[] = { name, number, NULL };
    use_pipe_once(rd, wr);
    int before = xt_os_handle_count();
    xipc_proc *p = xt_spawn_child("pass_forger", args, NULL, NULL, 0);
    CHECK_OK(xipc_npipe_accept(srv, &conn, XT_CHILD_TIMEOUT_MS));
    xipc_handle *hc = xipc_stream_handle(conn);
    CHECK_RC(xipc_stream_receive(hc, &got, XT_CHILD_TIMEOUT_MS), XIPC_EINVAL);
    CHECK(got == NULL);
    xt_write_all(wr, "x", 1, XT_CHILD_TIMEOUT_MS); /* rd is open, and still rd */
    CHECK_OK(xipc_stream_read(rd, &byte, 1, &n, XT_CHILD_TIMEOUT_MS));
    CHECK(n == 1 && byte == 'x');
    CHECK_RC(xipc_stream_receive(hc, &got, XT_CHILD_TIMEOUT_MS), XIPC_EINVAL);
    xt_write_all(conn, "g", 1, XT_CHILD_TIMEOUT_MS);
    CHECK_RC(xipc_stream_receive(hc, &got, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    CHECK(got == NULL);
    xipc_stream_close(conn);
    xt_expect_exit(p, 0);
    CHECK_EQ(xt_os_handle_count(), before);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
    xipc_npipe_close(srv);
}

/* A stream passed to a running process holds its pipe end and nothing else until it is used:
 * Windows makes a stream's read and write events at their first use, so a worker that closes a
 * passed stream unused (or hands it on) makes and closes none. Used, each closes with it. */

/* Asks for the next stream with one byte on conn and receives it: the handles this process
 * holds must grow by exactly one. (Windows: the sender duplicates the handle into this process
 * before the record goes, so it sends only when asked, after the count.) */
static xipc_stream *
receive_one_more(xipc_stream *conn, int before)
{
    xipc_stream *s = NULL;
    xt_write_all(conn, "n", 1, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_stream_receive(xipc_stream_handle(conn), &s, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(xt_os_handle_count(), before + 1);
    return s;
}

/* Says ready with one byte on conn, then reads one byte from s, which the parent writes only
 * once it has the ready byte: the read waits for it, through the stream's read event. */
static void
ready_then_read(xipc_stream *conn, xipc_stream *s, char want)
{
    char c = 0;
    size_t got = 0;
    xt_write_all(conn, "r", 1, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_stream_read(s, &c, 1, &got, XT_CHILD_TIMEOUT_MS));
    CHECK(got == 1 && c == want);
}

/* Adds the read end s to a new wait set, says ready, and waits until the set reports it
 * readable; then reads want. */
static void
wait_then_read(xipc_stream *conn, xipc_stream *s, char want)
{
    xipc_waitset *ws = NULL;
    xipc_waitset_entry e;
    size_t n = 0, got = 0;
    char c = 0;
    CHECK_OK(xipc_waitset_open(&ws));
    CHECK_OK(xipc_waitset_add(ws, xipc_stream_handle(s), XIPC_WAITSET_READ, NULL));
    xt_write_all(conn, "r", 1, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_waitset_wait(ws, &e, 1, &n, XT_CHILD_TIMEOUT_MS));
    CHECK(n == 1 && e.handle == xipc_stream_handle(s));
    CHECK_OK(xipc_stream_read(s, &c, 1, &got, XT_CHILD_TIMEOUT_MS));
    CHECK(got == 1 && c == want);
    xipc_waitset_close(ws);
}

/* Windows: a passed FIFO writer is no child's standard handle (its reader expects frames), though
 * nothing has asked what kind of pipe end it is yet. */
static void
refuse_as_stdout(xipc_stream *s)
{
    const char *argv[32];
    const char *say[] = { "unframed", NULL };
    xipc_proc *p = NULL;
    xipc_spawn_opts opts = xt_child_opts(argv, "proc_say", say);
    opts.stdio[1].mode = XIPC_STDIO_STREAM;
    opts.stdio[1].stream = s;
    CHECK_RC(xipc_spawn(&opts, &p), XIPC_ENOTSUP);
    CHECK(p == NULL);
}

/* argv: a byte-mode named pipe. Connects and uses conn both ways once (its own events, if any,
 * are made then); then takes six streams, counting the handles this process holds: a read end
 * closed unused, the same read end read after a wait set reported it and read directly, a write
 * end written to, a duplex end written and read, a FIFO's writer refused as a child's stdout
 * (Windows) and written to, and a duplex end shut down. Each adds one handle when it comes, and none is left once it is closed. */
int
xt_child_pass_lazy_user(int argc, char **argv)
{
    xipc_stream *conn = NULL, *s = NULL;
    char c = 0;
    (void)argc;
    xt_warm_up();
    CHECK_OK(xipc_npipe_connect(argv[1], 0, &conn, XT_CHILD_TIMEOUT_MS));
    xt_write_all(conn, "h", 1, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(conn, &c, 1, XT_CHILD_TIMEOUT_MS);
    int before = xt_os_handle_count();
    xipc_stream_close(receive_one_more(conn, before));
    CHECK_EQ(xt_os_handle_count(), before);
    s = receive_one_more(conn, before);
    wait_then_read(conn, s, 'w');
    ready_then_read(conn, s, 'x');
    xipc_stream_close(s);
    CHECK_EQ(xt_os_handle_count(), before);
    s = receive_one_more(conn, before);
    xt_write_all(s, "y", 1, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(s);
    CHECK_EQ(xt_os_handle_count(), before);
    s = receive_one_more(conn, before);
    xt_write_all(s, "z", 1, XT_CHILD_TIMEOUT_MS);
    ready_then_read(conn, s, 'Z');
    xipc_stream_close(s);
    CHECK_EQ(xt_os_handle_count(), before);
    s = receive_one_more(conn, before); /* a FIFO's writer: Windows frames what it writes */
    if (xt_os_fifo_is_emulated())
        refuse_as_stdout(s);
    xt_write_all(s, "fifo", 4, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(s);
    CHECK_EQ(xt_os_handle_count(), before);
    s = receive_one_more(conn, before); /* a duplex end, shut before anything else */
    CHECK_OK(xipc_stream_shutdown(s));
    xipc_stream_close(s);
    CHECK_EQ(xt_os_handle_count(), before);
    xipc_stream_close(conn);
    return 0;
}

/* Waits for the child to ask for a stream, then sends s over conn. */
static void
send_when_asked(xipc_stream *conn, xipc_stream *s)
{
    char c = 0;
    xt_read_exact(conn, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'n');
    CHECK_OK(
        xipc_handle_send(xipc_stream_handle(conn), xipc_stream_handle(s), XT_CHILD_TIMEOUT_MS));
}

/* Waits for the child's ready byte on conn, then writes one byte to s. */
static void
on_ready_write(xipc_stream *conn, xipc_stream *s, char byte)
{
    char c = 0;
    xt_read_exact(conn, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'r');
    xt_write_all(s, &byte, 1, XT_CHILD_TIMEOUT_MS);
}

struct fifo_reader_open {
    const char *path;
    xipc_stream *rd;
};

static void
open_fifo_reader(void *arg)
{
    struct fifo_reader_open *o = arg;
    CHECK_OK(xipc_fifo_open(
        o->path, XIPC_CREATE | XIPC_OPEN | XIPC_FIFO_READ, &o->rd, XT_CHILD_TIMEOUT_MS));
}

/* A FIFO at a fresh path, its reader opened on a thread while this one opens the writer. */
static void
open_fifo_pair(char *path, size_t cap, xipc_stream **rd, xipc_stream **wr)
{
    struct fifo_reader_open o = { path, NULL };
    xt_os_temp_path("passlazy", path, cap);
    (void)xipc_fifo_unlink(path);
    xt_os_thread *t = xt_os_thread_start(open_fifo_reader, &o);
    CHECK_OK(
        xipc_fifo_open(path, XIPC_CREATE | XIPC_OPEN | XIPC_FIFO_WRITE, wr, XT_CHILD_TIMEOUT_MS));
    xt_os_thread_join(t);
    *rd = o.rd;
}

/* A passed stream closed unused, one read after a wait set reported it, one read while the
 * data is still to come, one written to, a duplex end used both ways, a FIFO's writer (which
 * Windows must know as one, to frame its writes) and a duplex end shut down at once (which
 * Windows must know as one, to mark its end): each works and each leaves nothing behind in the
 * process it was passed to (the child counts). */
void
xt_test_pass_stream_events_made_at_first_use(void)
{
    char name[XIPC_NAME_MAX + 1], c = 0;
    xipc_npipe *srv = NULL;
    xipc_stream *conn = NULL, *rd = NULL, *wr = NULL, *rd2 = NULL, *wr2 = NULL;
    xipc_stream *mine = NULL, *theirs = NULL, *mine2 = NULL, *theirs2 = NULL;
    xipc_stream *fifo_rd = NULL, *fifo_wr = NULL;
    char path[512], four[4];
    size_t got = 0;
    xt_warm_up();
    xt_name("passlazy", name);
    open_fifo_pair(path, sizeof path, &fifo_rd, &fifo_wr);
    CHECK_OK(xipc_duplex(0, &mine2, &theirs2));
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_pipe(0, &rd, &wr)); /* rd goes to the child, which reads all it gets */
    CHECK_OK(xipc_pipe(0, &rd2, &wr2)); /* wr2 goes to the child */
    CHECK_OK(xipc_duplex(0, &mine, &theirs));
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_child("pass_lazy_user", args, NULL, NULL, 0);
    CHECK_OK(xipc_npipe_accept(srv, &conn, XT_CHILD_TIMEOUT_MS));
    xt_read_exact(conn, &c, 1, XT_CHILD_TIMEOUT_MS);
    xt_write_all(conn, "g", 1, XT_CHILD_TIMEOUT_MS);
    send_when_asked(conn, rd); /* closed unused */
    send_when_asked(conn, rd);
    on_ready_write(conn, wr, 'w');
    on_ready_write(conn, wr, 'x');
    send_when_asked(conn, wr2);
    xt_read_exact(rd2, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'y');
    send_when_asked(conn, theirs);
    xt_read_exact(mine, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'z');
    on_ready_write(conn, mine, 'Z');
    send_when_asked(conn, fifo_wr);
    xt_read_exact(fifo_rd, four, sizeof four, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(four, "fifo", 4) == 0);
    send_when_asked(conn, theirs2);
    CHECK_OK(xipc_stream_read(mine2, &c, 1, &got, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(got, 0); /* the end it marked */
    xt_expect_exit(p, 0);
    xipc_stream_close(fifo_rd);
    xipc_stream_close(fifo_wr);
    (void)xipc_fifo_unlink(path); /* the end that created it removed it already */
    xipc_stream_close(mine2);
    xipc_stream_close(theirs2);
    xipc_stream_close(conn);
    xipc_stream_close(mine);
    xipc_stream_close(theirs);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
    xipc_stream_close(rd2);
    xipc_stream_close(wr2);
    xipc_npipe_close(srv);
}
