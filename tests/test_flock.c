/* tests/test_flock.c: byte-range file locks (xipc/flock.h) across real processes: mutual
 * exclusion of a counter, shared and exclusive conflicts, disjoint ranges, a killed or closing
 * holder, two handles of one process, ranges to the end of the file, timeouts, locks of a program
 * that never heard of xipc, bad input and handle leaks. */
#include "xt.h"

#include <errno.h>

/* ---- helpers -------------------------------------------------------------------------------- */

/* A fresh, empty lock file for this test. */
static void
fresh_file(const char *tag, char *path, size_t cap)
{
    xipc_flock *f = NULL;
    xt_os_temp_path(tag, path, cap);
    (void)remove(path);
    CHECK_OK(xipc_flock_open(path, XIPC_CREATE, &f));
    xipc_flock_close(f);
}

static uint64_t
arg_u64(const char *s)
{
    return (uint64_t)strtoull(s, NULL, 10);
}

static int
arg_type(const char *s)
{
    return strcmp(s, "ex") == 0 ? XIPC_FLOCK_EXCLUSIVE : XIPC_FLOCK_SHARED;
}

/* What a child's try of a lock ended with (flock_try): 0 held, or the XIPC_E* code. */
static int
child_try(const char *path, const char *offset, const char *len, const char *type, const char *ms)
{
    const char *args[] = { path, offset, len, type, ms, NULL };
    xipc_exit_status st;
    xipc_proc *p = xt_spawn_child("flock_try", args, NULL, NULL, 0);
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    CHECK_EQ(st.kind, XIPC_EXIT_NORMAL);
    return st.code == 0 ? 0 : xt_child_exit_error((int)st.code);
}

/* Tries the lock with the given timeout, then unlocks it when it was taken: the result. */
int
xt_child_flock_try(int argc, char **argv)
{
    xipc_flock *f = NULL;
    (void)argc;
    CHECK_OK(xipc_flock_open(argv[1], XIPC_OPEN, &f));
    uint64_t offset = arg_u64(argv[2]), len = arg_u64(argv[3]);
    int rc = xipc_flock_lock(f, offset, len, arg_type(argv[4]), atoi(argv[5]));
    xipc_flock_close(f);
    return xt_child_exit_code(rc);
}

/* A holder: locks the range, says ready, waits for go; then waits pause_ms, closes the handle
 * (its locks go), says ready, waits for go again and exits. */
int
xt_child_flock_hold(int argc, char **argv)
{
    xipc_flock *f = NULL;
    xt_channel ch;
    (void)argc;
    xt_channel_import(&ch, argv[5], argv[6]);
    CHECK_OK(xipc_flock_open(argv[1], XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_lock(f, arg_u64(argv[2]), arg_u64(argv[3]), arg_type(argv[4]), 0));
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    /* Long enough that the test is sure to wait in its lock call when the lock goes. */
    xt_os_sleep_ms(300);
    xipc_flock_close(f);
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    xt_channel_close(&ch);
    return 0;
}

/* Starts flock_hold on the range and waits until it holds it. */
static xipc_proc *
start_holder(
    xt_channel *ch, const char *path, const char *offset, const char *len, const char *type)
{
    xipc_handle *ends[2];
    const char *args[] = { path, offset, len, type, NULL };
    xt_channel_open(ch);
    xt_channel_child_ends(ch, ends);
    xipc_proc *p = xt_spawn_passing("flock_hold", args, NULL, ends, 2);
    xt_channel_wait_ready(ch);
    return p;
}

/* Lets the holder close and exit. */
static void
finish_holder(xt_channel *ch, xipc_proc *p)
{
    xt_channel_go(ch);
    xt_channel_wait_ready(ch);
    xt_channel_go(ch);
    xt_expect_exit(p, 0);
    xt_channel_close(ch);
}

static uint64_t
elapsed_ms(uint64_t since)
{
    return xt_os_now_ms() - since;
}

/* ---- mutual exclusion ----------------------------------------------------------------------- */

#define COUNTER_CHILDREN 5
#define COUNTER_ROUNDS   300

/* rounds increments of the 8-byte counter at offset 0, each under an exclusive lock of the
 * counter's bytes: every other child without a limit, the others with one (a helper's wait). */
int
xt_child_flock_counter(int argc, char **argv)
{
    xipc_flock *f = NULL;
    xipc_event *start = NULL;
    int rounds = atoi(argv[2]), timeout_ms = atoi(argv[3]);
    (void)argc;
    CHECK_OK(xipc_event_import(argv[4], &start));
    CHECK_OK(xipc_flock_open(argv[1], XIPC_OPEN, &f));
    CHECK_OK(xipc_event_wait(start, XT_CHILD_TIMEOUT_MS)); /* all children start at once */
    xipc_event_close(start);
    for (int i = 0; i < rounds; i++) {
        uint64_t value = 0;
        size_t got = 0;
        CHECK_OK(xipc_flock_lock(f, 0, 8, XIPC_FLOCK_EXCLUSIVE, timeout_ms));
        CHECK_OK(xipc_flock_read_at(f, 0, &value, sizeof value, &got));
        CHECK(got == 0 || got == sizeof value);
        value++;
        CHECK_OK(xipc_flock_write_at(f, 0, &value, sizeof value));
        CHECK_OK(xipc_flock_unlock(f, 0, 8));
    }
    xipc_flock_close(f);
    return 0;
}

void
xt_test_flock_counter_5_processes_x_300(void)
{
    char path[512], rounds[16];
    xipc_proc *kids[COUNTER_CHILDREN];
    xipc_flock *f = NULL;
    uint64_t value = 0;
    size_t got = 0;
    xipc_event *start = NULL;
    fresh_file("flock.counter", path, sizeof path);
    snprintf(rounds, sizeof rounds, "%d", COUNTER_ROUNDS);
    CHECK_OK(xipc_event_open(NULL, XIPC_EVENT_MANUAL_RESET, &start));
    xipc_handle *pass[1] = { xipc_event_handle(start) };
    for (int i = 0; i < COUNTER_CHILDREN; i++) {
        const char *args[] = { path, rounds, i % 2 ? "30000" : "-1", NULL };
        kids[i] = xt_spawn_passing("flock_counter", args, NULL, pass, 1);
    }
    CHECK_OK(xipc_event_set(start));
    xipc_event_close(start);
    for (int i = 0; i < COUNTER_CHILDREN; i++)
        xt_expect_exit(kids[i], 0);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_read_at(f, 0, &value, sizeof value, &got));
    CHECK_EQ(got, sizeof value);
    CHECK_EQ(value, COUNTER_CHILDREN * COUNTER_ROUNDS);
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

/* ---- conflicts ------------------------------------------------------------------------------ */

void
xt_test_flock_shared_and_exclusive_across_processes(void)
{
    char path[512];
    xipc_flock *f = NULL;
    fresh_file("flock.types", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_lock(f, 0, 100, XIPC_FLOCK_SHARED, 0));
    CHECK_EQ(child_try(path, "50", "10", "sh", "0"), 0);
    CHECK_EQ(child_try(path, "50", "10", "ex", "0"), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_flock_unlock(f, 0, 100));
    CHECK_OK(xipc_flock_lock(f, 0, 100, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_EQ(child_try(path, "99", "1", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "99", "1", "ex", "0"), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "100", "1", "ex", "0"), 0);
    xipc_flock_close(f);
    CHECK_EQ(child_try(path, "0", "100", "ex", "0"), 0); /* close released it */
    CHECK_EQ(remove(path), 0);
}

void
xt_test_flock_disjoint_ranges_at_once(void)
{
    char path[512];
    xt_channel ch;
    xipc_flock *f = NULL;
    fresh_file("flock.disjoint", path, sizeof path);
    xipc_proc *p = start_holder(&ch, path, "0", "10", "ex");
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_lock(f, 10, 10, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_OK(xipc_flock_lock(f, 30, 5, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_RC(xipc_flock_lock(f, 5, 1, XIPC_FLOCK_SHARED, 0), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "20", "10", "ex", "0"), 0);
    CHECK_EQ(child_try(path, "19", "2", "ex", "0"), XIPC_ETIMEDOUT);
    finish_holder(&ch, p);
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

#define KILL_ROUNDS 3

void
xt_test_flock_killed_holder_releases(void)
{
    char path[512];
    xipc_flock *f = NULL;
    xipc_exit_status st;
    fresh_file("flock.killed", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    for (int round = 0; round < KILL_ROUNDS; round++) {
        xt_channel ch;
        xipc_proc *p = start_holder(&ch, path, "0", "0", "ex");
        CHECK_RC(xipc_flock_lock(f, 4096, 1, XIPC_FLOCK_SHARED, 0), XIPC_ETIMEDOUT);
        CHECK_OK(xipc_proc_kill(p));
        CHECK_OK(xipc_flock_lock(f, 4096, 1, XIPC_FLOCK_SHARED, XT_CHILD_TIMEOUT_MS));
        CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
        CHECK_EQ(st.kind, XIPC_EXIT_KILLED);
        xipc_proc_close(p);
        xt_channel_close(&ch);
        CHECK_OK(xipc_flock_unlock(f, 4096, 1));
    }
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_flock_close_releases_while_the_holder_lives(void)
{
    char path[512];
    xt_channel ch;
    fresh_file("flock.close", path, sizeof path);
    xipc_proc *p = start_holder(&ch, path, "0", "64", "ex");
    CHECK_EQ(child_try(path, "0", "1", "sh", "0"), XIPC_ETIMEDOUT);
    xt_channel_go(&ch);
    xt_channel_wait_ready(&ch); /* the holder closed its handle and still runs */
    CHECK_EQ(child_try(path, "0", "64", "ex", "0"), 0);
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    CHECK_EQ(remove(path), 0);
}

/* Locks belong to the handle: two handles of one process conflict, and closing one (any
 * descriptor of the file, for classic fcntl locks) leaves the other's locks in place. */
void
xt_test_flock_two_handles_in_one_process(void)
{
    char path[512];
    xipc_flock *a = NULL, *b = NULL, *c = NULL;
    fresh_file("flock.handles", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &a));
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &b));
    CHECK_OK(xipc_flock_lock(a, 0, 10, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_RC(xipc_flock_lock(b, 5, 10, XIPC_FLOCK_SHARED, 0), XIPC_ETIMEDOUT);
    CHECK_RC(xipc_flock_lock(b, 5, 10, XIPC_FLOCK_SHARED, 50), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_flock_lock(b, 10, 10, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &c));
    xipc_flock_close(c);
    xipc_flock_close(b);
    CHECK_EQ(child_try(path, "0", "10", "sh", "0"), XIPC_ETIMEDOUT); /* a's lock stays */
    CHECK_EQ(child_try(path, "10", "10", "ex", "0"), 0); /* b's went with b */
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &b));
    CHECK_RC(xipc_flock_lock(b, 9, 1, XIPC_FLOCK_SHARED, 0), XIPC_ETIMEDOUT);
    xipc_flock_close(a);
    CHECK_OK(xipc_flock_lock(b, 9, 1, XIPC_FLOCK_SHARED, 0));
    xipc_flock_close(b);
    CHECK_EQ(remove(path), 0);
}

/* len 0 runs to the end of the file, however it grows. */
void
xt_test_flock_len_0_covers_bytes_written_later(void)
{
    char path[512];
    xipc_flock *f = NULL;
    fresh_file("flock.toeof", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_lock(f, 100, 0, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_OK(xipc_flock_write_at(f, 1000000, "grown", 5));
    CHECK_EQ(child_try(path, "1000002", "1", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "5000000000", "1", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "99", "2", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "0", "100", "ex", "0"), 0);
    CHECK_OK(xipc_flock_unlock(f, 100, 0));
    CHECK_EQ(child_try(path, "1000002", "1", "ex", "0"), 0);
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

/* ---- timeouts ------------------------------------------------------------------------------- */

#define SHORT_MS 200

void
xt_test_flock_timeout_short_then_forever_then_limit(void)
{
    char path[512];
    xt_channel ch;
    xipc_flock *f = NULL, *g = NULL;
    fresh_file("flock.timeouts", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &g));
    xipc_proc *p = start_holder(&ch, path, "0", "16", "ex");
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_flock_lock(f, 0, 16, XIPC_FLOCK_EXCLUSIVE, SHORT_MS), XIPC_ETIMEDOUT);
    CHECK_GE(elapsed_ms(t0), SHORT_MS);
    CHECK_LT(elapsed_ms(t0), SHORT_MS + XT_SLACK_MS);
    /* Nothing held after the timeout: the range is free to this handle's table... */
    CHECK_RC(xipc_flock_lock(f, 0, 16, XIPC_FLOCK_EXCLUSIVE, 0), XIPC_ETIMEDOUT);
    /* ...and once the holder lets go, another handle takes it at once: a lock the timed-out
     * wait got late would be in the way. */
    xt_channel_go(&ch);
    xt_channel_wait_ready(&ch);
    CHECK_OK(xipc_flock_lock(g, 0, 16, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_OK(xipc_flock_unlock(g, 0, 16));
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);

    /* Forever, then released (the holder waits 300 ms after go before it closes). */
    p = start_holder(&ch, path, "0", "16", "sh");
    xt_channel_go(&ch);
    t0 = xt_os_now_ms();
    CHECK_OK(xipc_flock_lock(f, 8, 1, XIPC_FLOCK_EXCLUSIVE, XIPC_FOREVER));
    CHECK_GE(elapsed_ms(t0), 100);
    CHECK_OK(xipc_flock_unlock(f, 8, 1));
    xt_channel_wait_ready(&ch);
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);

    /* A limit, then released before it. */
    p = start_holder(&ch, path, "0", "16", "ex");
    xt_channel_go(&ch);
    t0 = xt_os_now_ms();
    CHECK_OK(xipc_flock_lock(f, 0, 16, XIPC_FLOCK_SHARED, XT_CHILD_TIMEOUT_MS));
    CHECK_GE(elapsed_ms(t0), 100);
    xt_channel_wait_ready(&ch);
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_flock_close(f);
    xipc_flock_close(g);
    CHECK_EQ(remove(path), 0);
}

/* ---- threads ------------------------------------------------------------------------------- */

struct thread_wait {
    xipc_flock *f;
    int rc;
};

static void
wait_in_thread(void *arg)
{
    struct thread_wait *tw = arg;
    /* XIPC_EBUSY while the main thread's probe of [8, 9) is in the way: try again. */
    do
        tw->rc = xipc_flock_lock(tw->f, 0, 16, XIPC_FLOCK_EXCLUSIVE, XT_CHILD_TIMEOUT_MS);
    while (tw->rc == XIPC_EBUSY);
}

/* A thread's limited wait for an exclusive lock of [offset, offset + 16). */
struct range_wait {
    xipc_flock *f;
    uint64_t offset;
    int rc;
};

static void
wait_for_range(void *arg)
{
    struct range_wait *rw = arg;
    /* XIPC_EBUSY while the main thread's probe is in the way: try again. */
    do
        rw->rc = xipc_flock_lock(rw->f, rw->offset, 16, XIPC_FLOCK_EXCLUSIVE, XT_CHILD_TIMEOUT_MS);
    while (rw->rc == XIPC_EBUSY);
}

/* One handle, two threads: a range one thread waits for is the handle's (XIPC_EBUSY to the
 * other, and no unlock of it), while the other locks and unlocks ranges beside it. */
void
xt_test_flock_threads_share_a_handle(void)
{
    char path[512];
    xt_channel ch;
    xipc_flock *f = NULL;
    struct thread_wait tw = { NULL, -1 };
    int rc = 0;
    fresh_file("flock.threads", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    xipc_proc *p = start_holder(&ch, path, "0", "16", "ex");
    tw.f = f;
    xt_os_thread *t = xt_os_thread_start(wait_in_thread, &tw);
    /* Until the thread has entered its wait, the range is free to this handle's table. */
    uint64_t t0 = xt_os_now_ms();
    while ((rc = xipc_flock_lock(f, 8, 1, XIPC_FLOCK_SHARED, 0)) == XIPC_ETIMEDOUT &&
        elapsed_ms(t0) < XT_CHILD_TIMEOUT_MS)
        xt_os_sleep_ms(1);
    CHECK_RC(rc, XIPC_EBUSY);
    CHECK_RC(xipc_flock_unlock(f, 0, 16), XIPC_ENOENT);
    CHECK_OK(xipc_flock_lock(f, 16, 4, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_OK(xipc_flock_unlock(f, 16, 4));
    xt_channel_go(&ch); /* the holder lets go: the thread's wait ends with the lock */
    xt_os_thread_join(t);
    CHECK_OK(tw.rc);
    xt_channel_wait_ready(&ch);
    CHECK_EQ(child_try(path, "15", "1", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_flock_unlock(f, 0, 16));
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

/* Two threads of one handle wait with a limit at once, for two ranges of one held lock: each
 * wait has its own helper (POSIX), and both end with their lock when the holder lets go; once the
 * handle closes, no helper is left. */
void
xt_test_flock_limited_waits_in_two_threads_at_once(void)
{
    char path[512];
    xt_channel ch;
    xipc_flock *f = NULL;
    struct range_wait waits[2];
    xt_os_thread *t[2];
    fresh_file("flock.twowaits", path, sizeof path);
    int threads = xt_os_thread_count();
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    xipc_proc *p = start_holder(&ch, path, "0", "32", "ex");
    for (int i = 0; i < 2; i++) {
        waits[i] = (struct range_wait) { f, (uint64_t)i * 16, -1 };
        t[i] = xt_os_thread_start(wait_for_range, &waits[i]);
    }
    /* Both waits are under way once each range is the handle's (XIPC_EBUSY to a probe). */
    uint64_t t0 = xt_os_now_ms();
    while ((xipc_flock_lock(f, 8, 1, XIPC_FLOCK_SHARED, 0) != XIPC_EBUSY ||
               xipc_flock_lock(f, 24, 1, XIPC_FLOCK_SHARED, 0) != XIPC_EBUSY) &&
        elapsed_ms(t0) < XT_CHILD_TIMEOUT_MS)
        xt_os_sleep_ms(1);
    xt_channel_go(&ch); /* the holder lets go after 300 ms */
    for (int i = 0; i < 2; i++) {
        xt_os_thread_join(t[i]);
        CHECK_OK(waits[i].rc);
    }
    xt_channel_wait_ready(&ch);
    CHECK_EQ(child_try(path, "15", "1", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "16", "1", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_flock_unlock(f, 0, 16));
    CHECK_OK(xipc_flock_unlock(f, 16, 16));
    CHECK_EQ(child_try(path, "0", "32", "ex", "0"), 0);
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    xipc_flock_close(f);
    CHECK_EQ(xt_os_thread_count(), threads);
    CHECK_EQ(remove(path), 0);
}

/* Each round: takes byte 0 (waiting for the test to let go of it), says ready, waits for go,
 * holds it hold_ms more, unlocks, says ready and waits for go. */
int
xt_child_flock_pulse(int argc, char **argv)
{
    xipc_flock *f = NULL;
    xt_channel ch;
    int rounds = atoi(argv[2]), hold_ms = atoi(argv[3]);
    (void)argc;
    xt_channel_import(&ch, argv[4], argv[5]);
    CHECK_OK(xipc_flock_open(argv[1], XIPC_OPEN, &f));
    for (int i = 0; i < rounds; i++) {
        CHECK_OK(xipc_flock_lock(f, 0, 1, XIPC_FLOCK_EXCLUSIVE, XIPC_FOREVER));
        xt_channel_ready(&ch);
        xt_channel_wait_go(&ch);
        xt_os_sleep_ms(hold_ms);
        CHECK_OK(xipc_flock_unlock(f, 0, 1));
        xt_channel_ready(&ch);
        xt_channel_wait_go(&ch);
    }
    xipc_flock_close(f);
    xt_channel_close(&ch);
    return 0;
}

#define PULSE_ROUNDS  60
#define PULSE_HOLD_MS 3

/* Many limited waits in a row whose deadline falls about when the holder lets go: some get the
 * lock, some time out, some see it granted as the deadline passes. Whatever the outcome, the
 * handle holds exactly what the call reported (a lock granted too late was given back), and the
 * waits leave no thread behind: at most one idle helper (POSIX) while lock handles are open, none
 * once the last closes. */
void
xt_test_flock_limited_waits_at_the_deadline(void)
{
    char path[512], rounds[16], hold[16];
    xipc_handle *ends[2];
    xt_channel ch;
    xipc_flock *f = NULL, *probe = NULL;
    int got = 0, late = 0;
    fresh_file("flock.deadline", path, sizeof path);
    snprintf(rounds, sizeof rounds, "%d", PULSE_ROUNDS);
    snprintf(hold, sizeof hold, "%d", PULSE_HOLD_MS);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &probe));
    int threads = xt_os_thread_count();
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    const char *args[] = { path, rounds, hold, NULL };
    xt_channel_open(&ch);
    xt_channel_child_ends(&ch, ends);
    xipc_proc *p = xt_spawn_passing("flock_pulse", args, NULL, ends, 2);
    for (int i = 0; i < PULSE_ROUNDS; i++) {
        xt_channel_wait_ready(&ch); /* the child holds byte 0 */
        xt_channel_go(&ch);
        int rc = xipc_flock_lock(f, 0, 1, XIPC_FLOCK_EXCLUSIVE, PULSE_HOLD_MS - 1 + i % 3);
        CHECK(rc == 0 || rc == XIPC_ETIMEDOUT);
        xt_channel_wait_ready(&ch); /* the child let go */
        CHECK_RC(xipc_flock_lock(probe, 0, 1, XIPC_FLOCK_SHARED, 0), rc == 0 ? XIPC_ETIMEDOUT : 0);
        CHECK_OK(rc == 0 ? xipc_flock_unlock(f, 0, 1) : xipc_flock_unlock(probe, 0, 1));
        got += rc == 0;
        late += rc != 0;
        CHECK(threads < 0 || xt_os_thread_count() <= threads + 1);
        xt_channel_go(&ch);
    }
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    printf("note: %d waits got the lock, %d timed out\n", got, late);
    xipc_flock_close(f);
    xipc_flock_close(probe); /* the last lock handle: its close ends the idle helper */
    CHECK_EQ(xt_os_thread_count(), threads);
    CHECK_EQ(remove(path), 0);
}

/* ---- a program that never heard of xipc ----------------------------------------------------- */

/* Takes a raw OS lock (xt_os_raw_file_lock): exits 10 on a conflict; otherwise says ready, holds
 * it until go and exits 0. */
int
xt_child_flock_raw(int argc, char **argv)
{
    xt_channel ch;
    (void)argc;
    xt_channel_import(&ch, argv[4], argv[5]);
    int r = xt_os_raw_file_lock(argv[1], arg_u64(argv[2]), arg_u64(argv[3]), true);
    CHECK(r >= 0);
    if (r == 1)
        return 10;
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    xt_channel_close(&ch);
    return 0;
}

static xipc_proc *
start_raw(xt_channel *ch, const char *path, const char *offset, const char *len)
{
    xipc_handle *ends[2];
    const char *args[] = { path, offset, len, NULL };
    xt_channel_open(ch);
    xt_channel_child_ends(ch, ends);
    return xt_spawn_passing("flock_raw", args, NULL, ends, 2);
}

void
xt_test_flock_conflicts_with_raw_os_locks(void)
{
    char path[512];
    xt_channel ch;
    xipc_flock *f = NULL;
    fresh_file("flock.raw", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_lock(f, 10, 10, XIPC_FLOCK_SHARED, 0));
    xipc_proc *p = start_raw(&ch, path, "15", "1"); /* xipc's shared lock refuses it */
    xt_expect_exit(p, 10);
    xt_channel_close(&ch);
    CHECK_OK(xipc_flock_unlock(f, 10, 10));
    p = start_raw(&ch, path, "15", "0");
    xt_channel_wait_ready(&ch); /* the raw lock is held */
    CHECK_RC(xipc_flock_lock(f, 1000, 1, XIPC_FLOCK_SHARED, 0), XIPC_ETIMEDOUT);
    CHECK_RC(xipc_flock_lock(f, 0, 16, XIPC_FLOCK_EXCLUSIVE, 50), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_flock_lock(f, 0, 15, XIPC_FLOCK_EXCLUSIVE, 0));
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
    CHECK_OK(xipc_flock_lock(f, 1000, 1, XIPC_FLOCK_SHARED, XT_CHILD_TIMEOUT_MS));
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

/* ---- reads and writes, ranges, bad input ---------------------------------------------------- */

void
xt_test_flock_read_write_and_mandatory_locks(void)
{
    char path[512], buf[16];
    size_t got = 1;
    xipc_flock *f = NULL, *g = NULL;
    fresh_file("flock.io", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &g));
    CHECK_OK(xipc_flock_read_at(f, 0, buf, sizeof buf, &got));
    CHECK_EQ(got, 0);
    CHECK_OK(xipc_flock_write_at(f, 3, "locked", 6));
    CHECK_OK(xipc_flock_lock(f, 0, 0, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_OK(xipc_flock_read_at(f, 3, buf, sizeof buf, &got));
    CHECK_EQ(got, 6);
    CHECK(memcmp(buf, "locked", 6) == 0);
    CHECK_OK(xipc_flock_read_at(f, 100, buf, sizeof buf, &got));
    CHECK_EQ(got, 0);
    /* Windows locks are mandatory; POSIX ones advisory; Wine lets the read through. */
    int rc = xipc_flock_read_at(g, 3, buf, sizeof buf, &got);
    if (xt_os_is_wine())
        printf("note: Wine reads through another handle's lock: %s\n", xipc_errname(rc));
    else
        CHECK(rc == 0 || rc == XIPC_EBUSY);
    xipc_flock_close(f);
    CHECK_OK(xipc_flock_read_at(g, 3, buf, sizeof buf, &got));
    CHECK_EQ(got, 6);
    xipc_flock_close(g);
    CHECK_EQ(remove(path), 0);
}

/* One lock per range: overlaps are refused, converting needs an unlock, unlocks are exact. */
void
xt_test_flock_overlap_convert_and_exact_unlock(void)
{
    char path[512];
    xipc_flock *f = NULL;
    fresh_file("flock.ranges", path, sizeof path);
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_lock(f, 10, 10, XIPC_FLOCK_SHARED, 0));
    CHECK_RC(xipc_flock_lock(f, 10, 10, XIPC_FLOCK_EXCLUSIVE, 0), XIPC_EBUSY);
    CHECK_RC(xipc_flock_lock(f, 19, 5, XIPC_FLOCK_SHARED, 0), XIPC_EBUSY);
    CHECK_RC(xipc_flock_lock(f, 0, 0, XIPC_FLOCK_SHARED, 0), XIPC_EBUSY);
    CHECK_OK(xipc_flock_lock(f, 20, 5, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_RC(xipc_flock_unlock(f, 10, 5), XIPC_ENOENT);
    CHECK_RC(xipc_flock_unlock(f, 10, 15), XIPC_ENOENT);
    CHECK_RC(xipc_flock_unlock(f, 10, 0), XIPC_ENOENT);
    CHECK_EQ(child_try(path, "12", "1", "ex", "0"), XIPC_ETIMEDOUT); /* still held */
    CHECK_OK(xipc_flock_unlock(f, 10, 10));
    CHECK_RC(xipc_flock_unlock(f, 10, 10), XIPC_ENOENT);
    CHECK_OK(xipc_flock_lock(f, 10, 10, XIPC_FLOCK_EXCLUSIVE, 0)); /* the convert */
    CHECK_EQ(child_try(path, "12", "1", "sh", "0"), XIPC_ETIMEDOUT);
    CHECK_EQ(child_try(path, "25", "1", "ex", "0"), 0);
    CHECK_OK(xipc_flock_unlock(f, 20, 5));
    CHECK_OK(xipc_flock_unlock(f, 10, 10));
    CHECK_EQ(child_try(path, "0", "0", "ex", "0"), 0);
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_flock_bad_input(void)
{
    char path[512], dir[512], buf[4], text[XIPC_HANDLE_TEXT_MAX];
    size_t got = 0;
    intptr_t native = 0;
    xipc_flock *f = NULL, *dead = NULL;
    xipc_event *ev = NULL;
    fresh_file("flock.bad", path, sizeof path);
    CHECK_RC(xipc_flock_open(NULL, XIPC_OPEN, &f), XIPC_EINVAL);
    CHECK_RC(xipc_flock_open("", XIPC_OPEN, &f), XIPC_EINVAL);
    CHECK_RC(xipc_flock_open(path, XIPC_OPEN, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_flock_open(path, 0, &f), XIPC_EINVAL);
    CHECK_RC(xipc_flock_open(path, XIPC_OPEN | 0x100u, &f), XIPC_EINVAL);
    CHECK_RC(xipc_flock_open(path, XIPC_CREATE, &f), XIPC_EEXIST);
    xt_os_temp_path("flock.bad.none", dir, sizeof dir);
    CHECK_RC(xipc_flock_open(dir, XIPC_OPEN, &f), XIPC_ENOENT);
    CHECK(f == NULL);
    /* A directory: POSIX EISDIR; Windows opens none without FILE_FLAG_BACKUP_SEMANTICS. */
    int rc = xipc_flock_open(".", XIPC_OPEN, &f);
    CHECK(rc == XIPC_EISDIR || rc == XIPC_EACCES);
    CHECK(f == NULL);

    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_RC(xipc_flock_lock(f, (uint64_t)-1, 1, XIPC_FLOCK_SHARED, 0), XIPC_EINVAL);
    CHECK_RC(xipc_flock_lock(f, (uint64_t)INT64_MAX + 1, 0, XIPC_FLOCK_SHARED, 0), XIPC_EINVAL);
    CHECK_RC(xipc_flock_lock(f, (uint64_t)INT64_MAX, 2, XIPC_FLOCK_SHARED, 0), XIPC_EINVAL);
    CHECK_RC(xipc_flock_lock(f, 1, (uint64_t)-1, XIPC_FLOCK_SHARED, 0), XIPC_EINVAL);
    CHECK_RC(xipc_flock_lock(f, 0, 1, 0, 0), XIPC_EINVAL);
    CHECK_RC(xipc_flock_lock(f, 0, 1, 3, 0), XIPC_EINVAL);
    CHECK_RC(xipc_flock_lock(f, 0, 1, XIPC_FLOCK_SHARED, -2), XIPC_EINVAL);
    CHECK_RC(xipc_flock_unlock(f, (uint64_t)-5, 1), XIPC_EINVAL);
    CHECK_RC(xipc_flock_read_at(f, 0, NULL, 4, &got), XIPC_EINVAL);
    CHECK_RC(xipc_flock_read_at(f, 0, buf, 4, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_flock_read_at(f, (uint64_t)-1, buf, 4, &got), XIPC_EINVAL);
    CHECK_RC(xipc_flock_write_at(f, 0, NULL, 4), XIPC_EINVAL);
    CHECK_RC(xipc_flock_write_at(f, (uint64_t)INT64_MAX - 1, buf, 4), XIPC_EINVAL);
    CHECK_RC(xipc_handle_export(xipc_flock_handle(f), text, sizeof text), XIPC_ENOTSUP);
    CHECK_RC(xipc_handle_native(xipc_flock_handle(f), &native), XIPC_ENOTSUP);
    CHECK_EQ(xipc_handle_kind(xipc_flock_handle(f)), XIPC_KIND_FLOCK);
    CHECK_OK(xipc_flock_lock(f, (uint64_t)INT64_MAX, 0, XIPC_FLOCK_SHARED, 0)); /* the last byte */
    CHECK_OK(xipc_flock_unlock(f, (uint64_t)INT64_MAX, 0));

    /* Closed, NULL and other kinds' handles. */
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &dead));
    xipc_flock_close(dead);
    CHECK_RC(xipc_flock_lock(dead, 0, 1, XIPC_FLOCK_SHARED, 0), XIPC_EBADF);
    CHECK_RC(xipc_flock_unlock(dead, 0, 1), XIPC_EBADF);
    CHECK_RC(xipc_flock_read_at(dead, 0, buf, 4, &got), XIPC_EBADF);
    CHECK_RC(xipc_flock_write_at(dead, 0, buf, 4), XIPC_EBADF);
    xipc_flock_close(dead); /* twice: a no-op */
    xipc_flock_close(NULL);
    CHECK_RC(xipc_flock_lock(NULL, 0, 1, XIPC_FLOCK_SHARED, 0), XIPC_EINVAL);
    CHECK(xipc_flock_handle(NULL) == NULL);
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    xipc_flock *wrong = (xipc_flock *)(void *)ev;
    CHECK_RC(xipc_flock_lock(wrong, 0, 1, XIPC_FLOCK_SHARED, 0), XIPC_EINVAL);
    CHECK_RC(xipc_flock_unlock(wrong, 0, 1), XIPC_EINVAL);
    xipc_flock_close(wrong); /* not a lock handle: a no-op */
    xipc_event_close(ev);
    xipc_flock_close(f);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_flock_no_handle_leak(void)
{
    char path[512], none[512];
    xipc_flock *f = NULL, *g = NULL;
    fresh_file("flock.leak", path, sizeof path);
    xt_os_temp_path("flock.leak.none", none, sizeof none);
    xt_warm_up();
    /* A first timed wait, for what a thread leaves behind once per process (Wine, emutls). */
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
    CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &g));
    CHECK_OK(xipc_flock_lock(f, 0, 1, XIPC_FLOCK_EXCLUSIVE, 0));
    CHECK_RC(xipc_flock_lock(g, 0, 1, XIPC_FLOCK_EXCLUSIVE, 20), XIPC_ETIMEDOUT);
    xipc_flock_close(g);
    xipc_flock_close(f);
    int before = xt_os_handle_count();
    for (int i = 0; i < 20; i++) {
        CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &f));
        CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &g));
        CHECK_OK(xipc_flock_lock(f, 0, 0, XIPC_FLOCK_EXCLUSIVE, 0));
        CHECK_RC(xipc_flock_lock(g, 0, 1, XIPC_FLOCK_SHARED, 0), XIPC_ETIMEDOUT);
        CHECK_RC(xipc_flock_lock(g, 0, 1, XIPC_FLOCK_SHARED, 5), XIPC_ETIMEDOUT);
        CHECK_OK(xipc_flock_write_at(f, 0, "x", 1));
        xipc_flock_close(g);
        CHECK_RC(xipc_flock_open(none, XIPC_OPEN, &g), XIPC_ENOENT);
        xipc_flock_close(f); /* with its lock held */
        CHECK_OK(xipc_flock_open(path, XIPC_OPEN, &g));
        CHECK_OK(xipc_flock_lock(g, 0, 1, XIPC_FLOCK_SHARED, 0));
        xipc_flock_close(g);
    }
    CHECK_EQ(xt_os_handle_count(), before);
    CHECK_EQ(remove(path), 0);
}
