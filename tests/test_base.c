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
            if (xipc_pipe(&ends[2 * i], &ends[2 * i + 1], 0) != 0)
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
        CHECK_OK(xipc_pipe(&live[2 * i], &live[2 * i + 1], 0));
    xt_os_thread *t[2];
    for (int i = 0; i < 2; i++)
        CHECK((t[i] = xt_os_thread_start(churn_pipes, &churn[i])) != NULL);
    long checks = 0, wrong = 0;
    for (; checks < 1000 || !atomic_load(&churn[0].done) || !atomic_load(&churn[1].done);
         checks++) {
        wrong += xipc_stream_native(live[checks % (2 * LIVE)], &native) != 0;
        wrong += xipc_stream_native((xipc_stream *)(void *)never_a_handle, &native) != XIPC_EBADF;
    }
    for (int i = 0; i < 2; i++)
        xt_os_thread_join(t[i]);
    CHECK_EQ(wrong, 0);
    CHECK_EQ(churn[0].failures + churn[1].failures, 0);
    for (int i = 0; i < 2 * LIVE; i++)
        xipc_stream_close(live[i]);
    CHECK_RC(xipc_stream_native(live[0], &native), XIPC_EBADF);
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
        int rc = xipc_sem_open(name, XIPC_SYNC_CREATE, 0, &s);
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
    EXPECT_MISUSE(xipc_event_open("a/b", XIPC_SYNC_CREATE, &ev), "name: a '/'");
    EXPECT_MISUSE(xipc_mutex_open(".x", XIPC_SYNC_CREATE, &mx), "name: starts with '.'");
    EXPECT_MISUSE(xipc_event_open("abc", 0, &ev), "flags: neither XIPC_SYNC_CREATE nor");
    EXPECT_MISUSE(xipc_mutex_open("abc", XIPC_SYNC_CREATE, NULL), "out: NULL");
    EXPECT_MISUSE(xipc_pipe(&rd, &wr, 1), "flags: not 0");
    CHECK_OK(xipc_pipe(&rd, &wr, 0));
    EXPECT_MISUSE(xipc_stream_read(wr, buf, sizeof buf, &got, 0), "s: a write end");
    EXPECT_MISUSE(xipc_stream_write(rd, "x", 1, &got, 0), "s: a read end");
    EXPECT_MISUSE(xipc_event_set((xipc_event *)(void *)rd), "handle: of another kind");
    xipc_stream_close(rd);
    EXPECT_MISUSE(xipc_stream_write(wr, NULL, 1, &got, 0), "buf: NULL");
    xipc_stream_close(wr);

    /* A byte-mode connect to a message-mode server, found out by the platform. */
    xt_name("misuse", name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_MESSAGE, &srv));
    EXPECT_MISUSE(xipc_npipe_connect(name, &conn, 1000), "name: a server of the other mode");
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
        r->churn_wrong += xipc_stream_native(end, &native) != XIPC_EBADF;
    }
}

static void
lockfree_churn(void *arg)
{
    struct lockfree_run *r = arg;
    static xipc_stream *fillers[2 * LOCKFREE_FILL];
    for (int round = 1; round <= r->rounds; round++) {
        for (int i = 0; i < LOCKFREE_FILL; i++)
            CHECK_OK(xipc_pipe(&fillers[2 * i], &fillers[2 * i + 1], 0));
        for (int i = 0; i < LOCKFREE_BATCH; i++)
            CHECK_OK(xipc_pipe(&r->batch[2 * i], &r->batch[2 * i + 1], 0));
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
                wrong += xipc_stream_native(s, &native) != 0;
                wrong += xipc_event_set((xipc_event *)(void *)s) != XIPC_EINVAL;
            }
            xipc_stream *never = (xipc_stream *)(void *)never_a_handle;
            wrong += xipc_stream_native(never, &native) != XIPC_EBADF;
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
    CHECK_OK(xipc_pipe(&run.rd, &run.wr, 0));
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
