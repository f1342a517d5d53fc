/* tests/xt_main.c: the test runner (xipc-tests NAME, --child ROLE, --list) and the helpers every
 * test shares. */
#include "xt.h"

#include <stdarg.h>

struct xt_test {
    const char *name;
    void (*run)(void);
};

struct xt_child {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct xt_test tests[] = {
#define XT_TEST(name) { #name, xt_test_##name },
#define XT_CHILD(name)
#include "test_list.h"
#undef XT_TEST
#undef XT_CHILD
};

static const struct xt_child children[] = {
#define XT_TEST(name)
#define XT_CHILD(name) { #name, xt_child_##name },
#include "test_list.h"
#undef XT_TEST
#undef XT_CHILD
};

static const char *current = "?";

void
xt_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL [%s] %s:%d: ", current, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    exit(1);
}

void
xt_check_rc(const char *file, int line, const char *expr, int rc, int want)
{
    char os[256];
    if (rc == want)
        return;
    xipc_last_os_error_describe(os, sizeof os);
    xt_fail(file, line, "%s returned %s (%d), wanted %s; last OS error: %s", expr, xipc_errname(rc),
        rc, xipc_errname(want), os[0] ? os : "none");
}

/* ---- Child exit codes ----------------------------------------------------------------------- */

static const int child_errors[] = {
#define XT_ERROR_ROW(name, value, text) XIPC_##name,
    XIPC_ERRNO_MAP(XT_ERROR_ROW)
#undef XT_ERROR_ROW
};
#define CHILD_ERROR_COUNT ((int)(sizeof child_errors / sizeof child_errors[0]))
_Static_assert(XT_CHILD_EXIT_ERR_FIRST + sizeof child_errors / sizeof child_errors[0] - 1 <=
        XT_CHILD_EXIT_ERR_LAST,
    "more XIPC_E* codes than child exit codes: widen the range in xt.h");

int
xt_child_exit_code(int xipc_err)
{
    if (xipc_err == 0)
        return 0;
    for (int i = 0; i < CHILD_ERROR_COUNT; i++)
        if (child_errors[i] == xipc_err)
            return XT_CHILD_EXIT_ERR_FIRST + i;
    return XT_CHILD_EXIT_ERR_FIRST - 1;
}

int
xt_child_exit_error(int code)
{
    int i = code - XT_CHILD_EXIT_ERR_FIRST;
    return i >= 0 && i < CHILD_ERROR_COUNT ? child_errors[i] : 0;
}

/* What a child's exit code says, for failure messages. */
static const char *
exit_code_meaning(uint32_t code)
{
    if (code <= INT32_MAX && xt_child_exit_error((int)code) != 0)
        return xipc_errname(xt_child_exit_error((int)code));
    switch (code) {
    case 0:
        return "success";
    case 1:
        return "a failed check";
    case 2:
        return "a usage error";
    case XT_SKIP_CODE:
        return "a skip";
    case XT_IMPORT_FAILED_CODE:
        return "a failed import";
    case XT_CHILD_EXIT_ERR_FIRST - 1:
        return "an unknown xipc code";
    default:
        return "a code of the child's own";
    }
}

/* ---- Children ------------------------------------------------------------------------------- */

xipc_spawn_opts
xt_child_opts(const char **argv, const char *role, const char *const *args)
{
    xipc_spawn_opts opts = { 0 };
    size_t n = 0;
    argv[n++] = xt_os_self_exe();
    argv[n++] = "--child";
    argv[n++] = role;
    for (size_t i = 0; args != NULL && args[i] != NULL; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    opts.file = xt_os_self_exe();
    opts.argv = argv;
    opts.flags = XIPC_SPAWN_DIE_WITH_PARENT;
    return opts;
}

xipc_proc *
xt_spawn_child(const char *role, const char *const *args, const xipc_stdio *stdio,
    xipc_handle *const *handles, size_t handle_count)
{
    const char *argv[32];
    size_t n = 0;
    while (args != NULL && args[n] != NULL)
        n++;
    CHECK(n + 4 <= 32);
    xipc_spawn_opts opts = xt_child_opts(argv, role, args);
    if (stdio != NULL)
        memcpy(opts.stdio, stdio, sizeof opts.stdio);
    opts.handles = handles;
    opts.handle_count = handle_count;
    xipc_proc *p = NULL;
    CHECK_OK(xipc_spawn(&opts, &p));
    CHECK(p != NULL);
    return p;
}

xipc_proc *
xt_spawn_passing(const char *role, const char *const *args, const xipc_stdio *stdio,
    xipc_handle *const *handles, size_t handle_count)
{
    enum { ARGS_MAX = 24 };
    char texts[XT_PASS_MAX][XIPC_HANDLE_TEXT_MAX];
    const char *all[ARGS_MAX + XT_PASS_MAX + 1];
    size_t n = 0;
    CHECK(handle_count <= XT_PASS_MAX);
    for (; args != NULL && args[n] != NULL; n++) {
        CHECK(n < ARGS_MAX);
        all[n] = args[n];
    }
    for (size_t i = 0; i < handle_count; i++) {
        xt_export_handle(handles[i], texts[i]);
        all[n++] = texts[i];
    }
    all[n] = NULL;
    return xt_spawn_child(role, all, stdio, handles, handle_count);
}

void
xt_warm_up(void)
{
    const char *args[] = { "0", NULL };
    (void)xipc_last_os_error();
    xt_expect_exit(xt_spawn_child("proc_exit_with", args, NULL, NULL, 0), 0);
}

void
xt_expect_exit(xipc_proc *p, int want_code)
{
    xipc_exit_status st = { 0, 0 };
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    if (st.kind == XIPC_EXIT_NORMAL && st.code != (uint32_t)want_code)
        xt_fail(__FILE__, __LINE__, "child failed with %s (exit %lu), wanted exit %d (%s)",
            exit_code_meaning(st.code), (unsigned long)st.code, want_code,
            exit_code_meaning((uint32_t)want_code));
    if (st.kind != XIPC_EXIT_NORMAL)
        xt_fail(__FILE__, __LINE__, "child ended with kind %d code %lu (0x%lx), wanted exit %d",
            st.kind, (unsigned long)st.code, (unsigned long)st.code, want_code);
    xipc_proc_close(p);
}

void
xt_export_handle(xipc_handle *h, char text[XIPC_HANDLE_TEXT_MAX])
{
    CHECK_OK(xipc_handle_export(h, text, XIPC_HANDLE_TEXT_MAX));
}

xipc_stream *
xt_import(const char *text)
{
    xipc_stream *s = NULL;
    int rc = xipc_stream_import(text, &s);
    if (rc != 0) {
        fprintf(stderr, "child: import of %s failed: %s\n", text, xipc_errname(rc));
        exit(XT_IMPORT_FAILED_CODE);
    }
    return s;
}

/* ---- Ready/go channels ---------------------------------------------------------------------- */

void
xt_channel_open(xt_channel *ch)
{
    CHECK_OK(xipc_pipe(0, &ch->ready_rd, &ch->ready_wr));
    CHECK_OK(xipc_pipe(0, &ch->go_rd, &ch->go_wr));
}

void
xt_channel_child_ends(xt_channel *ch, xipc_handle *ends[2])
{
    ends[0] = xipc_stream_handle(ch->ready_wr);
    ends[1] = xipc_stream_handle(ch->go_rd);
}

void
xt_channel_import(xt_channel *ch, const char *ready_text, const char *go_text)
{
    ch->ready_rd = NULL;
    ch->go_wr = NULL;
    ch->ready_wr = xt_import(ready_text);
    ch->go_rd = xt_import(go_text);
}

void
xt_channel_ready(xt_channel *ch)
{
    xt_write_all(ch->ready_wr, "r", 1, XT_CHILD_TIMEOUT_MS);
}

void
xt_channel_wait_ready(xt_channel *ch)
{
    char c = 0;
    xt_read_exact(ch->ready_rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'r');
}

void
xt_channel_go(xt_channel *ch)
{
    xt_write_all(ch->go_wr, "g", 1, XT_CHILD_TIMEOUT_MS);
}

void
xt_channel_wait_go(xt_channel *ch)
{
    char c = 0;
    xt_read_exact(ch->go_rd, &c, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(c, 'g');
}

void
xt_channel_close(xt_channel *ch)
{
    xipc_stream *ends[] = { ch->ready_rd, ch->ready_wr, ch->go_rd, ch->go_wr };
    for (size_t i = 0; i < 4; i++)
        if (ends[i] != NULL)
            xipc_stream_close(ends[i]);
}

void
xt_name(const char *tag, char name[XIPC_NAME_MAX + 1])
{
    int n =
        snprintf(name, XIPC_NAME_MAX + 1, "xt.%llu.%s", (unsigned long long)xipc_self_pid(), tag);
    CHECK(n > 0 && n <= XIPC_NAME_MAX);
}

/* ---- Transfers ------------------------------------------------------------------------------ */

void
xt_read_exact(xipc_stream *s, void *buf, size_t n, int timeout_ms)
{
    size_t done = 0;
    while (done < n) {
        size_t got = 0;
        CHECK_OK(xipc_stream_read(s, (char *)buf + done, n - done, &got, timeout_ms));
        if (got == 0)
            xt_fail(__FILE__, __LINE__, "end of stream after %zu of %zu bytes", done, n);
        done += got;
    }
}

void
xt_write_all(xipc_stream *s, const void *buf, size_t n, int timeout_ms)
{
    size_t put = 0;
    CHECK_OK(xipc_stream_write(s, buf, n, &put, timeout_ms));
    CHECK_EQ(put, n);
}

char *
xt_read_to_eof(xipc_stream *s, size_t *len, int timeout_ms)
{
    size_t cap = 256, n = 0;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    for (;;) {
        size_t got = 0;
        if (cap - n < 2) {
            buf = realloc(buf, cap *= 2);
            CHECK(buf != NULL);
        }
        CHECK_OK(xipc_stream_read(s, buf + n, cap - n - 1, &got, timeout_ms));
        if (got == 0)
            break;
        n += got;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

void
xt_expect_eof(xipc_stream *s, int timeout_ms)
{
    char c;
    size_t got = 1;
    CHECK_OK(xipc_stream_read(s, &c, 1, &got, timeout_ms));
    CHECK_EQ(got, 0);
}

/* ---- main ----------------------------------------------------------------------------------- */

static int
run_child(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++) {
        if (strcmp(children[i].name, argv[0]) == 0) {
            current = argv[0];
            return children[i].run(argc, argv);
        }
    }
    fprintf(stderr, "unknown child role %s\n", argv[0]);
    return 2;
}

static int
run_test(const char *name)
{
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (strcmp(tests[i].name, name) == 0) {
            current = name;
            tests[i].run();
            printf("PASS: %s\n", name);
            return 0;
        }
    }
    fprintf(stderr, "unknown test %s (try --list)\n", name);
    return 2;
}

int
main(int argc, char **argv)
{
    xt_os_init(&argc, &argv);
    /* Children talk through stdout; unbuffered output keeps lines whole and in order. */
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 3 && strcmp(argv[1], "--child") == 0)
        return run_child(argc - 2, argv + 2);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    if (argc == 2)
        return run_test(argv[1]);
    fprintf(stderr, "usage: xipc-tests NAME | --list | --child ROLE [args...]\n");
    return 2;
}
