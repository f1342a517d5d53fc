/* tests/test_pipe.c: anonymous pipes and streams across real processes: echo, end of stream,
 * broken pipe without SIGPIPE, timeouts, partial writes, a 64 MiB transfer, inheritance, bad
 * input and leaks. */
#include "xt.h"

/* Spawns role with the given streams exported on its command line and listed for inheritance,
 * stdin and stderr inherited. Returns the running child. */
static xipc_proc *
spawn_with_streams(const char *role, xipc_stream *const *streams, size_t n)
{
    static char texts[4][XIPC_HANDLE_TEXT_MAX];
    const char *args[5];
    xipc_handle *handles[4];
    CHECK(n <= 4);
    for (size_t i = 0; i < n; i++) {
        xt_export(streams[i], texts[i]);
        args[i] = texts[i];
        handles[i] = xipc_stream_handle(streams[i]);
    }
    args[n] = NULL;
    return xt_spawn_child(role, args, NULL, handles, n);
}

/* ---- echo ----------------------------------------------------------------------------------- */

int
xt_child_pipe_echo(int argc, char **argv)
{
    xipc_stream *in = xt_import(argv[1]), *out = xt_import(argv[2]);
    char buf[4096];
    (void)argc;
    for (;;) {
        size_t got = 0;
        CHECK_OK(xipc_stream_read(in, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        xt_write_all(out, buf, got, XT_CHILD_TIMEOUT_MS);
    }
    xipc_stream_close(in);
    xipc_stream_close(out);
    return 0;
}

void
xt_test_pipe_roundtrip_across_processes(void)
{
    xipc_stream *to_r, *to_w, *from_r, *from_w;
    static const size_t sizes[] = { 1, 7, 64, 4096, 65536, 300000 };
    CHECK_OK(xipc_pipe(0, &to_r, &to_w));
    CHECK_OK(xipc_pipe(0, &from_r, &from_w));
    xipc_stream *theirs[] = { to_r, from_w };
    xipc_proc *p = spawn_with_streams("pipe_echo", theirs, 2);
    xipc_stream_close(to_r);
    xipc_stream_close(from_w);

    unsigned char *out = malloc(300000), *back = malloc(300000);
    CHECK(out != NULL && back != NULL);
    uint64_t offset = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        for (size_t i = 0; i < n; i++)
            out[i] = xt_pattern(offset + i);
        /* Sizes above the pipe buffer need the child to read while we write: write in pieces
         * and read back in between. */
        size_t sent = 0, got_back = 0;
        while (got_back < n) {
            size_t chunk = n - sent < 16384 ? n - sent : 16384;
            if (chunk > 0) {
                xt_write_all(to_w, out + sent, chunk, XT_CHILD_TIMEOUT_MS);
                sent += chunk;
            }
            xt_read_exact(from_r, back + got_back, sent - got_back, XT_CHILD_TIMEOUT_MS);
            got_back = sent;
        }
        CHECK(memcmp(out, back, n) == 0);
        offset += n;
    }
    xipc_stream_close(to_w);
    xt_expect_eof(from_r, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(p, 0);
    xipc_stream_close(from_r);
    free(out);
    free(back);
}

/* ---- end of stream and broken pipe ---------------------------------------------------------- */

int
xt_child_pipe_write_and_exit(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]);
    (void)argc;
    xt_write_all(w, "hello", 5, XT_CHILD_TIMEOUT_MS);
    /* Exit without closing: the OS closes the end, as after a crash. */
    return 0;
}

void
xt_test_pipe_eof_when_writer_closes(void)
{
    xipc_stream *rd, *wr;
    char buf[16];
    size_t got = 0;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_proc *p = spawn_with_streams("pipe_write_and_exit", &wr, 1);
    xipc_stream_close(wr);
    xt_read_exact(rd, buf, 5, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(buf, "hello", 5) == 0);
    xt_expect_eof(rd, XT_CHILD_TIMEOUT_MS);
    /* End of stream is sticky, and reported at once. */
    CHECK_OK(xipc_stream_read(rd, buf, sizeof buf, &got, 0));
    CHECK_EQ(got, 0);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
}

int
xt_child_pipe_read_one_and_exit(int argc, char **argv)
{
    xipc_stream *r = xt_import(argv[1]);
    char c;
    (void)argc;
    xt_read_exact(r, &c, 1, XT_CHILD_TIMEOUT_MS);
    return c == '!' ? 0 : 3;
}

void
xt_test_pipe_epipe_when_reader_gone(void)
{
    xipc_stream *rd, *wr;
    char buf[1000];
    size_t put = 7;
    memset(buf, 'x', sizeof buf);
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_proc *p = spawn_with_streams("pipe_read_one_and_exit", &rd, 1);
    xipc_stream_close(rd);
    xt_write_all(wr, "!", 1, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(p, 0);
    /* Every reader is gone: XIPC_EPIPE, nothing went, and this process is still here (SIGPIPE
     * is at its default action in the test binary). */
    CHECK_RC(xipc_stream_write(wr, buf, sizeof buf, &put, XT_CHILD_TIMEOUT_MS), XIPC_EPIPE);
    CHECK_EQ(put, 0);
    CHECK_RC(xipc_stream_write(wr, buf, 1, &put, 0), XIPC_EPIPE);
    xipc_stream_close(wr);
}

/* Writes until the reader is gone: 42 once told XIPC_EPIPE (alive, and told). */
static int
write_until_epipe(xipc_stream *w)
{
    char buf[8192];
    memset(buf, 'y', sizeof buf);
    for (int i = 0; i < 100000; i++) {
        size_t put = 0;
        int rc = xipc_stream_write(w, buf, sizeof buf, &put, XT_CHILD_TIMEOUT_MS);
        if (rc == XIPC_EPIPE)
            return 42;
        if (rc != 0)
            return 3;
    }
    return 4;
}

int
xt_child_pipe_write_until_epipe(int argc, char **argv)
{
    (void)argc;
    return write_until_epipe(xt_import(argv[1]));
}

/* Runs role (a child that writes until told XIPC_EPIPE) on a pipe, reads some of what it writes,
 * so that it is mid-stream, then leaves: the child must exit 42. A SIGPIPE death would show as
 * XIPC_EXIT_CRASHED. */
static void
expect_writer_told_epipe(const char *role)
{
    xipc_stream *rd, *wr;
    char buf[100];
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_proc *p = spawn_with_streams(role, &wr, 1);
    xipc_stream_close(wr);
    xt_read_exact(rd, buf, sizeof buf, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(rd);
    xt_expect_exit(p, 42);
}

void
xt_test_pipe_writer_child_survives_epipe(void)
{
    expect_writer_told_epipe("pipe_write_until_epipe");
}

/* With xipc_sigpipe_ignore(): SIGPIPE is SIG_IGN in this process, the unguarded writes still end
 * in XIPC_EPIPE without a death, and a child spawned afterwards has SIGPIPE's default again. */
int
xt_child_pipe_sigpipe_ignore_then_write(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]);
    bool has_sigpipe = xt_os_sigpipe_action() != XT_SIGPIPE_NONE;
    (void)argc;
    CHECK_EQ(xt_os_sigpipe_action(), has_sigpipe ? XT_SIGPIPE_DEFAULT : XT_SIGPIPE_NONE);
    CHECK_OK(xipc_sigpipe_ignore());
    CHECK_OK(xipc_sigpipe_ignore()); /* twice is harmless */
    CHECK_EQ(xt_os_sigpipe_action(), has_sigpipe ? XT_SIGPIPE_IGNORED : XT_SIGPIPE_NONE);
    if (has_sigpipe) /* Windows: nothing to pass on, and a Wine process start is not free */
        xt_expect_exit(xt_spawn_child("pipe_sigpipe_is_default", NULL, NULL, NULL, 0), 0);
    return write_until_epipe(w);
}

int
xt_child_pipe_sigpipe_is_default(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return xt_os_sigpipe_action() == XT_SIGPIPE_DEFAULT ? 0 : 3;
}

void
xt_test_pipe_sigpipe_ignore_opt_in(void)
{
    expect_writer_told_epipe("pipe_sigpipe_ignore_then_write");
}

/* ---- timeouts ------------------------------------------------------------------------------- */

int
xt_child_pipe_sleep_then_write(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]);
    (void)argc;
    xt_os_sleep_ms(300); /* on purpose: the test's read waits forever meanwhile */
    xt_write_all(w, "z", 1, XT_CHILD_TIMEOUT_MS);
    return 0;
}

void
xt_test_pipe_read_timeouts(void)
{
    xipc_stream *rd, *wr;
    char c = 0;
    size_t got = 9;
    CHECK_OK(xipc_pipe(0, &rd, &wr));

    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_read(rd, &c, 1, &got, 0), XIPC_ETIMEDOUT);
    CHECK_EQ(got, 0);
    CHECK_LT(xt_os_now_ms() - t0, XT_SLACK_MS);

    t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_read(rd, &c, 1, &got, 200), XIPC_ETIMEDOUT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 200);
    CHECK_LT(waited, 200 + XT_SLACK_MS);

    /* Data already there is returned even with a zero timeout. */
    xt_write_all(wr, "q", 1, 0);
    CHECK_OK(xipc_stream_read(rd, &c, 1, &got, 0));
    CHECK_EQ(got, 1);
    CHECK_EQ(c, 'q');

    /* Forever, then woken by another process. */
    xipc_proc *p = spawn_with_streams("pipe_sleep_then_write", &wr, 1);
    t0 = xt_os_now_ms();
    CHECK_OK(xipc_stream_read(rd, &c, 1, &got, XIPC_FOREVER));
    CHECK_EQ(got, 1);
    CHECK_EQ(c, 'z');
    CHECK_GE(xt_os_now_ms() - t0, 250);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

/* Waits for "go" on argv[2], then reads argv[1] to the end, checks the pattern, and reports the
 * byte count and whether every byte matched on argv[3]. */
int
xt_child_pipe_drain_and_report(int argc, char **argv)
{
    xipc_stream *data = xt_import(argv[1]), *go = xt_import(argv[2]), *report = xt_import(argv[3]);
    unsigned char buf[65536];
    uint64_t total = 0, bad = 0;
    char c;
    (void)argc;
    xt_read_exact(go, &c, 1, XT_CHILD_TIMEOUT_MS);
    for (;;) {
        size_t got = 0;
        CHECK_OK(xipc_stream_read(data, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        for (size_t i = 0; i < got; i++)
            bad += buf[i] != xt_pattern(total + i);
        total += got;
    }
    uint64_t msg[2] = { total, bad };
    xt_write_all(report, msg, sizeof msg, XT_CHILD_TIMEOUT_MS);
    return 0;
}

/* A pipe_drain_and_report child and the parent's ends of its three pipes. */
struct drainer {
    xipc_stream *data_w, *go_w, *report_r;
    xipc_proc *proc;
};

static void
drainer_start(struct drainer *d)
{
    xipc_stream *data_r, *go_r, *report_w;
    CHECK_OK(xipc_pipe(0, &data_r, &d->data_w));
    CHECK_OK(xipc_pipe(0, &go_r, &d->go_w));
    CHECK_OK(xipc_pipe(0, &d->report_r, &report_w));
    xipc_stream *theirs[] = { data_r, go_r, report_w };
    d->proc = spawn_with_streams("pipe_drain_and_report", theirs, 3);
    xipc_stream_close(data_r);
    xipc_stream_close(go_r);
    xipc_stream_close(report_w);
}

static void
drainer_go(struct drainer *d)
{
    xt_write_all(d->go_w, "g", 1, XT_CHILD_TIMEOUT_MS);
}

/* Ends the data stream; the child must have received exactly `bytes`, every one right. */
static void
drainer_finish(struct drainer *d, uint64_t bytes)
{
    uint64_t msg[2];
    xipc_stream_close(d->data_w);
    xt_read_exact(d->report_r, msg, sizeof msg, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(msg[0], bytes);
    CHECK_EQ(msg[1], 0);
    xt_expect_exit(d->proc, 0);
    xipc_stream_close(d->go_w);
    xipc_stream_close(d->report_r);
}

static unsigned char *
pattern_buffer(size_t len)
{
    unsigned char *buf = malloc(len);
    CHECK(buf != NULL);
    for (size_t i = 0; i < len; i++)
        buf[i] = xt_pattern(i);
    return buf;
}

void
xt_test_pipe_write_timeout_reports_partial(void)
{
    struct drainer d;
    const size_t len = 4u << 20;
    unsigned char *buf = pattern_buffer(len);
    size_t put = 0, put2 = 9;
    drainer_start(&d);

    /* Nobody reads yet: the pipe fills, the write times out and says how much went. */
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_write(d.data_w, buf, len, &put, 200), XIPC_ETIMEDOUT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 200);
    CHECK_LT(waited, 200 + XT_SLACK_MS);
    CHECK(put > 0 && put < len);
    /* Still full: a zero timeout writes nothing. */
    CHECK_RC(xipc_stream_write(d.data_w, buf + put, len - put, &put2, 0), XIPC_ETIMEDOUT);
    CHECK_EQ(put2, 0);

    /* Let the child drain: it must get exactly the bytes reported, in order. */
    drainer_go(&d);
    drainer_finish(&d, put);
    free(buf);
}

void
xt_test_pipe_write_forever_then_woken(void)
{
    struct drainer d;
    const size_t len = 1u << 20; /* far more than the pipe holds */
    unsigned char *buf = pattern_buffer(len);
    size_t put = 0;
    drainer_start(&d);
    /* The write blocks on the full pipe until the child, told to go, drains it. */
    drainer_go(&d);
    CHECK_OK(xipc_stream_write(d.data_w, buf, len, &put, XIPC_FOREVER));
    CHECK_EQ(put, len);
    drainer_finish(&d, len);
    free(buf);
}

/* ---- bulk transfer -------------------------------------------------------------------------- */

#define XT_BULK_BYTES (64u << 20)

int
xt_child_pipe_produce_pattern(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]);
    static unsigned char buf[100003];
    uint64_t sent = 0;
    size_t step = 1;
    (void)argc;
    /* Uneven chunk sizes, so that no boundary lines up with the pipe's buffer. */
    while (sent < XT_BULK_BYTES) {
        size_t n = (step * 7919) % sizeof buf + 1;
        if (n > XT_BULK_BYTES - sent)
            n = (size_t)(XT_BULK_BYTES - sent);
        for (size_t i = 0; i < n; i++)
            buf[i] = xt_pattern(sent + i);
        xt_write_all(w, buf, n, XT_CHILD_TIMEOUT_MS);
        sent += n;
        step++;
    }
    xipc_stream_close(w);
    return 0;
}

void
xt_test_pipe_transfer_64mib(void)
{
    xipc_stream *rd, *wr;
    static unsigned char buf[65536];
    uint64_t total = 0;
    size_t cap = 1;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_proc *p = spawn_with_streams("pipe_produce_pattern", &wr, 1);
    xipc_stream_close(wr);
    for (;;) {
        size_t got = 0;
        cap = cap * 3 % sizeof buf + 1;
        CHECK_OK(xipc_stream_read(rd, buf, cap, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        for (size_t i = 0; i < got; i++) {
            if (buf[i] != xt_pattern(total + i))
                xt_fail(__FILE__, __LINE__, "byte %llu differs", (unsigned long long)(total + i));
        }
        total += got;
    }
    CHECK_EQ(total, XT_BULK_BYTES);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
}

/* ---- inheritance ---------------------------------------------------------------------------- */

/* argv[1]: a listed stream to report on; argv[2]: the text of a stream that was not listed. */
int
xt_child_pipe_probe_handles(int argc, char **argv)
{
    xipc_stream *listed = xt_import(argv[1]), *unlisted = NULL;
    char report[64];
    (void)argc;
    int rc = xipc_stream_import(argv[2], &unlisted);
    snprintf(report, sizeof report, "%s", xipc_errname(rc));
    xt_write_all(listed, report, strlen(report), XT_CHILD_TIMEOUT_MS);
    return 0;
}

void
xt_test_pipe_only_listed_handles_inherited(void)
{
    xipc_stream *a_r, *a_w, *b_r, *b_w;
    char a_text[XIPC_HANDLE_TEXT_MAX], b_text[XIPC_HANDLE_TEXT_MAX];
    xipc_stdio null_io[3] = { { XIPC_STDIO_NULL, NULL, NULL }, { XIPC_STDIO_NULL, NULL, NULL },
        { XIPC_STDIO_INHERIT, NULL, NULL } };
    size_t len;
    CHECK_OK(xipc_pipe(0, &a_r, &a_w));
    CHECK_OK(xipc_pipe(0, &b_r, &b_w));
    xt_export(a_w, a_text);
    xt_export(b_w, b_text); /* exported, but not listed */
    const char *args[] = { a_text, b_text, NULL };
    xipc_handle *h = xipc_stream_handle(a_w);
    xipc_proc *p = xt_spawn_child("pipe_probe_handles", args, null_io, &h, 1);
    xipc_stream_close(a_w);
    char *report = xt_read_to_eof(a_r, &len, XT_CHILD_TIMEOUT_MS);
    CHECK_STR(report, "XIPC_EBADF");
    free(report);
    xt_expect_exit(p, 0);
    xipc_stream_close(b_w);
    xipc_stream_close(a_r);
    xipc_stream_close(b_r);
}

/* ---- what an import takes ------------------------------------------------------------------- */

/* Imports "xipc1:stream:rw:<native>" and expects want. */
static void
expect_native_import(intptr_t native, int want, const char *what)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc_stream *s = (xipc_stream *)&s;
    snprintf(text, sizeof text, "xipc1:stream:rw:%lld", (long long)native);
    int rc = xipc_stream_import(text, &s);
    if (rc != want)
        xt_fail(__FILE__, __LINE__, "import of a %s (%s) gave %s, wanted %s", what, text,
            xipc_errname(rc), xipc_errname(want));
    CHECK(s == NULL);
}

/* argv[1]: the text of a pipe's write end; argv[2]: the text of a named-pipe connection. Imports
 * the first twice (the second must be refused and leave the first working), then natives of
 * every kind that is not a stream (each refused and left as it was), then values that name
 * nothing, then the connection. Reports "A", "B", "C" on the way. */
int
xt_child_pipe_import_refusals(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]), *again = (xipc_stream *)&again, *conn;
    const char *what;
    intptr_t native;
    (void)argc;
    CHECK_RC(xipc_stream_import(argv[1], &again), XIPC_EEXIST);
    CHECK(again == NULL);
    xt_write_all(w, "A", 1, XT_CHILD_TIMEOUT_MS);
    for (int i = 0; (native = xt_os_open_non_stream_native(i, &what)) != -1; i++) {
        expect_native_import(native, XIPC_EINVAL, what);
        if (xt_os_native_inheritable(native) != 1)
            xt_fail(__FILE__, __LINE__, "the refused import of a %s changed it", what);
        xt_os_close_native(native);
    }
    /* 2147483647 is not open (and on Windows not a handle value); 2147483644 is a handle value
     * that is not open. */
    expect_native_import(2147483647, XIPC_EBADF, "value that is not open");
    expect_native_import(2147483644, XIPC_EBADF, "value that is not open");
    xt_write_all(w, "B", 1, XT_CHILD_TIMEOUT_MS);
    /* A connected named-pipe stream (a stream socket on POSIX) is a stream. */
    conn = xt_import(argv[2]);
    xt_write_all(conn, "C", 1, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(conn);
    xipc_stream_close(w);
    return 0;
}

void
xt_test_pipe_import_refuses_owned_and_non_streams(void)
{
    xipc_stream *rd, *wr, *client, *server_end;
    xipc_npipe *srv;
    char name[XIPC_NAME_MAX + 1], texts[2][XIPC_HANDLE_TEXT_MAX], got[3];
    xt_name("imports", name);
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    CHECK_OK(xipc_npipe_connect(name, 0, &client, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_npipe_accept(srv, &server_end, XT_CHILD_TIMEOUT_MS));
    xt_export(wr, texts[0]);
    xt_export(client, texts[1]);
    const char *args[] = { texts[0], texts[1], NULL };
    xipc_handle *handles[] = { xipc_stream_handle(wr), xipc_stream_handle(client) };
    xipc_proc *p = xt_spawn_child("pipe_import_refusals", args, NULL, handles, 2);
    xipc_stream_close(wr);
    xipc_stream_close(client);
    xt_read_exact(rd, got, 2, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(got, "AB", 2) == 0);
    xt_read_exact(server_end, got + 2, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(got[2], 'C');
    xt_expect_exit(p, 0);
    xt_expect_eof(rd, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(rd);
    xipc_stream_close(server_end);
    xipc_npipe_close(srv);
}

/* ---- a process's own stdio as streams -------------------------------------------------------- */

/* Takes its stdin and stdout as xipc streams. A read with a short timeout on the idle stdin must
 * time out; then "R" on stdout; then stdin is echoed to stdout until its end. Then, with the
 * streams closed, fd 0 and 1 must still be there: new streams over them work ("T" on stdout,
 * the end on stdin), and so does the C library ("P" on stdout). argv[1] "full": also writes
 * "E" on stderr through a stream, and checks bad input and that nothing leaked. */
int
xt_child_pipe_stdio_stream_echo(int argc, char **argv)
{
    xipc_stream *in, *out, *err;
    char buf[4096], text[XIPC_HANDLE_TEXT_MAX];
    size_t got = 9;
    bool full = argc > 1 && strcmp(argv[1], "full") == 0;
    (void)xipc_last_os_error(); /* the per-thread error record, made once (see xt_warm_up) */
    int before = xt_os_handle_count();
    CHECK_OK(xipc_stream_stdio(0, &in));
    CHECK_OK(xipc_stream_stdio(1, &out));
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_read(in, buf, 1, &got, 100), XIPC_ETIMEDOUT);
    CHECK_EQ(got, 0);
    CHECK_GE(xt_os_now_ms() - t0, 100);
    xt_write_all(out, "R", 1, XT_CHILD_TIMEOUT_MS);
    for (;;) {
        CHECK_OK(xipc_stream_read(in, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        xt_write_all(out, buf, got, XT_CHILD_TIMEOUT_MS);
    }
    if (full) {
        /* stdin only reads, stdout only writes; neither can be passed on as a handle. */
        CHECK_RC(xipc_stream_write(in, "x", 1, &got, 0), XIPC_EINVAL);
        CHECK_RC(xipc_stream_read(out, buf, 1, &got, 0), XIPC_EINVAL);
        CHECK_RC(xipc_handle_export(xipc_stream_handle(in), text, sizeof text), XIPC_ENOTSUP);
        CHECK_RC(xipc_stream_stdio(3, &err), XIPC_EINVAL);
        CHECK_RC(xipc_stream_stdio(-1, &err), XIPC_EINVAL);
        CHECK_RC(xipc_stream_stdio(0, NULL), XIPC_EINVAL);
        CHECK_OK(xipc_stream_stdio(2, &err));
        xt_write_all(err, "E", 1, XT_CHILD_TIMEOUT_MS);
        xipc_stream_close(err);
    }
    xipc_stream_close(in);
    xipc_stream_close(out);
    CHECK_OK(xipc_stream_stdio(1, &out));
    xt_write_all(out, "T", 1, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(out);
    CHECK_OK(xipc_stream_stdio(0, &in));
    xt_expect_eof(in, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(in);
    if (full)
        CHECK_EQ(xt_os_handle_count(), before);
    fputs("P", stdout);
    fflush(stdout);
    return 0;
}

/* With stdin and stdout on the null device: a read finds the end at once, whatever its timeout,
 * and a write takes everything. Then, with stdin closed for good, its stream is XIPC_EBADF. */
int
xt_child_pipe_stdio_stream_on_null(int argc, char **argv)
{
    xipc_stream *in, *out;
    static char buf[100000];
    size_t got = 9, put = 0;
    (void)argc;
    (void)argv;
    CHECK_OK(xipc_stream_stdio(0, &in));
    CHECK_OK(xipc_stream_stdio(1, &out));
    uint64_t t0 = xt_os_now_ms();
    CHECK_OK(xipc_stream_read(in, buf, sizeof buf, &got, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(got, 0);
    CHECK_OK(xipc_stream_write(out, buf, sizeof buf, &put, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(put, sizeof buf);
    CHECK_LT(xt_os_now_ms() - t0, XT_SLACK_MS);
    xipc_stream_close(in);
    xipc_stream_close(out);
    xt_os_close_stdin();
    in = (xipc_stream *)&in;
    CHECK_RC(xipc_stream_stdio(0, &in), XIPC_EBADF);
    CHECK(in == NULL);
    return 0;
}

/* The parent's ends of a pipe_stdio_stream_echo child's stdin and stdout: xipc pipes, or pipes made
 * by the OS's own calls. */
struct stdio_peer {
    xipc_stream *in, *out;
    xt_os_raw_child *raw;
};

static void
peer_write(struct stdio_peer *p, const void *buf, size_t n)
{
    if (p->raw == NULL)
        xt_write_all(p->in, buf, n, XT_CHILD_TIMEOUT_MS);
    else
        CHECK_EQ(xt_os_raw_write(p->raw, buf, n), 0);
}

/* Reads exactly n bytes (0 < n), or until the end when n is 0: returns the count. */
static size_t
peer_read(struct stdio_peer *p, unsigned char *buf, size_t n, size_t cap)
{
    size_t done = 0;
    while (n == 0 ? done < cap : done < n) {
        size_t got = 0;
        if (p->raw == NULL) {
            CHECK_OK(xipc_stream_read(
                p->out, buf + done, (n ? n : cap) - done, &got, XT_CHILD_TIMEOUT_MS));
        } else {
            long r = xt_os_raw_read(p->raw, buf + done, (n ? n : cap) - done);
            CHECK(r >= 0);
            got = (size_t)r;
        }
        if (got == 0)
            break;
        done += got;
    }
    return done;
}

/* Bytes that text-mode stdio would change: CR LF, LF, Ctrl-Z (the CRT's end of file), NUL. */
static const char tricky[] = "a\r\nb\nc\x1a"
                             "d\0e\r\r\n\n\x1a\x1a\0";

/* Runs the exchange with a pipe_stdio_stream_echo child: waits for its "R" (its timed read is
 * over), sends tricky bytes and a pattern in pieces, reading each back before the next, so that
 * neither pipe fills (CreatePipe's hold 4096 bytes); ends its stdin and expects its "T" and "P"
 * after the echo. */
static void
exchange_with_stdio_echo(struct stdio_peer *p)
{
    enum { PIECE = 2048, TOTAL = 100000 };
    unsigned char *out = malloc(TOTAL), *back = malloc(TOTAL);
    CHECK(out != NULL && back != NULL);
    memcpy(out, tricky, sizeof tricky);
    for (size_t i = sizeof tricky; i < TOTAL; i++)
        out[i] = xt_pattern(i);
    CHECK_EQ(peer_read(p, back, 1, 1), 1);
    CHECK_EQ(back[0], 'R');
    for (size_t sent = 0; sent < TOTAL; sent += PIECE) {
        size_t n = TOTAL - sent < PIECE ? TOTAL - sent : PIECE;
        peer_write(p, out + sent, n);
        CHECK_EQ(peer_read(p, back + sent, n, n), n);
    }
    CHECK(memcmp(out, back, TOTAL) == 0);
    if (p->raw == NULL)
        xipc_stream_close(p->in);
    else
        xt_os_raw_close_stdin(p->raw);
    CHECK_EQ(peer_read(p, back, 0, TOTAL), 2);
    CHECK(memcmp(back, "TP", 2) == 0);
    free(out);
    free(back);
}

/* A child spawned with xipc pipes as its stdin, stdout and stderr takes them as streams
 * (Windows: overlapped pipe ends). */
void
xt_test_pipe_stdio_streams_of_a_child(void)
{
    xipc_stream *in_r, *out_w, *err_r, *err_w;
    struct stdio_peer p = { NULL, NULL, NULL };
    xipc_stdio io[3] = { { XIPC_STDIO_STREAM, NULL, NULL }, { XIPC_STDIO_STREAM, NULL, NULL },
        { XIPC_STDIO_STREAM, NULL, NULL } };
    const char *args[] = { "full", NULL };
    char e;
    CHECK_OK(xipc_pipe(0, &in_r, &p.in));
    CHECK_OK(xipc_pipe(0, &p.out, &out_w));
    CHECK_OK(xipc_pipe(0, &err_r, &err_w));
    io[0].stream = in_r;
    io[1].stream = out_w;
    io[2].stream = err_w;
    xipc_proc *child = xt_spawn_child("pipe_stdio_stream_echo", args, io, NULL, 0);
    xipc_stream_close(in_r);
    xipc_stream_close(out_w);
    xipc_stream_close(err_w);
    exchange_with_stdio_echo(&p);
    xt_read_exact(err_r, &e, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(e, 'E');
    xt_expect_exit(child, 0);
    xipc_stream_close(p.out);
    xipc_stream_close(err_r);
    /* The null device as stdin and stdout, then no stdin at all. */
    io[0].mode = io[1].mode = XIPC_STDIO_NULL;
    io[0].stream = io[1].stream = NULL;
    io[2].mode = XIPC_STDIO_INHERIT;
    io[2].stream = NULL;
    xt_expect_exit(xt_spawn_child("pipe_stdio_stream_on_null", NULL, io, NULL, 0), 0);
}

/* The same with pipes a parent that is not xipc made: pipe(2), and on Windows CreatePipe, whose
 * synchronous ends the child reads and writes with its timeouts cut by CancelSynchronousIo. */
void
xt_test_pipe_stdio_streams_on_os_pipes(void)
{
    struct stdio_peer p = { NULL, NULL, NULL };
    p.raw = xt_os_raw_spawn("pipe_stdio_stream_echo", NULL);
    exchange_with_stdio_echo(&p);
    CHECK_EQ(xt_os_raw_wait(p.raw), 0);
}

/* A parent that keeps its ends of the pipes it gave a child as stdin and stdout. POSIX: the child
 * cleared O_NONBLOCK on the descriptions they share, yet the parent's reads and writes must
 * still time out (each polls first; a write goes in pieces of PIPE_BUF, which poll promises
 * room for), and a write that timed out must report exactly what went. */
void
xt_test_pipe_parent_keeps_timeouts_after_child_stdio(void)
{
    xipc_stream *in_r, *in_w, *out_r, *out_w;
    xipc_stdio io[3] = { { XIPC_STDIO_STREAM, NULL, NULL }, { XIPC_STDIO_STREAM, NULL, NULL },
        { XIPC_STDIO_INHERIT, NULL, NULL } };
    const size_t len = 1u << 20;
    unsigned char *buf = pattern_buffer(len);
    size_t got = 9, put = 0, total = 0;
    char c;
    CHECK_OK(xipc_pipe(0, &in_r, &in_w));
    CHECK_OK(xipc_pipe(0, &out_r, &out_w));
    io[0].stream = in_r;
    io[1].stream = out_w;
    /* proc_block_on_stdin reads one byte of stdin and writes nothing. */
    xipc_proc *p = xt_spawn_child("proc_block_on_stdin", NULL, io, NULL, 0);

    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_read(in_r, &c, 1, &got, 150), XIPC_ETIMEDOUT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 150);
    CHECK_LT(waited, 150 + XT_SLACK_MS);
    CHECK_EQ(got, 0);

    /* Nobody reads the child's stdout: the pipe fills and the write times out. */
    t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_write(out_w, buf, len, &put, 200), XIPC_ETIMEDOUT);
    waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 200);
    CHECK_LT(waited, 200 + XT_SLACK_MS);
    CHECK(put > 0 && put < len);

    xipc_stream_close(in_w); /* the child reads the end of its stdin and exits 4 */
    xt_expect_exit(p, 4);
    xipc_stream_close(out_w);
    for (;;) {
        unsigned char back[65536];
        CHECK_OK(xipc_stream_read(out_r, back, sizeof back, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            break;
        CHECK(total + got <= put);
        CHECK(memcmp(back, buf + total, got) == 0);
        total += got;
    }
    CHECK_EQ(total, put);
    xipc_stream_close(in_r);
    xipc_stream_close(out_r);
    free(buf);
}

/* ---- bad input and leaks -------------------------------------------------------------------- */

static void
check_import_rejects(const char *text)
{
    xipc_stream *s = (xipc_stream *)&s;
    int rc = xipc_stream_import(text, &s);
    if (rc != XIPC_EINVAL)
        xt_fail(__FILE__, __LINE__, "import(\"%s\") gave %s", text, xipc_errname(rc));
    CHECK(s == NULL);
}

void
xt_test_pipe_bad_input(void)
{
    xipc_stream *rd, *wr, *dead_r, *dead_w;
    char buf[8], text[XIPC_HANDLE_TEXT_MAX];
    size_t n = 5;
    CHECK_RC(xipc_pipe(0, NULL, &wr), XIPC_EINVAL);
    CHECK_RC(xipc_pipe(0, &rd, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_pipe(0x10, &rd, &wr), XIPC_EINVAL);
    CHECK(rd == NULL && wr == NULL);
    CHECK_OK(xipc_pipe(0, &rd, &wr));

    CHECK_RC(xipc_stream_read(NULL, buf, 1, &n, 0), XIPC_EINVAL);
    CHECK_EQ(n, 0);
    CHECK_RC(xipc_stream_read(rd, NULL, 1, &n, 0), XIPC_EINVAL);
    CHECK_RC(xipc_stream_read(rd, buf, 0, &n, 0), XIPC_EINVAL);
    CHECK_RC(xipc_stream_read(rd, buf, 1, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_stream_read(rd, buf, 1, &n, -2), XIPC_EINVAL);
    CHECK_RC(xipc_stream_read(wr, buf, 1, &n, 0), XIPC_EINVAL); /* the write end */
    CHECK_RC(xipc_stream_write(NULL, buf, 1, &n, 0), XIPC_EINVAL);
    CHECK_RC(xipc_stream_write(wr, NULL, 1, &n, 0), XIPC_EINVAL);
    CHECK_OK(xipc_stream_write(wr, buf, 1, NULL, 0)); /* put may be NULL */
    CHECK_RC(xipc_stream_write(wr, buf, 1, &n, -100), XIPC_EINVAL);
    CHECK_RC(xipc_stream_write(rd, buf, 1, &n, 0), XIPC_EINVAL); /* the read end */
    n = 5;
    CHECK_OK(xipc_stream_write(wr, buf, 0, &n, 0)); /* nothing to write is not an error */
    CHECK_EQ(n, 0);

    /* Closed handles: XIPC_EBADF, never a crash; closing again is a no-op. */
    CHECK_OK(xipc_pipe(0, &dead_r, &dead_w));
    xipc_stream_close(dead_r);
    xipc_stream_close(dead_w);
    CHECK_RC(xipc_stream_read(dead_r, buf, 1, &n, 0), XIPC_EBADF);
    CHECK_RC(xipc_stream_write(dead_w, buf, 1, &n, 0), XIPC_EBADF);
    CHECK_RC(xipc_handle_export(xipc_stream_handle(dead_w), text, sizeof text), XIPC_EBADF);
    xipc_stream_close(dead_w);
    xipc_stream_close(NULL);

    CHECK_RC(xipc_handle_export(NULL, text, sizeof text), XIPC_EINVAL);
    CHECK_RC(xipc_handle_export(xipc_stream_handle(rd), NULL, 10), XIPC_EINVAL);
    CHECK_RC(xipc_handle_export(xipc_stream_handle(rd), text, 0), XIPC_EINVAL);
    CHECK_RC(xipc_handle_export(xipc_stream_handle(rd), text, 4), XIPC_ENAMETOOLONG);
    CHECK(xipc_stream_handle(NULL) == NULL);

    CHECK_RC(xipc_stream_import(NULL, &rd), XIPC_EINVAL);
    CHECK_RC(xipc_stream_import("xipc1:stream:r:3", NULL), XIPC_EINVAL);
    check_import_rejects("");
    check_import_rejects("garbage");
    check_import_rejects("xipc1:stream:r:");
    check_import_rejects("xipc1:stream:x:5");
    check_import_rejects("xipc1:stream:r:05");
    check_import_rejects("xipc1:stream:r:-1");
    check_import_rejects("xipc1:stream:r:5x");
    check_import_rejects("xipc1:stream:r:99999999999999999999999");
    check_import_rejects("xipc1:proc:r:5");
    check_import_rejects("xipc2:stream:r:5");
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

void
xt_test_pipe_no_handle_leak(void)
{
    xipc_stream *rd, *wr;
    char c;
    xt_warm_up();
    int before = xt_os_handle_count();
    CHECK(before > 0);
    for (int i = 0; i < 50; i++) {
        CHECK_OK(xipc_pipe(0, &rd, &wr));
        xt_write_all(wr, "k", 1, 0);
        xt_read_exact(rd, &c, 1, 0);
        xipc_stream_close(wr);
        xt_expect_eof(rd, 0);
        xipc_stream_close(rd);
    }
    /* Spawning with inherited streams and waiting leaves nothing behind either. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_proc *p = spawn_with_streams("pipe_write_and_exit", &wr, 1);
    xipc_stream_close(wr);
    char *out = xt_read_to_eof(rd, &(size_t) { 0 }, XT_CHILD_TIMEOUT_MS);
    CHECK_STR(out, "hello");
    free(out);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
    CHECK_EQ(xt_os_handle_count(), before);
}

/* ---- read_exact and a write without put --------------------------------------------------- */

#define XT_PIECES_BYTES 100000
#define XT_PIECES_TAIL  5

/* Writes XT_PIECES_BYTES of the pattern in uneven pieces, each with put NULL, pausing now and
 * then so that the reader's OS reads return short, then XT_PIECES_TAIL more bytes, and exits
 * without closing. */
int
xt_child_pipe_write_pieces(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]);
    static unsigned char buf[XT_PIECES_BYTES + XT_PIECES_TAIL];
    size_t sent = 0, step = 1;
    (void)argc;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = xt_pattern(i);
    while (sent < XT_PIECES_BYTES) {
        size_t n = (step * 2713) % 9000 + 1;
        if (n > XT_PIECES_BYTES - sent)
            n = XT_PIECES_BYTES - sent;
        CHECK_OK(xipc_stream_write(w, buf + sent, n, NULL, XT_CHILD_TIMEOUT_MS));
        sent += n;
        if (step++ % 8 == 0)
            xt_os_sleep_ms(2);
    }
    CHECK_OK(xipc_stream_write(w, buf + sent, XT_PIECES_TAIL, NULL, XT_CHILD_TIMEOUT_MS));
    return 0;
}

void
xt_test_pipe_read_exact_across_processes(void)
{
    xipc_stream *rd, *wr;
    static unsigned char buf[XT_PIECES_BYTES + 16];
    size_t got = 1;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_proc *p = spawn_with_streams("pipe_write_pieces", &wr, 1);
    xipc_stream_close(wr);

    /* One call gathers every piece. */
    CHECK_OK(xipc_stream_read_exact(rd, buf, XT_PIECES_BYTES, &got, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(got, XT_PIECES_BYTES);
    for (size_t i = 0; i < XT_PIECES_BYTES; i++)
        if (buf[i] != xt_pattern(i))
            xt_fail(__FILE__, __LINE__, "byte %zu differs", i);
    /* The stream ends before the next 10: XIPC_ECLOSED, and got says how many came. */
    CHECK_RC(xipc_stream_read_exact(rd, buf, 10, &got, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    CHECK_EQ(got, XT_PIECES_TAIL);
    for (size_t i = 0; i < XT_PIECES_TAIL; i++)
        CHECK_EQ(buf[i], xt_pattern(XT_PIECES_BYTES + i));
    CHECK_RC(xipc_stream_read_exact(rd, buf, 1, &got, 0), XIPC_ECLOSED);
    CHECK_EQ(got, 0);
    CHECK_RC(xipc_stream_read_exact(rd, buf, 1, NULL, 0), XIPC_ECLOSED);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
}

void
xt_test_pipe_read_exact_timeout_and_bad_input(void)
{
    xipc_stream *rd, *wr;
    char buf[8];
    size_t got = 9;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_stream_write(wr, "abc", 3, NULL, 0));

    /* One deadline for the whole call: the 3 bytes there, then a wait of 200 ms for the rest. */
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_stream_read_exact(rd, buf, 8, &got, 200), XIPC_ETIMEDOUT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 200);
    CHECK_LT(waited, 200 + XT_SLACK_MS);
    CHECK_EQ(got, 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    /* A timeout of 0 takes what is there without waiting. */
    CHECK_OK(xipc_stream_write(wr, "defg", 4, NULL, 0));
    CHECK_OK(xipc_stream_read_exact(rd, buf, 4, &got, 0));
    CHECK_EQ(got, 4);
    CHECK(memcmp(buf, "defg", 4) == 0);
    CHECK_RC(xipc_stream_read_exact(rd, buf, 1, &got, 0), XIPC_ETIMEDOUT);
    CHECK_EQ(got, 0);

    got = 9;
    CHECK_OK(xipc_stream_read_exact(rd, NULL, 0, &got, 0)); /* nothing to read */
    CHECK_EQ(got, 0);
    CHECK_RC(xipc_stream_read_exact(NULL, buf, 1, &got, 0), XIPC_EINVAL);
    CHECK_RC(xipc_stream_read_exact(rd, NULL, 1, &got, 0), XIPC_EINVAL);
    CHECK_RC(xipc_stream_read_exact(rd, buf, 1, &got, -2), XIPC_EINVAL);
    CHECK_RC(xipc_stream_read_exact(wr, buf, 1, &got, 0), XIPC_EINVAL); /* the write end */
    xipc_stream_close(rd);
    xipc_stream_close(wr);
    CHECK_RC(xipc_stream_read_exact(rd, buf, 1, &got, 0), XIPC_EBADF);
    /* A write with put NULL still reports failures: the reader is gone. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_stream_close(rd);
    CHECK_RC(xipc_stream_write(wr, "x", 1, NULL, 0), XIPC_EPIPE);
    xipc_stream_close(wr);
}

/* ---- adopting a native, and a portable sleep ------------------------------------------------ */

/* Adopts its inherited stdin (a pipe the test writes) as a stream, checks the refusals, and
 * reads "adopt me" and the end through it. */
int
xt_child_pipe_adopt_stdin(int argc, char **argv)
{
    xipc_stream *in = NULL, *again = (xipc_stream *)&in;
    char buf[16];
    size_t got = 0;
    (void)argc;
    (void)argv;
    intptr_t native = xt_os_stdin_native();
    CHECK_RC(xipc_stream_adopt_native(native, 0, &in), XIPC_EINVAL);
    CHECK_RC(xipc_stream_adopt_native(native, 0x1u, &in), XIPC_EINVAL);
    CHECK_RC(xipc_stream_adopt_native(native, XIPC_STREAM_READ, NULL), XIPC_EINVAL);
    CHECK_OK(xipc_stream_adopt_native(native, XIPC_STREAM_READ, &in));
    /* A second owner would close it under the first. */
    CHECK_RC(xipc_stream_adopt_native(native, XIPC_STREAM_READ, &again), XIPC_EEXIST);
    CHECK(again == NULL);
    CHECK_EQ(xt_os_native_inheritable(native), 0);
    CHECK_RC(xipc_stream_write(in, "x", 1, NULL, 0), XIPC_EINVAL); /* asserted read-only */
    CHECK_OK(xipc_stream_read_exact(in, buf, 8, &got, XT_CHILD_TIMEOUT_MS));
    CHECK(memcmp(buf, "adopt me", 8) == 0);
    CHECK_RC(xipc_stream_read_exact(in, buf, 1, &got, XT_CHILD_TIMEOUT_MS), XIPC_ECLOSED);
    xipc_stream_close(in);
    return 0;
}

void
xt_test_pipe_adopt_native_stdin_and_refusals(void)
{
    xipc_stream *rd, *wr, *s = NULL;
    xipc_stdio io[3] = { { XIPC_STDIO_STREAM, NULL, NULL }, { 0, NULL, NULL }, { 0, NULL, NULL } };
    const char *what = NULL;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    io[0].stream = rd;
    xipc_proc *p = xt_spawn_child("pipe_adopt_stdin", NULL, io, NULL, 0);
    xipc_stream_close(rd);
    CHECK_OK(xipc_stream_write(wr, "adopt me", 8, NULL, XT_CHILD_TIMEOUT_MS));
    xipc_stream_close(wr);
    xt_expect_exit(p, 0);

    /* Here: a native that is not a stream, and one that is not open. */
    intptr_t odd = xt_os_open_non_stream_native(0, &what);
    CHECK_RC(xipc_stream_adopt_native(odd, XIPC_STREAM_READ, &s), XIPC_EINVAL);
    CHECK(s == NULL);
    xt_os_close_native(odd);
    CHECK_RC(xipc_stream_adopt_native(odd, XIPC_STREAM_READ, &s), XIPC_EBADF);
    /* A native an xipc stream holds already. */
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    intptr_t held = 0;
    CHECK_OK(xipc_handle_native(xipc_stream_handle(rd), &held));
    CHECK_RC(xipc_stream_adopt_native(held, XIPC_STREAM_READ, &s), XIPC_EEXIST);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

void
xt_test_base_sleep_ms(void)
{
    uint64_t t0 = xt_os_now_ms();
    xipc_sleep_ms(120);
    uint64_t slept = xt_os_now_ms() - t0;
    CHECK_GE(slept, 119); /* the test's clock may round the other way by a millisecond */
    CHECK_LT(slept, 120 + XT_SLACK_MS);
    xipc_sleep_ms(0);
}

/* ---- XIPC_STDIO_PIPE ends in an xipc child ------------------------------------------------ */

/* A child given XIPC_STDIO_PIPE ends takes them as streams with timeouts like any other: on
 * Windows they are synchronous pipe ends, which xipc_stream_stdio reads and writes in the
 * calling thread, a timed read cut by CancelSynchronousIo; the parent's ends are ordinary
 * streams. */
void
xt_test_pipe_stdio_pipe_ends_in_an_xipc_child(void)
{
    xipc_stream *err = NULL;
    struct stdio_peer p = { NULL, NULL, NULL };
    xipc_stdio io[3] = { { XIPC_STDIO_PIPE, NULL, &p.in }, { XIPC_STDIO_PIPE, NULL, &p.out },
        { XIPC_STDIO_PIPE, NULL, &err } };
    const char *args[] = { "full", NULL };
    char e;
    xipc_proc *child = xt_spawn_child("pipe_stdio_stream_echo", args, io, NULL, 0);
    exchange_with_stdio_echo(&p); /* closes p.in */
    xt_read_exact(err, &e, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(e, 'E');
    xt_expect_eof(err, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(child, 0);
    xipc_stream_close(p.out);
    xipc_stream_close(err);
}

/* ---- waits without a limit on a description someone made non-blocking ----------------------- */

/* POSIX pipe ends stay blocking, and a read or write without a time limit waits in the plain
 * blocking call; another program sharing the description may make it O_NONBLOCK, and then that
 * call says EAGAIN: xipc must wait all the same, not fail or spin. */
void
xt_test_pipe_forever_waits_on_a_description_made_nonblocking(void)
{
    xipc_stream *rd = NULL, *wr = NULL;
    intptr_t native = 0;
    size_t got = 0;
    char c = 0;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_handle_native(xipc_stream_handle(rd), &native));
    if (!xt_os_make_description_nonblocking(native)) {
        xipc_stream_close(rd);
        xipc_stream_close(wr);
        XT_SKIP("a Windows pipe end's mode is fixed when it is opened: nothing to change");
    }
    xipc_proc *p = spawn_with_streams("pipe_sleep_then_write", &wr, 1);
    uint64_t t0 = xt_os_now_ms(), cpu0 = xt_os_cpu_ms();
    CHECK_OK(xipc_stream_read(rd, &c, 1, &got, XIPC_FOREVER));
    CHECK_EQ(got, 1);
    CHECK_EQ(c, 'z');
    CHECK_GE(xt_os_now_ms() - t0, 250);
    /* It slept: a wait that spun on EAGAIN would have used the ~300 ms it waited. */
    CHECK_LT(xt_os_cpu_ms() - cpu0, 150);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}
