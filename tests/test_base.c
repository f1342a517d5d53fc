/* tests/test_base.c: the error table, name rules, the OS-error record and the handle registry. */
#include "xt.h"

#include <stdatomic.h>

void
xt_test_base_error_table(void)
{
    static const int codes[] = {
#define XT_CODE(name, value, text) XIPC_##name,
        XIPC_ERRNO_MAP(XT_CODE)
#undef XT_CODE
    };
    size_t n = sizeof codes / sizeof codes[0];
    /* Values are ABI: the same on every platform, never renumbered. */
    CHECK_EQ(XIPC_ENOENT, -2);
    CHECK_EQ(XIPC_EINVAL, -22);
    CHECK_EQ(XIPC_EPIPE, -32);
    CHECK_EQ(XIPC_ETIMEDOUT, -110);
    CHECK_EQ(XIPC_EOWNERDEAD, -130);
    CHECK_EQ(XIPC_ECLOSED, -1000);
    CHECK_EQ(XIPC_EOS, -1002);
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] < 0);
        CHECK(strncmp(xipc_errname(codes[i]), "XIPC_E", 6) == 0);
        CHECK(strcmp(xipc_strerror(codes[i]), "unknown error") != 0);
        for (size_t j = i + 1; j < n; j++) {
            CHECK(codes[i] != codes[j]);
            CHECK(strcmp(xipc_errname(codes[i]), xipc_errname(codes[j])) != 0);
        }
    }
    CHECK_STR(xipc_errname(XIPC_ETIMEDOUT), "XIPC_ETIMEDOUT");
    CHECK_STR(xipc_strerror(XIPC_ETIMEDOUT), "timed out");
    CHECK_STR(xipc_errname(-7777), "XIPC_UNKNOWN");
    CHECK_STR(xipc_strerror(-7777), "unknown error");
    /* 0 is success, not a code: named "OK" (not "0", nor "XIPC_UNKNOWN"). */
    CHECK_STR(xipc_errname(0), "OK");
    CHECK_STR(xipc_strerror(0), "success");
    CHECK_STR(xipc_errname(1), "XIPC_UNKNOWN");
}

void
xt_test_base_name_rules(void)
{
    char longest[XIPC_NAME_MAX + 2], too_long[XIPC_NAME_MAX + 2];
    memset(longest, 'a', XIPC_NAME_MAX);
    longest[XIPC_NAME_MAX] = '\0';
    memset(too_long, 'a', XIPC_NAME_MAX + 1);
    too_long[XIPC_NAME_MAX + 1] = '\0';

    CHECK_OK(xipc_name_check("a"));
    CHECK_OK(xipc_name_check("Az09._-"));
    CHECK_OK(xipc_name_check("/leading-slash-dropped"));
    CHECK_OK(xipc_name_check("a..b"));
    CHECK_OK(xipc_name_check(longest));
    CHECK_EQ(strlen(too_long), 65);

    CHECK_RC(xipc_name_check(NULL), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(""), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("/"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(too_long), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("a/b"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("//a"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("a\\b"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(".."), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("../etc"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(".hidden"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("/.hidden"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("with space"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("caf\xc3\xa9"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("colon:x"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("Global\\x"), XIPC_EINVAL);

    /* With a length: the slash still counts as dropped, and a NUL inside is refused rather than
     * read as a shorter name. */
    CHECK_OK(xipc_name_check_len("/abc", 4));
    CHECK_OK(xipc_name_check_len(longest, XIPC_NAME_MAX));
    CHECK_RC(xipc_name_check_len("ab\0cd", 5), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len("abc\0", 4), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len("abc", 0), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len(too_long, XIPC_NAME_MAX + 1), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len(NULL, 3), XIPC_EINVAL);
}

void
xt_test_base_last_os_error(void)
{
    char text[256];
    xipc_stream *s = NULL;
    CHECK_RC(xipc_last_os_error_describe(NULL, 10), XIPC_EINVAL);
    CHECK_RC(xipc_last_os_error_describe(text, 0), XIPC_EINVAL);
    /* A well-formed export text naming nothing open: the OS check fails and is recorded. (A
     * multiple of 4: Windows refuses other values before any OS call, see win32_stream.c.) */
    CHECK_RC(xipc_stream_import("xipc1:stream:r:987652", &s), XIPC_EBADF);
    CHECK(s == NULL);
    CHECK(xipc_last_os_error() != 0);
    CHECK_OK(xipc_last_os_error_describe(text, sizeof text));
    CHECK(strstr(text, "error") != NULL);
    CHECK(strlen(text) > 20);
    /* A short buffer is still NUL-terminated. */
    CHECK_OK(xipc_last_os_error_describe(text, 8));
    CHECK_EQ(strlen(text), 7);
}

/* The registry of live handles (common/handle.c) under threads: while two threads open and close
 * pipes in batches big enough to make its table grow, a live handle must always pass the check
 * and a pointer that never was a handle must always fail it. */
struct churn {
    int batches;
    int failures;
    atomic_int done;
};

static void
churn_pipes(void *arg)
{
    struct churn *c = arg;
    enum { BATCH = 40 };
    xipc_stream *ends[2 * BATCH];
    for (int b = 0; b < c->batches; b++) {
        for (int i = 0; i < BATCH; i++) {
            if (xipc_pipe(0, &ends[2 * i], &ends[2 * i + 1]) != 0)
                c->failures++, ends[2 * i] = ends[2 * i + 1] = NULL;
        }
        for (int i = 0; i < 2 * BATCH; i++)
            xipc_stream_close(ends[i]);
    }
    atomic_store(&c->done, 1);
}

void
xt_test_base_handle_checks_race_opens_and_closes(void)
{
    enum { LIVE = 32 };
    static char never_a_handle[64];
    xipc_stream *live[2 * LIVE];
    intptr_t native;
    int batches = xt_os_is_wine() ? 5 : 200; /* a Wine pipe pair takes ~100 times longer */
    struct churn churn[2] = { { batches, 0, 0 }, { batches, 0, 0 } };
    /* Enough live handles that the churn's probe runs cross theirs. */
    for (int i = 0; i < LIVE; i++)
        CHECK_OK(xipc_pipe(0, &live[2 * i], &live[2 * i + 1]));
    xt_os_thread *t[2];
    for (int i = 0; i < 2; i++)
        CHECK((t[i] = xt_os_thread_start(churn_pipes, &churn[i])) != NULL);
    long checks = 0, wrong = 0;
    for (; checks < 1000 || !atomic_load(&churn[0].done) || !atomic_load(&churn[1].done);
         checks++) {
        wrong += xipc_handle_native(xipc_stream_handle(live[checks % (2 * LIVE)]), &native) != 0;
        wrong += xipc_handle_native((xipc_handle *)(void *)never_a_handle, &native) != XIPC_EBADF;
    }
    for (int i = 0; i < 2; i++)
        xt_os_thread_join(t[i]);
    CHECK_EQ(wrong, 0);
    CHECK_EQ(churn[0].failures + churn[1].failures, 0);
    for (int i = 0; i < 2 * LIVE; i++)
        xipc_stream_close(live[i]);
    CHECK_RC(xipc_handle_native(xipc_stream_handle(live[0]), &native), XIPC_EBADF);
}

/* ---- Export texts fit XIPC_HANDLE_TEXT_MAX -------------------------------------------------- */

/* Creates a named semaphore whose name is exactly len characters. A name of this run's own
 * ("xt" and the pid, padded) where one fits; shorter names are drawn from the pid and a counter
 * until one is free, since any program may hold a short name. */
static xipc_sem *
sem_with_name_of_length(size_t len, char name[XIPC_NAME_MAX + 1])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char own[32];
    int n = snprintf(own, sizeof own, "xt%llus%zu", (unsigned long long)xipc_self_pid(), len);
    for (uint64_t attempt = 0; attempt < 1000; attempt++) {
        uint64_t x = xipc_self_pid() * 7919u + attempt * 104729u + len;
        for (size_t i = 0; i < len; i++, x /= 36)
            name[i] = (attempt == 0 && (size_t)n <= len) ? (i < (size_t)n ? own[i] : 'q')
                                                         : alphabet[x % 36];
        name[len] = '\0';
        xipc_sem *s = NULL;
        int rc = xipc_sem_open(name, XIPC_CREATE, 0, &s);
        if (rc == 0)
            return s;
        CHECK_RC(rc, XIPC_EEXIST);
    }
    xt_fail(__FILE__, __LINE__, "no free semaphore name of length %zu", len);
}

/* argv[1..]: export texts of semaphores; imports each and posts it once. Exit 10 + i when the
 * i-th import fails. */
int
xt_child_sem_import_and_post(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        xipc_sem *s = NULL;
        if (xipc_sem_import(argv[i], &s) != 0 || xipc_sem_post(s) != 0) {
            fprintf(stderr, "child: %s: import or post failed\n", argv[i]);
            return 10 + i;
        }
        xipc_sem_close(s);
    }
    return 0;
}

/* base.h promises that XIPC_HANDLE_TEXT_MAX always suffices. The longest text is a named POSIX
 * semaphore's, which carries the name: every name length from 1 to XIPC_NAME_MAX must export
 * into that room and import in a child as the same semaphore. */
void
xt_test_base_handle_text_fits_every_sem_name(void)
{
    enum { BATCH = 16 };
    xipc_sem *sems[XIPC_NAME_MAX + 1];
    static char texts[XIPC_NAME_MAX + 1][XIPC_HANDLE_TEXT_MAX];
    char name[XIPC_NAME_MAX + 1];
    for (size_t len = 1; len <= XIPC_NAME_MAX; len++) {
        sems[len] = sem_with_name_of_length(len, name);
        CHECK_OK(xipc_handle_export(xipc_sem_handle(sems[len]), texts[len], XIPC_HANDLE_TEXT_MAX));
        CHECK(strlen(texts[len]) < XIPC_HANDLE_TEXT_MAX);
    }
    /* A few children, each importing a batch of texts. */
    for (size_t first = 1; first <= XIPC_NAME_MAX; first += BATCH) {
        const char *args[BATCH + 1];
        xipc_handle *handles[BATCH];
        size_t n = 0;
        for (size_t len = first; len < first + BATCH && len <= XIPC_NAME_MAX; len++, n++) {
            args[n] = texts[len];
            handles[n] = xipc_sem_handle(sems[len]);
        }
        args[n] = NULL;
        xt_expect_exit(xt_spawn_child("sem_import_and_post", args, NULL, handles, n), 0);
    }
    /* Each child's post reached the very semaphore it was given. */
    for (size_t len = 1; len <= XIPC_NAME_MAX; len++) {
        CHECK_OK(xipc_sem_wait(sems[len], 0));
        xipc_sem_close(sems[len]); /* the creator's close removes the name */
    }
}

/* ---- The failure record: the last failed call's, with the reason for a misuse -------------- */

/* An OS failure, then failures that are no OS call's: a timeout, which has nothing to add to its
 * code, and a misuse, which says what was wrong. Neither may be described as the OS failure
 * before it. */
void
xt_test_base_failure_record_is_the_last_calls(void)
{
    char os_failure[256], text[256];
    xipc_stream *s = NULL;
    xipc_event *ev = NULL;
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_RC(xipc_stream_import("xipc1:stream:r:987652", &s), XIPC_EBADF);
    CHECK(xipc_last_os_error() != 0);
    CHECK_OK(xipc_last_os_error_describe(os_failure, sizeof os_failure));
    CHECK(os_failure[0] != '\0');

    CHECK_RC(xipc_event_wait(ev, 0), XIPC_ETIMEDOUT);
    CHECK_EQ(xipc_last_os_error(), 0);
    CHECK_OK(xipc_last_os_error_describe(text, sizeof text));
    CHECK_STR(text, "");

    CHECK_RC(xipc_stream_import("xipc1:stream:r:987652", &s), XIPC_EBADF);
    CHECK(xipc_last_os_error() != 0);
    CHECK_RC(xipc_event_wait(ev, -5), XIPC_EINVAL);
    CHECK_EQ(xipc_last_os_error(), 0);
    CHECK_OK(xipc_last_os_error_describe(text, sizeof text));
    CHECK(strcmp(text, os_failure) != 0);
    CHECK(strncmp(text, "XIPC_EINVAL: timeout_ms: ", 25) == 0);

    /* A call that succeeds in between leaves no failure to describe either. */
    CHECK_RC(xipc_stream_import("xipc1:stream:r:987652", &s), XIPC_EBADF);
    CHECK_OK(xipc_event_set(ev));
    CHECK_OK(xipc_last_os_error_describe(text, sizeof text));
    CHECK_STR(text, "");
    xipc_event_close(ev);
}

/* rc must be XIPC_EINVAL from no OS call, described with a text that starts "XIPC_EINVAL: " and
 * holds reason. */
static void
expect_misuse(int line, int rc, const char *reason)
{
    char text[256];
    CHECK_OK(xipc_last_os_error_describe(text, sizeof text));
    if (rc != XIPC_EINVAL || xipc_last_os_error() != 0 || strncmp(text, "XIPC_EINVAL: ", 13) != 0 ||
        strstr(text, reason) == NULL)
        xt_fail(__FILE__, line, "got %s, described as \"%s\"; wanted XIPC_EINVAL, \"%s\"",
            xipc_errname(rc), text, reason);
}
#define EXPECT_MISUSE(call, reason) expect_misuse(__LINE__, (call), (reason))

/* What a first program got wrong, each described by the argument at fault. */
void
xt_test_base_misuse_names_the_argument(void)
{
    char name[XIPC_NAME_MAX + 1], buf[4];
    xipc_stream *rd = NULL, *wr = NULL, *conn = NULL;
    xipc_npipe *srv = NULL;
    xipc_event *ev = NULL;
    xipc_mutex *mx = NULL;
    size_t got = 0;
    EXPECT_MISUSE(xipc_event_open("a/b", XIPC_CREATE, &ev), "name: a '/'");
    EXPECT_MISUSE(xipc_mutex_open(".x", XIPC_CREATE, &mx), "name: starts with '.'");
    EXPECT_MISUSE(xipc_event_open("abc", 0, &ev), "flags: neither XIPC_CREATE nor");
    EXPECT_MISUSE(xipc_mutex_open("abc", XIPC_CREATE, NULL), "out: NULL");
    EXPECT_MISUSE(xipc_pipe(1, &rd, &wr), "flags: not 0");
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    EXPECT_MISUSE(xipc_stream_read(wr, buf, sizeof buf, &got, 0), "s: a write end");
    EXPECT_MISUSE(xipc_stream_write(rd, "x", 1, &got, 0), "s: a read end");
    EXPECT_MISUSE(xipc_event_set((xipc_event *)(void *)rd), "handle: of another kind");
    xipc_stream_close(rd);
    EXPECT_MISUSE(xipc_stream_write(wr, NULL, 1, &got, 0), "buf: NULL");
    xipc_stream_close(wr);

    /* A byte-mode connect to a message-mode server, found out by the platform. */
    xt_name("misuse", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    EXPECT_MISUSE(xipc_npipe_connect(name, 0, &conn, 1000), "name: a server of the other mode");
    CHECK(conn == NULL);
    xipc_npipe_close(srv);
}

/* ---- Calls on live handles take no process-wide lock ---------------------------------------- */

/* The check at the start of every call reads the registry without a lock (common/handle.c).
 * While a writer and a reader thread move a patterned stream of 64-byte records through one
 * pipe, a churn thread changes the registry under checks of live handles, in rounds: it opens
 * filler pipes (in the first round past the registry's size, so that it grows and publishes
 * new tables), then a batch of pipes that the main thread checks from then on, then closes the
 * fillers in a scrambled order, which shifts the batch's handles back along their probe runs
 * while they are being checked. The main thread checks each batch handle as a stream (0) and as
 * an event (XIPC_EINVAL), and a pointer that never was a handle (XIPC_EBADF); the churn thread
 * checks that every end it closed gives XIPC_EBADF. Only the churn thread opens handles while
 * the others run, so no new handle can take a closed end's memory before that check.
 * A check that trusted a miss while entries moved fails the main thread's count; one that
 * read a closed end's memory is a use after free for AddressSanitizer; one that read the
 * registry unsynchronised, or freed a table a check may still be reading, is a race for
 * ThreadSanitizer. */
enum {
    /* 2 * 247 fillers, 16 batch ends and the transfer pipe: 512 handles, the half-full limit of
     * a 1024-slot table, where probe runs are longest. */
    LOCKFREE_FILL = 247,
    LOCKFREE_BATCH = 8,
    LOCKFREE_RECORD = 64,
};

struct lockfree_run {
    xipc_stream *rd, *wr; /* the transfer pipe */
    int rounds;
    /* The churn thread writes a round's batch before publishing the round; the main thread
     * checks it until the churn thread has closed the fillers, then says it has done. */
    xipc_stream *batch[2 * LOCKFREE_BATCH];
    atomic_int published, fillers_closed, checked, rounds_done;
    long churn_wrong; /* written by the churn thread only */
    uint64_t bytes_read; /* written by the reader only */
};

static void
lockfree_writer(void *arg)
{
    struct lockfree_run *r = arg;
    unsigned char rec[LOCKFREE_RECORD];
    uint64_t off = 0;
    while (off < 1000 * LOCKFREE_RECORD || atomic_load(&r->rounds_done) < r->rounds) {
        for (size_t i = 0; i < sizeof rec; i++, off++)
            rec[i] = xt_pattern(off);
        xt_write_all(r->wr, rec, sizeof rec, XT_CHILD_TIMEOUT_MS);
    }
    xipc_stream_close(r->wr);
}

static void
lockfree_reader(void *arg)
{
    struct lockfree_run *r = arg;
    unsigned char rec[LOCKFREE_RECORD];
    for (;;) {
        size_t got = 0;
        CHECK_OK(xipc_stream_read(r->rd, rec, sizeof rec, &got, XT_CHILD_TIMEOUT_MS));
        if (got == 0)
            return;
        for (size_t i = 0; i < got; i++, r->bytes_read++)
            CHECK_EQ(rec[i], xt_pattern(r->bytes_read));
    }
}

/* Closes the n ends in the order k * stride + round (mod n), which visits each once when stride
 * is prime to n, and counts those a check still takes for live. */
static void
lockfree_close_all(struct lockfree_run *r, xipc_stream **ends, int n, int stride, int round)
{
    intptr_t native;
    for (int k = 0; k < n; k++) {
        xipc_stream *end = ends[(k * stride + round) % n];
        xipc_stream_close(end);
        r->churn_wrong += xipc_handle_native(xipc_stream_handle(end), &native) != XIPC_EBADF;
    }
}

static void
lockfree_churn(void *arg)
{
    struct lockfree_run *r = arg;
    static xipc_stream *fillers[2 * LOCKFREE_FILL];
    for (int round = 1; round <= r->rounds; round++) {
        for (int i = 0; i < LOCKFREE_FILL; i++)
            CHECK_OK(xipc_pipe(0, &fillers[2 * i], &fillers[2 * i + 1]));
        for (int i = 0; i < LOCKFREE_BATCH; i++)
            CHECK_OK(xipc_pipe(0, &r->batch[2 * i], &r->batch[2 * i + 1]));
        atomic_store(&r->published, round);
        lockfree_close_all(r, fillers, 2 * LOCKFREE_FILL, 241, round); /* 241: a prime */
        atomic_store(&r->fillers_closed, round);
        while (atomic_load(&r->checked) < round)
            ;
        lockfree_close_all(r, r->batch, 2 * LOCKFREE_BATCH, 1, round);
        atomic_store(&r->rounds_done, round);
    }
}

/* The main thread's part: checks each published batch while the churn thread moves it. */
static long
lockfree_check_batches(struct lockfree_run *r)
{
    static char never_a_handle[64];
    intptr_t native;
    long wrong = 0;
    for (int round = 1; round <= r->rounds; round++) {
        while (atomic_load(&r->published) < round)
            xt_os_sleep_ms(1);
        do {
            for (int i = 0; i < 2 * LOCKFREE_BATCH; i++) {
                xipc_stream *s = r->batch[i];
                wrong += xipc_handle_native(xipc_stream_handle(s), &native) != 0;
                wrong += xipc_event_set((xipc_event *)(void *)s) != XIPC_EINVAL;
            }
            xipc_stream *never = (xipc_stream *)(void *)never_a_handle;
            wrong += xipc_handle_native(xipc_stream_handle(never), &native) != XIPC_EBADF;
        } while (atomic_load(&r->fillers_closed) < round);
        atomic_store(&r->checked, round);
    }
    return wrong;
}

void
xt_test_base_handle_checks_without_a_global_lock(void)
{
    /* A Wine pipe pair takes ~100 times longer (see the test above). */
    struct lockfree_run run = { .rounds = xt_os_is_wine() ? 8 : 200 };
    CHECK_OK(xipc_pipe(0, &run.rd, &run.wr));
    xt_os_thread *t[3];
    CHECK((t[0] = xt_os_thread_start(lockfree_reader, &run)) != NULL);
    CHECK((t[1] = xt_os_thread_start(lockfree_writer, &run)) != NULL);
    CHECK((t[2] = xt_os_thread_start(lockfree_churn, &run)) != NULL);
    long wrong = lockfree_check_batches(&run);
    for (int i = 0; i < 3; i++)
        xt_os_thread_join(t[i]);
    CHECK_EQ(wrong, 0);
    CHECK_EQ(run.churn_wrong, 0);
    CHECK_GE(run.bytes_read, 1000 * LOCKFREE_RECORD);
    xipc_stream_close(run.rd);
}

/* ---- The version ---------------------------------------------------------------------------- */

/* xipc_version() is the library's version, and the header's macros come from the same CMake
 * project version. */
void
xt_test_base_version_from_cmake(void)
{
    char want[32];
    snprintf(
        want, sizeof want, "%d.%d.%d", XIPC_VERSION_MAJOR, XIPC_VERSION_MINOR, XIPC_VERSION_PATCH);
    CHECK_STR(XIPC_VERSION_STRING, want);
    CHECK_STR(xipc_version(), XIPC_VERSION_STRING);
    CHECK(XIPC_VERSION_MAJOR > 0 || XIPC_VERSION_MINOR >= 2);
}

/* ---- Every kind: its kind, its native, and what a wait on the native sees -------------------- */

/* One object of every kind, each in the state before its trigger. */
struct all_kinds {
    char fifo[512], npipe[XIPC_NAME_MAX + 1], msgpipe[XIPC_NAME_MAX + 1];
    xipc_stream *pipe_rd, *pipe_wr, *child_stdin, *fifo_rd, *fifo_wr, *conn, *client;
    xipc_proc *proc;
    xipc_event *event;
    xipc_sem *sem;
    xipc_mutex *mutex;
    xipc_npipe *server, *msg_server;
    xipc_msgpipe *msg, *msg_client;
};

static void
all_kinds_open(struct all_kinds *k)
{
    xipc_stream *child_rd;
    xipc_stdio io[3] = { { XIPC_STDIO_STREAM, NULL, NULL }, { XIPC_STDIO_INHERIT, NULL, NULL },
        { XIPC_STDIO_INHERIT, NULL, NULL } };
    memset(k, 0, sizeof *k);
    CHECK_OK(xipc_pipe(0, &k->pipe_rd, &k->pipe_wr));
    CHECK_OK(xipc_pipe(0, &child_rd, &k->child_stdin));
    io[0].stream = child_rd;
    k->proc = xt_spawn_child("proc_block_on_stdin", NULL, io, NULL, 0);
    xipc_stream_close(child_rd);
    CHECK_OK(xipc_event_open(NULL, XIPC_EVENT_MANUAL_RESET, &k->event));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &k->sem));
    CHECK_OK(xipc_mutex_open(NULL, 0, &k->mutex));
    xt_name("kinds-b", k->npipe);
    xt_name("kinds-m", k->msgpipe);
    CHECK_OK(xipc_npipe_listen(k->npipe, XIPC_NPIPE_BYTE, &k->server));
    CHECK_OK(xipc_npipe_listen(k->msgpipe, XIPC_NPIPE_MESSAGE, &k->msg_server));
    CHECK_OK(xipc_msgpipe_connect(k->msgpipe, 0, &k->msg_client, XT_CHILD_TIMEOUT_MS));
    CHECK_OK(xipc_msgpipe_accept(k->msg_server, &k->msg, XT_CHILD_TIMEOUT_MS));
    xt_os_temp_path("kinds", k->fifo, sizeof k->fifo);
    (void)xipc_fifo_unlink(k->fifo);
    CHECK_OK(
        xipc_fifo_open(k->fifo, XIPC_CREATE | XIPC_FIFO_READ | XIPC_FIFO_NOWAIT, &k->fifo_rd, 0));
    CHECK_OK(
        xipc_fifo_open(k->fifo, XIPC_OPEN | XIPC_FIFO_WRITE | XIPC_FIFO_NOWAIT, &k->fifo_wr, 0));
}

/* The byte server's client comes later (its arrival is the server's trigger), and is accepted
 * separately. */
static void
all_kinds_connect(struct all_kinds *k)
{
    CHECK_OK(xipc_npipe_connect(k->npipe, 0, &k->client, XT_CHILD_TIMEOUT_MS));
}

static void
all_kinds_accept(struct all_kinds *k)
{
    CHECK_OK(xipc_npipe_accept(k->server, &k->conn, XT_CHILD_TIMEOUT_MS));
}

static void
all_kinds_close(struct all_kinds *k)
{
    xipc_stream *streams[] = { k->pipe_rd, k->pipe_wr, k->child_stdin, k->fifo_rd, k->fifo_wr,
        k->conn, k->client };
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++)
        xipc_stream_close(streams[i]);
    xt_expect_exit(k->proc, 4); /* proc_block_on_stdin: end of its stdin */
    xipc_event_close(k->event);
    xipc_sem_close(k->sem);
    xipc_mutex_close(k->mutex);
    xipc_msgpipe_close(k->msg);
    xipc_msgpipe_close(k->msg_client);
    xipc_npipe_close(k->server);
    xipc_npipe_close(k->msg_server);
    CHECK_RC(xipc_fifo_unlink(k->fifo), XIPC_ENOENT); /* its creator, the reader, removed it */
}

/* Checks the kind of h, and that its native is what this platform's answer for obj says (or
 * XIPC_ENOTSUP where there is none) and is ready now exactly when want_ready. Returns whether
 * there was a native. */
static bool
check_native(xipc_handle *h, int kind, int obj, bool write, int want_ready)
{
    intptr_t native = -1;
    int how = xt_os_wait_expected(obj);
    CHECK_EQ(xipc_handle_kind(h), kind);
    if (how == XT_WAIT_NONE) {
        CHECK_RC(xipc_handle_native(h, &native), XIPC_ENOTSUP);
        return false;
    }
    CHECK_OK(xipc_handle_native(h, &native));
    if (xt_os_native_ready(native, how, write) != want_ready)
        xt_fail(__FILE__, __LINE__, "object %d: native %lld ready is not %d", obj,
            (long long)native, want_ready);
    return true;
}

/* Every kind answers xipc_handle_kind, and xipc_handle_native gives the native a wait uses, as
 * each platform's answer says (common/platform.h, "Waiting on objects"): POSIX descriptors that
 * poll() sees ready when a read or accept would not wait; Windows HANDLEs that are signalled, or
 * pipe HANDLEs to arm; nothing for POSIX sync objects and a Windows FIFO reader (which
 * xipc_stream_native used to give as success with a NULL HANDLE). */
void
xt_test_base_every_kind_has_a_native_answer(void)
{
    struct all_kinds k;
    xipc_exit_status st;
    size_t put;
    all_kinds_open(&k);
    check_native(xipc_stream_handle(k.pipe_wr), XIPC_KIND_STREAM, XT_OBJ_PIPE_WRITER, true, 1);
    check_native(xipc_stream_handle(k.pipe_rd), XIPC_KIND_STREAM, XT_OBJ_PIPE_READER, false, 0);
    CHECK_OK(xipc_stream_write(k.pipe_wr, "x", 1, &put, 0));
    check_native(xipc_stream_handle(k.pipe_rd), XIPC_KIND_STREAM, XT_OBJ_PIPE_READER, false, 1);

    check_native(xipc_proc_handle(k.proc), XIPC_KIND_PROC, XT_OBJ_PROC, false, 0);
    xipc_stream_close(k.child_stdin);
    k.child_stdin = NULL;
    CHECK_OK(xipc_proc_wait(k.proc, &st, XT_CHILD_TIMEOUT_MS));
    check_native(xipc_proc_handle(k.proc), XIPC_KIND_PROC, XT_OBJ_PROC, false, 1);

    check_native(xipc_event_handle(k.event), XIPC_KIND_EVENT, XT_OBJ_EVENT, false, 0);
    CHECK_OK(xipc_event_set(k.event));
    check_native(xipc_event_handle(k.event), XIPC_KIND_EVENT, XT_OBJ_EVENT, false, 1);
    check_native(xipc_sem_handle(k.sem), XIPC_KIND_SEM, XT_OBJ_SEM, false, 0);
    CHECK_OK(xipc_sem_post(k.sem));
    if (check_native(xipc_sem_handle(k.sem), XIPC_KIND_SEM, XT_OBJ_SEM, false, 1))
        CHECK_RC(xipc_sem_wait(k.sem, 0), XIPC_ETIMEDOUT); /* the OS wait took the unit */
    check_native(xipc_mutex_handle(k.mutex), XIPC_KIND_MUTEX, XT_OBJ_MUTEX, false, 1);
    CHECK_OK(xipc_mutex_lock(k.mutex, 0)); /* the OS wait gave it back */
    CHECK_OK(xipc_mutex_unlock(k.mutex));

    check_native(xipc_npipe_handle(k.server), XIPC_KIND_NPIPE, XT_OBJ_NPIPE_SERVER, false, 0);
    all_kinds_connect(&k);
    check_native(xipc_npipe_handle(k.server), XIPC_KIND_NPIPE, XT_OBJ_NPIPE_SERVER, false, 1);
    all_kinds_accept(&k);
    check_native(xipc_npipe_handle(k.server), XIPC_KIND_NPIPE, XT_OBJ_NPIPE_SERVER, false, 0);
    check_native(xipc_stream_handle(k.conn), XIPC_KIND_STREAM, XT_OBJ_NPIPE_STREAM, false, 0);
    CHECK_OK(xipc_stream_write(k.client, "x", 1, &put, 0));
    check_native(xipc_stream_handle(k.conn), XIPC_KIND_STREAM, XT_OBJ_NPIPE_STREAM, false, 1);
    CHECK_EQ(xipc_handle_kind(xipc_npipe_handle(k.msg_server)), XIPC_KIND_NPIPE);
    check_native(xipc_msgpipe_handle(k.msg), XIPC_KIND_MSGPIPE, XT_OBJ_MSGPIPE, false, 0);
    CHECK_OK(xipc_msgpipe_send(k.msg_client, "m", 1, 0));
    check_native(xipc_msgpipe_handle(k.msg), XIPC_KIND_MSGPIPE, XT_OBJ_MSGPIPE, false, 1);

    check_native(xipc_stream_handle(k.fifo_wr), XIPC_KIND_STREAM, XT_OBJ_FIFO_WRITER, true, 1);
    check_native(xipc_stream_handle(k.fifo_rd), XIPC_KIND_STREAM, XT_OBJ_FIFO_READER, false, 0);
    CHECK_OK(xipc_stream_write(k.fifo_wr, "x", 1, &put, 0));
    check_native(xipc_stream_handle(k.fifo_rd), XIPC_KIND_STREAM, XT_OBJ_FIFO_READER, false, 1);
    all_kinds_close(&k);
}

void
xt_test_base_handle_kind_and_native_bad_input(void)
{
    static char never_a_handle[64];
    intptr_t native = 0;
    xipc_stream *rd, *wr;
    CHECK_RC(xipc_handle_kind(NULL), XIPC_EINVAL);
    CHECK_RC(xipc_handle_kind((xipc_handle *)(void *)never_a_handle), XIPC_EBADF);
    CHECK_RC(xipc_handle_native(NULL, &native), XIPC_EINVAL);
    CHECK_RC(xipc_handle_native((xipc_handle *)(void *)never_a_handle, &native), XIPC_EBADF);
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_RC(xipc_handle_native(xipc_stream_handle(rd), NULL), XIPC_EINVAL);
    xipc_stream_close(rd);
    CHECK_RC(xipc_handle_kind(xipc_stream_handle(rd)), XIPC_EBADF);
    CHECK_RC(xipc_handle_native(xipc_stream_handle(rd), &native), XIPC_EBADF);
    xipc_stream_close(wr);
    CHECK(xipc_proc_handle(NULL) == NULL);
    CHECK(xipc_npipe_handle(NULL) == NULL);
    CHECK(xipc_msgpipe_handle(NULL) == NULL);
}

/* Tries to import native as every kind, as a child given a wrong or stale text would. Each
 * import must refuse: this process's objects hold every new native. */
static void
expect_no_import_takes(intptr_t native)
{
    static const char *const kinds[] = { "stream:rw", "stream:r", "event", "sem", "mutex" };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char text[XIPC_HANDLE_TEXT_MAX];
        int rc = 0;
        xipc_stream *s = NULL;
        xipc_event *ev = NULL;
        xipc_sem *sem = NULL;
        xipc_mutex *mx = NULL;
        snprintf(text, sizeof text, "xipc1:%s:%lld", kinds[i], (long long)native);
        if (i < 2)
            rc = xipc_stream_import(text, &s);
        else if (i == 2)
            rc = xipc_event_import(text, &ev);
        else if (i == 3)
            rc = xipc_sem_import(text, &sem);
        else
            rc = xipc_mutex_import(text, &mx);
        if (rc == 0)
            xt_fail(__FILE__, __LINE__, "%s took a native an xipc object holds", text);
        CHECK(s == NULL && ev == NULL && sem == NULL && mx == NULL);
    }
}

/* No import ever takes a native handle that a live object of this process holds, whatever the
 * object uses it for (xipc__handle_owns_native asks every kind through the kind table): a second
 * owner would close it under the first. Every native that appears while one object of each kind
 * is open is tried as every importable kind. Before the kind table, a Windows named-pipe
 * server's spare instance and a FIFO reader's pipe instances and events were not counted, and a
 * stream or event import took them. */
void
xt_test_base_imports_never_take_what_an_object_holds(void)
{
    enum { CAP = 4096 };
    static intptr_t before[CAP], after[CAP];
    struct all_kinds k;
    xt_warm_up();
    /* A first round makes whatever the OS or its runtime adds once per process, for good. */
    all_kinds_open(&k);
    all_kinds_connect(&k);
    all_kinds_accept(&k);
    all_kinds_close(&k);
    size_t n_before = xt_os_list_natives(before, CAP);
    all_kinds_open(&k);
    all_kinds_connect(&k);
    all_kinds_accept(&k);
    size_t n_after = xt_os_list_natives(after, CAP);
    CHECK(n_before <= CAP && n_after <= CAP);
    size_t tried = 0;
    for (size_t i = 0; i < n_after; i++) {
        bool old = false;
        for (size_t j = 0; j < n_before && !old; j++)
            old = before[j] == after[i];
        if (!old) {
            expect_no_import_takes(after[i]);
            tried++;
        }
    }
    CHECK_GE(tried, 12); /* at least one native of each object */
    all_kinds_close(&k);
    CHECK_EQ(xt_os_list_natives(after, CAP), n_before);
}

/* ---- the framework's child exit codes ------------------------------------------------------- */

/* Whether a child exit code already means something other than an xipc result (xt.h). */
static bool
exit_code_is_taken(int code)
{
    static const int taken[] = { 0, 1, 2, 3, 4, 5, 9, 23, 29, 37, 38, 53, 57, 58, 66, XT_SKIP_CODE,
        XT_IMPORT_FAILED_CODE, 116, 253, 255 };
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        if (taken[i] == code)
            return true;
    return (code >= 140 && code <= 150) || (code > 128 && code <= 128 + 64);
}

/* The exit code of a child that reports err, as its parent reads it. */
static uint32_t
exit_code_across(int err)
{
    char code[16];
    xipc_exit_status st = { 0, 0 };
    snprintf(code, sizeof code, "%d", xt_child_exit_code(err));
    const char *args[] = { code, NULL };
    xipc_proc *p = xt_spawn_child("proc_exit_with", args, NULL, NULL, 0);
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    CHECK_EQ(st.kind, XIPC_EXIT_NORMAL);
    return st.code;
}

/* Every XIPC_E* code has its own child exit code, clear of the codes that mean something else,
 * and the parent reads the error back from it; ETIMEDOUT and ECHILD used to share 110. */
void
xt_test_base_child_exit_codes_name_each_error(void)
{
    static const int errors[] = {
#define XT_ERROR_ROW(name, value, text) XIPC_##name,
        XIPC_ERRNO_MAP(XT_ERROR_ROW)
#undef XT_ERROR_ROW
    };
    enum { N = sizeof errors / sizeof errors[0] };
    int codes[N];
    CHECK_EQ(xt_child_exit_code(0), 0);
    for (int i = 0; i < N; i++) {
        codes[i] = xt_child_exit_code(errors[i]);
        CHECK(!exit_code_is_taken(codes[i]));
        CHECK(codes[i] > 0 && codes[i] < 255);
        CHECK_STR(xipc_errname(xt_child_exit_error(codes[i])), xipc_errname(errors[i]));
        for (int j = 0; j < i; j++)
            CHECK(codes[j] != codes[i]);
    }
    CHECK_EQ(xt_child_exit_error(1), 0);
    CHECK_EQ(xt_child_exit_error(XT_SKIP_CODE), 0);
    uint32_t timedout = exit_code_across(XIPC_ETIMEDOUT), nochild = exit_code_across(XIPC_ECHILD);
    CHECK(timedout != nochild);
    CHECK_STR(xipc_errname(xt_child_exit_error((int)timedout)), "XIPC_ETIMEDOUT");
    CHECK_STR(xipc_errname(xt_child_exit_error((int)nochild)), "XIPC_ECHILD");
}
