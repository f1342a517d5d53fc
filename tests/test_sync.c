/* tests/test_sync.c: events, semaphores and mutexes across real processes: release rules,
 * ping-pong without lost wake-ups, timeouts, mutual exclusion, owner death, names, permissions,
 * bad input and leaks. */
#include "xt.h"

/* ---- helpers -------------------------------------------------------------------------------- */

/* A pipe whose write end goes to children (exported as *text) and whose read end stays here. */
struct channel {
    xipc_stream *rd, *wr;
    char text[XIPC_HANDLE_TEXT_MAX];
};

static void
channel_open(struct channel *c)
{
    CHECK_OK(xipc_pipe(0, &c->rd, &c->wr));
    xt_export(c->wr, c->text);
}

static void
channel_close(struct channel *c)
{
    xipc_stream_close(c->rd);
    xipc_stream_close(c->wr);
}

/* Reads n bytes, each expected to be `c`. */
static void
expect_bytes(struct channel *ch, char c, size_t n)
{
    char buf[16];
    CHECK(n <= sizeof buf);
    xt_read_exact(ch->rd, buf, n, XT_CHILD_TIMEOUT_MS);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(buf[i], c);
}

/* Nothing more arrives within ms. */
static void
expect_quiet(struct channel *ch, int ms)
{
    char c;
    size_t got = 0;
    CHECK_RC(xipc_stream_read(ch->rd, &c, 1, &got, ms), XIPC_ETIMEDOUT);
}

static void
check_timeouts(int (*wait)(void *, int), void *obj)
{
    CHECK_RC(wait(obj, 0), XIPC_ETIMEDOUT);
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(wait(obj, 150), XIPC_ETIMEDOUT);
    uint64_t waited = xt_os_now_ms() - t0;
    CHECK_GE(waited, 150);
    CHECK_LT(waited, 150 + XT_SLACK_MS);
}

static int
event_wait_fn(void *ev, int ms)
{
    return xipc_event_wait(ev, ms);
}

static int
sem_wait_fn(void *sem, int ms)
{
    return xipc_sem_wait(sem, ms);
}

static int
mutex_lock_fn(void *mx, int ms)
{
    return xipc_mutex_lock(mx, ms);
}

/* ---- events --------------------------------------------------------------------------------- */

/* argv: name, channel. Opens the event, says 'w', waits, says 'r' when released. */
int
xt_child_event_waiter(int argc, char **argv)
{
    xipc_event *ev = NULL;
    xipc_stream *ch = xt_import(argv[2]);
    (void)argc;
    CHECK_OK(xipc_event_open(argv[1], XIPC_OPEN, &ev));
    xt_write_all(ch, "w", 1, XT_CHILD_TIMEOUT_MS);
    int rc = xipc_event_wait(ev, XT_CHILD_TIMEOUT_MS);
    if (rc == 0)
        xt_write_all(ch, "r", 1, XT_CHILD_TIMEOUT_MS);
    xipc_event_close(ev);
    return xt_child_exit_code(rc);
}

/* Starts n waiters on the named event and returns once all of them are about to wait. */
static void
start_waiters(const char *name, struct channel *ch, xipc_proc **procs, int n)
{
    const char *args[] = { name, ch->text, NULL };
    xipc_handle *h = xipc_stream_handle(ch->wr);
    for (int i = 0; i < n; i++)
        procs[i] = xt_spawn_child("event_waiter", args, NULL, &h, 1);
    expect_bytes(ch, 'w', (size_t)n);
}

/* n sets with nobody waiting leave the event set once: exactly one wait takes it. */
static void
expect_sets_merge(xipc_event *ev, int n)
{
    for (int i = 0; i < n; i++)
        CHECK_OK(xipc_event_set(ev));
    CHECK_OK(xipc_event_wait(ev, 0));
    CHECK_RC(xipc_event_wait(ev, 0), XIPC_ETIMEDOUT);
}

/* Three waiters on the named auto-reset event ev: each set releases exactly one of them. */
static void
expect_one_release_per_set(const char *name, xipc_event *ev)
{
    struct channel ch;
    xipc_proc *procs[3];
    channel_open(&ch);
    start_waiters(name, &ch, procs, 3);
    /* One set, one release; the event is consumed, so the others keep waiting. */
    CHECK_OK(xipc_event_set(ev));
    expect_bytes(&ch, 'r', 1);
    expect_quiet(&ch, 300);
    CHECK_RC(xipc_event_wait(ev, 0), XIPC_ETIMEDOUT);
    /* Two more sets release the other two. */
    CHECK_OK(xipc_event_set(ev));
    CHECK_OK(xipc_event_set(ev));
    expect_bytes(&ch, 'r', 2);
    for (int i = 0; i < 3; i++)
        xt_expect_exit(procs[i], 0);
    channel_close(&ch);
}

void
xt_test_event_auto_reset_releases_one(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_event *ev = NULL;
    xt_name("auto", name);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE, &ev));
    expect_one_release_per_set(name, ev);
    /* A set with nobody waiting stays set for exactly one wait. */
    expect_sets_merge(ev, 2);
    xipc_event_close(ev);
}

void
xt_test_event_manual_reset_releases_all(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct channel ch;
    xipc_event *ev = NULL;
    xipc_proc *procs[3];
    xt_name("manual", name);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE | XIPC_EVENT_MANUAL_RESET, &ev));
    channel_open(&ch);
    start_waiters(name, &ch, procs, 3);
    CHECK_OK(xipc_event_set(ev));
    expect_bytes(&ch, 'r', 3);
    for (int i = 0; i < 3; i++)
        xt_expect_exit(procs[i], 0);
    /* Still set until reset. */
    CHECK_OK(xipc_event_wait(ev, 0));
    CHECK_OK(xipc_event_wait(ev, 0));
    CHECK_OK(xipc_event_reset(ev));
    CHECK_RC(xipc_event_wait(ev, 0), XIPC_ETIMEDOUT);
    xipc_event_close(ev);

    /* Created set. */
    CHECK_OK(xipc_event_open(NULL, XIPC_EVENT_MANUAL_RESET | XIPC_EVENT_INITIAL_SET, &ev));
    CHECK_OK(xipc_event_wait(ev, 0));
    xipc_event_close(ev);
    channel_close(&ch);
}

/* argv: kind ("event" or "sem"), ping text, pong text, rounds. Waits for ping, answers pong. */
int
xt_child_sync_pong(int argc, char **argv)
{
    long rounds = atol(argv[4]);
    bool ev_kind = strcmp(argv[1], "event") == 0;
    xipc_event *ping_ev = NULL, *pong_ev = NULL;
    xipc_sem *ping_sem = NULL, *pong_sem = NULL;
    (void)argc;
    if (ev_kind) {
        CHECK_OK(xipc_event_import(argv[2], &ping_ev));
        CHECK_OK(xipc_event_import(argv[3], &pong_ev));
    } else {
        CHECK_OK(xipc_sem_import(argv[2], &ping_sem));
        CHECK_OK(xipc_sem_import(argv[3], &pong_sem));
    }
    for (long i = 0; i < rounds; i++) {
        int rc = ev_kind ? xipc_event_wait(ping_ev, XT_CHILD_TIMEOUT_MS)
                         : xipc_sem_wait(ping_sem, XT_CHILD_TIMEOUT_MS);
        if (rc != 0)
            return xt_child_exit_code(rc);
        rc = ev_kind ? xipc_event_set(pong_ev) : xipc_sem_post(pong_sem);
        if (rc != 0)
            return xt_child_exit_code(rc);
    }
    return 0;
}

#define PING_PONG_ROUNDS 10000

/* Round trips between two processes; a lost wake-up shows as a timeout. */
static void
ping_pong(const char *kind, xipc_handle *ping, xipc_handle *pong, int (*signal)(xipc_handle *),
    int (*wait)(xipc_handle *, int), int n)
{
    char ping_text[XIPC_HANDLE_TEXT_MAX], pong_text[XIPC_HANDLE_TEXT_MAX], rounds[16];
    xt_export(ping, ping_text);
    xt_export(pong, pong_text);
    snprintf(rounds, sizeof rounds, "%d", n);
    const char *args[] = { kind, ping_text, pong_text, rounds, NULL };
    xipc_handle *pass[] = { ping, pong };
    xipc_proc *p = xt_spawn_child("sync_pong", args, NULL, pass, 2);
    for (int i = 0; i < n; i++) {
        CHECK_OK(signal(ping));
        int rc = wait(pong, XT_CHILD_TIMEOUT_MS);
        if (rc != 0)
            xt_fail(__FILE__, __LINE__, "round %d: %s", i, xipc_errname(rc));
    }
    xt_expect_exit(p, 0);
}

static int
event_signal_h(xipc_handle *h)
{
    return xipc_event_set((xipc_event *)(void *)h);
}

static int
event_wait_h(xipc_handle *h, int ms)
{
    return xipc_event_wait((xipc_event *)(void *)h, ms);
}

static int
sem_signal_h(xipc_handle *h)
{
    return xipc_sem_post((xipc_sem *)(void *)h);
}

static int
sem_wait_h(xipc_handle *h, int ms)
{
    return xipc_sem_wait((xipc_sem *)(void *)h, ms);
}

void
xt_test_event_ping_pong_10000(void)
{
    xipc_event *ping = NULL, *pong = NULL;
    CHECK_OK(xipc_event_open(NULL, 0, &ping));
    CHECK_OK(xipc_event_open(NULL, 0, &pong));
    ping_pong("event", xipc_event_handle(ping), xipc_event_handle(pong), event_signal_h,
        event_wait_h, PING_PONG_ROUNDS);
    xipc_event_close(ping);
    xipc_event_close(pong);
}

/* argv: kind, text, delay ms. Sleeps, then sets the event or posts the semaphore. */
int
xt_child_sync_signal_after(int argc, char **argv)
{
    (void)argc;
    xt_os_sleep_ms(atoi(argv[3])); /* on purpose: the test's wait waits forever meanwhile */
    if (strcmp(argv[1], "event") == 0) {
        xipc_event *ev = NULL;
        CHECK_OK(xipc_event_import(argv[2], &ev));
        return xt_child_exit_code(xipc_event_set(ev));
    }
    xipc_sem *sem = NULL;
    CHECK_OK(xipc_sem_import(argv[2], &sem));
    return xt_child_exit_code(xipc_sem_post(sem));
}

/* Waits forever on h, which a child signals after 300 ms. */
static void
forever_then_woken(const char *kind, xipc_handle *h, int (*wait)(xipc_handle *, int))
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xt_export(h, text);
    const char *args[] = { kind, text, "300", NULL };
    xipc_proc *p = xt_spawn_child("sync_signal_after", args, NULL, &h, 1);
    uint64_t t0 = xt_os_now_ms();
    CHECK_OK(wait(h, XIPC_FOREVER));
    CHECK_GE(xt_os_now_ms() - t0, 250);
    xt_expect_exit(p, 0);
}

void
xt_test_event_timeouts(void)
{
    xipc_event *ev = NULL;
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    check_timeouts(event_wait_fn, ev);
    forever_then_woken("event", xipc_event_handle(ev), event_wait_h);
    xipc_event_close(ev);
}

/* ---- semaphores ----------------------------------------------------------------------------- */

void
xt_test_sem_ping_pong_10000(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_sem *ping = NULL, *pong = NULL;
    /* One named (sem_open on POSIX, reopened by name in the child), one anonymous. */
    xt_name("ping", name);
    CHECK_OK(xipc_sem_open(name, XIPC_CREATE, 0, &ping));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &pong));
    ping_pong("sem", xipc_sem_handle(ping), xipc_sem_handle(pong), sem_signal_h, sem_wait_h,
        PING_PONG_ROUNDS);
    xipc_sem_close(ping);
    xipc_sem_close(pong);
}

void
xt_test_sem_timeouts_and_limit(void)
{
    xipc_sem *sem = NULL;
    CHECK_OK(xipc_sem_open(NULL, 0, 2, &sem));
    CHECK_OK(xipc_sem_wait(sem, 0));
    CHECK_OK(xipc_sem_wait(sem, 0));
    check_timeouts(sem_wait_fn, sem);
    forever_then_woken("sem", xipc_sem_handle(sem), sem_wait_h);
    xipc_sem_close(sem);

    /* At the maximum, a post fails and changes nothing. */
    CHECK_OK(xipc_sem_open(NULL, 0, XIPC_SEM_VALUE_MAX, &sem));
    CHECK_RC(xipc_sem_post(sem), XIPC_ELIMIT);
    CHECK_OK(xipc_sem_wait(sem, 0));
    CHECK_OK(xipc_sem_post(sem));
    CHECK_RC(xipc_sem_post(sem), XIPC_ELIMIT);
    xipc_sem_close(sem);
}

void
xt_test_sem_named_is_the_os_semaphore(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_sem *sem = NULL;
    xt_name("raw", name);
    CHECK_OK(xipc_sem_open(name, XIPC_CREATE, 0, &sem));
    /* A program calling the OS directly posts it; xipc sees the post. */
    CHECK_EQ(xt_os_raw_sem_post(name), 0);
    CHECK_OK(xipc_sem_wait(sem, 0));
    CHECK_RC(xipc_sem_wait(sem, 0), XIPC_ETIMEDOUT);
    xipc_sem_close(sem);
}

/* ---- mutexes -------------------------------------------------------------------------------- */

/* argv: name, counter file, rounds. Increments the number in the file under the mutex. */
int
xt_child_mutex_counter(int argc, char **argv)
{
    xipc_mutex *mx = NULL;
    long rounds = atol(argv[3]);
    (void)argc;
    CHECK_OK(xipc_mutex_open(argv[1], XIPC_OPEN, &mx));
    for (long i = 0; i < rounds; i++) {
        CHECK_OK(xipc_mutex_lock(mx, XT_CHILD_TIMEOUT_MS));
        /* A read-modify-write that loses updates unless the lock excludes the others. */
        FILE *f = fopen(argv[2], "r+b");
        long v = 0;
        CHECK(f != NULL && fscanf(f, "%ld", &v) == 1);
        rewind(f);
        fprintf(f, "%ld\n", v + 1);
        CHECK(fclose(f) == 0);
        CHECK_OK(xipc_mutex_unlock(mx));
    }
    xipc_mutex_close(mx);
    return 0;
}

void
xt_test_mutex_counter_8_processes(void)
{
    char name[XIPC_NAME_MAX + 1], path[512];
    xipc_mutex *mx = NULL;
    xipc_proc *procs[8];
    long v = 0;
    xt_name("counter", name);
    xt_os_temp_path("counter", path, sizeof path);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL && fprintf(f, "0\n") > 0 && fclose(f) == 0);
    CHECK_OK(xipc_mutex_open(name, XIPC_CREATE, &mx));
    const char *args[] = { name, path, "150", NULL };
    for (int i = 0; i < 8; i++)
        procs[i] = xt_spawn_child("mutex_counter", args, NULL, NULL, 0);
    for (int i = 0; i < 8; i++)
        xt_expect_exit(procs[i], 0);
    f = fopen(path, "rb");
    CHECK(f != NULL && fscanf(f, "%ld", &v) == 1);
    fclose(f);
    remove(path);
    CHECK_EQ(v, 8 * 150);
    xipc_mutex_close(mx);
}

/* argv: name, channel, "exit" or "hang". Locks the mutex, says 'L', then exits holding it, or
 * waits holding it until it is killed. */
int
xt_child_mutex_lock_and_exit(int argc, char **argv)
{
    xipc_mutex *mx = NULL;
    xipc_stream *ch = xt_import(argv[2]);
    (void)argc;
    CHECK_OK(xipc_mutex_open(argv[1], XIPC_OPEN, &mx));
    int rc = xipc_mutex_lock(mx, XT_CHILD_TIMEOUT_MS);
    if (rc != 0 && rc != XIPC_EOWNERDEAD)
        return xt_child_exit_code(rc);
    xt_write_all(ch, "L", 1, XT_CHILD_TIMEOUT_MS);
    while (strcmp(argv[3], "hang") == 0)
        xt_os_sleep_ms(1000);
    return 0; /* the process ends with the lock held */
}

/* argv: name. Reports what a lock gives, as an exit code, unlocking if it got the lock. */
int
xt_child_mutex_try(int argc, char **argv)
{
    xipc_mutex *mx = NULL;
    (void)argc;
    CHECK_OK(xipc_mutex_open(argv[1], XIPC_OPEN, &mx));
    int rc = xipc_mutex_lock(mx, 0);
    if (rc == 0)
        CHECK_OK(xipc_mutex_unlock(mx));
    return xt_child_exit_code(rc);
}

/* A child takes the mutex and ends holding it: it exits, or (killed) it is killed. */
static void
die_holding(const char *name, struct channel *ch, bool killed)
{
    const char *args[] = { name, ch->text, killed ? "hang" : "exit", NULL };
    xipc_handle *h = xipc_stream_handle(ch->wr);
    xipc_exit_status st;
    xipc_proc *p = xt_spawn_child("mutex_lock_and_exit", args, NULL, &h, 1);
    expect_bytes(ch, 'L', 1);
    if (!killed) {
        xt_expect_exit(p, 0);
        return;
    }
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_KILLED);
    xipc_proc_close(p);
}

void
xt_test_mutex_owner_dies(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct channel ch;
    xipc_mutex *mx = NULL;
    xt_name("robust", name);
    CHECK_OK(xipc_mutex_open(name, XIPC_CREATE, &mx));
    channel_open(&ch);

    /* The owner is killed: the next lock holds it and says so; repaired, it works on. */
    die_holding(name, &ch, true);
    CHECK_RC(xipc_mutex_lock(mx, XT_CHILD_TIMEOUT_MS), XIPC_EOWNERDEAD);
    CHECK_OK(xipc_mutex_consistent(mx));
    CHECK_OK(xipc_mutex_unlock(mx));
    CHECK_OK(xipc_mutex_lock(mx, 0));
    CHECK_RC(xipc_mutex_consistent(mx), XIPC_EINVAL); /* nothing to repair */
    CHECK_OK(xipc_mutex_unlock(mx));

    /* An owner exits holding it; this time the new owner gives up: unusable for everyone. */
    die_holding(name, &ch, false);
    CHECK_RC(xipc_mutex_lock(mx, XT_CHILD_TIMEOUT_MS), XIPC_EOWNERDEAD);
    CHECK_OK(xipc_mutex_unlock(mx));
    CHECK_RC(xipc_mutex_lock(mx, 0), XIPC_ENOTRECOVERABLE);
    const char *args[] = { name, NULL };
    xt_expect_exit(
        xt_spawn_child("mutex_try", args, NULL, NULL, 0), xt_child_exit_code(XIPC_ENOTRECOVERABLE));
    xipc_mutex_close(mx);
    channel_close(&ch);
}

/* argv: name, channel, go text. Locks, says 'L', waits for a byte on go, unlocks. */
int
xt_child_mutex_hold(int argc, char **argv)
{
    xipc_mutex *mx = NULL;
    xipc_stream *ch = xt_import(argv[2]), *go = xt_import(argv[3]);
    char c;
    (void)argc;
    CHECK_OK(xipc_mutex_open(argv[1], XIPC_OPEN, &mx));
    CHECK_OK(xipc_mutex_lock(mx, XT_CHILD_TIMEOUT_MS));
    xt_write_all(ch, "L", 1, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(go, &c, 1, XT_CHILD_TIMEOUT_MS);
    xt_os_sleep_ms(300); /* on purpose: the test's lock waits forever meanwhile */
    CHECK_OK(xipc_mutex_unlock(mx));
    return 0;
}

void
xt_test_mutex_timeouts_recursion_and_owner(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct channel ch;
    xipc_stream *go_r, *go_w;
    char go_text[XIPC_HANDLE_TEXT_MAX];
    xipc_mutex *mx = NULL;
    xt_name("hold", name);
    CHECK_OK(xipc_mutex_open(name, XIPC_CREATE, &mx));

    /* Recursive for its owner; an unlock too many is XIPC_EPERM. */
    CHECK_OK(xipc_mutex_lock(mx, 0));
    CHECK_OK(xipc_mutex_lock(mx, 0));
    CHECK_OK(xipc_mutex_unlock(mx));
    CHECK_OK(xipc_mutex_unlock(mx));
    CHECK_RC(xipc_mutex_unlock(mx), XIPC_EPERM);

    /* Held by another process: 0 and short timeouts expire; forever is woken by its unlock. */
    channel_open(&ch);
    CHECK_OK(xipc_pipe(0, &go_r, &go_w));
    xt_export(go_r, go_text);
    const char *args[] = { name, ch.text, go_text, NULL };
    xipc_handle *pass[] = { xipc_stream_handle(ch.wr), xipc_stream_handle(go_r) };
    xipc_proc *p = xt_spawn_child("mutex_hold", args, NULL, pass, 2);
    expect_bytes(&ch, 'L', 1);
    check_timeouts(mutex_lock_fn, mx);
    CHECK_RC(xipc_mutex_unlock(mx), XIPC_EPERM); /* not ours */
    xt_write_all(go_w, "g", 1, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_mutex_lock(mx, XIPC_FOREVER));
    CHECK_OK(xipc_mutex_unlock(mx));
    xt_expect_exit(p, 0);
    xipc_stream_close(go_r);
    xipc_stream_close(go_w);
    channel_close(&ch);
    xipc_mutex_close(mx);
}

/* ---- names ---------------------------------------------------------------------------------- */

/* argv: name, channel. Creates the named event, says 'c', and waits to be killed. */
int
xt_child_event_create_and_hang(int argc, char **argv)
{
    xipc_event *ev = NULL;
    xipc_stream *ch = xt_import(argv[2]);
    (void)argc;
    CHECK_OK(xipc_event_open(argv[1], XIPC_CREATE, &ev));
    xt_write_all(ch, "c", 1, XT_CHILD_TIMEOUT_MS);
    for (;;)
        xt_os_sleep_ms(1000);
}

void
xt_test_sync_names_create_open_unlink(void)
{
    char name[XIPC_NAME_MAX + 1], slashed[XIPC_NAME_MAX + 2];
    xipc_event *a = NULL, *b = NULL;
    xipc_mutex *m = NULL;
    xipc_sem *s = NULL;
    xt_name("names", name);
    snprintf(slashed, sizeof slashed, "/%s", name);

    CHECK_RC(xipc_event_open(name, XIPC_OPEN, &a), XIPC_ENOENT);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE, &a));
    CHECK_RC(xipc_event_open(name, XIPC_CREATE, &b), XIPC_EEXIST);
    CHECK(b == NULL);
    /* The leading '/' is the same name. */
    CHECK_OK(xipc_event_open(slashed, XIPC_OPEN, &b));
    xipc_event_close(b);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE | XIPC_OPEN, &b));
    /* Both handles are one event. */
    CHECK_OK(xipc_event_set(a));
    CHECK_OK(xipc_event_wait(b, 0));
    /* Another kind under the name. */
    CHECK_RC(xipc_mutex_open(name, XIPC_OPEN, &m), XIPC_EINVAL);
    CHECK_RC(xipc_mutex_open(name, XIPC_CREATE, &m), XIPC_EINVAL);
    /* A handle that only opened it leaves the name when it closes; the creator takes it along. */
    xipc_event_close(b);
    CHECK_OK(xipc_event_open(name, XIPC_OPEN, &b));
    xipc_event_close(b);
    xipc_event_close(a);
    CHECK_RC(xipc_event_open(name, XIPC_OPEN, &a), XIPC_ENOENT);
    CHECK_RC(xipc_event_unlink(name), XIPC_ENOENT);

    /* Create-or-open creates when there is nothing. */
    CHECK_OK(xipc_sem_open(name, XIPC_CREATE | XIPC_OPEN, 1, &s));
    CHECK_OK(xipc_sem_wait(s, 0));
    xipc_sem_close(s);
    CHECK_RC(xipc_sem_open(name, XIPC_OPEN, 0, &s), XIPC_ENOENT);
}

void
xt_test_sync_stale_name_after_crash(void)
{
    char name[XIPC_NAME_MAX + 1];
    struct channel ch;
    xipc_event *ev = NULL;
    xipc_exit_status st;
    xt_name("stale", name);
    channel_open(&ch);
    const char *args[] = { name, ch.text, NULL };
    xipc_handle *h = xipc_stream_handle(ch.wr);
    xipc_proc *p = xt_spawn_child("event_create_and_hang", args, NULL, &h, 1);
    expect_bytes(&ch, 'c', 1);
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    if (xt_os_names_outlive_processes()) {
        /* POSIX: the dead creator's name stays; create-only refuses it until it is removed. */
        CHECK_RC(xipc_event_open(name, XIPC_CREATE, &ev), XIPC_EEXIST);
        CHECK_OK(xipc_event_unlink(name));
        CHECK_RC(xipc_event_unlink(name), XIPC_ENOENT);
    } else {
        /* Windows: the name went with the last handle. */
        CHECK_RC(xipc_event_unlink(name), XIPC_ENOENT);
    }
    CHECK_OK(xipc_event_open(name, XIPC_CREATE, &ev));
    xipc_event_close(ev);
    channel_close(&ch);
}

void
xt_test_sync_owner_only_permissions(void)
{
    static const char *const kinds[] = { "event", "mutex", "sem" };
    char name[XIPC_NAME_MAX + 1];
    xipc_event *ev = NULL, *ev2 = NULL;
    xipc_mutex *mx = NULL;
    xipc_sem *sem = NULL;
    xt_name("perm", name);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE, &ev));
    if (xt_os_sync_object_mode("event", name) < 0) {
        xipc_event_close(ev);
        XT_SKIP("no file behind a sync name to inspect here (Windows kernel objects; xipc gives "
                "them an owner-only DACL, and Wine runs every process as one user)");
    }
    xipc_event_close(ev);
    char names[3][XIPC_NAME_MAX + 8];
    for (int k = 0; k < 3; k++) {
        const char *n = names[k];
        snprintf(names[k], sizeof names[k], "%s.%d", name, k);
        if (k == 0)
            CHECK_OK(xipc_event_open(n, XIPC_CREATE, &ev));
        else if (k == 1)
            CHECK_OK(xipc_mutex_open(n, XIPC_CREATE, &mx));
        else
            CHECK_OK(xipc_sem_open(n, XIPC_CREATE, 0, &sem));
        CHECK_EQ(xt_os_sync_object_mode(kinds[k], n), 0600);
    }
    /* Another user's object is refused. */
    if (xt_os_give_sync_object_away("event", names[0]) == 0) {
        xipc_sem *sem2 = NULL;
        CHECK_RC(xipc_event_open(names[0], XIPC_OPEN, &ev2), XIPC_EACCES);
        CHECK_EQ(xt_os_give_sync_object_away("sem", names[2]), 0);
        CHECK_RC(xipc_sem_open(names[2], XIPC_OPEN, 0, &sem2), XIPC_EACCES);
        /* Nor will xipc remove another user's object, so the closes below leave them. */
        CHECK_RC(xipc_event_unlink(names[0]), XIPC_EACCES);
        CHECK_RC(xipc_sem_unlink(names[2]), XIPC_EACCES);
        xt_os_unplant_sync_name("event", names[0]);
        xt_os_unplant_sync_name("sem", names[2]);
    } else {
        printf("note: not root, so the foreign-owner check was not exercised\n");
    }
    xipc_event_close(ev);
    xipc_mutex_close(mx);
    xipc_sem_close(sem);
}

/* ---- bad input and leaks -------------------------------------------------------------------- */

void
xt_test_sync_bad_input(void)
{
    char too_long[XIPC_NAME_MAX + 2], text[XIPC_HANDLE_TEXT_MAX];
    xipc_event *ev = NULL, *dead = NULL;
    xipc_sem *sem = NULL;
    xipc_mutex *mx = NULL;
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';

    CHECK_RC(xipc_event_open(NULL, 0, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_event_open("bad/name", XIPC_CREATE, &ev), XIPC_EINVAL);
    CHECK_RC(xipc_event_open("..", XIPC_CREATE, &ev), XIPC_EINVAL);
    CHECK_RC(xipc_event_open(too_long, XIPC_CREATE, &ev), XIPC_EINVAL);
    CHECK_RC(xipc_event_open("ok", 0, &ev), XIPC_EINVAL); /* neither create nor open */
    CHECK_RC(xipc_event_open(NULL, XIPC_OPEN, &ev), XIPC_EINVAL); /* open what? */
    CHECK_RC(xipc_event_open(NULL, 0x8000, &ev), XIPC_EINVAL);
    CHECK_RC(xipc_mutex_open(NULL, XIPC_EVENT_MANUAL_RESET, &mx), XIPC_EINVAL);
    CHECK_RC(xipc_sem_open(NULL, 0, (unsigned)XIPC_SEM_VALUE_MAX + 1u, &sem), XIPC_EINVAL);
    CHECK(ev == NULL && mx == NULL && sem == NULL);
    CHECK_RC(xipc_event_unlink("bad\\name"), XIPC_EINVAL);
    CHECK_RC(xipc_sem_unlink(NULL), XIPC_EINVAL);

    CHECK_RC(xipc_event_set(NULL), XIPC_EINVAL);
    CHECK_RC(xipc_sem_post(NULL), XIPC_EINVAL);
    CHECK_RC(xipc_mutex_lock(NULL, 0), XIPC_EINVAL);
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &sem));
    CHECK_RC(xipc_event_wait(ev, -7), XIPC_EINVAL);
    /* Wrong kinds. */
    CHECK_RC(xipc_mutex_lock((xipc_mutex *)(void *)ev, 0), XIPC_EINVAL);
    CHECK_RC(xipc_sem_post((xipc_sem *)(void *)ev), XIPC_EINVAL);
    CHECK_RC(xipc_event_set((xipc_event *)(void *)sem), XIPC_EINVAL);
    /* Closed handles. */
    CHECK_OK(xipc_event_open(NULL, 0, &dead));
    xipc_event_close(dead);
    CHECK_RC(xipc_event_set(dead), XIPC_EBADF);
    CHECK_RC(xipc_event_wait(dead, 0), XIPC_EBADF);
    CHECK_RC(xipc_handle_export(xipc_event_handle(dead), text, sizeof text), XIPC_EBADF);
    xipc_event_close(dead);
    /* Import texts of the wrong kind or shape. */
    CHECK_OK(xipc_handle_export(xipc_event_handle(ev), text, sizeof text));
    CHECK_RC(xipc_sem_import(text, &sem), XIPC_EINVAL);
    CHECK(sem == NULL);
    CHECK_RC(xipc_event_import("xipc1:event:", &dead), XIPC_EINVAL);
    CHECK_RC(xipc_event_import("xipc1:event:x", &dead), XIPC_EINVAL);
    CHECK_RC(xipc_event_import(NULL, &dead), XIPC_EINVAL);
    CHECK_RC(xipc_event_import(text, NULL), XIPC_EINVAL);
    xipc_event_close(ev);
    xipc_sem_close(NULL);
    xipc_mutex_close(NULL);
}

/* One round of every kind, named and anonymous, created and closed. */
static void
churn_sync_objects(const char *event_name, const char *sem_name, const char *mutex_name, int i)
{
    xipc_event *ev = NULL;
    xipc_sem *sem = NULL, *named = NULL;
    xipc_mutex *mx = NULL;
    CHECK_OK(xipc_event_open(i % 2 ? event_name : NULL, XIPC_CREATE, &ev));
    CHECK_OK(xipc_sem_open(NULL, 0, 1, &sem));
    CHECK_OK(xipc_sem_open(sem_name, XIPC_CREATE, 1, &named));
    CHECK_OK(xipc_mutex_open(i % 2 ? NULL : mutex_name, XIPC_CREATE, &mx));
    CHECK_OK(xipc_mutex_lock(mx, 0));
    CHECK_OK(xipc_mutex_unlock(mx));
    xipc_event_close(ev);
    xipc_sem_close(sem);
    xipc_sem_close(named);
    xipc_mutex_close(mx);
}

void
xt_test_sync_no_handle_leak(void)
{
    char ev_name[XIPC_NAME_MAX + 1], sem_name[XIPC_NAME_MAX + 1], mx_name[XIPC_NAME_MAX + 1];
    xt_name("leak.ev", ev_name);
    xt_name("leak.sem", sem_name);
    xt_name("leak.mx", mx_name);
    /* Windows opens one handle of its own for the session's named objects the first time and
     * keeps it, as it keeps the kill-on-close job: warm both up before counting. */
    xt_warm_up();
    churn_sync_objects(ev_name, sem_name, mx_name, 1);
    int before = xt_os_handle_count();
    for (int i = 0; i < 20; i++)
        churn_sync_objects(ev_name, sem_name, mx_name, i);
    /* Passing them to a child and back. */
    xipc_event *ping = NULL, *pong = NULL;
    CHECK_OK(xipc_event_open(NULL, 0, &ping));
    CHECK_OK(xipc_event_open(NULL, 0, &pong));
    ping_pong("event", xipc_event_handle(ping), xipc_event_handle(pong), event_signal_h,
        event_wait_h, 10);
    xipc_event_close(ping);
    xipc_event_close(pong);
    CHECK_EQ(xt_os_handle_count(), before);
}

/* ---- names per kind, squatted names, half-made objects -------------------------------------- */

/* How soon a call that finds something odd under a name must answer: a wait for a creator, or on
 * a FIFO, would take seconds or forever. */
#define PROMPT_MS 1000

/* CHECK_RC, and the call answered within PROMPT_MS. */
#define CHECK_PROMPT(expr, want)                      \
    do {                                              \
        uint64_t xt_t0_ = xt_os_now_ms();             \
        CHECK_RC((expr), (want));                     \
        CHECK_LT(xt_os_now_ms() - xt_t0_, PROMPT_MS); \
    } while (0)

/* Opens an object of the kind ("event", "mutex" or "sem") and closes it again at once. */
static int
open_kind(const char *kind, const char *name, unsigned flags)
{
    int rc;
    if (strcmp(kind, "event") == 0) {
        xipc_event *ev = NULL;
        rc = xipc_event_open(name, flags, &ev);
        xipc_event_close(ev);
    } else if (strcmp(kind, "mutex") == 0) {
        xipc_mutex *mx = NULL;
        rc = xipc_mutex_open(name, flags, &mx);
        xipc_mutex_close(mx);
    } else {
        xipc_sem *sem = NULL;
        rc = xipc_sem_open(name, flags, 0, &sem);
        xipc_sem_close(sem);
    }
    return rc;
}

static int
unlink_kind(const char *kind, const char *name)
{
    if (strcmp(kind, "event") == 0)
        return xipc_event_unlink(name);
    return strcmp(kind, "mutex") == 0 ? xipc_mutex_unlink(name) : xipc_sem_unlink(name);
}

void
xt_test_sync_kinds_never_share_an_os_object(void)
{
    char x[XIPC_NAME_MAX + 1], y[XIPC_NAME_MAX + 1], sem_x[XIPC_NAME_MAX + 5],
        sem_y[XIPC_NAME_MAX + 5];
    xipc_event *ev = NULL;
    xipc_mutex *mx = NULL;
    xipc_sem *sx = NULL, *sy = NULL, *again = NULL;
    xt_name("kx", x);
    xt_name("ky", y);
    snprintf(sem_x, sizeof sem_x, "sem.%s", x);
    snprintf(sem_y, sizeof sem_y, "sem.%s", y);
    uint64_t t0 = xt_os_now_ms();
    /* glibc keeps semaphore X at /dev/shm/sem.X, the file shm_open("/sem.X") names too: an event
     * named sem.X must be another object, or the semaphore maps the event and dies posting. */
    CHECK_OK(xipc_event_open(sem_x, XIPC_CREATE, &ev));
    CHECK_OK(xipc_sem_open(x, XIPC_CREATE | XIPC_OPEN, 0, &sx));
    CHECK_OK(xipc_sem_post(sx));
    CHECK_RC(xipc_event_wait(ev, 0), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_sem_wait(sx, 0));
    CHECK_OK(xipc_event_set(ev));
    CHECK_RC(xipc_sem_wait(sx, 0), XIPC_ETIMEDOUT);
    CHECK_OK(xipc_event_wait(ev, 0));
    /* The other order: semaphore Y first, then a mutex named sem.Y. */
    CHECK_OK(xipc_sem_open(y, XIPC_CREATE, 1, &sy));
    CHECK_OK(xipc_mutex_open(sem_y, XIPC_CREATE | XIPC_OPEN, &mx));
    CHECK_OK(xipc_mutex_lock(mx, 0));
    CHECK_OK(xipc_sem_wait(sy, 0));
    CHECK_OK(xipc_mutex_unlock(mx));
    /* Removing the event's and the mutex's names leaves the semaphores' alone. */
    CHECK_OK(xipc_event_unlink(sem_x));
    CHECK_OK(xipc_mutex_unlink(sem_y));
    CHECK_OK(xipc_sem_open(x, XIPC_OPEN, 0, &again));
    xipc_sem_close(again);
    CHECK_OK(xipc_sem_open(y, XIPC_OPEN, 0, &again));
    xipc_sem_close(again);
    CHECK_LT(xt_os_now_ms() - t0, PROMPT_MS);
    xipc_event_close(ev);
    xipc_mutex_close(mx);
    xipc_sem_close(sx);
    xipc_sem_close(sy);
}

void
xt_test_sync_unlink_of_another_kind_is_einval(void)
{
    char ev_name[XIPC_NAME_MAX + 1], mx_name[XIPC_NAME_MAX + 1];
    xipc_event *ev = NULL;
    xipc_mutex *mx = NULL;
    xt_name("uk.ev", ev_name);
    xt_name("uk.mx", mx_name);
    CHECK_OK(xipc_event_open(ev_name, XIPC_CREATE, &ev));
    CHECK_OK(xipc_mutex_open(mx_name, XIPC_CREATE, &mx));
    /* The name holds another kind, as opening it says: not "no such name". */
    CHECK_RC(xipc_event_unlink(mx_name), XIPC_EINVAL);
    CHECK_RC(xipc_mutex_unlink(ev_name), XIPC_EINVAL);
    CHECK_OK(open_kind("mutex", mx_name, XIPC_OPEN));
    CHECK_OK(open_kind("event", ev_name, XIPC_OPEN));
    xipc_event_close(ev);
    xipc_mutex_close(mx);
}

/* Plants what under the kind's name and checks that each look at it answers at once: open and
 * create-or-open with open_rc, create-only with XIPC_EEXIST, unlink with unlink_rc (0: it went). */
static void
expect_squat_refused(const char *kind, const char *name, int what, int open_rc, int unlink_rc)
{
    CHECK_EQ(xt_os_plant_at_sync_name(kind, name, what), 0);
    CHECK_PROMPT(open_kind(kind, name, XIPC_OPEN), open_rc);
    CHECK_PROMPT(open_kind(kind, name, XIPC_CREATE | XIPC_OPEN), open_rc);
    CHECK_PROMPT(open_kind(kind, name, XIPC_CREATE), XIPC_EEXIST);
    CHECK_PROMPT(unlink_kind(kind, name), unlink_rc);
    CHECK_EQ(xt_os_sync_object_mode(kind, name) >= 0, unlink_rc != 0);
    xt_os_unplant_sync_name(kind, name);
}

void
xt_test_sync_squatted_names_answer_at_once(void)
{
    static const char *const kinds[] = { "event", "mutex", "sem" };
    char name[XIPC_NAME_MAX + 1];
    xt_name("squat", name);
    if (xt_os_plant_at_sync_name("event", name, XT_PLANT_FIFO) != 0)
        XT_SKIP("no file behind a sync name to plant anything at (Windows kernel objects)");
    xt_os_unplant_sync_name("event", name);
    bool foreign = xt_os_plant_at_sync_name("event", name, XT_PLANT_FOREIGN_FIFO) == 0;
    xt_os_unplant_sync_name("event", name);
    for (int k = 0; k < 3; k++) {
        /* Our own FIFO is not a whole object (XIPC_ECORRUPT), and unlink repairs that. */
        expect_squat_refused(kinds[k], name, XT_PLANT_FIFO, XIPC_ECORRUPT, 0);
        /* A link at the name, or another user's FIFO open to all, is a squat: left alone. */
        expect_squat_refused(kinds[k], name, XT_PLANT_LINK, XIPC_EACCES, XIPC_EACCES);
        if (foreign)
            expect_squat_refused(kinds[k], name, XT_PLANT_FOREIGN_FIFO, XIPC_EACCES, XIPC_EACCES);
        /* The name is usable again. */
        CHECK_OK(open_kind(kinds[k], name, XIPC_CREATE));
    }
    if (!foreign)
        printf("note: not root, so another user's FIFO was not planted\n");
}

/* Plants what under the kind's name, expects XIPC_ECORRUPT from opening it within [lo, hi) ms,
 * then removes it with the kind's unlink and creates the object anew. */
static void
expect_corrupt(const char *kind, const char *name, int what, uint64_t lo, uint64_t hi)
{
    CHECK_EQ(xt_os_plant_at_sync_name(kind, name, what), 0);
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(open_kind(kind, name, XIPC_OPEN), XIPC_ECORRUPT);
    uint64_t took = xt_os_now_ms() - t0;
    CHECK_GE(took, lo);
    CHECK_LT(took, hi);
    CHECK_PROMPT(open_kind(kind, name, XIPC_CREATE), XIPC_EEXIST);
    if (xt_os_names_outlive_processes())
        CHECK_OK(unlink_kind(kind, name));
    xt_os_unplant_sync_name(kind, name);
    CHECK_OK(open_kind(kind, name, XIPC_CREATE));
}

void
xt_test_sync_half_made_object_is_corrupt(void)
{
    char name[XIPC_NAME_MAX + 1];
    bool any = false;
    xt_name("half", name);
    for (int k = 0; k < 2; k++) {
        const char *kind = k == 0 ? "event" : "mutex";
        if (xt_os_plant_at_sync_name(kind, name, XT_PLANT_BAD_HEADER) != 0)
            continue;
        any = true;
        xt_os_unplant_sync_name(kind, name);
        /* A header that is not xipc's, or a file no creator ever sizes so: at once. */
        expect_corrupt(kind, name, XT_PLANT_BAD_HEADER, 0, PROMPT_MS);
        if (xt_os_names_outlive_processes())
            expect_corrupt(kind, name, XT_PLANT_SHORT_FILE, 0, PROMPT_MS);
    }
    if (!any)
        XT_SKIP("no way to plant a half-made event or mutex here");
    /* POSIX: an empty file is what a creator leaves that died before sizing it; an opener waits
     * two seconds for it to finish. */
    if (xt_os_names_outlive_processes())
        expect_corrupt("event", name, XT_PLANT_EMPTY_FILE, 1900, 2000 + XT_SLACK_MS);
}

/* ---- killed waiters, fork, imports, values, the anonymous fallback -------------------------- */

/* Rounds of waiters killed inside xipc_event_wait, and waiters per round. */
#define KILL_ROUNDS  4
#define KILL_WAITERS 4

/* Starts KILL_WAITERS waiters on the named event and kills them at a random moment after they
 * said they are about to wait; sometimes a set comes first, releasing one of them. */
static void
kill_waiters_round(const char *name, xipc_event *ev)
{
    struct channel ch;
    xipc_proc *procs[KILL_WAITERS];
    xipc_exit_status st;
    CHECK_OK(xipc_event_reset(ev)); /* a set in the last round may have found nobody */
    channel_open(&ch);
    start_waiters(name, &ch, procs, KILL_WAITERS);
    xt_os_sleep_ms(rand() % 4); /* on purpose: the kills land at random points of the waits */
    if (rand() % 2)
        CHECK_OK(xipc_event_set(ev));
    for (int i = 0; i < KILL_WAITERS; i++)
        CHECK_OK(xipc_proc_kill(procs[i]));
    for (int i = 0; i < KILL_WAITERS; i++) {
        CHECK_OK(xipc_proc_wait(procs[i], &st, XT_CHILD_TIMEOUT_MS));
        xipc_proc_close(procs[i]);
    }
    channel_close(&ch);
}

void
xt_test_event_dead_waiters_never_add_releases(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_event *ev = NULL;
    unsigned seed = (unsigned)xt_os_now_ms();
    printf("seed %u\n", seed);
    srand(seed);
    xt_name("dead", name);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE, &ev));
    for (int r = 0; r < KILL_ROUNDS; r++)
        kill_waiters_round(name, ev);
    CHECK_OK(xipc_event_reset(ev));
    /* The dead changed nothing: one set or several, one release. */
    for (int n = 1; n <= 4; n++)
        expect_sets_merge(ev, n);
    /* And live waiters are still released one per set. */
    expect_one_release_per_set(name, ev);
    expect_sets_merge(ev, 3);
    xipc_event_close(ev);
}

/* More waiters than the 64 that sleep in the kernel at once on POSIX: the others poll. */
#define MANY_WAITERS 80

struct many_waiters {
    xipc_event *ev;
    xipc_sem *ready, *released;
};

static void
many_waiters_thread(void *arg)
{
    struct many_waiters *m = arg;
    CHECK_OK(xipc_sem_post(m->ready));
    if (xipc_event_wait(m->ev, XT_CHILD_TIMEOUT_MS) == 0)
        CHECK_OK(xipc_sem_post(m->released));
}

void
xt_test_event_many_waiters_one_release_each(void)
{
    struct many_waiters m = { NULL, NULL, NULL };
    xt_os_thread *threads[MANY_WAITERS];
    CHECK_OK(xipc_event_open(NULL, 0, &m.ev));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &m.ready));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &m.released));
    for (int i = 0; i < MANY_WAITERS; i++)
        CHECK((threads[i] = xt_os_thread_start(many_waiters_thread, &m)) != NULL);
    for (int i = 0; i < MANY_WAITERS; i++)
        CHECK_OK(xipc_sem_wait(m.ready, XT_CHILD_TIMEOUT_MS));
    /* No handshake says "asleep in the kernel": give them time to get there, so that some find
     * every slot taken. The checks below hold whether they did or not. */
    xt_os_sleep_ms(100);
    for (int i = 0; i < MANY_WAITERS; i++) {
        CHECK_OK(xipc_event_set(m.ev));
        CHECK_OK(xipc_sem_wait(m.released, XT_CHILD_TIMEOUT_MS));
    }
    for (int i = 0; i < MANY_WAITERS; i++)
        xt_os_thread_join(threads[i]);
    CHECK_RC(xipc_sem_wait(m.released, 0), XIPC_ETIMEDOUT);
    CHECK_RC(xipc_event_wait(m.ev, 0), XIPC_ETIMEDOUT);
    xipc_event_close(m.ev);
    xipc_sem_close(m.ready);
    xipc_sem_close(m.released);
}

struct fork_objects {
    xipc_event *ev;
    xipc_sem *sem;
    xipc_mutex *mx;
};

static int
close_inherited_copies(void *arg)
{
    struct fork_objects *o = arg;
    xipc_event_close(o->ev);
    xipc_sem_close(o->sem);
    xipc_mutex_close(o->mx);
    return 0;
}

static int
do_nothing(void *arg)
{
    (void)arg;
    return 0;
}

void
xt_test_sync_fork_child_close_keeps_names(void)
{
    char ev_name[XIPC_NAME_MAX + 1], sem_name[XIPC_NAME_MAX + 1], mx_name[XIPC_NAME_MAX + 1];
    struct fork_objects o = { NULL, NULL, NULL };
    if (xt_os_fork_run(do_nothing, NULL) != 0)
        XT_SKIP("no fork here (Windows): a child is a new program that imports its handles, and "
                "an import never owns a name");
    xt_name("fork.ev", ev_name);
    xt_name("fork.sem", sem_name);
    xt_name("fork.mx", mx_name);
    CHECK_OK(xipc_event_open(ev_name, XIPC_CREATE, &o.ev));
    CHECK_OK(xipc_sem_open(sem_name, XIPC_CREATE, 0, &o.sem));
    CHECK_OK(xipc_mutex_open(mx_name, XIPC_CREATE, &o.mx));
    /* A child forked without exec closes its copies: the names are still the parent's. */
    CHECK_EQ(xt_os_fork_run(close_inherited_copies, &o), 0);
    CHECK_OK(open_kind("event", ev_name, XIPC_OPEN));
    CHECK_OK(open_kind("sem", sem_name, XIPC_OPEN));
    CHECK_OK(open_kind("mutex", mx_name, XIPC_OPEN));
    /* The parent's close still removes them. */
    close_inherited_copies(&o);
    CHECK_RC(open_kind("event", ev_name, XIPC_OPEN), XIPC_ENOENT);
    CHECK_RC(open_kind("sem", sem_name, XIPC_OPEN), XIPC_ENOENT);
    CHECK_RC(open_kind("mutex", mx_name, XIPC_OPEN), XIPC_ENOENT);
}

/* The native handle in an export text: what follows its last ':', up to a ','. */
static void
native_of(const char *text, char *out, size_t cap)
{
    const char *p = strrchr(text, ':');
    snprintf(out, cap, "%s", p != NULL ? p + 1 : "");
    out[strcspn(out, ",")] = '\0';
}

/* "xipc1:KIND:NATIVE" for the native in another export text. */
static void
as_kind(char text[XIPC_HANDLE_TEXT_MAX], const char *kind, const char *native_text)
{
    char native[24];
    native_of(native_text, native, sizeof native);
    snprintf(text, XIPC_HANDLE_TEXT_MAX, "xipc1:%s:%s", kind, native);
}

/* Imports a native of the wrong kind as an event and as a semaphore: XIPC_EINVAL at once, and the
 * native is left as it was (still inheritable if it was). */
static void
expect_wrong_kind(const char *native_text)
{
    char text[XIPC_HANDLE_TEXT_MAX], native[24];
    xipc_event *ev = NULL;
    xipc_sem *sem = NULL;
    native_of(native_text, native, sizeof native);
    int inheritable = xt_os_native_inheritable((intptr_t)atoll(native));
    CHECK_GE(inheritable, 0);
    as_kind(text, "event", native_text);
    CHECK_PROMPT(xipc_event_import(text, &ev), XIPC_EINVAL);
    as_kind(text, "sem", native_text);
    CHECK_PROMPT(xipc_sem_import(text, &sem), XIPC_EINVAL);
    CHECK(ev == NULL && sem == NULL);
    CHECK_EQ(xt_os_native_inheritable((intptr_t)atoll(native)), inheritable);
}

/* argv: a pipe end's text, an event's, a semaphore's, a mutex's. Imports each as the wrong kind,
 * then as the right kind twice. */
int
xt_child_sync_import_probe(int argc, char **argv)
{
    char text[XIPC_HANDLE_TEXT_MAX], odd[32];
    xipc_event *ev = NULL, *ev2 = NULL;
    xipc_sem *sem = NULL, *sem2 = NULL;
    xipc_mutex *mx = NULL, *mx2 = NULL;
    (void)argc;
    expect_wrong_kind(argv[1]); /* an inherited pipe end */
    as_kind(text, "event", argv[3]); /* a semaphore as an event */
    CHECK_PROMPT(xipc_event_import(text, &ev), XIPC_EINVAL);
    as_kind(text, "sem", argv[2]); /* an event as a semaphore */
    CHECK_PROMPT(xipc_sem_import(text, &sem), XIPC_EINVAL);
    as_kind(text, "event", argv[4]); /* a mutex as an event */
    CHECK_PROMPT(xipc_event_import(text, &ev), XIPC_EINVAL);
    for (int which = 0; which < 3; which++) { /* the null device, a file, a socket */
        intptr_t native = xt_os_open_odd_native(which);
        snprintf(odd, sizeof odd, "xipc1:x:%lld", (long long)native);
        if (native >= 0)
            expect_wrong_kind(odd);
    }
    /* Numbers no open handle has: one a handle could have, and 2147483647, which Windows
     * handles never are (not a multiple of 4; Wine 8 reports it open). */
    CHECK_PROMPT(xipc_event_import("xipc1:event:1000000", &ev), XIPC_EBADF);
    CHECK_PROMPT(xipc_event_import("xipc1:event:2147483647", &ev), XIPC_EBADF);
    /* The right kinds, once; a second import of the same text would be a second owner. */
    CHECK_OK(xipc_event_import(argv[2], &ev));
    CHECK_PROMPT(xipc_event_import(argv[2], &ev2), XIPC_EEXIST);
    CHECK_OK(xipc_sem_import(argv[3], &sem));
    CHECK_PROMPT(xipc_sem_import(argv[3], &sem2), XIPC_EEXIST);
    CHECK_OK(xipc_mutex_import(argv[4], &mx));
    CHECK_PROMPT(xipc_mutex_import(argv[4], &mx2), XIPC_EEXIST);
    CHECK(ev2 == NULL && sem2 == NULL && mx2 == NULL);
    CHECK_OK(xipc_event_set(ev));
    CHECK_OK(xipc_event_wait(ev, 0));
    CHECK_OK(xipc_mutex_lock(mx, 0));
    CHECK_OK(xipc_mutex_unlock(mx));
    xipc_event_close(ev);
    xipc_sem_close(sem);
    xipc_mutex_close(mx);
    return 0;
}

void
xt_test_sync_import_checks_kind_at_once(void)
{
    char texts[4][XIPC_HANDLE_TEXT_MAX];
    xipc_stream *rd = NULL, *wr = NULL;
    xipc_event *ev = NULL, *again = NULL;
    xipc_sem *sem = NULL;
    xipc_mutex *mx = NULL;
    CHECK_OK(xipc_pipe(0, &rd, &wr));
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &sem));
    CHECK_OK(xipc_mutex_open(NULL, 0, &mx));
    xipc_handle *pass[] = { xipc_stream_handle(rd), xipc_event_handle(ev), xipc_sem_handle(sem),
        xipc_mutex_handle(mx) };
    for (int i = 0; i < 4; i++)
        xt_export(pass[i], texts[i]);
    const char *args[] = { texts[0], texts[1], texts[2], texts[3], NULL };
    xt_expect_exit(xt_spawn_child("sync_import_probe", args, NULL, pass, 4), 0);
    /* In this process too: its own handles are refused, whatever kind the text says. */
    CHECK_RC(xipc_event_import(texts[1], &again), XIPC_EEXIST);
    CHECK(again == NULL);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
    xipc_event_close(ev);
    xipc_sem_close(sem);
    xipc_mutex_close(mx);
}

/* argv: "name" or "import", the name or text, posts, the value expected after them. */
int
xt_child_sem_post_and_value(int argc, char **argv)
{
    xipc_sem *sem = NULL;
    unsigned value = 0;
    long posts = atol(argv[3]);
    (void)argc;
    if (strcmp(argv[1], "name") == 0)
        CHECK_OK(xipc_sem_open(argv[2], XIPC_OPEN, 0, &sem));
    else
        CHECK_OK(xipc_sem_import(argv[2], &sem));
    for (long i = 0; i < posts; i++)
        CHECK_OK(xipc_sem_post(sem));
    CHECK_OK(xipc_sem_value(sem, &value));
    CHECK_EQ(value, atol(argv[4]));
    xipc_sem_close(sem);
    return 0;
}

void
xt_test_sem_value_across_processes(void)
{
    char name[XIPC_NAME_MAX + 1], text[XIPC_HANDLE_TEXT_MAX];
    xipc_sem *named = NULL, *anon = NULL, *dead = NULL;
    xipc_event *ev = NULL;
    unsigned value = 99;
    xt_name("value", name);
    CHECK_OK(xipc_sem_open(name, XIPC_CREATE, 2, &named));
    CHECK_OK(xipc_sem_value(named, &value));
    CHECK_EQ(value, 2);
    CHECK_OK(xipc_sem_wait(named, 0));
    const char *by_name[] = { "name", name, "3", "4", NULL };
    xt_expect_exit(xt_spawn_child("sem_post_and_value", by_name, NULL, NULL, 0), 0);
    CHECK_OK(xipc_sem_value(named, &value));
    CHECK_EQ(value, 4);

    CHECK_OK(xipc_sem_open(NULL, 0, 0, &anon));
    xt_export(xipc_sem_handle(anon), text);
    const char *by_text[] = { "import", text, "5", "5", NULL };
    xipc_handle *h = xipc_sem_handle(anon);
    xt_expect_exit(xt_spawn_child("sem_post_and_value", by_text, NULL, &h, 1), 0);
    CHECK_OK(xipc_sem_value(anon, &value));
    CHECK_EQ(value, 5);
    for (int i = 0; i < 5; i++)
        CHECK_OK(xipc_sem_wait(anon, 0));
    CHECK_OK(xipc_sem_value(anon, &value));
    CHECK_EQ(value, 0);
    xipc_sem_close(anon);

    CHECK_OK(xipc_sem_open(NULL, 0, XIPC_SEM_VALUE_MAX, &anon));
    CHECK_OK(xipc_sem_value(anon, &value));
    CHECK_EQ(value, XIPC_SEM_VALUE_MAX);
    /* Bad input. */
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_OK(xipc_sem_open(NULL, 0, 0, &dead));
    xipc_sem_close(dead);
    CHECK_RC(xipc_sem_value(NULL, &value), XIPC_EINVAL);
    CHECK_RC(xipc_sem_value(anon, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_sem_value((xipc_sem *)(void *)ev, &value), XIPC_EINVAL);
    CHECK_RC(xipc_sem_value(dead, &value), XIPC_EBADF);
    xipc_event_close(ev);
    xipc_sem_close(anon);
    xipc_sem_close(named);
}

/* Without memfd_create (a seccomp filter makes it fail with ENOSYS, for this child and its own
 * children), anonymous objects take the shm_open fallback. */
int
xt_child_sync_anon_without_memfd(int argc, char **argv)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc_event *ev = NULL;
    xipc_sem *sem = NULL;
    (void)argc;
    (void)argv;
    if (xt_os_forbid_memfd() != 0)
        return XT_SKIP_CODE;
    /* Every name the fallback tries (16 an object) is taken in advance, as any local user can:
     * an error code, not a crash. That the fallback ran at all shows memfd_create is gone. */
    CHECK_EQ(xt_os_take_anon_names(0, 32, true), 0);
    CHECK_RC(xipc_event_open(NULL, 0, &ev), XIPC_EBUSY);
    CHECK_RC(xipc_sem_open(NULL, 0, 0, &sem), XIPC_EBUSY);
    CHECK(ev == NULL && sem == NULL);
    CHECK_EQ(xt_os_take_anon_names(0, 32, false), 0);
    /* With names free, anonymous objects work, here and in a grandchild. */
    CHECK_OK(xipc_sem_open(NULL, 0, 1, &sem));
    CHECK_OK(xipc_sem_wait(sem, 0));
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_OK(xipc_event_set(ev));
    CHECK_OK(xipc_event_wait(ev, 0));
    xt_export(xipc_event_handle(ev), text);
    const char *args[] = { "event", text, "0", NULL };
    xipc_handle *h = xipc_event_handle(ev);
    xipc_proc *p = xt_spawn_child("sync_signal_after", args, NULL, &h, 1);
    CHECK_OK(xipc_event_wait(ev, XT_CHILD_TIMEOUT_MS));
    xt_expect_exit(p, 0);
    xipc_event_close(ev);
    xipc_sem_close(sem);
    return 0;
}

void
xt_test_sync_anonymous_without_memfd(void)
{
    xipc_proc *p = xt_spawn_child("sync_anon_without_memfd", NULL, NULL, NULL, 0);
    xipc_exit_status st = { 0, 0 };
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    if (st.kind == XIPC_EXIT_NORMAL && st.code == XT_SKIP_CODE)
        XT_SKIP("no seccomp filter to take memfd_create away here (Windows has neither)");
    CHECK_EQ(st.kind, XIPC_EXIT_NORMAL);
    CHECK_EQ(st.code, 0);
}

/* argv: mutex text, channel, go text. Imports the mutex, finds it held ('t'), waits for it
 * ('L'), then on a byte from go exits holding it. */
int
xt_child_mutex_import_hold(int argc, char **argv)
{
    xipc_mutex *mx = NULL;
    xipc_stream *ch = xt_import(argv[2]), *go = xt_import(argv[3]);
    char c;
    (void)argc;
    CHECK_OK(xipc_mutex_import(argv[1], &mx));
    CHECK_RC(xipc_mutex_lock(mx, 0), XIPC_ETIMEDOUT);
    xt_write_all(ch, "t", 1, XT_CHILD_TIMEOUT_MS);
    CHECK_OK(xipc_mutex_lock(mx, XT_CHILD_TIMEOUT_MS));
    xt_write_all(ch, "L", 1, XT_CHILD_TIMEOUT_MS);
    xt_read_exact(go, &c, 1, XT_CHILD_TIMEOUT_MS);
    return 0; /* the process ends with the lock held */
}

void
xt_test_mutex_passed_to_child_locks_across(void)
{
    char text[XIPC_HANDLE_TEXT_MAX], go_text[XIPC_HANDLE_TEXT_MAX];
    struct channel ch;
    xipc_stream *go_r = NULL, *go_w = NULL;
    xipc_mutex *mx = NULL;
    CHECK_OK(xipc_mutex_open(NULL, 0, &mx));
    channel_open(&ch);
    CHECK_OK(xipc_pipe(0, &go_r, &go_w));
    xt_export(go_r, go_text);
    xt_export(xipc_mutex_handle(mx), text);
    CHECK_OK(xipc_mutex_lock(mx, 0));
    const char *args[] = { text, ch.text, go_text, NULL };
    xipc_handle *pass[] = { xipc_mutex_handle(mx), xipc_stream_handle(ch.wr),
        xipc_stream_handle(go_r) };
    xipc_proc *p = xt_spawn_child("mutex_import_hold", args, NULL, pass, 3);
    expect_bytes(&ch, 't', 1);
    CHECK_OK(xipc_mutex_unlock(mx));
    expect_bytes(&ch, 'L', 1);
    CHECK_RC(xipc_mutex_lock(mx, 0), XIPC_ETIMEDOUT);
    xt_write_all(go_w, "g", 1, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(p, 0);
    /* The child died holding it: the next owner is told. */
    CHECK_RC(xipc_mutex_lock(mx, XT_CHILD_TIMEOUT_MS), XIPC_EOWNERDEAD);
    CHECK_OK(xipc_mutex_consistent(mx));
    CHECK_OK(xipc_mutex_unlock(mx));
    xipc_stream_close(go_r);
    xipc_stream_close(go_w);
    channel_close(&ch);
    xipc_mutex_close(mx);
}
