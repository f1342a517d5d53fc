/* tests/test_proc.c: spawn, wait, kill, argv/env/cwd/stdio and inheritance, each across real
 * processes (this binary re-executed as the child). */
#include "xt.h"

/* A stdio set: stdin, stdout, stderr. */
static void
stdio_set(xipc_stdio io[3], xipc_stream *in, xipc_stream *out, xipc_stream *err)
{
    xipc_stream *s[3] = { in, out, err };
    for (int i = 0; i < 3; i++) {
        io[i].mode = s[i] ? XIPC_STDIO_STREAM : XIPC_STDIO_INHERIT;
        io[i].stream = s[i];
        io[i].pipe_end = NULL;
    }
}

/* Spawns opts with the child's stdout on a pipe; returns everything it printed once it exited
 * with code 0. */
static char *
capture_stdout(xipc_spawn_opts *opts)
{
    xipc_stream *rd, *wr;
    xipc_proc *p = NULL;
    size_t len;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    opts->stdio[1].mode = XIPC_STDIO_STREAM;
    opts->stdio[1].stream = wr;
    CHECK_OK(xipc_spawn(opts, &p));
    xipc_stream_close(wr);
    opts->stdio[1].mode = XIPC_STDIO_INHERIT;
    opts->stdio[1].stream = NULL;
    char *out = xt_read_to_eof(rd, &len, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
    return out;
}

static char *
run_and_capture(const char *role, const char *const *args)
{
    const char *argv[32];
    xipc_spawn_opts opts = xt_child_opts(argv, role, args);
    return capture_stdout(&opts);
}

/* ---- exit codes, crash, kill ---------------------------------------------------------------- */

int
xt_child_proc_exit_with(int argc, char **argv)
{
    return argc > 1 ? atoi(argv[1]) : 2;
}

void
xt_test_proc_exit_codes(void)
{
    static const char *const codes[] = { "0", "1", "255" };
    for (size_t i = 0; i < 3; i++) {
        const char *args[] = { codes[i], NULL };
        xt_expect_exit(xt_spawn_child("proc_exit_with", args, NULL, NULL, 0), atoi(codes[i]));
    }
}

int
xt_child_proc_crash(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    xt_os_crash();
    return 0;
}

void
xt_test_proc_crash_reported(void)
{
    xipc_stdio io[3] = { { XIPC_STDIO_NULL, NULL, NULL }, { XIPC_STDIO_NULL, NULL, NULL },
        { XIPC_STDIO_NULL, NULL, NULL } };
    xipc_proc *p = xt_spawn_child("proc_crash", NULL, io, NULL, 0);
    xipc_exit_status st = { 0, 0 };
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_CRASHED);
    /* SIGSEGV (11) on POSIX, STATUS_ACCESS_VIOLATION on Windows. */
    CHECK(st.code == 11 || st.code == 0xC0000005u);
    xipc_proc_close(p);
}

int
xt_child_proc_block_on_stdin(int argc, char **argv)
{
    char c;
    (void)argc;
    (void)argv;
    /* Blocks until the parent writes or closes; the test kills us first. */
    return fread(&c, 1, 1, stdin) == 1 ? 3 : 4;
}

void
xt_test_proc_wait_timeout_then_kill(void)
{
    xipc_stream *rd, *wr;
    xipc_stdio io[3];
    xipc_exit_status st = { 0, 0 };
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    stdio_set(io, rd, NULL, NULL);
    xipc_proc *p = xt_spawn_child("proc_block_on_stdin", NULL, io, NULL, 0);
    xipc_stream_close(rd);

    CHECK_RC(xipc_proc_wait(p, &st, 0), XIPC_ETIMEDOUT);
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_proc_wait(p, &st, 150), XIPC_ETIMEDOUT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 150);
    CHECK_LT(waited, 150 + XT_SLACK_MS);

    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_KILLED);
    /* Killing an ended child is not an error, and waiting again gives the same status. */
    CHECK_OK(xipc_proc_kill(p));
    st.kind = 0;
    CHECK_OK(xipc_proc_wait(p, &st, 0));
    CHECK_EQ(st.kind, XIPC_EXIT_KILLED);
    xipc_proc_close(p);
    xipc_stream_close(wr);
}

int
xt_child_proc_print_pid(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("%llu", (unsigned long long)xipc_self_pid());
    return 0;
}

void
xt_test_proc_pid_matches_child(void)
{
    xipc_stream *rd, *wr;
    xipc_stdio io[3];
    uint64_t pid = 0;
    size_t len;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    stdio_set(io, NULL, wr, NULL);
    xipc_proc *p = xt_spawn_child("proc_print_pid", NULL, io, NULL, 0);
    xipc_stream_close(wr);
    CHECK_OK(xipc_proc_pid(p, &pid));
    CHECK(pid != 0 && pid != xipc_self_pid());
    char *out = xt_read_to_eof(rd, &len, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(strtoull(out, NULL, 10), pid);
    free(out);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
}

/* ---- argv, env, cwd ------------------------------------------------------------------------- */

int
xt_child_proc_print_args(int argc, char **argv)
{
    /* Each argument as "<length>:<bytes>\n", so empty and odd arguments stay visible. */
    for (int i = 1; i < argc; i++)
        printf("%zu:%s\n", strlen(argv[i]), argv[i]);
    return 0;
}

void
xt_test_proc_argv_exact(void)
{
    static const char *const args[] = {
        "plain",
        "with space",
        "tab\there",
        "quote\"inside",
        "\"",
        "back\\slash",
        "two\\\\backslashes\\\\\"then quote",
        "trailing backslash\\",
        "trailing\\\\",
        "",
        "\\\\server\\share\\",
        "na\xc3\xafve \xc3\xbcnic\xc3\xb6"
        "de \xe6\x97\xa5\xe6\x9c\xac",
        "--child",
        NULL,
    };
    char expect[1024] = "", line[256];
    for (size_t i = 0; args[i] != NULL; i++) {
        snprintf(line, sizeof line, "%zu:%s\n", strlen(args[i]), args[i]);
        strcat(expect, line);
    }
    char *out = run_and_capture("proc_print_args", args);
    CHECK_STR(out, expect);
    free(out);
}

int
xt_child_proc_print_env(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *v = xt_os_getenv(argv[i]);
        printf("%s=%s\n", argv[i], v ? v : "(unset)");
        free(v);
    }
    return 0;
}

static char *
capture_env(const char *const *env, unsigned flags, const char *const *names)
{
    const char *argv[8];
    xipc_spawn_opts opts = xt_child_opts(argv, "proc_print_env", names);
    opts.env = env;
    opts.flags |= flags;
    return capture_stdout(&opts);
}

void
xt_test_proc_env_overlay_and_clear(void)
{
    static const char *const names[] = { "XT_SET", "XT_DROP", "XT_KEEP", NULL };
    static const char *const overlay[] = { "XT_SET=value with spaces \xc3\xbc", "XT_DROP", NULL };
    static const char *const only[] = { "XT_SET=only", NULL };
    xt_os_setenv("XT_DROP", "parent");
    xt_os_setenv("XT_KEEP", "kept");

    char *out = capture_env(overlay, 0, names);
    CHECK_STR(out, "XT_SET=value with spaces \xc3\xbc\nXT_DROP=(unset)\nXT_KEEP=kept\n");
    free(out);

    out = capture_env(only, XIPC_SPAWN_CLEAR_ENV, names);
    CHECK_STR(out, "XT_SET=only\nXT_DROP=(unset)\nXT_KEEP=(unset)\n");
    free(out);

    /* NULL env: exactly the parent's. */
    out = capture_env(NULL, 0, names);
    CHECK_STR(out, "XT_SET=(unset)\nXT_DROP=parent\nXT_KEEP=kept\n");
    free(out);
}

int
xt_child_proc_print_cwd(int argc, char **argv)
{
    char cwd[4096];
    (void)argc;
    (void)argv;
    if (xt_os_getcwd(cwd, sizeof cwd) != 0)
        return 5;
    printf("%s", cwd);
    return 0;
}

/* Compares two directory names, ignoring a trailing separator (and case where paths fold). */
static bool
same_dir(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && (a[la - 1] == '/' || a[la - 1] == '\\'))
        la--;
    while (lb > 1 && (b[lb - 1] == '/' || b[lb - 1] == '\\'))
        lb--;
    if (la != lb)
        return false;
    for (size_t i = 0; i < la; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (xt_os_paths_fold_case() && x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (xt_os_paths_fold_case() && y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return false;
    }
    return true;
}

void
xt_test_proc_cwd(void)
{
    char dir[4096], parent_cwd[4096];
    const char *argv[4];
    xipc_spawn_opts opts = xt_child_opts(argv, "proc_print_cwd", NULL);
    xipc_proc *p = NULL;
    /* A directory that exists on both platforms and is not ours: the one above this binary's
     * (ctest runs the test in the binary's own directory), or the binary's if we run above. */
    CHECK(xt_os_getcwd(parent_cwd, sizeof parent_cwd) == 0);
    snprintf(dir, sizeof dir, "%s", xt_os_self_exe());
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(dir, '/'), *bslash = strrchr(dir, '\\');
        *(slash > bslash ? slash : bslash) = '\0';
        if (up == 0 && !same_dir(parent_cwd, dir))
            break;
    }
    CHECK(!same_dir(parent_cwd, dir));
    opts.cwd = dir;
    char *out = capture_stdout(&opts);
    if (!same_dir(out, dir))
        xt_fail(__FILE__, __LINE__, "child cwd \"%s\", wanted \"%s\"", out, dir);
    free(out);
    /* The parent's own directory did not move. */
    CHECK(xt_os_getcwd(dir, sizeof dir) == 0);
    CHECK(same_dir(dir, parent_cwd));

    /* A missing directory is XIPC_ENOENT, and no child is left. */
    strcat(dir, "/no-such-dir-xipc");
    opts.cwd = dir;
    CHECK_RC(xipc_spawn(&opts, &p), XIPC_ENOENT);
    CHECK(p == NULL);
}

/* ---- stdio ---------------------------------------------------------------------------------- */

/* argv: optionally a ready/go channel's two ends, on which it says "ready" before it reads.
 * Echoes its stdin to stdout as "out:N:TEXT" and says "err:N" on stderr. */
int
xt_child_proc_stdio_echo(int argc, char **argv)
{
    char buf[256];
    size_t n = 0, r;
    if (argc > 2) {
        xt_channel ch;
        xt_channel_import(&ch, argv[1], argv[2]);
        xt_channel_ready(&ch);
        xt_channel_close(&ch);
    }
    while ((r = fread(buf + n, 1, sizeof buf - 1 - n, stdin)) > 0)
        n += r;
    buf[n] = '\0';
    printf("out:%zu:%s", n, buf);
    fprintf(stderr, "err:%zu", n);
    return 0;
}

void
xt_test_proc_stdio_streams_and_null(void)
{
    xipc_stream *in_r, *in_w, *out_r, *out_w, *err_r, *err_w;
    xipc_stdio io[3];
    size_t len;
    CHECK_OK(xipc_pipe(0, &in_r, &in_w));
    CHECK_OK(xipc_pipe(0, &out_r, &out_w));
    CHECK_OK(xipc_pipe(0, &err_r, &err_w));
    stdio_set(io, in_r, out_w, err_w);
    xipc_proc *p = xt_spawn_child("proc_stdio_echo", NULL, io, NULL, 0);
    xipc_stream_close(in_r);
    xipc_stream_close(out_w);
    xipc_stream_close(err_w);
    xt_write_all(in_w, "hello", 5, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(in_w);
    char *out = xt_read_to_eof(out_r, &len, XT_CHILD_TIMEOUT_MS);
    char *err = xt_read_to_eof(err_r, &len, XT_CHILD_TIMEOUT_MS);
    CHECK_STR(out, "out:5:hello");
    CHECK_STR(err, "err:5");
    free(out);
    free(err);
    xt_expect_exit(p, 0);
    xipc_stream_close(out_r);
    xipc_stream_close(err_r);

    /* stdin and stderr on the null device: end of input at once, output discarded. */
    CHECK_OK(xipc_pipe(0, &out_r, &out_w));
    io[0].mode = XIPC_STDIO_NULL;
    io[0].stream = NULL;
    io[1].mode = XIPC_STDIO_STREAM;
    io[1].stream = out_w;
    io[2].mode = XIPC_STDIO_NULL;
    io[2].stream = NULL;
    p = xt_spawn_child("proc_stdio_echo", NULL, io, NULL, 0);
    xipc_stream_close(out_w);
    out = xt_read_to_eof(out_r, &len, XT_CHILD_TIMEOUT_MS);
    CHECK_STR(out, "out:0:");
    free(out);
    xt_expect_exit(p, 0);
    xipc_stream_close(out_r);
}

int
xt_child_proc_say(int argc, char **argv)
{
    printf("%s", argc > 1 ? argv[1] : "");
    return 0;
}

int
xt_child_proc_spawn_inherit(int argc, char **argv)
{
    const char *args[] = { "from grandchild", NULL };
    (void)argc;
    (void)argv;
    /* The grandchild inherits our stdout, which is the test's pipe. */
    xt_expect_exit(xt_spawn_child("proc_say", args, NULL, NULL, 0), 0);
    return 0;
}

void
xt_test_proc_stdio_inherit(void)
{
    char *out = run_and_capture("proc_spawn_inherit", NULL);
    CHECK_STR(out, "from grandchild");
    free(out);
}

/* ---- failures ------------------------------------------------------------------------------- */

void
xt_test_proc_missing_program(void)
{
    const char *argv[] = { "xipc-no-such-program", NULL };
    char path[4096];
    xipc_spawn_opts opts = { 0 };
    xipc_proc *p = NULL;
    xt_warm_up();
    int before = xt_os_handle_count();
    opts.argv = argv;
    opts.file = "xipc-no-such-program";
    CHECK_RC(xipc_spawn(&opts, &p), XIPC_ENOENT);
    CHECK(p == NULL);
    /* An absolute path in an existing directory. */
    snprintf(path, sizeof path, "%s-no-such-program", xt_os_self_exe());
    opts.file = path;
    CHECK_RC(xipc_spawn(&opts, &p), XIPC_ENOENT);
    CHECK(p == NULL);
    CHECK_EQ(xt_os_handle_count(), before);
}

/* The grandchild: keeps the inherited write end open and blocks; it must die with its parent. */
int
xt_child_proc_hold_and_block(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]);
    (void)argc;
    xt_write_all(w, "g", 1, XT_CHILD_TIMEOUT_MS);
    for (;;)
        xt_os_sleep_ms(1000);
}

int
xt_child_proc_spawn_grandchild_then_block(int argc, char **argv)
{
    xipc_stream *w = xt_import(argv[1]);
    const char *args[] = { argv[1], NULL };
    xipc_handle *h = xipc_stream_handle(w);
    (void)argc;
    /* xt_spawn_child sets XIPC_SPAWN_DIE_WITH_PARENT: the grandchild dies with us. */
    (void)xt_spawn_child("proc_hold_and_block", args, NULL, &h, 1);
    xt_write_all(w, "c", 1, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(w);
    for (;;)
        xt_os_sleep_ms(1000);
}

void
xt_test_proc_die_with_parent(void)
{
    xipc_stream *rd, *wr;
    char text[XIPC_HANDLE_TEXT_MAX], got[2];
    xipc_exit_status st;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xt_export(wr, text);
    const char *args[] = { text, NULL };
    xipc_handle *h = xipc_stream_handle(wr);
    xipc_proc *p = xt_spawn_child("proc_spawn_grandchild_then_block", args, NULL, &h, 1);
    xipc_stream_close(wr);
    /* Both hold the write end once "c" and "g" arrived, in either order. */
    xt_read_exact(rd, got, 2, XT_CHILD_TIMEOUT_MS);
    CHECK((got[0] == 'c' && got[1] == 'g') || (got[0] == 'g' && got[1] == 'c'));
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_KILLED);
    xipc_proc_close(p);
    /* End of stream means the grandchild, the last writer, is gone too. */
    xt_expect_eof(rd, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(rd);
}

static void
check_spawn_rejects(const xipc_spawn_opts *opts, int want)
{
    xipc_proc *p = (xipc_proc *)&p; /* not NULL, to see it cleared */
    CHECK_RC(xipc_spawn(opts, &p), want);
    CHECK(p == NULL);
}

void
xt_test_proc_bad_input(void)
{
    const char *argv[] = { "x", NULL }, *no_argv0[] = { NULL }, *bad_env[] = { "", NULL };
    xipc_stream *rd, *wr, *closed_r, *closed_w;
    xipc_spawn_opts good = { 0 }, o;
    xipc_exit_status st;
    uint64_t pid;
    good.file = xt_os_self_exe();
    good.argv = argv;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_pipe(0, &closed_r, &closed_w));
    xipc_stream_close(closed_r);
    xipc_handle *closed_h = xipc_stream_handle(closed_r);

    CHECK_RC(xipc_spawn(NULL, NULL), XIPC_EINVAL);
    check_spawn_rejects(NULL, XIPC_EINVAL);
    o = good, o.file = NULL, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.file = "", check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.argv = NULL, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.argv = no_argv0, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.flags = 0x80, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.cwd = "", check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.env = bad_env, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.stdio[1].mode = 7, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.stdio[1].mode = XIPC_STDIO_STREAM, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.stdio[1].stream = wr, check_spawn_rejects(&o, XIPC_EINVAL); /* mode INHERIT */
    /* stdin must be readable, stdout writable. */
    o = good, o.stdio[0].mode = XIPC_STDIO_STREAM, o.stdio[0].stream = wr;
    check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.stdio[1].mode = XIPC_STDIO_STREAM, o.stdio[1].stream = rd;
    check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.stdio[1].mode = XIPC_STDIO_STREAM, o.stdio[1].stream = closed_w;
    xipc_stream_close(closed_w);
    check_spawn_rejects(&o, XIPC_EBADF);
    o = good, o.handle_count = 1, check_spawn_rejects(&o, XIPC_EINVAL); /* handles NULL */
    o = good, o.handles = &closed_h, o.handle_count = 1, check_spawn_rejects(&o, XIPC_EBADF);

    CHECK_RC(xipc_proc_wait(NULL, &st, 0), XIPC_EINVAL);
    CHECK_RC(xipc_proc_kill(NULL), XIPC_EINVAL);
    CHECK_RC(xipc_proc_pid(NULL, &pid), XIPC_EINVAL);
    /* A stream is not a process. */
    CHECK_RC(xipc_proc_wait((xipc_proc *)(void *)rd, &st, 0), XIPC_EINVAL);

    const char *exit_args[] = { "0", NULL };
    xipc_proc *p = xt_spawn_child("proc_exit_with", exit_args, NULL, NULL, 0);
    CHECK_RC(xipc_proc_wait(p, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_proc_wait(p, &st, -2), XIPC_EINVAL);
    CHECK_RC(xipc_proc_pid(p, NULL), XIPC_EINVAL);
    xt_expect_exit(p, 0);
    /* A closed process handle. */
    CHECK_RC(xipc_proc_wait(p, &st, 0), XIPC_EBADF);
    CHECK_RC(xipc_proc_kill(p), XIPC_EBADF);
    xipc_proc_close(p); /* a second close is a no-op */
    xipc_proc_close(NULL);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

/* Handles of the kinds that cannot reach a child (a process; named-pipe servers and message pipes
 * can, test_npipe.c): xipc_spawn says XIPC_ENOTSUP, as xipc_handle_export does for them, and
 * starts nothing. */
void
xt_test_proc_unpassable_kinds_are_enotsup(void)
{
    const char *argv[8];
    const char *exit_args[] = { "0", NULL };
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc_proc *child = xt_spawn_child("proc_exit_with", exit_args, NULL, NULL, 0);
    xipc_handle *kinds[] = { xipc_proc_handle(child) };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        xipc_spawn_opts o = xt_child_opts(argv, "proc_exit_with", exit_args);
        o.handles = &kinds[i];
        o.handle_count = 1;
        check_spawn_rejects(&o, XIPC_ENOTSUP);
        CHECK_RC(xipc_handle_export(kinds[i], text, sizeof text), XIPC_ENOTSUP);
    }
    xt_expect_exit(child, 0);
}

/* ---- SIGCHLD ignored ------------------------------------------------------------------------ */

/* How the child's statuses must come out where the OS reaped the child on its own: the status
 * itself where the kernel keeps it for pidfd holders, else XIPC_ECHILD, never another code. */
static void
expect_status_or_echild(xipc_proc *p, int kind, uint32_t code, bool kept)
{
    xipc_exit_status st = { 0, 0 };
    for (int round = 0; round < 2; round++) { /* a second wait must say the same */
        int rc = xipc_proc_wait(p, &st, round == 0 ? XT_CHILD_TIMEOUT_MS : 0);
        if (!kept) {
            CHECK_RC(rc, XIPC_ECHILD);
            continue;
        }
        CHECK_OK(rc);
        CHECK_EQ(st.kind, kind);
        CHECK_EQ(st.code, code);
    }
}

/* A proc_block_on_stdin child whose stdin is a pipe; *wr is its other end: closing it makes the
 * child exit 4. */
static xipc_proc *
spawn_blocked_on_pipe(xipc_stream **wr)
{
    xipc_stream *rd;
    xipc_stdio io[3];
    CHECK_OK(xipc_pipe(0, &rd, wr));
    stdio_set(io, rd, NULL, NULL);
    xipc_proc *p = xt_spawn_child("proc_block_on_stdin", NULL, io, NULL, 0);
    xipc_stream_close(rd);
    return p;
}

/* argv[1]: "ignore" or "nocldwait": SIGCHLD lets the OS discard statuses before the spawns; a
 * grandchild's exit code 7 and a kill must still be reported. "after": SIGCHLD becomes ignored
 * while the grandchild runs; its exit code 4 must be reported. argv[2]: "kept" where the kernel
 * keeps such statuses for pidfd holders, else "lost" (they must be XIPC_ECHILD then). */
int
xt_child_proc_sigchld_ignored_wait(int argc, char **argv)
{
    const char *exit_args[] = { "7", NULL };
    bool kept = strcmp(argv[2], "kept") == 0;
    xipc_stream *wr;
    xipc_proc *p;
    (void)argc;
    if (strcmp(argv[1], "after") == 0) {
        p = spawn_blocked_on_pipe(&wr);
        CHECK_OK(xt_os_sigchld_discard(XT_SIGCHLD_IGNORE));
        xipc_stream_close(wr); /* the grandchild reads end of input and exits 4 */
        expect_status_or_echild(p, XIPC_EXIT_NORMAL, 4, kept);
        CHECK_OK(xipc_proc_kill(p)); /* ended: not an error, and no signal to a reused pid */
        xipc_proc_close(p);
        return 0;
    }
    CHECK_OK(xt_os_sigchld_discard(
        strcmp(argv[1], "ignore") == 0 ? XT_SIGCHLD_IGNORE : XT_SIGCHLD_NOCLDWAIT));
    p = xt_spawn_child("proc_exit_with", exit_args, NULL, NULL, 0);
    expect_status_or_echild(p, XIPC_EXIT_NORMAL, 7, kept);
    xipc_proc_close(p);
    p = spawn_blocked_on_pipe(&wr);
    CHECK_OK(xipc_proc_kill(p));
    expect_status_or_echild(p, XIPC_EXIT_KILLED, 0, kept);
    CHECK_OK(xipc_proc_kill(p));
    xipc_proc_close(p);
    xipc_stream_close(wr);
    return 0;
}

/* A program that ignores SIGCHLD lets the kernel reap its children and discard their statuses;
 * xipc_proc_wait must still give them where the kernel keeps them for a pidfd, and say
 * XIPC_ECHILD, always, where it does not. */
void
xt_test_proc_wait_with_sigchld_ignored(void)
{
    static const char *const modes[] = { "ignore", "nocldwait", "after" };
    if (xt_os_sigchld_discard(XT_SIGCHLD_QUERY) != 0)
        XT_SKIP("Windows has no SIGCHLD: an exit code stays readable while a handle is open");
    const char *kept = xt_os_kernel_keeps_reaped_status() ? "kept" : "lost";
    printf("this kernel %s the statuses of children it reaped on its own\n",
        kept[0] == 'k' ? "keeps" : "does not keep");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const char *args[] = { modes[i], kept, NULL };
        xt_expect_exit(xt_spawn_child("proc_sigchld_ignored_wait", args, NULL, NULL, 0), 0);
    }
}

/* ---- handles fetched by index (xipc_<kind>_inherited) --------------------------------------- */

/* A grandchild spawned without handles: its parent's numbered handles are not its own. */
int
xt_child_proc_inherited_none(int argc, char **argv)
{
    xipc_stream *s = NULL;
    (void)argc;
    (void)argv;
    CHECK_EQ(xipc_inherited_count(), 0);
    CHECK_RC(xipc_stream_inherited(0, &s), XIPC_ENOENT);
    CHECK(s == NULL);
    return 0;
}

/* Gets [0] a pipe's write end, [1] an event, [2] a semaphore by index: writes, waits for the
 * event, posts the semaphore. */
int
xt_child_proc_inherited_user(int argc, char **argv)
{
    xipc_stream *wr = NULL, *s = NULL;
    xipc_event *ev = NULL, *ev2 = NULL;
    xipc_sem *sem = NULL, *sem2 = NULL;
    xipc_mutex *mx = NULL;
    char *set = xt_os_getenv("XT_SET");
    (void)argc;
    (void)argv;
    CHECK_STR(set, "beside the handles");
    free(set);
    CHECK_EQ(xipc_inherited_count(), 3);
    /* Refusals first: a refused fetch leaves the handle for the right one. */
    CHECK_RC(xipc_event_inherited(0, &ev2), XIPC_EINVAL);
    CHECK_RC(xipc_stream_inherited(1, &s), XIPC_EINVAL);
    CHECK_RC(xipc_mutex_inherited(2, &mx), XIPC_EINVAL);
    CHECK_RC(xipc_sem_inherited(3, &sem2), XIPC_ENOENT);
    CHECK_RC(xipc_stream_inherited(SIZE_MAX, &s), XIPC_ENOENT);
    CHECK_RC(xipc_stream_inherited(0, NULL), XIPC_EINVAL);
    CHECK(s == NULL && ev2 == NULL && mx == NULL && sem2 == NULL);
    CHECK_OK(xipc_stream_inherited(0, &wr));
    CHECK_OK(xipc_event_inherited(1, &ev));
    CHECK_OK(xipc_sem_inherited(2, &sem));
    CHECK_RC(xipc_stream_inherited(0, &s), XIPC_EEXIST);
    CHECK_RC(xipc_event_inherited(1, &ev2), XIPC_EEXIST);
    CHECK_RC(xipc_sem_inherited(2, &sem2), XIPC_EEXIST);
    CHECK(s == NULL && ev2 == NULL && sem2 == NULL);
    xt_expect_exit(xt_spawn_child("proc_inherited_none", NULL, NULL, NULL, 0), 0);

    xt_write_all(wr, "by index", 8, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_event_wait(ev, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_sem_post(sem));
    xipc_stream_close(wr);
    xipc_event_close(ev);
    xipc_sem_close(sem);
    return 0;
}

void
xt_test_proc_handles_fetched_by_index(void)
{
    /* The caller's own XIPC_INHERITED gives way to the spawn's; its other entries pass. */
    static const char *const env[] = { "XIPC_INHERITED=xipc1:stream:w:3",
        "XT_SET=beside the handles", NULL };
    const char *argv[8];
    xipc_stream *rd, *wr;
    xipc_event *ev;
    xipc_sem *sem;
    xipc_proc *p = NULL;
    char got[8];
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &sem));
    xipc_handle *pass[] = { xipc_stream_handle(wr), xipc_event_handle(ev), xipc_sem_handle(sem) };
    xipc_spawn_opts opts = xt_child_opts(argv, "proc_inherited_user", NULL);
    opts.env = env;
    opts.handles = pass;
    opts.handle_count = 3;
    CHECK_OK(xipc_spawn(&opts, &p));
    xipc_stream_close(wr);

    xt_read_exact(rd, got, sizeof got, XT_CHILD_TIMEOUT_MS);
    CHECK(memcmp(got, "by index", sizeof got) == 0);
    CHECK_OK(xipc_event_set(ev));
    CHECK_OK(xipc_sem_wait(sem, XT_CHILD_TIMEOUT_MS));
    xt_expect_eof(rd, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(p, 0);
    xipc_stream_close(rd);
    xipc_event_close(ev);
    xipc_sem_close(sem);
}

/* ---- one exit report for a killed process -------------------------------------------------- */

static void
expect_status(xipc_proc *p, int kind, uint32_t code)
{
    xipc_exit_status st = { 0, 0 };
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, kind);
    CHECK_EQ(st.code, code);
}

/* xipc_proc_kill: XIPC_EXIT_KILLED with code 0 on every platform (it was 9 on Linux and
 * 0x58495043 on Windows). */
void
xt_test_proc_kill_reports_killed_with_code_0(void)
{
    xipc_stream *wr;
    xipc_proc *p = spawn_blocked_on_pipe(&wr);
    CHECK_OK(xipc_proc_kill(p));
    expect_status(p, XIPC_EXIT_KILLED, 0);
    expect_status(p, XIPC_EXIT_KILLED, 0); /* the same again */
    xipc_proc_close(p);
    xipc_stream_close(wr);
    /* A child that ended on its own before the kill reports its own end. */
    p = spawn_blocked_on_pipe(&wr);
    xipc_stream_close(wr); /* block_on_stdin exits 4 at the end of its input */
    expect_status(p, XIPC_EXIT_NORMAL, 4);
    CHECK_OK(xipc_proc_kill(p));
    expect_status(p, XIPC_EXIT_NORMAL, 4);
    xipc_proc_close(p);
}

/* Killed by another program: POSIX a crash with the signal's number; Windows the code given to
 * TerminateProcess, a crash when it is an NTSTATUS error, and otherwise an exit with that code,
 * which is all the OS records. */
void
xt_test_proc_killed_from_outside_reports_the_signal_or_code(void)
{
    static const struct {
        int sig; /* POSIX */
        uint32_t code; /* Windows */
        int win_kind;
    } kills[] = {
        { 9, 0xC000013Au, XIPC_EXIT_CRASHED }, /* SIGKILL; STATUS_CONTROL_C_EXIT */
        { 15, 7u, XIPC_EXIT_NORMAL }, /* SIGTERM; a code Windows cannot tell from exit(7) */
    };
    for (size_t i = 0; i < sizeof kills / sizeof kills[0]; i++) {
        xipc_stream *wr;
        uint64_t pid = 0;
        xipc_proc *p = spawn_blocked_on_pipe(&wr);
        CHECK_OK(xipc_proc_pid(p, &pid));
        if (xt_os_kill_with_signal(pid, kills[i].sig) == 0) {
            expect_status(p, XIPC_EXIT_CRASHED, (uint32_t)kills[i].sig);
        } else {
            CHECK_EQ(xt_os_terminate_with_code(pid, kills[i].code), 0);
            expect_status(p, kills[i].win_kind, kills[i].code);
        }
        /* xipc_proc_kill afterwards changes nothing: the child had ended. */
        CHECK_OK(xipc_proc_kill(p));
        xipc_exit_status st = { 0, 0 };
        CHECK_OK(xipc_proc_wait(p, &st, 0));
        CHECK(st.kind != XIPC_EXIT_KILLED);
        xipc_proc_close(p);
        xipc_stream_close(wr);
    }
}

/* ---- XIPC_STDIO_PIPE: standard streams for programs that are not xipc ----------------------- */

/* The records the two-thread writer writes: 32 bytes, "T<thread><o|e><seq, 10 digits>", then
 * letters that depend on all three, then a newline. Small enough that every write of one is
 * atomic on a pipe (PIPE_BUF; one WriteFile), so two writers' records never mix. */
#define STD_RECORD_LEN 32
#define STD_RECORDS    3000 /* per thread and stream: 96 KB, more than a pipe's buffer */

static void
std_record(char rec[STD_RECORD_LEN + 1], int thread, int which, unsigned seq)
{
    int n = snprintf(rec, STD_RECORD_LEN + 1, "T%d%c%010u", thread, which == 1 ? 'o' : 'e', seq);
    for (int i = n; i < STD_RECORD_LEN - 1; i++)
        rec[i] = (char)('a' + (seq * 7 + (unsigned)(i * 3 + thread * 5 + which)) % 26);
    rec[STD_RECORD_LEN - 1] = '\n';
    rec[STD_RECORD_LEN] = '\0';
}

struct std_writer {
    int thread;
    int failed; /* which stream a raw write failed on, or 0 */
};

/* Writes each record to stdout, then to stderr, with raw writes (xt_os_std_write), as many as
 * each write takes. */
static void
std_writer_main(void *arg)
{
    struct std_writer *w = arg;
    char rec[STD_RECORD_LEN + 1];
    for (unsigned seq = 0; seq < STD_RECORDS && w->failed == 0; seq++) {
        for (int which = 1; which <= 2 && w->failed == 0; which++) {
            std_record(rec, w->thread, which, seq);
            for (size_t done = 0; done < STD_RECORD_LEN;) {
                long n = xt_os_std_write(which, rec + done, STD_RECORD_LEN - done);
                if (n <= 0) {
                    w->failed = which;
                    break;
                }
                done += (size_t)n;
            }
        }
    }
}

/* Two threads write to stdout and stderr at once, as a program that is not xipc does. Exits 0,
 * or 3 when a write failed. */
int
xt_child_proc_std_two_writers(int argc, char **argv)
{
    struct std_writer w[2] = { { 0, 0 }, { 1, 0 } };
    xt_os_thread *t[2];
    (void)argc;
    (void)argv;
    for (int i = 0; i < 2; i++)
        CHECK((t[i] = xt_os_thread_start(std_writer_main, &w[i])) != NULL);
    for (int i = 0; i < 2; i++)
        xt_os_thread_join(t[i]);
    return w[0].failed == 0 && w[1].failed == 0 ? 0 : 3;
}

struct std_reader {
    xipc_stream *s;
    int which;
    char *data;
    size_t len;
};

/* Reads the stream to its end in small reads, so that the child's writes keep finding the pipe
 * full and wait: the case where an overlapped handle's completion can be misreported. */
static void
std_reader_main(void *arg)
{
    struct std_reader *r = arg;
    size_t cap = 2 * STD_RECORDS * STD_RECORD_LEN + 4096;
    r->data = malloc(cap);
    r->len = 0;
    xt_os_sleep_ms(300); /* the child fills the pipe first */
    for (;;) {
        size_t got = 0;
        size_t want = cap - r->len < 61 ? cap - r->len : 61;
        if (want == 0 ||
            xipc_stream_read(r->s, r->data + r->len, want, &got, XT_CHILD_TIMEOUT_MS) != 0 ||
            got == 0)
            break;
        r->len += got;
    }
}

/* Each thread's records on the stream, whole, once each and in order, and nothing else. */
static void
check_std_records(const struct std_reader *r)
{
    unsigned next[2] = { 0, 0 };
    char want[STD_RECORD_LEN + 1];
    size_t at = 0;
    for (; at + STD_RECORD_LEN <= r->len; at += STD_RECORD_LEN) {
        const char *rec = r->data + at;
        int thread = rec[1] - '0';
        if ((thread != 0 && thread != 1) || next[thread] >= STD_RECORDS)
            break;
        std_record(want, thread, r->which, next[thread]);
        if (memcmp(rec, want, STD_RECORD_LEN) != 0)
            break;
        next[thread]++;
    }
    if (at != r->len || next[0] != STD_RECORDS || next[1] != STD_RECORDS)
        xt_fail(__FILE__, __LINE__,
            "stream %d: %zu bytes, records stop being right at byte %zu (\"%.32s\"); thread 0 "
            "reached %u, thread 1 %u of %u",
            r->which, r->len, at, at < r->len ? r->data + at : "", next[0], next[1], STD_RECORDS);
}

/* A child that is not xipc writes its stdout and stderr from two threads at once, each thread
 * to both, with raw writes; the parent reads both through XIPC_STDIO_PIPE, slowly, so that the
 * child's writes wait for room. Every record must arrive once, whole and in order per thread,
 * on its stream. On Windows the child's ends are synchronous handles. With overlapped ends (what
 * XIPC_STDIO_STREAM gives, see xipc/proc.h) Microsoft documents that such a write can be
 * reported complete while it is not; Wine 8 fails it instead, with ERROR_IO_PENDING while its
 * bytes are still queued (measured with this test on XIPC_STDIO_STREAM: 5 runs of 10). */
void
xt_test_proc_stdio_pipe_child_writes_from_two_threads(void)
{
    xipc_stream *out = NULL, *err = NULL;
    xipc_stdio io[3] = { { XIPC_STDIO_NULL, NULL, NULL }, { XIPC_STDIO_PIPE, NULL, &out },
        { XIPC_STDIO_PIPE, NULL, &err } };
    struct std_reader r[2] = { { NULL, 1, NULL, 0 }, { NULL, 2, NULL, 0 } };
    xt_os_thread *t[2];
    xt_warm_up();
    int before = xt_os_handle_count();
    xipc_proc *p = xt_spawn_child("proc_std_two_writers", NULL, io, NULL, 0);
    CHECK(out != NULL && err != NULL);
    r[0].s = out;
    r[1].s = err;
    for (int i = 0; i < 2; i++)
        CHECK((t[i] = xt_os_thread_start(std_reader_main, &r[i])) != NULL);
    for (int i = 0; i < 2; i++)
        xt_os_thread_join(t[i]);
    xt_expect_exit(p, 0);
    for (int i = 0; i < 2; i++) {
        check_std_records(&r[i]);
        free(r[i].data);
    }
    xipc_stream_close(out);
    xipc_stream_close(err);
    CHECK_EQ(xt_os_handle_count(), before);
}

/* Reads its stdin to the end with C stdio, in odd sizes, checks it is the test pattern and
 * prints "<count> <first bad offset or -1>" on stdout. */
int
xt_child_proc_stdin_with_c_stdio(int argc, char **argv)
{
    static const size_t sizes[] = { 1, 7, 4096, 333, 65536 };
    unsigned char *buf = malloc(65536);
    uint64_t count = 0;
    long long bad = -1;
    size_t n;
    (void)argc;
    (void)argv;
    CHECK(buf != NULL);
    for (size_t k = 0; (n = fread(buf, 1, sizes[k % 5], stdin)) > 0; k++) {
        for (size_t i = 0; i < n; i++) {
            if (bad < 0 && buf[i] != xt_pattern(count + i))
                bad = (long long)(count + i);
        }
        count += n;
    }
    printf("%llu %lld", (unsigned long long)count, bad);
    free(buf);
    return ferror(stdin) ? 3 : 0;
}

/* A child that is not xipc reads its stdin with C stdio from an XIPC_STDIO_PIPE; the parent
 * writes through its end with a timeout and closes it: every byte arrives, then end of input.
 * The parent never closes a child's end: its own end alone is what it holds. */
void
xt_test_proc_stdio_pipe_child_reads_with_c_stdio(void)
{
    enum { TOTAL = 300000 };
    xipc_stream *in = NULL, *out = NULL;
    xipc_stdio io[3] = { { XIPC_STDIO_PIPE, NULL, &in }, { XIPC_STDIO_PIPE, NULL, &out },
        { XIPC_STDIO_INHERIT, NULL, NULL } };
    unsigned char *data = malloc(TOTAL);
    char want[64];
    size_t len;
    CHECK(data != NULL);
    for (size_t i = 0; i < TOTAL; i++)
        data[i] = xt_pattern(i);
    xipc_proc *p = xt_spawn_child("proc_stdin_with_c_stdio", NULL, io, NULL, 0);
    xt_write_all(in, data, TOTAL, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(in);
    char *got = xt_read_to_eof(out, &len, XT_CHILD_TIMEOUT_MS);
    snprintf(want, sizeof want, "%d -1", TOTAL);
    CHECK_STR(got, want);
    free(got);
    free(data);
    xt_expect_exit(p, 0);
    xipc_stream_close(out);

    /* A child that leaves early: the parent's end says XIPC_EPIPE, no signal. */
    CHECK_OK(xipc_sigpipe_ignore());
    io[1].mode = XIPC_STDIO_NULL;
    io[1].pipe_end = NULL;
    const char *exit_args[] = { "0", NULL };
    p = xt_spawn_child("proc_exit_with", exit_args, io, NULL, 0);
    xt_expect_exit(p, 0);
    size_t put = 0;
    CHECK_RC(xipc_stream_write(in, "x", 1, &put, XT_CHILD_TIMEOUT_MS), XIPC_EPIPE);
    xipc_stream_close(in);
}

/* XIPC_STDIO_PIPE's arguments: a pipe_end is required, without a stream, one per slot; a
 * failed spawn leaves NULL in every pipe_end. */
void
xt_test_proc_stdio_pipe_bad_input(void)
{
    const char *argv[8];
    xipc_stream *rd, *wr, *a = NULL, *b = NULL;
    xipc_spawn_opts good = xt_child_opts(argv, "proc_exit_with", NULL), o;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xipc_stream *sentinel = rd; /* not NULL, to see it cleared */

    o = good, o.stdio[1].mode = XIPC_STDIO_PIPE, check_spawn_rejects(&o, XIPC_EINVAL);
    o = good, o.stdio[1].mode = XIPC_STDIO_PIPE, o.stdio[1].pipe_end = &a, o.stdio[1].stream = wr;
    a = sentinel, check_spawn_rejects(&o, XIPC_EINVAL);
    CHECK(a == NULL);
    o = good, o.stdio[1].mode = o.stdio[2].mode = XIPC_STDIO_PIPE;
    o.stdio[1].pipe_end = o.stdio[2].pipe_end = &a;
    a = sentinel, check_spawn_rejects(&o, XIPC_EINVAL);
    CHECK(a == NULL);
    /* A failure after the checks (no such program) clears them too, and leaks nothing. */
    xt_warm_up();
    int before = xt_os_handle_count();
    o = good, o.file = "xipc-no-such-program";
    o.stdio[0].mode = o.stdio[2].mode = XIPC_STDIO_PIPE;
    o.stdio[0].pipe_end = &a;
    o.stdio[2].pipe_end = &b;
    a = b = sentinel, check_spawn_rejects(&o, XIPC_ENOENT);
    CHECK(a == NULL && b == NULL);
    CHECK_EQ(xt_os_handle_count(), before);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
}

/* ---- XIPC_SPAWN_DIE_WITH_PARENT reaches the direct child only ----------------------------- */

/* The grandchild G, started by C without XIPC_SPAWN_DIE_WITH_PARENT. argv: its reply pipe's
 * write end, its go pipe's read end. Says "g", answers "?" with "a" (it is alive), and ends at
 * the end of its go pipe, that is when the test closes it or ends. */
int
xt_child_proc_dwp_grandchild(int argc, char **argv)
{
    xipc_stream *reply = xt_import(argv[1]), *go = xt_import(argv[2]);
    char c = 0;
    size_t got = 0;
    (void)argc;
    xt_write_all(reply, "g", 1, XT_CHILD_TIMEOUT_MS);
    while (xipc_stream_read(go, &c, 1, &got, XIPC_FOREVER) == 0 && got == 1) {
        if (c == '?')
            xt_write_all(reply, "a", 1, XT_CHILD_TIMEOUT_MS);
    }
    xipc_stream_close(reply);
    xipc_stream_close(go);
    return 0;
}

/* The child C, started with the flag by M. argv: its own "c" pipe's write end, then G's two
 * ends, which it passes on to G (spawned without the flag) and closes. Says "c", then reads its
 * stdin (the test's lifeline) to the end: only M's end can end it sooner. */
int
xt_child_proc_dwp_child(int argc, char **argv)
{
    xipc_stream *said = xt_import(argv[1]), *reply = xt_import(argv[2]), *go = xt_import(argv[3]);
    char texts[2][XIPC_HANDLE_TEXT_MAX], c;
    const char *argv_g[8];
    xipc_proc *g = NULL;
    (void)argc;
    xt_export(reply, texts[0]);
    xt_export(go, texts[1]);
    const char *args[] = { texts[0], texts[1], NULL };
    xipc_handle *pass[] = { xipc_stream_handle(reply), xipc_stream_handle(go) };
    xipc_spawn_opts opts = xt_child_opts(argv_g, "proc_dwp_grandchild", args);
    opts.flags = 0; /* G is not held to C's life */
    opts.stdio[0].mode = XIPC_STDIO_NULL;
    opts.handles = pass;
    opts.handle_count = 2;
    CHECK_OK(xipc_spawn(&opts, &g));
    xipc_proc_close(g);
    xipc_stream_close(reply);
    xipc_stream_close(go);
    xt_write_all(said, "c", 1, XT_CHILD_TIMEOUT_MS);
    while (fread(&c, 1, 1, stdin) == 1)
        continue;
    return 0;
}

/* The middle process M: starts C with the flag, handing on what it got, and waits to be
 * killed. */
int
xt_child_proc_dwp_middle(int argc, char **argv)
{
    xipc_stream *s[3];
    xipc_handle *pass[3];
    (void)argc;
    for (int i = 0; i < 3; i++) {
        s[i] = xt_import(argv[1 + i]);
        pass[i] = xipc_stream_handle(s[i]);
    }
    xipc_proc *c = xt_spawn_passing("proc_dwp_child", NULL, NULL, pass, 3);
    for (int i = 0; i < 3; i++)
        xipc_stream_close(s[i]);
    (void)c; /* held: a process handle is no lifeline of C's */
    for (;;)
        xt_os_sleep_ms(1000);
}

/* The test spawns M, M spawns C with XIPC_SPAWN_DIE_WITH_PARENT, C spawns G without it. When M
 * is killed, C must die with it (the promise, on both platforms), and G must live on: the
 * promise covers the direct child only, as Linux's parent-death signal does. Windows kept G in
 * M's kill-on-close job before, which took G down with M. G ends when the test closes its go
 * pipe. */
void
xt_test_proc_die_with_parent_reaches_the_direct_child_only(void)
{
    xipc_stream *said_rd, *said_wr, *reply_rd, *reply_wr, *go_rd, *go_wr, *life_rd, *life_wr;
    xipc_exit_status st;
    char c = 0;
    size_t got = 0, put = 0;
    CHECK_OK(xipc_pipe(0, &said_rd, &said_wr));
    CHECK_OK(xipc_pipe(0, &reply_rd, &reply_wr));
    CHECK_OK(xipc_pipe(0, &go_rd, &go_wr));
    CHECK_OK(xipc_pipe(0, &life_rd, &life_wr));
    xipc_stdio io[3] = { { XIPC_STDIO_STREAM, life_rd, NULL }, { XIPC_STDIO_INHERIT, NULL, NULL },
        { XIPC_STDIO_INHERIT, NULL, NULL } };
    xipc_handle *pass[] = { xipc_stream_handle(said_wr), xipc_stream_handle(reply_wr),
        xipc_stream_handle(go_rd) };
    xipc_proc *m = xt_spawn_passing("proc_dwp_middle", NULL, io, pass, 3);
    xipc_stream_close(said_wr);
    xipc_stream_close(reply_wr);
    xipc_stream_close(go_rd);
    xipc_stream_close(life_rd);
    xt_read_exact(said_rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'c');
    xt_read_exact(reply_rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'g');

    CHECK_OK(xipc_proc_kill(m));
    CHECK_OK(xipc_proc_wait(m, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_KILLED);
    xipc_proc_close(m);
    /* C, the last holder of the "said" pipe, died with M. */
    xt_expect_eof(said_rd, XT_CHILD_TIMEOUT_MS);
    /* G lives and answers. */
    int rc = xipc_stream_write(go_wr, "?", 1, &put, XT_CHILD_TIMEOUT_MS);
    if (rc == 0)
        rc = xipc_stream_read(reply_rd, &c, 1, &got, XT_CHILD_TIMEOUT_MS);
    if (rc == XIPC_EPIPE || (rc == 0 && got == 0))
        xt_fail(__FILE__, __LINE__, "the grandchild died with its grandparent M");
    CHECK_OK(rc);
    CHECK_EQ(c, 'a');
    xipc_stream_close(go_wr); /* G ends */
    xt_expect_eof(reply_rd, XT_CHILD_TIMEOUT_MS);
    xipc_stream_close(said_rd);
    xipc_stream_close(reply_rd);
    xipc_stream_close(life_wr);
}

/* Spawns two children with the flag, the second after putting itself in a job of its own
 * without breakaway (Windows), with its stdout on an XIPC_STDIO_PIPE. Prints each spawn's
 * result, "ok" or the error's name, or "no-job" where there are no jobs (POSIX). A refused spawn
 * must leave no pipe end and no handle behind. */
int
xt_child_proc_dwp_in_a_job(int argc, char **argv)
{
    const char *exit_args[] = { "0", NULL };
    const char *cargv[8];
    xipc_stream *end = NULL;
    (void)argc;
    (void)argv;
    for (int round = 0; round < 2; round++) {
        xipc_proc *p = NULL;
        if (round == 1 && xt_os_join_new_job() != 0) {
            printf(" no-job");
            return 0;
        }
        int before = xt_os_handle_count();
        xipc_spawn_opts o = xt_child_opts(cargv, "proc_exit_with", exit_args);
        o.stdio[1].mode = XIPC_STDIO_PIPE;
        o.stdio[1].pipe_end = &end;
        int rc = xipc_spawn(&o, &p);
        printf("%s%s", round ? " " : "", rc == 0 ? "ok" : xipc_errname(rc));
        fflush(stdout);
        if (rc == 0) {
            xt_expect_eof(end, XT_CHILD_TIMEOUT_MS);
            xipc_stream_close(end);
            xt_expect_exit(p, 0);
            continue;
        }
        CHECK(p == NULL && end == NULL);
        CHECK_EQ(xt_os_handle_count(), before);
    }
    return 0;
}

/* Where this process's own job forbids its children to join another (Windows before 8; a job
 * hierarchy Windows 8+ cannot nest: here the kill-on-close job already holds a child from
 * outside the new job), a spawn with the flag fails with XIPC_EPERM and starts nothing;
 * where the OS nests the jobs, it succeeds. Either way no child runs without the promise. */
void
xt_test_proc_die_with_parent_where_a_job_refuses(void)
{
    char *out = run_and_capture("proc_dwp_in_a_job", NULL);
    printf("spawns with the flag, before and after joining a job: %s\n", out);
    if (strcmp(out, "ok no-job") == 0) {
        free(out);
        XT_SKIP("POSIX has no jobs: PR_SET_PDEATHSIG is never refused");
    }
    CHECK(strcmp(out, "ok ok") == 0 || strcmp(out, "ok XIPC_EPERM") == 0);
    free(out);
}

/* Started with the flag, so in the test's kill-on-close job (Windows): starts a process that
 * breaks away from its jobs and prints the outcome ("ok", or the Windows error), or "no-job". */
int
xt_child_proc_breakaway_probe(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    long r = xt_os_spawn_breaking_away();
    if (r < 0)
        printf("no-job");
    else if (r == 0)
        printf("ok");
    else
        printf("refused %ld", r);
    return 0;
}

/* A child held by XIPC_SPAWN_DIE_WITH_PARENT may start a process that breaks away from its jobs
 * (CREATE_BREAKAWAY_FROM_JOB), as a program that launches a daemon does: xipc's job allows it
 * (JOB_OBJECT_LIMIT_BREAKAWAY_OK). Without that limit CreateProcessW refused it with
 * ERROR_ACCESS_DENIED. POSIX has no jobs. */
void
xt_test_proc_die_with_parent_child_may_break_away(void)
{
    char *out = run_and_capture("proc_breakaway_probe", NULL);
    if (strcmp(out, "no-job") == 0) {
        free(out);
        XT_SKIP("POSIX has no jobs: a child's children are never held back");
    }
    CHECK_STR(out, "ok");
    free(out);
}
