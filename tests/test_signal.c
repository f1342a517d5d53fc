/* tests/test_signal.c: signal watches and sending (xipc/signal.h), across real processes: each
 * portable signal reported, bursts with nothing lost, the default action and what the exit
 * status says of it, a ping-pong with no lost wake-up, timeouts, wait sets, errors, leaks. */
#include "xt.h"

static const int kinds[] = { XIPC_SIGNAL_INTERRUPT, XIPC_SIGNAL_TERMINATE, XIPC_SIGNAL_HANGUP,
    XIPC_SIGNAL_USER1, XIPC_SIGNAL_USER2 };
#define KIND_COUNT ((int)(sizeof kinds / sizeof kinds[0]))

static void
spawn_with_channel(const char *role, const char *const *args, xt_channel *ch, xipc_proc **p)
{
    xipc_handle *ends[2];
    xt_channel_open(ch);
    xt_channel_child_ends(ch, ends);
    *p = xt_spawn_passing(role, args, NULL, ends, 2);
}

static uint64_t
pid_of(xipc_proc *p)
{
    uint64_t pid = 0;
    CHECK_OK(xipc_proc_pid(p, &pid));
    return pid;
}

/* Waits for the child to end and expects the default action of sig to have ended it. */
static void
expect_ended_by(xipc_proc *p, int sig)
{
    xipc_exit_status st = { 0, 0 };
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_CRASHED);
    CHECK_EQ(xipc_exit_status_signal(&st), sig);
    xipc_proc_close(p);
}

/* ---- Each kind, reported -------------------------------------------------------------------- */

/* `signal_reporter SET COUNT ready go`: watches SET, says ready, then reports COUNT signals, one
 * byte each, on the ready channel. */
int
xt_child_signal_reporter(int argc, char **argv)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    (void)argc;
    xt_channel_import(&ch, argv[3], argv[4]);
    CHECK_OK(xipc_signal_watch((unsigned)atoi(argv[1]), &w));
    xt_channel_ready(&ch);
    for (int i = atoi(argv[2]); i > 0; i--) {
        int sig = 0;
        int rc = xipc_signal_next(w, &sig, XT_CHILD_TIMEOUT_MS);
        if (rc != 0)
            return xt_child_exit_code(rc);
        unsigned char b = (unsigned char)sig;
        xt_write_all(ch.ready_wr, &b, 1, XT_CHILD_TIMEOUT_MS);
    }
    xipc_signal_close(w);
    xt_channel_close(&ch);
    return 0;
}

void
xt_test_signal_each_kind_reported(void)
{
    xt_channel ch;
    xipc_proc *p = NULL;
    char count[8];
    snprintf(count, sizeof count, "%d", KIND_COUNT);
    const char *args[] = { "31", count, NULL };
    spawn_with_channel("signal_reporter", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    for (int i = 0; i < KIND_COUNT; i++) {
        unsigned char b = 0;
        CHECK_OK(xipc_signal_send(pid_of(p), kinds[i]));
        xt_read_exact(ch.ready_rd, &b, 1, XT_CHILD_TIMEOUT_MS);
        CHECK_EQ(b, kinds[i]);
    }
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
}

/* ---- Bursts --------------------------------------------------------------------------------- */

#define BURST_ROUNDS 20

/* `signal_burst_reader ready go`: watches every signal; per round reads the set the test sent
 * (one byte on the go channel, after the burst), reads until each of them was reported, then
 * whatever else is pending, and writes back how many reports it read (1 byte). A byte 0 ends. */
int
xt_child_signal_burst_reader(int argc, char **argv)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    unsigned char want = 0;
    (void)argc;
    xt_channel_import(&ch, argv[1], argv[2]);
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_ALL, &w));
    xt_channel_ready(&ch);
    for (;;) {
        unsigned got = 0, reports = 0;
        int sig = 0, rc = 0;
        xt_read_exact(ch.go_rd, &want, 1, XT_CHILD_TIMEOUT_MS);
        if (want == 0)
            break;
        while ((got & want) != want && (rc = xipc_signal_next(w, &sig, XT_CHILD_TIMEOUT_MS)) == 0) {
            got |= (unsigned)sig;
            reports++;
        }
        if (rc != 0)
            return xt_child_exit_code(rc); /* a signal sent was lost */
        while (xipc_signal_next(w, &sig, 0) == 0)
            reports++;
        unsigned char b = (unsigned char)(reports > 255 ? 255 : reports);
        xt_write_all(ch.ready_wr, &b, 1, XT_CHILD_TIMEOUT_MS);
    }
    xipc_signal_close(w);
    xt_channel_close(&ch);
    return 0;
}

void
xt_test_signal_burst_nothing_lost(void)
{
    xt_channel ch;
    xipc_proc *p = NULL;
    const char *args[] = { NULL };
    unsigned seed = 12345;
    int all_sends = 0, all_reports = 0;
    spawn_with_channel("signal_burst_reader", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    for (int round = 0; round < BURST_ROUNDS; round++) {
        unsigned char sent_set = 0, reports = 0;
        int sends = 1 + round * 3, kinds_sent = 0;
        for (int i = 0; i < sends; i++) {
            seed = seed * 1103515245u + 12345u;
            int sig = kinds[(seed >> 16) % KIND_COUNT];
            CHECK_OK(xipc_signal_send(pid_of(p), sig));
            sent_set |= (unsigned char)sig;
        }
        xt_write_all(ch.go_wr, &sent_set, 1, XT_CHILD_TIMEOUT_MS);
        xt_read_exact(ch.ready_rd, &reports, 1, XT_CHILD_TIMEOUT_MS);
        for (int k = 0; k < KIND_COUNT; k++)
            kinds_sent += (sent_set & kinds[k]) != 0;
        CHECK_GE(reports, kinds_sent); /* the child waited for each kind, nothing was lost */
        all_sends += sends;
        all_reports += reports;
    }
    /* Never more reports than sends (a late one of a round may be counted in the next). */
    CHECK_GE(all_sends, all_reports);
    unsigned char end = 0;
    xt_write_all(ch.go_wr, &end, 1, XT_CHILD_TIMEOUT_MS);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
}

/* ---- The default action, and close ---------------------------------------------------------- */

/* `signal_idle SET ready go`: watches SET (0: nothing), says ready, then waits for go, which
 * never comes when the test sends it a signal that it does not watch. */
int
xt_child_signal_idle(int argc, char **argv)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    unsigned set = (unsigned)atoi(argv[1]);
    (void)argc;
    xt_channel_import(&ch, argv[2], argv[3]);
    if (set != 0)
        CHECK_OK(xipc_signal_watch(set, &w));
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    xipc_signal_close(w);
    xt_channel_close(&ch);
    return 0;
}

/* Every signal that a child does not watch ends it, while it watches all the others (Windows:
 * its section exists, with that bit clear) or nothing at all (no section), and its exit status
 * names the signal. */
void
xt_test_signal_default_action_ends_the_child(void)
{
    for (int i = 0; i <= KIND_COUNT; i++) {
        xt_channel ch;
        xipc_proc *p = NULL;
        int sig = i < KIND_COUNT ? kinds[i] : XIPC_SIGNAL_TERMINATE;
        char set[8];
        snprintf(set, sizeof set, "%d", i < KIND_COUNT ? XIPC_SIGNAL_ALL & ~sig : 0);
        const char *args[] = { set, NULL };
        spawn_with_channel("signal_idle", args, &ch, &p);
        xt_channel_wait_ready(&ch);
        CHECK_OK(xipc_signal_send(pid_of(p), sig));
        expect_ended_by(p, sig);
        xt_channel_close(&ch);
    }
}

/* A child's normal end and an end by xipc_proc_kill name no signal. */
void
xt_test_signal_exit_status_of_other_ends(void)
{
    xt_channel ch;
    xipc_proc *p = NULL;
    xipc_exit_status st = { 0, 0 };
    const char *args[] = { "0", NULL };
    spawn_with_channel("signal_idle", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    xt_channel_go(&ch);
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_NORMAL);
    CHECK_EQ(xipc_exit_status_signal(&st), 0);
    xipc_proc_close(p);
    xt_channel_close(&ch);
    spawn_with_channel("signal_idle", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(st.kind, XIPC_EXIT_KILLED);
    CHECK_EQ(xipc_exit_status_signal(&st), 0);
    CHECK_EQ(xipc_exit_status_signal(NULL), 0);
    xipc_proc_close(p);
    xt_channel_close(&ch);
}

/* `signal_close_then_idle ready go`: watches TERMINATE, reports the first one (a byte), closes
 * the watch, says ready, and waits for go. */
int
xt_child_signal_close_then_idle(int argc, char **argv)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    int sig = 0;
    (void)argc;
    xt_channel_import(&ch, argv[1], argv[2]);
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_TERMINATE, &w));
    xt_channel_ready(&ch);
    int rc = xipc_signal_next(w, &sig, XT_CHILD_TIMEOUT_MS);
    if (rc != 0)
        return xt_child_exit_code(rc);
    xipc_signal_close(w);
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    xt_channel_close(&ch);
    return 0;
}

/* A watched TERMINATE is read; once the watch is closed, the next one ends the process. */
void
xt_test_signal_close_restores_the_default(void)
{
    xt_channel ch;
    xipc_proc *p = NULL;
    const char *args[] = { NULL };
    spawn_with_channel("signal_close_then_idle", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    CHECK_OK(xipc_signal_send(pid_of(p), XIPC_SIGNAL_TERMINATE));
    xt_channel_wait_ready(&ch);
    CHECK_OK(xipc_signal_send(pid_of(p), XIPC_SIGNAL_TERMINATE));
    expect_ended_by(p, XIPC_SIGNAL_TERMINATE);
    xt_channel_close(&ch);
}

/* `signal_nohup_watch_close ready go`: ignores HANGUP (77 where it cannot), watches it, reports
 * the first one (a byte), closes the watch, says ready, and waits for go. */
int
xt_child_signal_nohup_watch_close(int argc, char **argv)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    int sig = 0;
    (void)argc;
    xt_channel_import(&ch, argv[1], argv[2]);
    if (xt_os_ignore_hangup() != 0)
        return XT_SKIP_CODE;
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_HANGUP, &w));
    xt_channel_ready(&ch);
    CHECK_OK(xipc_signal_next(w, &sig, XT_CHILD_TIMEOUT_MS));
    unsigned char b = (unsigned char)sig;
    xt_write_all(ch.ready_wr, &b, 1, XT_CHILD_TIMEOUT_MS);
    xipc_signal_close(w);
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch);
    xt_channel_close(&ch);
    return 0;
}

/* POSIX: closing a watch puts back the action from before it, here SIG_IGN: a HANGUP after the
 * close is ignored, not fatal. */
void
xt_test_signal_close_restores_the_previous_action(void)
{
    xt_channel ch;
    xipc_proc *p = NULL;
    unsigned char b = 0;
    const char *args[] = { NULL };
    if (xt_os_ignore_hangup() != 0)
        XT_SKIP("Windows: a process has no action of its own to put back, closing restores the "
                "default (signal_close_restores_the_default)");
    spawn_with_channel("signal_nohup_watch_close", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    CHECK_OK(xipc_signal_send(pid_of(p), XIPC_SIGNAL_HANGUP));
    xt_read_exact(ch.ready_rd, &b, 1, XT_CHILD_TIMEOUT_MS);
    CHECK_EQ(b, XIPC_SIGNAL_HANGUP);
    xt_channel_wait_ready(&ch);
    CHECK_OK(xipc_signal_send(pid_of(p), XIPC_SIGNAL_HANGUP));
    /* The child reads go only after the hang-up reached it: it was sent first. */
    xt_channel_go(&ch);
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
}

/* ---- Ping-pong ------------------------------------------------------------------------------ */

#define PING_PONG_ROUNDS 1000
/* A wake-up lost shows as a wait that runs out: far longer than any round takes. */
#define PING_PONG_WAIT_MS 5000

/* Where a signal lands in the receiver's way into its wait. A wake-up lost between looking for a
 * signal and sleeping shows only when the signal comes in between, not once the receiver
 * sleeps; so each side, after it sent, spins for a random time up to the shortest round trip it
 * has seen (the peer's reaction time: some microseconds natively, hundreds under Wine), and the
 * answer lands at every point of the way in, round after round. */
struct pacer {
    unsigned seed;
    uint64_t sent_ns, shortest_ns;
};

static void
pacer_sent(struct pacer *pc)
{
    pc->sent_ns = xipc_now_ns();
    pc->seed = pc->seed * 1103515245u + 12345u;
    uint64_t end = pc->sent_ns + (pc->shortest_ns ? (pc->seed >> 8) % pc->shortest_ns : 0);
    while (xipc_now_ns() < end)
        ;
}

static void
pacer_answered(struct pacer *pc)
{
    uint64_t rtt = xipc_now_ns() - pc->sent_ns;
    if (pc->shortest_ns == 0 || rtt < pc->shortest_ns)
        pc->shortest_ns = rtt;
}

/* `signal_pong PARENT_PID ROUNDS ready go`: watches USER1, says ready, and answers each USER1
 * with a USER2 to the parent. */
int
xt_child_signal_pong(int argc, char **argv)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    uint64_t parent = strtoull(argv[1], NULL, 10);
    struct pacer pc = { 7, 0, 0 };
    (void)argc;
    xt_channel_import(&ch, argv[3], argv[4]);
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1, &w));
    xt_channel_ready(&ch);
    for (long i = atol(argv[2]); i > 0; i--) {
        int sig = 0, rc = xipc_signal_next(w, &sig, PING_PONG_WAIT_MS);
        if (pc.sent_ns != 0)
            pacer_answered(&pc);
        if (rc == 0)
            rc = xipc_signal_send(parent, XIPC_SIGNAL_USER2);
        if (rc != 0)
            return xt_child_exit_code(rc);
        pacer_sent(&pc);
        CHECK_EQ(sig, XIPC_SIGNAL_USER1);
    }
    xipc_signal_close(w);
    xt_channel_close(&ch);
    return 0;
}

void
xt_test_signal_ping_pong_no_lost_wakeup(void)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    xipc_proc *p = NULL;
    char self[24], rounds[16];
    snprintf(self, sizeof self, "%llu", (unsigned long long)xipc_self_pid());
    snprintf(rounds, sizeof rounds, "%d", PING_PONG_ROUNDS);
    const char *args[] = { self, rounds, NULL };
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER2, &w));
    spawn_with_channel("signal_pong", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    uint64_t child = pid_of(p), t0 = xt_os_now_ms();
    struct pacer pc = { 3, 0, 0 };
    for (int i = 0; i < PING_PONG_ROUNDS; i++) {
        int sig = 0;
        CHECK_OK(xipc_signal_send(child, XIPC_SIGNAL_USER1));
        pacer_sent(&pc);
        CHECK_OK(xipc_signal_next(w, &sig, PING_PONG_WAIT_MS));
        pacer_answered(&pc);
        CHECK_EQ(sig, XIPC_SIGNAL_USER2);
    }
    printf(
        "%d round trips in %llu ms\n", PING_PONG_ROUNDS, (unsigned long long)(xt_os_now_ms() - t0));
    xt_expect_exit(p, 0);
    xipc_signal_close(w);
    xt_channel_close(&ch);
}

/* ---- Timeouts ------------------------------------------------------------------------------- */

/* `signal_send_later PID SIG MS`: sleeps MS, then sends SIG to PID. */
int
xt_child_signal_send_later(int argc, char **argv)
{
    (void)argc;
    xt_os_sleep_ms(atoi(argv[3]));
    return xt_child_exit_code(xipc_signal_send(strtoull(argv[1], NULL, 10), atoi(argv[2])));
}

void
xt_test_signal_timeouts(void)
{
    xipc_signal *w = NULL;
    int sig = 0;
    char self[24], user1[8];
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1, &w));
    uint64_t t0 = xt_os_now_ms();
    CHECK_RC(xipc_signal_next(w, &sig, 0), XIPC_ETIMEDOUT);
    CHECK_LT(xt_os_now_ms() - t0, XT_SLACK_MS);
    t0 = xt_os_now_ms();
    CHECK_RC(xipc_signal_next(w, &sig, 150), XIPC_ETIMEDOUT);
    CHECK_GE(xt_os_now_ms() - t0, 150);
    CHECK_LT(xt_os_now_ms() - t0, 150 + XT_SLACK_MS);
    /* Forever, woken by another process. */
    snprintf(self, sizeof self, "%llu", (unsigned long long)xipc_self_pid());
    snprintf(user1, sizeof user1, "%d", XIPC_SIGNAL_USER1);
    const char *args[] = { self, user1, "200", NULL };
    t0 = xt_os_now_ms();
    xipc_proc *p = xt_spawn_child("signal_send_later", args, NULL, NULL, 0);
    CHECK_OK(xipc_signal_next(w, &sig, XIPC_FOREVER));
    CHECK_EQ(sig, XIPC_SIGNAL_USER1);
    CHECK_GE(xt_os_now_ms() - t0, 200);
    xt_expect_exit(p, 0);
    /* Sent to itself, read at once. */
    CHECK_OK(xipc_signal_send(xipc_self_pid(), XIPC_SIGNAL_USER1));
    CHECK_OK(xipc_signal_next(w, &sig, XT_SLACK_MS));
    CHECK_EQ(sig, XIPC_SIGNAL_USER1);
    CHECK_RC(xipc_signal_next(w, &sig, 0), XIPC_ETIMEDOUT);
    xipc_signal_close(w);
}

/* ---- Wait sets ------------------------------------------------------------------------------ */

static size_t
ready_now(xipc_waitset *ws, xipc_signal *w)
{
    xipc_waitset_entry e[2];
    size_t n = 0;
    int rc = xipc_waitset_wait(ws, e, 2, &n, 0);
    CHECK(rc == 0 || rc == XIPC_ETIMEDOUT);
    CHECK(n == 0 || (n == 1 && e[0].handle == xipc_signal_handle(w) && e[0].user == w));
    return n;
}

/* A watch is ready in a wait set while a signal of it is pending, and only then. */
void
xt_test_signal_watch_in_waitset(void)
{
    xipc_signal *w = NULL;
    xipc_waitset *ws = NULL;
    xipc_waitset_entry e[2];
    size_t n = 0;
    intptr_t native = 0;
    int sig = 0;
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1 | XIPC_SIGNAL_USER2, &w));
    CHECK_EQ(xipc_handle_kind(xipc_signal_handle(w)), XIPC_KIND_SIGNAL);
    CHECK_OK(xipc_handle_native(xipc_signal_handle(w), &native));
    CHECK_OK(xipc_waitset_open(&ws));
    CHECK_OK(xipc_waitset_add(ws, xipc_signal_handle(w), XIPC_WAITSET_READ, w));
    CHECK_EQ(ready_now(ws, w), 0);
    CHECK_OK(xipc_signal_send(xipc_self_pid(), XIPC_SIGNAL_USER1));
    CHECK_OK(xipc_waitset_wait(ws, e, 2, &n, XT_SLACK_MS));
    CHECK_EQ(n, 1);
    CHECK_EQ(ready_now(ws, w), 1); /* still pending: the wait took nothing */
    CHECK_OK(xipc_signal_next(w, &sig, 0));
    CHECK_EQ(sig, XIPC_SIGNAL_USER1);
    CHECK_EQ(ready_now(ws, w), 0);
    /* Two pending: ready until both are read. */
    CHECK_OK(xipc_signal_send(xipc_self_pid(), XIPC_SIGNAL_USER2));
    CHECK_OK(xipc_signal_send(xipc_self_pid(), XIPC_SIGNAL_USER1));
    CHECK_OK(xipc_waitset_wait(ws, e, 2, &n, XT_SLACK_MS));
    CHECK_OK(xipc_signal_next(w, &sig, 0));
    CHECK_EQ(ready_now(ws, w), 1);
    CHECK_OK(xipc_signal_next(w, &sig, 0));
    CHECK_EQ(ready_now(ws, w), 0);
    CHECK_RC(xipc_signal_next(w, &sig, 0), XIPC_ETIMEDOUT);
    xipc_signal_close(w); /* closing removes it from the set */
    CHECK_RC(xipc_waitset_wait(ws, e, 2, &n, 0), XIPC_ETIMEDOUT);
    xipc_waitset_close(ws);
}

/* ---- Errors --------------------------------------------------------------------------------- */

void
xt_test_signal_bad_input(void)
{
    xipc_signal *w = NULL, *w2 = NULL;
    char text[XIPC_HANDLE_TEXT_MAX];
    int sig = 0;
    CHECK_RC(xipc_signal_watch(0, &w), XIPC_EINVAL);
    CHECK_RC(xipc_signal_watch(0x20, &w), XIPC_EINVAL);
    CHECK_RC(xipc_signal_watch(XIPC_SIGNAL_USER1 | 0x100, &w), XIPC_EINVAL);
    CHECK_RC(xipc_signal_watch(XIPC_SIGNAL_USER1, NULL), XIPC_EINVAL);
    CHECK(w == NULL);
    const int bad_sigs[] = { 0, -1, 3, 0x20, XIPC_SIGNAL_ALL, 0x40000000 };
    for (size_t i = 0; i < sizeof bad_sigs / sizeof bad_sigs[0]; i++)
        CHECK_RC(xipc_signal_send(xipc_self_pid(), bad_sigs[i]), XIPC_EINVAL);
    CHECK_RC(xipc_signal_send(0, XIPC_SIGNAL_USER1), XIPC_EINVAL);
    /* One watch per signal: overlapping sets are refused, disjoint ones taken. */
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1, &w));
    CHECK_RC(xipc_signal_watch(XIPC_SIGNAL_USER1 | XIPC_SIGNAL_USER2, &w2), XIPC_EBUSY);
    CHECK(w2 == NULL);
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER2, &w2));
    CHECK_OK(xipc_signal_send(xipc_self_pid(), XIPC_SIGNAL_USER2));
    CHECK_OK(xipc_signal_next(w2, &sig, XT_SLACK_MS));
    CHECK_EQ(sig, XIPC_SIGNAL_USER2);
    CHECK_RC(xipc_signal_next(w, &sig, 0), XIPC_ETIMEDOUT); /* the other watch saw nothing */
    CHECK_RC(xipc_signal_next(w, NULL, 0), XIPC_EINVAL);
    CHECK_RC(xipc_signal_next(w, &sig, -2), XIPC_EINVAL);
    CHECK_RC(xipc_signal_next(NULL, &sig, 0), XIPC_EINVAL);
    CHECK_RC(xipc_handle_export(xipc_signal_handle(w), text, sizeof text), XIPC_ENOTSUP);
    xipc_signal_close(w);
    CHECK_RC(xipc_signal_next(w, &sig, 0), XIPC_EBADF);
    xipc_signal_close(w); /* closed already: no-op */
    xipc_signal_close(NULL);
    CHECK(xipc_signal_handle(NULL) == NULL);
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1, &w)); /* free again */
    xipc_signal_close(w);
    xipc_signal_close(w2);
}

/* A pid that no process has: one of a child that ended and was reaped, and ids beyond any. */
void
xt_test_signal_send_to_no_process(void)
{
    const char *args[] = { "0", NULL };
    xipc_proc *p = xt_spawn_child("proc_exit_with", args, NULL, NULL, 0);
    uint64_t gone = pid_of(p);
    xt_expect_exit(p, 0);
    CHECK_RC(xipc_signal_send(gone, XIPC_SIGNAL_TERMINATE), XIPC_ENOENT);
    CHECK_RC(xipc_signal_send(0x7ffffff0u, XIPC_SIGNAL_TERMINATE), XIPC_ENOENT);
    CHECK_RC(xipc_signal_send(1ull << 40, XIPC_SIGNAL_TERMINATE), XIPC_ENOENT);
}

/* `signal_send_as_other_user PID`: becomes uid 65534 and sends TERMINATE to PID. */
int
xt_child_signal_send_as_other_user(int argc, char **argv)
{
    (void)argc;
    CHECK_EQ(xt_os_become_other_user(), 0);
    return xt_child_exit_code(xipc_signal_send(strtoull(argv[1], NULL, 10), XIPC_SIGNAL_TERMINATE));
}

/* Another user's process is not ours to signal. */
void
xt_test_signal_send_to_other_user_is_eperm(void)
{
    xipc_signal *w = NULL;
    char self[24];
    int sig = 0;
    if (!xt_os_can_become_other_user())
        XT_SKIP("needs root, to run a child as another user (and Windows has no second user "
                "for a test to be)");
    /* Watched here, so that a send that got through is seen, not fatal. */
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_TERMINATE, &w));
    snprintf(self, sizeof self, "%llu", (unsigned long long)xipc_self_pid());
    const char *args[] = { self, NULL };
    xipc_proc *p = xt_spawn_child("signal_send_as_other_user", args, NULL, NULL, 0);
    xt_expect_exit(p, xt_child_exit_code(XIPC_EPERM));
    CHECK_RC(xipc_signal_next(w, &sig, 0), XIPC_ETIMEDOUT);
    xipc_signal_close(w);
}

/* Windows: what someone else put at a process's signal name is never taken for xipc's: a watch
 * refuses to start on it, and a sender refuses to act on it (the target neither reads nor dies). */
void
xt_test_signal_squatted_name_refused(void)
{
    xipc_signal *w = NULL;
    xt_channel ch;
    xipc_proc *p = NULL;
    const char *args[] = { "0", NULL };
    intptr_t plant = xt_os_plant_signal_section(xipc_self_pid());
    if (plant == -1)
        XT_SKIP("POSIX signals have no names that anyone could take first");
    CHECK_RC(xipc_signal_watch(XIPC_SIGNAL_USER1, &w), XIPC_EACCES);
    xt_os_close_native(plant);
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1, &w));
    xipc_signal_close(w);
    spawn_with_channel("signal_idle", args, &ch, &p);
    xt_channel_wait_ready(&ch);
    plant = xt_os_plant_signal_section(pid_of(p));
    CHECK(plant != -1);
    CHECK_RC(xipc_signal_send(pid_of(p), XIPC_SIGNAL_TERMINATE), XIPC_ECORRUPT);
    xt_os_close_native(plant);
    xt_channel_go(&ch); /* still alive: it ends as it was told to */
    xt_expect_exit(p, 0);
    xt_channel_close(&ch);
}

/* ---- Console control events ---------------------------------------------------------------- */

/* `signal_console_ctrl_c WATCH`: alone on a console of its own, watches INTERRUPT (WATCH 1) or
 * nothing, and sends Ctrl+C to its console. Watching, it must read INTERRUPT (exit 0); not
 * watching, the default action must end it before it gives up (exit 1). 77: no event could be
 * sent. */
int
xt_child_signal_console_ctrl_c(int argc, char **argv)
{
    xipc_signal *w = NULL;
    int sig = 0;
    (void)argc;
    if (atoi(argv[1]))
        CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_INTERRUPT, &w));
    if (xt_os_console_ctrl_c() != 0)
        return XT_SKIP_CODE;
    if (w == NULL) {
        xt_os_sleep_ms(XT_CHILD_TIMEOUT_MS);
        return 1;
    }
    CHECK_OK(xipc_signal_next(w, &sig, XT_CHILD_TIMEOUT_MS));
    CHECK_EQ(sig, XIPC_SIGNAL_INTERRUPT);
    xipc_signal_close(w);
    return 0;
}

/* Windows: Ctrl+C on a console reaches a watch of INTERRUPT, and without one ends the process
 * with STATUS_CONTROL_C_EXIT, which reads as INTERRUPT. */
void
xt_test_signal_console_ctrl_c(void)
{
    uint32_t code = 0;
    xipc_exit_status st = { XIPC_EXIT_CRASHED, 0 };
    if (xt_os_is_wine())
        XT_SKIP("Wine 8 without a terminal has no console: GenerateConsoleCtrlEvent fails with "
                "error 12 (and CTRL_BREAK_EVENT with error 6 even on a pty)");
    if (xt_os_run_in_own_console("signal_console_ctrl_c", "1", &code) != 0)
        XT_SKIP("POSIX has no console control events (a terminal's Ctrl+C is SIGINT, which "
                "signal_each_kind_reported sends), or no console could be made here");
    if (code == XT_SKIP_CODE)
        XT_SKIP("GenerateConsoleCtrlEvent refused in a console of the child's own");
    CHECK_EQ(code, 0);
    CHECK_OK(xt_os_run_in_own_console("signal_console_ctrl_c", "0", &code));
    CHECK_EQ(code, 0xC000013Au); /* STATUS_CONTROL_C_EXIT, from the default handler */
    st.code = code;
    CHECK_EQ(xipc_exit_status_signal(&st), XIPC_SIGNAL_INTERRUPT);
}

void
xt_test_signal_no_handle_leak(void)
{
    xipc_signal *w = NULL, *w2 = NULL, *refused = NULL;
    int sig = 0;
    xt_warm_up();
    CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1, &w)); /* Wine's first named object */
    xipc_signal_close(w);
    int before = xt_os_handle_count();
    for (int i = 0; i < 50; i++) {
        CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER1 | XIPC_SIGNAL_HANGUP, &w));
        CHECK_OK(xipc_signal_watch(XIPC_SIGNAL_USER2, &w2));
        CHECK_OK(xipc_signal_send(xipc_self_pid(), XIPC_SIGNAL_USER1));
        CHECK_OK(xipc_signal_send(xipc_self_pid(), XIPC_SIGNAL_USER2));
        CHECK_OK(xipc_signal_next(w, &sig, XT_SLACK_MS));
        if (i % 2)
            CHECK_OK(xipc_signal_next(w2, &sig, XT_SLACK_MS));
        CHECK_RC(xipc_signal_watch(XIPC_SIGNAL_USER2, &refused), XIPC_EBUSY);
        xipc_signal_close(w2);
        xipc_signal_close(w);
    }
    CHECK_EQ(xt_os_handle_count(), before);
}
