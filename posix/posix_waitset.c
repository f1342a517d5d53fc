/* posix/posix_waitset.c: wait sets (common/platform.h, "Wait sets") on a readiness poller
 * (posix_waitset.h: epoll on Linux).
 *
 * Descriptors (streams, message pipes, servers, pidfds) sit in the poller, level-triggered, each
 * under a key made of its entry's index and a generation, so that a report that was on its way
 * while the entry was removed (another thread, or the handle's close) is recognised and dropped.
 * Objects the poller cannot see are "looked at" under the set's lock at the start of each round
 * of a wait: events, semaphores and mutexes (futex words and sem_t in shared memory: one try that
 * takes an acquiring object, xipc__waitset_try), a process without a pidfd, and a message pipe
 * whose message xipc holds (held). Nothing is taken but by the waiting thread's try.
 *
 * Events, semaphores and mutexes tell when they change: where the kernel has futex_waitv (Linux
 * 5.16), a helper thread per set watches up to HELPED_MAX of them, and sleeps on the words of
 * those the waiting thread last found busy (armed), and on a control word of its own that any
 * change to the set bumps. It holds a waiter slot of each event, so that every set wakes its
 * state word; it sleeps on a semaphore's or a mutex's own futex word as one of glibc's waiters
 * would (posix_glibc_waiters.c: counted among the semaphore's sleepers, FUTEX_WAITERS on a held
 * mutex), where the C library lays them out as that file relies on, and passes on every wake it
 * may have had, since glibc wakes one sleeper per post or unlock and the helper takes nothing.
 * When an armed object looks free it disarms it and writes the notify eventfd in the poller; the
 * waiting thread wakes and tries. The rest (objects past the helper's words, semaphores and
 * mutexes where the layout check fails, processes without a pidfd, message queues): while the
 * set has any, the poller sleeps at most 50 us, then twice as long each time up to 8 ms, between
 * looks, so such an object is seen up to ~8 ms late after a quiet spell.
 *
 * The set's lock covers its entries; the waiting thread holds it while it looks and while it turns
 * poller reports into entries, never while it sleeps, so add, modify, remove and wake from other
 * threads never wait for a wait. */
#include "posix_waitset.h"

#include "posix_sync.h"

#include "handle.h"
#include "mq.h"

#include <pthread.h>
#include <stdlib.h>

/* The first and the longest sleep between two looks at the objects the poller cannot see, in
 * microseconds: a pause doubles from the first to the longest while nothing is ready. */
#define LOOK_PAUSE_MIN_US 50
#define LOOK_PAUSE_MAX_US 8000

/* The most poller reports one round takes in. */
#define READY_BATCH 64

/* The most events the helper watches: futex_waitv's words, less the control word. */
#define HELPED_MAX (XIPC__FUTEX_WAITV_MAX - 1)

struct entry {
    struct xipc_handle *h; /* NULL: a free slot */
    void *user;
    unsigned events; /* XIPC_WAITSET_* asked for */
    uint32_t gen; /* raised when the slot is freed */
    int fd; /* in the poller; -1: not */
    size_t look_at; /* its index in looks[], or SIZE_MAX */
    uint64_t round; /* the round that reported it last */
    size_t out_at; /* its index in the caller's array in that round */
    int slot; /* the helper watches it (events: the waiter slot it holds; else 0); -1: not */
    bool armed; /* the helper sleeps on its word: the last look found it unset */
    bool leaving; /* being removed: the helper lets its slot go */
};

struct xipc__os_waitset {
    pthread_mutex_t lock;
    pthread_cond_t rebuilt; /* the helper took the changes in */
    int poller, wake, notify;
    /* The helper thread, started with the first event where futex_waitv works. */
    pthread_t helper;
    bool helper_running, helper_stop;
    _Atomic uint32_t ctl; /* bumped by every change the helper must see */
    uint64_t helper_want, helper_seen; /* changes made, and taken in by its last rebuild */
    size_t helped; /* events holding a slot */
    struct entry *entries;
    size_t cap, used; /* slots, and slots in use */
    size_t *looks; /* indices of the entries looked at each round */
    size_t look_count;
    size_t look_start; /* where the next round starts looking: every object gets its turn */
    uint64_t round;
    bool waiting;
};

int
xipc__os_waitset_open(struct xipc__os_waitset **out)
{
    struct xipc__os_waitset *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        return XIPC_ENOMEM;
    int rc = xipc__posix_poller_open(&ws->poller, &ws->wake, &ws->notify);
    if (rc != 0) {
        free(ws);
        return rc;
    }
    (void)pthread_mutex_init(&ws->lock, NULL);
    (void)pthread_cond_init(&ws->rebuilt, NULL);
    *out = ws;
    return 0;
}

/* Makes the helper look at the set again (its control word changes). */
static void
helper_kick(struct xipc__os_waitset *ws)
{
    atomic_fetch_add(&ws->ctl, 1u);
    xipc__posix_futex_wake(&ws->ctl, 1);
}

void
xipc__os_waitset_close(struct xipc__os_waitset *ws)
{
    if (ws->helper_running) {
        (void)pthread_mutex_lock(&ws->lock);
        ws->helper_stop = true;
        helper_kick(ws);
        (void)pthread_mutex_unlock(&ws->lock);
        (void)pthread_join(ws->helper, NULL);
    }
    xipc__posix_poller_close(ws->poller, ws->wake, ws->notify);
    (void)pthread_cond_destroy(&ws->rebuilt);
    (void)pthread_mutex_destroy(&ws->lock);
    free(ws->entries);
    free(ws->looks);
    free(ws);
}

/* Under the lock: the index of h's entry, or SIZE_MAX. */
static size_t
find(const struct xipc__os_waitset *ws, const struct xipc_handle *h)
{
    for (size_t i = 0; i < ws->cap; i++) {
        if (ws->entries[i].h == h)
            return i;
    }
    return SIZE_MAX;
}

/* Under the lock: a free slot, growing the arrays; SIZE_MAX when out of memory. */
static size_t
slot_alloc(struct xipc__os_waitset *ws)
{
    if (ws->used == ws->cap) {
        size_t cap = ws->cap ? 2 * ws->cap : 16;
        struct entry *e = realloc(ws->entries, cap * sizeof *e);
        if (e == NULL)
            return SIZE_MAX;
        ws->entries = e;
        size_t *looks = realloc(ws->looks, cap * sizeof *looks);
        if (looks == NULL)
            return SIZE_MAX;
        ws->looks = looks;
        for (size_t i = ws->cap; i < cap; i++)
            e[i] = (struct entry) { .h = NULL, .fd = -1, .look_at = SIZE_MAX, .slot = -1 };
        ws->cap = cap;
    }
    return find(ws, NULL);
}

static uint64_t
key_of(const struct xipc__os_waitset *ws, size_t i)
{
    return (uint64_t)ws->entries[i].gen << 32 | i;
}

/* Message pipes may hold a message in this process (POSIX streams never hold data). */
static bool
needs_look(const struct xipc_handle *h, const struct xipc__wait *w)
{
    return w->how == XIPC__WAIT_HELPER || h->kind == XIPC_KIND_MSGPIPE;
}

/* ---- The helper thread --------------------------------------------------------------------- */

static struct xipc__os_sync *
event_of(const struct entry *e)
{
    return &((struct xipc__sync *)e->h)->os;
}

/* Whether the helper can watch an object of this kind: events always, semaphores and mutexes
 * where glibc's layout is the one relied on. */
static bool
helpable(enum xipc_kind kind)
{
    if (kind == XIPC_KIND_EVENT)
        return true;
    return (kind == XIPC_KIND_SEM || kind == XIPC_KIND_MUTEX) && xipc__posix_waiters_work();
}

/* In the helper: starts watching e's object (-1: no slot left); stops. */
static int
watch_start(struct entry *e)
{
    if (e->h->kind == XIPC_KIND_EVENT)
        return xipc__posix_event_watch(event_of(e));
    xipc__posix_waiter_join(event_of(e));
    return 0;
}

static void
watch_stop(struct entry *e)
{
    if (e->h->kind == XIPC_KIND_EVENT)
        xipc__posix_event_unwatch(event_of(e), e->slot);
    else
        xipc__posix_waiter_leave(event_of(e));
}

/* Under the lock, in the helper: watches the objects not watched yet, lets go of those of
 * leaving ones (an event's slot is the thread's that took it), and says that it took the changes
 * in. */
static void
helper_sync_slots(struct xipc__os_waitset *ws)
{
    for (size_t i = 0; i < ws->cap; i++) {
        struct entry *e = &ws->entries[i];
        if (e->h == NULL || !helpable(e->h->kind))
            continue;
        if ((e->leaving || ws->helper_stop) && e->slot >= 0) {
            watch_stop(e);
            e->slot = -1;
            e->armed = false;
            ws->helped--;
        } else if (!e->leaving && !ws->helper_stop && e->slot < 0 && ws->helped < HELPED_MAX) {
            if ((e->slot = watch_start(e)) >= 0)
                ws->helped++;
        }
    }
    ws->helper_seen = ws->helper_want;
    (void)pthread_cond_broadcast(&ws->rebuilt);
}

/* Whether e's object looks free (an event set, a semaphore posted, a mutex unlocked). */
static bool
looks_free(struct entry *e)
{
    if (e->h->kind == XIPC_KIND_EVENT)
        return atomic_load(xipc__posix_event_word(event_of(e))) != 0;
    return xipc__posix_waiter_free(event_of(e));
}

/* Under the lock: the words the helper sleeps on, the control word first, and at[k] the entry
 * of word k. An armed object that looks free already is disarmed, and *any says so. */
static size_t
helper_words(
    struct xipc__os_waitset *ws, _Atomic uint32_t **words, uint32_t *vals, size_t *at, bool *any)
{
    size_t n = 1;
    words[0] = &ws->ctl;
    vals[0] = atomic_load(&ws->ctl);
    for (size_t i = 0; i < ws->cap && n < XIPC__FUTEX_WAITV_MAX; i++) {
        struct entry *e = &ws->entries[i];
        if (e->h == NULL || e->slot < 0 || !e->armed)
            continue;
        at[n] = i;
        if (e->h->kind == XIPC_KIND_EVENT) {
            words[n] = xipc__posix_event_word(event_of(e));
            vals[n++] = 0;
        } else if (xipc__posix_waiter_arm(event_of(e), &words[n], &vals[n])) {
            n++;
        } else {
            e->armed = false;
            *any = true;
        }
    }
    return n;
}

/* Under the lock: disarms every armed object that looks free; notes the waiting thread if any
 * was. A semaphore or mutex whose word woke the helper gets that wake passed on. */
static void
helper_harvest(struct xipc__os_waitset *ws, size_t woken_entry, bool any)
{
    for (size_t i = 0; i < ws->cap; i++) {
        struct entry *e = &ws->entries[i];
        if (e->h == NULL || e->slot < 0)
            continue;
        if (i == woken_entry && e->h->kind != XIPC_KIND_EVENT)
            xipc__posix_waiter_pass_on(event_of(e));
        if (e->armed && looks_free(e)) {
            e->armed = false;
            any = true;
        }
    }
    if (any)
        (void)xipc__posix_poller_wake(ws->notify);
}

static void *
helper_main(void *arg)
{
    struct xipc__os_waitset *ws = arg;
    _Atomic uint32_t *words[XIPC__FUTEX_WAITV_MAX];
    uint32_t vals[XIPC__FUTEX_WAITV_MAX];
    size_t at[XIPC__FUTEX_WAITV_MAX];
    (void)pthread_mutex_lock(&ws->lock);
    for (;;) {
        helper_sync_slots(ws);
        if (ws->helper_stop)
            break;
        bool any = false;
        size_t n = helper_words(ws, words, vals, at, &any), woken = 0;
        int rc = 0;
        if (!any) { /* else the waiting thread tries first */
            (void)pthread_mutex_unlock(&ws->lock);
            rc = xipc__posix_futex_waitv(words, vals, n, &woken);
            (void)pthread_mutex_lock(&ws->lock);
        }
        if (rc != 0)
            break; /* the waiting thread keeps looking at the objects between short sleeps */
        /* Entries keep their index while the helper holds a slot: a remove waits for it. */
        helper_harvest(ws, woken > 0 && woken < n ? at[woken] : SIZE_MAX, any);
    }
    if (!ws->helper_stop) {
        ws->helper_stop = true;
        helper_sync_slots(ws); /* lets every slot go */
    }
    (void)pthread_mutex_unlock(&ws->lock);
    return NULL;
}

/* Under the lock: starts the helper for a set that now holds an object it can watch, where the
 * kernel has futex_waitv. Without it the objects are looked at between short sleeps. */
static void
helper_start(struct xipc__os_waitset *ws)
{
    if (ws->helper_running || ws->helper_stop || !xipc__posix_futex_waitv_works())
        return;
    pthread_attr_t attr;
    (void)pthread_attr_init(&attr);
    (void)pthread_attr_setstacksize(&attr, 64 * 1024);
    ws->helper_running = pthread_create(&ws->helper, &attr, helper_main, ws) == 0;
    (void)pthread_attr_destroy(&attr);
}

/* Under the lock: the helper has taken the changes made so far in (a removed event's slot is
 * free, so its memory may go). */
static void
helper_sync(struct xipc__os_waitset *ws)
{
    uint64_t want = ++ws->helper_want;
    helper_kick(ws);
    while (ws->helper_running && !ws->helper_stop && ws->helper_seen < want)
        (void)pthread_cond_wait(&ws->rebuilt, &ws->lock);
}

int
xipc__os_waitset_add(struct xipc__os_waitset *ws, struct xipc_handle *h, const struct xipc__wait *w,
    unsigned events, void *user)
{
    int rc = 0;
    if (w->how != XIPC__WAIT_FD && w->how != XIPC__WAIT_HELPER)
        return XIPC__FAIL(XIPC_ENOTSUP, "h: nothing a wait could use here");
    (void)pthread_mutex_lock(&ws->lock);
    size_t i = SIZE_MAX;
    if (find(ws, h) != SIZE_MAX)
        rc = XIPC_EEXIST;
    else if (ws->used >= XIPC_WAITSET_MAX)
        rc = XIPC__FAIL(XIPC_ELIMIT, "ws: holds XIPC_WAITSET_MAX handles");
    else if ((i = slot_alloc(ws)) == SIZE_MAX)
        rc = XIPC_ENOMEM;
    if (rc == 0 && w->how == XIPC__WAIT_FD)
        rc = xipc__posix_poller_add(ws->poller, (int)w->native, events, key_of(ws, i));
    if (rc == 0) {
        struct entry *e = &ws->entries[i];
        e->h = h;
        e->user = user;
        e->events = events;
        e->fd = w->how == XIPC__WAIT_FD ? (int)w->native : -1;
        e->round = 0;
        if (needs_look(h, w)) {
            e->look_at = ws->look_count;
            ws->looks[ws->look_count++] = i;
        }
        ws->used++;
        if (helpable(h->kind)) {
            helper_start(ws);
            if (ws->helper_running)
                helper_kick(ws); /* it watches the object */
        }
    }
    (void)pthread_mutex_unlock(&ws->lock);
    return rc;
}

int
xipc__os_waitset_modify(
    struct xipc__os_waitset *ws, struct xipc_handle *h, unsigned events, void *user)
{
    int rc = 0;
    (void)pthread_mutex_lock(&ws->lock);
    size_t i = find(ws, h);
    if (i == SIZE_MAX) {
        rc = XIPC_ENOENT;
    } else {
        struct entry *e = &ws->entries[i];
        if (e->fd >= 0)
            rc = xipc__posix_poller_modify(ws->poller, e->fd, events, key_of(ws, i));
        if (rc == 0) {
            e->events = events;
            e->user = user;
        }
    }
    (void)pthread_mutex_unlock(&ws->lock);
    return rc;
}

int
xipc__os_waitset_remove(struct xipc__os_waitset *ws, struct xipc_handle *h)
{
    (void)pthread_mutex_lock(&ws->lock);
    size_t i = find(ws, h);
    if (i != SIZE_MAX) {
        struct entry *e = &ws->entries[i];
        uint32_t gen = e->gen;
        if (e->slot >= 0) {
            e->leaving = true;
            helper_sync(ws); /* lets the lock go */
            e = &ws->entries[i];
        }
        /* Another thread removed it meanwhile (a remove and the handle's close at once): it is
         * gone, once. */
        if (e->gen != gen) {
            (void)pthread_mutex_unlock(&ws->lock);
            return XIPC_ENOENT;
        }
        if (e->fd >= 0)
            xipc__posix_poller_remove(ws->poller, e->fd);
        if (e->look_at != SIZE_MAX) {
            size_t last = ws->looks[--ws->look_count];
            ws->looks[e->look_at] = last;
            ws->entries[last].look_at = e->look_at;
        }
        *e = (struct entry) {
            .h = NULL, .gen = e->gen + 1, .fd = -1, .look_at = SIZE_MAX, .slot = -1
        };
        ws->used--;
    }
    (void)pthread_mutex_unlock(&ws->lock);
    return i == SIZE_MAX ? XIPC_ENOENT : 0;
}

int
xipc__os_waitset_wake(struct xipc__os_waitset *ws)
{
    return xipc__posix_poller_wake(ws->wake);
}

/* ---- Waiting -------------------------------------------------------------------------------- */

/* What one wait is filling. */
struct harvest {
    xipc_waitset_entry *out;
    size_t cap, n;
    bool took; /* an acquiring object was taken: no other may be */
    bool woken;
    bool unwatched; /* a looked-at object that nothing wakes us for: sleep briefly */
};

/* Under the lock: reports entry i ready for events (those it asked for), with result; an entry
 * already reported in this round gets the events added. */
static void
report(struct xipc__os_waitset *ws, size_t i, unsigned events, int result, struct harvest *hv)
{
    struct entry *e = &ws->entries[i];
    events &= e->events;
    if (events == 0)
        return;
    if (e->round == ws->round) {
        hv->out[e->out_at].events |= events;
        return;
    }
    if (hv->n == hv->cap)
        return;
    e->round = ws->round;
    e->out_at = hv->n;
    hv->out[hv->n++] = (xipc_waitset_entry) { e->h, e->user, events, result };
}

/* Under the lock: one look at entry i, which the poller cannot see (or not wholly). */
static void
look_at(struct xipc__os_waitset *ws, size_t i, struct harvest *hv)
{
    struct entry *e = &ws->entries[i];
    struct xipc__wait w;
    xipc__handle_waitable(e->h, &w);
    if (w.held) {
        report(ws, i, XIPC_WAITSET_READ, 0, hv);
        return;
    }
    if (w.how != XIPC__WAIT_HELPER)
        return;
    if (e->h->kind == XIPC_KIND_MQ) {
        /* A queue: its shared state says what is ready (common/mq.h); nothing is taken. No
         * helper watches its words: looked at between short sleeps. */
        hv->unwatched = true;
        report(ws, i, xipc__mq_ready((struct xipc_mq *)e->h), 0, hv);
        return;
    }
    bool watched = e->slot >= 0;
    hv->unwatched = hv->unwatched || !watched;
    bool acquiring = xipc__waitset_acquiring(e->h->kind);
    if (acquiring && hv->took)
        return;
    int rc = xipc__waitset_try(e->h);
    if (rc == XIPC_ETIMEDOUT) {
        if (watched && !e->armed) {
            e->armed = true; /* the helper now sleeps on its word */
            helper_kick(ws);
        }
        return;
    }
    hv->took = hv->took || (acquiring && (rc == 0 || rc == XIPC_EOWNERDEAD));
    report(ws, i, XIPC_WAITSET_READ, rc, hv);
}

/* Under the lock: looks at every entry the poller cannot see, from where the last round
 * stopped, so that one ready semaphore cannot keep the others from their turn. */
static void
look_all(struct xipc__os_waitset *ws, struct harvest *hv)
{
    size_t count = ws->look_count;
    for (size_t k = 0; k < count && hv->n < hv->cap; k++)
        look_at(ws, ws->looks[(ws->look_start + k) % count], hv);
    if (count > 0)
        ws->look_start = (ws->look_start + 1) % count;
}

/* Under the lock: turns the poller's reports into entries, dropping those of removed ones. */
static void
take_reports(
    struct xipc__os_waitset *ws, const struct xipc__posix_ready *r, int count, struct harvest *hv)
{
    for (int k = 0; k < count; k++) {
        if (r[k].key == XIPC__POLLER_WAKE_KEY)
            hv->woken = true;
        if (r[k].key >= XIPC__POLLER_NOTIFY_KEY)
            continue; /* a note: the next round's look tries the event */
        size_t i = (size_t)(r[k].key & UINT32_MAX);
        if (i < ws->cap && ws->entries[i].h != NULL && key_of(ws, i) == r[k].key)
            report(ws, i, r[k].events, 0, hv);
    }
}

/* How long the poller may sleep: not past dl, not at all once something is ready, and, while
 * objects it cannot see are in the set, no longer than the pause before the next look. */
static int64_t
sleep_us(const struct harvest *hv, bool looks, xipc__deadline dl, int64_t *pause_us)
{
    if (hv->n > 0)
        return 0;
    int64_t left = -1;
    if (dl != XIPC__DEADLINE_NEVER) {
        uint64_t now = xipc__os_clock_ns();
        left = now >= dl ? 0 : (int64_t)((dl - now + 999) / 1000);
    }
    if (looks && (left < 0 || left > *pause_us)) {
        left = *pause_us;
        *pause_us = *pause_us * 2 > LOOK_PAUSE_MAX_US ? LOOK_PAUSE_MAX_US : *pause_us * 2;
    }
    return left;
}

/* One round: look, sleep in the poller, take its reports. */
static int
wait_round(struct xipc__os_waitset *ws, struct harvest *hv, xipc__deadline dl, int64_t *pause)
{
    struct xipc__posix_ready ready[READY_BATCH];
    int count = 0;
    (void)pthread_mutex_lock(&ws->lock);
    ws->round++;
    hv->unwatched = false;
    look_all(ws, hv);
    bool looks = hv->unwatched;
    (void)pthread_mutex_unlock(&ws->lock);
    size_t room = hv->cap - hv->n;
    if (room == 0)
        return 0;
    int drain[2] = { ws->wake, ws->notify };
    int rc = xipc__posix_poller_wait(ws->poller, drain, ready,
        room < READY_BATCH ? (int)room : READY_BATCH, sleep_us(hv, looks, dl, pause), &count);
    (void)pthread_mutex_lock(&ws->lock);
    take_reports(ws, ready, count, hv);
    (void)pthread_mutex_unlock(&ws->lock);
    return rc;
}

int
xipc__os_waitset_wait(
    struct xipc__os_waitset *ws, xipc_waitset_entry *out, size_t cap, size_t *n, xipc__deadline dl)
{
    struct harvest hv = { out, cap, 0, false, false, false };
    int64_t pause = LOOK_PAUSE_MIN_US;
    int rc = 0;
    (void)pthread_mutex_lock(&ws->lock);
    bool busy = ws->waiting;
    ws->waiting = true;
    (void)pthread_mutex_unlock(&ws->lock);
    if (busy)
        return XIPC__FAIL(XIPC_EBUSY, "ws: another thread is waiting on it");
    for (;;) {
        rc = wait_round(ws, &hv, dl, &pause);
        if (rc != 0 || hv.n > 0 || hv.woken)
            break;
        if (xipc__deadline_left_ms(dl) == 0) {
            rc = XIPC_ETIMEDOUT;
            break;
        }
    }
    (void)pthread_mutex_lock(&ws->lock);
    ws->waiting = false;
    (void)pthread_mutex_unlock(&ws->lock);
    *n = hv.n;
    return rc;
}
