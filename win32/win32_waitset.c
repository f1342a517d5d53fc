/* win32/win32_waitset.c: wait sets (common/platform.h, "Wait sets") on WaitForMultipleObjects.
 *
 * What each entry waits on:
 * - SIGNALLED objects (events, semaphores, mutexes, processes, a server's connect event): the
 *   object itself. WaitForMultipleObjects(bWaitAll FALSE) takes an acquiring object only when it
 *   reports it, and reports one object per call, so a wait takes at most one; a mutex it took
 *   gets its record updated (xipc__win32_mutex_acquired), WAIT_ABANDONED giving XIPC_EOWNERDEAD.
 * - ARMED pipe ends: a pipe handle has no readiness, so the set keeps a zero-byte overlapped
 *   ReadFile pending on each, with an event of its own (libuv's trick). It completes when data
 *   arrives (nothing is consumed; a message pipe's message gives ERROR_MORE_DATA and stays), or
 *   with the writer's end or an error, which a read then reports too. The read is issued by the
 *   thread that waits: if that thread ends, Windows cancels it (ERROR_OPERATION_ABORTED, as
 *   CancelIo by a stream read's timeout in that thread does); the next wait issues it again.
 *   A reported entry's read is issued again at the next wait, so an entry stays ready while its
 *   data is there (level-triggered). Write readiness is not known for a Windows pipe (the
 *   quota a write waits for is not readable, and Wine reports it as 0): XIPC_ENOTSUP.
 * - SOCKETS (TCP and AF_UNIX connections, listeners, datagram endpoints; their wait is WSAPoll's,
 *   XIPC__WAIT_FD): an event per socket, given to WSAEventSelect with FD_READ, FD_ACCEPT and
 *   FD_CLOSE for READ, FD_WRITE, FD_CONNECT and FD_CLOSE for WRITE. Those network events are
 *   edges (Microsoft's WSAEventSelect documentation: each is recorded once, then again only after
 *   its re-enabling call: a recv for FD_READ, an accept for FD_ACCEPT), so the event only says
 *   when to look; whether the socket is ready is always a zero-timeout WSAPoll (level), after
 *   WSAEnumNetworkEvents has reset the event and the record. An entry is looked at when added
 *   (WSAEventSelect records only what happens from then on for FD_WRITE), when its event fires,
 *   and every round while it was reported (as a pipe end). FD_WRITE is recorded again only after
 *   a send failed with WSAEWOULDBLOCK, which the set cannot know happened (a partial send does
 *   not arm it; another process may hold the socket): an entry that asks for WRITE is therefore
 *   also looked at before every sleep, which lasts at most 8 ms while it is not writable; its
 *   event ends the sleep sooner when FD_WRITE was armed. WSAEventSelect makes the socket
 *   non-blocking (xipc's are already) and is one per socket, for every descriptor of it (also
 *   duplicates in other processes): a socket is in one set of the process at a time
 *   (XIPC_EBUSY), and leaving the set clears the selection (WSAEventSelect(s, NULL, 0)). The
 *   socket's own calls (overlapped WSARecv, non-blocking send and WSAPoll, accept) work the same
 *   while it is selected.
 * - HELPER: a FIFO reader, whose writers report to its own completion port: looked at before
 *   each sleep (xipc__win32_fifo_poll), which then lasts at most 8 ms. Data held in user space
 *   (a message pipe's kept message, the reader's frames) is ready at once (held).
 *
 * WaitForMultipleObjects takes 64 handles. The waiting thread waits on its wake event, an inner
 * event (a change to the set), the watchers' event, and up to DIRECT_MAX entries: every
 * acquiring object (they must be taken by the thread that waits; a mutex belongs to it) and, while
 * room is left, others. The rest (pipe ends, processes, servers: none of them acquiring) go to
 * watcher threads, each waiting on up to GROUP_MAX of them and a control event. A watcher that
 * sees one signalled marks it fired, puts it on the attention list and sets the watchers' event;
 * it waits on it no more until the waiting thread has looked at it and handed it back.
 *
 * One lock covers the set; nobody holds it while sleeping. Closing a handle while a thread
 * sleeps on it is undefined (WaitForMultipleObjects' documentation), so a remove (also the close
 * of a handle, xipc__waitset_forget) marks the entry leaving, makes the thread that may sleep on
 * it rebuild its handles (the inner event, or the watcher's control event), and waits on a
 * condition variable until it has, before the entry's read is cancelled and the handle can
 * close. */
#include <winsock2.h>

#include "win32_internal.h"

#include "handle.h"
#include "mq.h"

#include <stdlib.h>

#define DIRECT_MAX        (MAXIMUM_WAIT_OBJECTS - 3) /* less wake, inner and watched */
#define GROUP_MAX         (MAXIMUM_WAIT_OBJECTS - 1) /* less the watcher's control event */
#define LOOK_PAUSE_MAX_MS 8u

/* Where an entry is waited on. */
#define GROUP_DIRECT  (-1) /* by the waiting thread */
#define GROUP_NONE    (-2) /* nowhere: looked at (HELPER) */
#define GROUP_LEAVING (-3) /* being removed */

/* A pipe end's zero-byte read. On the heap: the system writes the OVERLAPPED while it runs. */
struct arm {
    OVERLAPPED ov;
    HANDLE pipe;
    bool pending; /* in flight */
    char byte;
};

struct entry {
    struct xipc_handle *h; /* NULL: a free slot */
    void *user;
    unsigned events;
    enum xipc__wait_how how;
    HANDLE wait_on; /* SIGNALLED: the object; ARMED: its read's event; HELPER: NULL */
    struct arm *arm;
    SOCKET sock; /* a socket's, selected on wait_on (WSAEventSelect); INVALID_SOCKET otherwise */
    bool acquiring, looks;
    int group; /* a watcher's index, or GROUP_* */
    bool attention; /* on the attention list: the waiting thread looks at it next round */
    bool fired; /* a watcher's: not waited on until handed back */
    uint64_t round; /* the round that reported it last */
    size_t out_at;
};

struct watcher {
    struct xipc__os_waitset *ws;
    int index;
    HANDLE thread, control;
    size_t count;
    uint64_t want, seen; /* changes made, and taken in by the watcher's last rebuild */
    bool stop;
};

struct xipc__os_waitset {
    SRWLOCK lock;
    CONDITION_VARIABLE rebuilt; /* a watcher or the waiting thread took the changes in */
    HANDLE wake, inner, watched; /* auto-reset events */
    struct entry *entries;
    size_t cap, used;
    size_t *attention, attention_count; /* entries to look at before the next sleep */
    size_t direct_count, look_count;
    struct watcher **watchers;
    size_t watcher_count;
    uint64_t round;
    size_t rotor; /* where the direct handles start: each gets its turn at the front */
    bool waiting; /* a thread is in xipc__os_waitset_wait */
    bool sleeping; /* and in WaitForMultipleObjects */
    uint64_t want, seen; /* as a watcher's, for the waiting thread */
};

/* ---- Sockets' selection ---------------------------------------------------------------------- */

/* The sockets some set of this process has selected: WSAEventSelect keeps one event per socket,
 * so a second selection would silently take the first set's. */
static SRWLOCK selected_lock = SRWLOCK_INIT;
static SOCKET *selected;
static size_t selected_count, selected_cap;

static int
selected_claim(SOCKET sock)
{
    int rc = 0;
    AcquireSRWLockExclusive(&selected_lock);
    for (size_t i = 0; i < selected_count && rc == 0; i++) {
        if (selected[i] == sock)
            rc = XIPC__FAIL(XIPC_EBUSY, "h: a socket in another wait set (one per socket)");
    }
    if (rc == 0 && selected_count == selected_cap) {
        size_t cap = selected_cap ? 2 * selected_cap : 16;
        SOCKET *grown = realloc(selected, cap * sizeof *grown);
        if (grown == NULL)
            rc = XIPC_ENOMEM;
        else {
            selected = grown;
            selected_cap = cap;
        }
    }
    if (rc == 0)
        selected[selected_count++] = sock;
    ReleaseSRWLockExclusive(&selected_lock);
    return rc;
}

static void
selected_release(SOCKET sock)
{
    AcquireSRWLockExclusive(&selected_lock);
    for (size_t i = 0; i < selected_count; i++) {
        if (selected[i] == sock) {
            selected[i] = selected[--selected_count];
            break;
        }
    }
    ReleaseSRWLockExclusive(&selected_lock);
}

static long
network_events_of(unsigned events)
{
    long mask = 0;
    if (events & XIPC_WAITSET_READ)
        mask |= FD_READ | FD_ACCEPT | FD_CLOSE;
    if (events & XIPC_WAITSET_WRITE)
        mask |= FD_WRITE | FD_CONNECT | FD_CLOSE;
    return mask;
}

/* Selects sock's network events for events on ev. */
static int
socket_select(SOCKET sock, HANDLE ev, unsigned events)
{
    if (WSAEventSelect(sock, ev, network_events_of(events)) != 0)
        return XIPC__OS_FAIL(WSAGetLastError(), "WSAEventSelect", "wait set");
    return 0;
}

/* Selects sock for an entry: its event in *ev. */
static int
socket_watch(SOCKET sock, unsigned events, HANDLE *ev)
{
    int rc = selected_claim(sock);
    if (rc != 0)
        return rc;
    /* Manual-reset, as WSACreateEvent makes it: WSAEnumNetworkEvents resets it. */
    if ((*ev = WSACreateEvent()) == WSA_INVALID_EVENT) {
        rc = XIPC__OS_FAIL(WSAGetLastError(), "WSACreateEvent", "wait set");
    } else if ((rc = socket_select(sock, *ev, events)) != 0) {
        (void)WSACloseEvent(*ev);
    }
    if (rc != 0) {
        *ev = NULL;
        selected_release(sock);
    }
    return rc;
}

/* Ends the selection (the socket stays non-blocking, as xipc keeps it), then frees the event. */
static void
socket_unwatch(SOCKET sock, HANDLE ev)
{
    (void)WSAEventSelect(sock, NULL, 0);
    (void)WSACloseEvent(ev);
    selected_release(sock);
}

/* What of events the socket is ready for now: a zero-timeout WSAPoll, the level the edges of
 * WSAEventSelect do not give. An error or a hang-up makes it ready for whatever was asked: the
 * call that follows reports it. */
static unsigned
socket_ready(SOCKET sock, unsigned events)
{
    WSAPOLLFD pfd = { sock, 0, 0 };
    if (events & XIPC_WAITSET_READ)
        pfd.events |= POLLRDNORM;
    if (events & XIPC_WAITSET_WRITE)
        pfd.events |= POLLWRNORM;
    if (WSAPoll(&pfd, 1, 0) <= 0)
        return 0;
    if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
        return events;
    return ((pfd.revents & POLLRDNORM) ? XIPC_WAITSET_READ : 0) |
        ((pfd.revents & POLLWRNORM) ? XIPC_WAITSET_WRITE : 0);
}

/* ---- Opening and closing -------------------------------------------------------------------- */

static HANDLE
new_event(void)
{
    return CreateEventW(NULL, FALSE, FALSE, NULL);
}

int
xipc__os_waitset_open(struct xipc__os_waitset **out)
{
    struct xipc__os_waitset *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        return XIPC_ENOMEM;
    InitializeSRWLock(&ws->lock);
    InitializeConditionVariable(&ws->rebuilt);
    ws->wake = new_event();
    ws->inner = new_event();
    ws->watched = new_event();
    if (ws->wake == NULL || ws->inner == NULL || ws->watched == NULL) {
        int rc = XIPC__OS_FAIL(GetLastError(), "CreateEventW", NULL);
        xipc__os_waitset_close(ws);
        return rc;
    }
    *out = ws;
    return 0;
}

static void
close_handle(HANDLE h)
{
    if (h != NULL)
        (void)CloseHandle(h);
}

/* Cancels the read if it is in flight and waits for it to end, then frees it. */
static void
arm_free(struct arm *a)
{
    DWORD n;
    if (a == NULL)
        return;
    if (a->pending) {
        (void)CancelIoEx(a->pipe, &a->ov); /* ERROR_NOT_FOUND: it just completed */
        (void)GetOverlappedResult(a->pipe, &a->ov, &n, TRUE);
    }
    close_handle(a->ov.hEvent);
    free(a);
}

/* Frees what an entry holds: a pipe end's read, a socket's selection. */
static void
entry_release(struct entry *e)
{
    arm_free(e->arm);
    e->arm = NULL;
    if (e->sock != INVALID_SOCKET)
        socket_unwatch(e->sock, e->wait_on);
    e->sock = INVALID_SOCKET;
}

static void
watcher_stop(struct xipc__os_waitset *ws, struct watcher *w)
{
    AcquireSRWLockExclusive(&ws->lock);
    w->stop = true;
    ReleaseSRWLockExclusive(&ws->lock);
    (void)SetEvent(w->control);
    (void)WaitForSingleObject(w->thread, INFINITE);
    close_handle(w->thread);
    close_handle(w->control);
    free(w);
}

void
xipc__os_waitset_close(struct xipc__os_waitset *ws)
{
    for (size_t i = 0; i < ws->watcher_count; i++)
        watcher_stop(ws, ws->watchers[i]);
    for (size_t i = 0; i < ws->cap; i++) {
        if (ws->entries[i].h != NULL)
            entry_release(&ws->entries[i]);
    }
    close_handle(ws->wake);
    close_handle(ws->inner);
    close_handle(ws->watched);
    free(ws->watchers);
    free(ws->entries);
    free(ws->attention);
    free(ws);
}

/* ---- Entries -------------------------------------------------------------------------------- */

/* Under the lock: h's entry index, or SIZE_MAX. */
static size_t
find(const struct xipc__os_waitset *ws, const struct xipc_handle *h)
{
    for (size_t i = 0; i < ws->cap; i++) {
        if (ws->entries[i].h == h)
            return i;
    }
    return SIZE_MAX;
}

static size_t
slot_alloc(struct xipc__os_waitset *ws)
{
    if (ws->used == ws->cap) {
        size_t cap = ws->cap ? 2 * ws->cap : 16;
        struct entry *e = realloc(ws->entries, cap * sizeof *e);
        if (e == NULL)
            return SIZE_MAX;
        ws->entries = e;
        size_t *att = realloc(ws->attention, cap * sizeof *att);
        if (att == NULL)
            return SIZE_MAX;
        ws->attention = att;
        memset(e + ws->cap, 0, (cap - ws->cap) * sizeof *e);
        ws->cap = cap;
    }
    return find(ws, NULL);
}

static void
attention_add(struct xipc__os_waitset *ws, size_t i)
{
    if (!ws->entries[i].attention) {
        ws->entries[i].attention = true;
        ws->attention[ws->attention_count++] = i;
    }
}

/* Under the lock: makes whoever waits on group rebuild its handles; with wait, until it has. */
static void
group_changed(struct xipc__os_waitset *ws, int group, bool wait)
{
    if (group >= 0) {
        struct watcher *w = ws->watchers[group];
        w->want++;
        (void)SetEvent(w->control);
        while (wait && w->seen < w->want)
            (void)SleepConditionVariableSRW(&ws->rebuilt, &ws->lock, INFINITE, 0);
        return;
    }
    ws->want++;
    if (ws->sleeping)
        (void)SetEvent(ws->inner);
    while (wait && ws->sleeping && ws->seen < ws->want)
        (void)SleepConditionVariableSRW(&ws->rebuilt, &ws->lock, INFINITE, 0);
}

static DWORD WINAPI watcher_main(void *arg);

/* Under the lock: a watcher with room (a new one if none has), or -1 with *rc set. */
static int
watcher_with_room(struct xipc__os_waitset *ws, int *rc)
{
    for (size_t i = 0; i < ws->watcher_count; i++) {
        if (ws->watchers[i]->count < GROUP_MAX)
            return (int)i;
    }
    struct watcher **all = realloc(ws->watchers, (ws->watcher_count + 1) * sizeof *all);
    struct watcher *w = calloc(1, sizeof *w);
    if (all != NULL)
        ws->watchers = all;
    if (all == NULL || w == NULL) {
        free(w);
        *rc = XIPC_ENOMEM;
        return -1;
    }
    w->ws = ws;
    w->index = (int)ws->watcher_count;
    w->control = new_event();
    /* The watcher lives as long as the set; it takes the lock only between its waits. */
    w->thread = w->control ? CreateThread(NULL, 64 * 1024, watcher_main, w, 0, NULL) : NULL;
    if (w->thread == NULL) {
        *rc = XIPC__OS_FAIL(GetLastError(), "CreateThread", "wait set watcher");
        close_handle(w->control);
        free(w);
        return -1;
    }
    ws->watchers[ws->watcher_count++] = w;
    return w->index;
}

/* Under the lock: where a new entry is waited on. An acquiring object must be the waiting
 * thread's: when its handles are full, one that is not acquiring moves to a watcher. */
static int
place(struct xipc__os_waitset *ws, const struct entry *e, int *rc)
{
    if (e->how == XIPC__WAIT_HELPER)
        return GROUP_NONE;
    if (ws->direct_count < DIRECT_MAX)
        return GROUP_DIRECT;
    if (!e->acquiring)
        return watcher_with_room(ws, rc);
    for (size_t i = 0; i < ws->cap; i++) {
        struct entry *o = &ws->entries[i];
        if (o->h != NULL && o->group == GROUP_DIRECT && !o->acquiring) {
            int g = watcher_with_room(ws, rc);
            if (g < 0)
                return g;
            o->group = g;
            o->fired = true; /* handed to the watcher by the next round's look */
            ws->watchers[g]->count++;
            ws->direct_count--;
            attention_add(ws, i);
            return GROUP_DIRECT;
        }
    }
    *rc = XIPC__FAIL(XIPC_ELIMIT, "ws: holds 61 events, semaphores and mutexes already");
    return -1;
}

/* Fills e for h as w says; an ARMED one gets its read's event. */
static int
entry_init(struct entry *e, struct xipc_handle *h, const struct xipc__wait *w, unsigned events)
{
    memset(e, 0, sizeof *e);
    e->sock = INVALID_SOCKET;
    e->how = w->how;
    e->events = events;
    e->acquiring = w->how == XIPC__WAIT_SIGNALLED && xipc__waitset_acquiring(h->kind);
    e->looks = w->how == XIPC__WAIT_HELPER || h->kind == XIPC_KIND_MSGPIPE ||
        (w->how == XIPC__WAIT_FD && (events & XIPC_WAITSET_WRITE));
    if (w->how == XIPC__WAIT_SIGNALLED)
        e->wait_on = (HANDLE)w->native;
    if (w->how == XIPC__WAIT_FD) {
        int rc = socket_watch((SOCKET)w->native, events, &e->wait_on);
        if (rc == 0)
            e->sock = (SOCKET)w->native;
        return rc;
    }
    if (w->how != XIPC__WAIT_ARMED)
        return 0;
    if ((e->arm = calloc(1, sizeof *e->arm)) == NULL)
        return XIPC_ENOMEM;
    e->arm->pipe = (HANDLE)w->native;
    /* Manual-reset, as overlapped calls want: ReadFile resets it when it starts. */
    e->arm->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (e->arm->ov.hEvent == NULL) {
        int rc = XIPC__OS_FAIL(GetLastError(), "CreateEventW", NULL);
        free(e->arm);
        e->arm = NULL;
        return rc;
    }
    e->wait_on = e->arm->ov.hEvent;
    return 0;
}

static int
add_checked(struct xipc__os_waitset *ws, struct xipc_handle *h, const struct xipc__wait *w,
    unsigned events, void *user)
{
    int rc = 0;
    struct entry e;
    if (find(ws, h) != SIZE_MAX)
        return XIPC_EEXIST;
    if (ws->used >= XIPC_WAITSET_MAX)
        return XIPC__FAIL(XIPC_ELIMIT, "ws: holds XIPC_WAITSET_MAX handles");
    size_t i = slot_alloc(ws);
    if (i == SIZE_MAX)
        return XIPC_ENOMEM;
    if ((rc = entry_init(&e, h, w, events)) != 0)
        return rc;
    e.group = place(ws, &e, &rc);
    if (rc != 0) {
        entry_release(&e);
        return rc;
    }
    e.h = h;
    e.user = user;
    ws->entries[i] = e;
    ws->used++;
    if (e.group == GROUP_DIRECT)
        ws->direct_count++;
    else if (e.group >= 0)
        ws->watchers[e.group]->count++;
    if (e.looks)
        ws->look_count++;
    /* A pipe end is armed first, a socket looked at first, then handed to its watcher. */
    bool look_first = e.arm != NULL || e.sock != INVALID_SOCKET;
    ws->entries[i].fired = look_first;
    if (look_first)
        attention_add(ws, i);
    group_changed(ws, e.group >= 0 ? e.group : GROUP_DIRECT, false);
    return 0;
}

int
xipc__os_waitset_add(struct xipc__os_waitset *ws, struct xipc_handle *h, const struct xipc__wait *w,
    unsigned events, void *user)
{
    if (w->how == XIPC__WAIT_NONE ||
        (w->how == XIPC__WAIT_HELPER && h->kind != XIPC_KIND_STREAM && h->kind != XIPC_KIND_MQ))
        return XIPC__FAIL(XIPC_ENOTSUP, "h: nothing a wait could use here");
    if (h->kind == XIPC_KIND_STREAM && w->how == XIPC__WAIT_HELPER &&
        ((struct xipc_stream *)h)->os.kind != XIPC__WIN32_STREAM_FIFO_READER)
        return XIPC__FAIL(XIPC_ENOTSUP, "h: a synchronous standard handle signals nothing");
    if ((events & XIPC_WAITSET_WRITE) && w->how != XIPC__WAIT_FD && h->kind != XIPC_KIND_MQ)
        return XIPC__FAIL(XIPC_ENOTSUP, "events: WRITE, which a Windows pipe does not report");
    AcquireSRWLockExclusive(&ws->lock);
    int rc = add_checked(ws, h, w, events, user);
    ReleaseSRWLockExclusive(&ws->lock);
    return rc;
}

/* Under the lock: a socket entry's new events. Its selection changes (which clears its record),
 * so it is looked at next round, as a new entry is; one a watcher waits on is taken from it
 * first, which lets the lock go: XIPC_ENOENT if another thread removed it meanwhile. */
static int
modify_socket(struct xipc__os_waitset *ws, size_t i, unsigned events)
{
    struct entry *e = &ws->entries[i];
    const struct xipc_handle *h = e->h;
    int rc = socket_select(e->sock, e->wait_on, events);
    if (rc != 0)
        return rc;
    bool looks = (events & XIPC_WAITSET_WRITE) != 0;
    ws->look_count += (size_t)looks - (size_t)e->looks;
    e->looks = looks;
    if (!e->attention && e->group >= 0 && !e->fired) {
        e->fired = true; /* out of its watcher's wait until the look hands it back */
        group_changed(ws, e->group, true);
        if (ws->entries[i].h != h || ws->entries[i].group == GROUP_LEAVING)
            return XIPC_ENOENT;
    }
    attention_add(ws, i);
    group_changed(ws, GROUP_DIRECT, false);
    return 0;
}

int
xipc__os_waitset_modify(
    struct xipc__os_waitset *ws, struct xipc_handle *h, unsigned events, void *user)
{
    int rc = 0;
    AcquireSRWLockExclusive(&ws->lock);
    size_t i = find(ws, h);
    if (i == SIZE_MAX || ws->entries[i].group == GROUP_LEAVING) { /* leaving: being removed */
        rc = XIPC_ENOENT;
    } else if ((events & XIPC_WAITSET_WRITE) && ws->entries[i].sock == INVALID_SOCKET &&
        h->kind != XIPC_KIND_MQ) {
        rc = XIPC__FAIL(XIPC_ENOTSUP, "events: WRITE, which a Windows pipe does not report");
    } else if (ws->entries[i].sock != INVALID_SOCKET) {
        rc = modify_socket(ws, i, events);
    }
    if (rc == 0) {
        ws->entries[i].events = events;
        ws->entries[i].user = user;
    }
    ReleaseSRWLockExclusive(&ws->lock);
    return rc;
}

/* Under the lock: takes attention list member i out (by value). */
static void
attention_drop(struct xipc__os_waitset *ws, size_t i)
{
    for (size_t k = 0; k < ws->attention_count; k++) {
        if (ws->attention[k] == i) {
            ws->attention[k] = ws->attention[--ws->attention_count];
            break;
        }
    }
    ws->entries[i].attention = false;
}

int
xipc__os_waitset_remove(struct xipc__os_waitset *ws, struct xipc_handle *h)
{
    AcquireSRWLockExclusive(&ws->lock);
    size_t i = find(ws, h);
    /* Another thread removes it already (a remove and the handle's close at once), and waits with
     * the lock let go: this one waits until it is gone, so that it is freed once and a close
     * goes on only when no wait uses its handles. */
    while (i != SIZE_MAX && ws->entries[i].group == GROUP_LEAVING) {
        (void)SleepConditionVariableSRW(&ws->rebuilt, &ws->lock, INFINITE, 0);
        i = find(ws, h);
    }
    if (i == SIZE_MAX) {
        ReleaseSRWLockExclusive(&ws->lock);
        return XIPC_ENOENT;
    }
    struct entry *e = &ws->entries[i];
    int group = e->group;
    e->group = GROUP_LEAVING;
    if (group == GROUP_DIRECT)
        ws->direct_count--;
    else if (group >= 0)
        ws->watchers[group]->count--;
    /* Nobody sleeps on its handle after this. The waiting thread may, whatever its group says:
     * an entry that add moved to a watcher (place) stays in the handles of a wait that slept
     * before the move until that wait rebuilds them. */
    if (group >= 0)
        group_changed(ws, group, true);
    if (group != GROUP_NONE)
        group_changed(ws, GROUP_DIRECT, true);
    e = &ws->entries[i]; /* an add may have moved the array while the lock was let go */
    if (e->attention)
        attention_drop(ws, i);
    if (e->looks)
        ws->look_count--;
    entry_release(e);
    memset(e, 0, sizeof *e);
    ws->used--;
    WakeAllConditionVariable(&ws->rebuilt); /* a second remover of it waits for this */
    ReleaseSRWLockExclusive(&ws->lock);
    return 0;
}

int
xipc__os_waitset_wake(struct xipc__os_waitset *ws)
{
    if (!SetEvent(ws->wake))
        return XIPC__OS_FAIL(GetLastError(), "SetEvent", "wait set");
    return 0;
}

/* ---- Watchers ------------------------------------------------------------------------------- */

/* Under the lock: the handles watcher w waits on after its control event, and their entries. */
static DWORD
watcher_handles(struct watcher *w, HANDLE *handles, size_t *idx)
{
    struct xipc__os_waitset *ws = w->ws;
    DWORD count = 1;
    handles[0] = w->control;
    for (size_t i = 0; i < ws->cap && count < MAXIMUM_WAIT_OBJECTS; i++) {
        const struct entry *e = &ws->entries[i];
        if (e->h != NULL && e->group == w->index && !e->fired) {
            idx[count] = i;
            handles[count++] = e->wait_on;
        }
    }
    w->seen = w->want;
    WakeAllConditionVariable(&ws->rebuilt);
    return count;
}

static DWORD WINAPI
watcher_main(void *arg)
{
    struct watcher *w = arg;
    struct xipc__os_waitset *ws = w->ws;
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    size_t idx[MAXIMUM_WAIT_OBJECTS];
    for (;;) {
        AcquireSRWLockExclusive(&ws->lock);
        if (w->stop) {
            ReleaseSRWLockExclusive(&ws->lock);
            return 0;
        }
        DWORD count = watcher_handles(w, handles, idx);
        ReleaseSRWLockExclusive(&ws->lock);
        DWORD r = WaitForMultipleObjects(count, handles, FALSE, INFINITE);
        if (r <= WAIT_OBJECT_0 || r >= WAIT_OBJECT_0 + count)
            continue; /* the control event (or a failure: rebuild and wait again) */
        AcquireSRWLockExclusive(&ws->lock);
        struct entry *e = &ws->entries[idx[r - WAIT_OBJECT_0]];
        /* Not its own any more if it left (group changed) since the wait began. */
        if (e->h != NULL && e->group == w->index && !e->fired) {
            e->fired = true;
            attention_add(ws, idx[r - WAIT_OBJECT_0]);
            (void)SetEvent(ws->watched);
        }
        ReleaseSRWLockExclusive(&ws->lock);
    }
}

/* ---- Waiting -------------------------------------------------------------------------------- */

struct harvest {
    xipc_waitset_entry *out;
    size_t cap, n;
    bool woken;
};

/* Under the lock: reports entry i ready for events, with result, once per round. */
static void
report_events(
    struct xipc__os_waitset *ws, size_t i, unsigned events, int result, struct harvest *hv)
{
    struct entry *e = &ws->entries[i];
    if (e->round == ws->round || hv->n == hv->cap)
        return;
    e->round = ws->round;
    e->out_at = hv->n;
    hv->out[hv->n++] = (xipc_waitset_entry) { e->h, e->user, events, result };
}

/* Under the lock: reports entry i ready to read. */
static void
report(struct xipc__os_waitset *ws, size_t i, int result, struct harvest *hv)
{
    report_events(ws, i, XIPC_WAITSET_READ, result, hv);
}

/* Starts a's zero-byte read. Whether the pipe is readable now: the read completed at once (data,
 * a message: ERROR_MORE_DATA, the end, an error). */
static bool
arm_issue(struct arm *a)
{
    HANDLE ev = a->ov.hEvent;
    memset(&a->ov, 0, sizeof a->ov);
    a->ov.hEvent = ev;
    if (ReadFile(a->pipe, &a->byte, 0, NULL, &a->ov))
        return true;
    if (GetLastError() != ERROR_IO_PENDING)
        return true;
    a->pending = true;
    return false;
}

/* Whether the pipe is readable: its read completed, or, not in flight, completes at once when
 * issued. A read cancelled by its thread's end (or by a stream read's CancelIo in the waiting
 * thread) is issued again. */
static bool
arm_ready(struct arm *a)
{
    DWORD n = 0;
    if (!a->pending)
        return arm_issue(a);
    if (!HasOverlappedIoCompleted(&a->ov))
        return false;
    a->pending = false;
    if (!GetOverlappedResult(a->pipe, &a->ov, &n, FALSE) &&
        GetLastError() == ERROR_OPERATION_ABORTED)
        return arm_issue(a);
    return true;
}

/* Under the lock: a watcher's entry that was just ready becomes one of the waiting thread's own
 * handles, in place of the direct entry (not an acquiring one) that was ready longest ago, which
 * goes to that watcher: busy objects come to be waited on without a thread in between, however
 * many idle ones the set holds. */
static void
promote(struct xipc__os_waitset *ws, size_t i)
{
    struct entry *e = &ws->entries[i];
    size_t victim = SIZE_MAX;
    for (size_t k = 0; k < ws->cap && ws->direct_count >= DIRECT_MAX; k++) {
        const struct entry *o = &ws->entries[k];
        if (o->h != NULL && o->group == GROUP_DIRECT && !o->acquiring && !o->attention &&
            (victim == SIZE_MAX || o->round < ws->entries[victim].round))
            victim = k;
    }
    if (victim != SIZE_MAX) {
        struct entry *v = &ws->entries[victim];
        v->group = e->group;
        v->fired = true; /* handed to the watcher by the next round's look */
        attention_add(ws, victim);
    } else if (ws->direct_count < DIRECT_MAX) {
        ws->watchers[e->group]->count--;
        ws->direct_count++;
    } else {
        return; /* every direct entry is acquiring, or ready itself */
    }
    e->group = GROUP_DIRECT;
    e->fired = false;
}

/* Under the lock: looks at an entry on the attention list. A ready one is reported and stays
 * on the list (looked at again next round: level-triggered); one that is not goes back to its
 * watcher, or to the waiting thread's handles. */
static void
look_attention(struct xipc__os_waitset *ws, size_t i, struct harvest *hv)
{
    struct entry *e = &ws->entries[i];
    if (e->group == GROUP_LEAVING)
        return; /* its remove waits for this thread to rebuild; never report it */
    unsigned ready = 0;
    if (e->sock != INVALID_SOCKET) {
        WSANETWORKEVENTS seen;
        /* Resets the event and the record first: an edge after the poll sets it again. */
        (void)WSAEnumNetworkEvents(e->sock, e->wait_on, &seen);
        ready = socket_ready(e->sock, e->events);
    } else if (e->arm != NULL ? arm_ready(e->arm)
                              : WaitForSingleObject(e->wait_on, 0) == WAIT_OBJECT_0) {
        ready = XIPC_WAITSET_READ;
    }
    if (ready) {
        report_events(ws, i, ready, 0, hv);
        if (e->group >= 0)
            promote(ws, i);
        return;
    }
    attention_drop(ws, i);
    if (e->group >= 0 && e->fired) {
        e->fired = false;
        group_changed(ws, e->group, false);
    }
}

/* Under the lock: an entry nothing the OS signals reports, or one that holds data. */
static void
look_helper(struct xipc__os_waitset *ws, size_t i, struct harvest *hv)
{
    struct entry *e = &ws->entries[i];
    struct xipc__wait w;
    if (e->sock != INVALID_SOCKET) { /* one that asks for WRITE: see the top of the file */
        unsigned ready = socket_ready(e->sock, e->events);
        if (ready)
            report_events(ws, i, ready, 0, hv);
        return;
    }
    if (e->h->kind == XIPC_KIND_MQ) {
        /* A queue: its shared state says what is ready (common/mq.h); nothing is taken. */
        unsigned events = xipc__mq_ready((struct xipc_mq *)e->h) & e->events;
        if (events != 0)
            report_events(ws, i, events, 0, hv);
        return;
    }
    xipc__handle_waitable(e->h, &w);
    bool ready = w.held;
    if (!ready && e->how == XIPC__WAIT_HELPER)
        ready = xipc__win32_fifo_poll(((struct xipc_stream *)e->h)->os.fifo);
    if (ready)
        report(ws, i, 0, hv);
}

static void
look_all(struct xipc__os_waitset *ws, struct harvest *hv)
{
    for (size_t k = ws->attention_count; k-- > 0;)
        look_attention(ws, ws->attention[k], hv);
    for (size_t i = 0; i < ws->cap && ws->look_count > 0; i++) {
        if (ws->entries[i].h != NULL && ws->entries[i].looks)
            look_helper(ws, i, hv);
    }
}

/* Under the lock: the waiting thread's handles: wake, inner, watched, then its direct entries
 * not reported this round, from the rotor on. */
static DWORD
direct_handles(struct xipc__os_waitset *ws, HANDLE *handles, size_t *idx)
{
    DWORD count = 3;
    handles[0] = ws->wake;
    handles[1] = ws->inner;
    handles[2] = ws->watched;
    size_t start = ws->cap ? ws->rotor++ % ws->cap : 0;
    for (size_t k = 0; k < ws->cap && count < MAXIMUM_WAIT_OBJECTS; k++) {
        size_t i = (start + k) % ws->cap;
        const struct entry *e = &ws->entries[i];
        if (e->h != NULL && e->group == GROUP_DIRECT && !e->attention && e->round != ws->round) {
            idx[count] = i;
            handles[count++] = e->wait_on;
        }
    }
    ws->seen = ws->want;
    return count;
}

/* Under the lock: what WaitForMultipleObjects reported at index r. */
static void
take_result(
    struct xipc__os_waitset *ws, DWORD r, DWORD count, const size_t *idx, struct harvest *hv)
{
    bool abandoned = r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + count;
    DWORD at = abandoned ? r - WAIT_ABANDONED_0 : r - WAIT_OBJECT_0;
    if (r == WAIT_OBJECT_0)
        hv->woken = true;
    if (at < 3 || at >= count)
        return;
    size_t i = idx[at];
    struct entry *e = &ws->entries[i];
    int result = 0;
    /* Being removed (its handle closing): never reported. An object the wait took for it is
     * lost with the handle. */
    if (e->h == NULL || e->group == GROUP_LEAVING)
        return;
    if (e->h->kind == XIPC_KIND_MUTEX)
        result = xipc__win32_mutex_acquired(&((struct xipc__sync *)e->h)->os, abandoned);
    if (e->arm != NULL || e->sock != INVALID_SOCKET) {
        /* A read completed, a network event came: looked at (a read issued again) from here. */
        attention_add(ws, i);
        look_attention(ws, i, hv);
        return;
    }
    report(ws, i, result, hv);
}

static DWORD
sleep_ms(const struct harvest *hv, bool looks, xipc__deadline dl, unsigned *pause)
{
    if (hv->n > 0)
        return 0;
    int left = xipc__deadline_left_ms(dl);
    if (looks && (left < 0 || left > (int)*pause)) {
        left = (int)*pause;
        *pause = *pause * 2 > LOOK_PAUSE_MAX_MS ? LOOK_PAUSE_MAX_MS : *pause * 2;
    }
    return left < 0 ? INFINITE : (DWORD)left;
}

static int
wait_round(struct xipc__os_waitset *ws, struct harvest *hv, xipc__deadline dl, unsigned *pause)
{
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    size_t idx[MAXIMUM_WAIT_OBJECTS];
    AcquireSRWLockExclusive(&ws->lock);
    ws->round++;
    look_all(ws, hv);
    if (hv->n == hv->cap) {
        ReleaseSRWLockExclusive(&ws->lock);
        return 0;
    }
    DWORD count = direct_handles(ws, handles, idx);
    DWORD ms = sleep_ms(hv, ws->look_count > 0, dl, pause);
    ws->sleeping = true;
    ReleaseSRWLockExclusive(&ws->lock);
    DWORD r = WaitForMultipleObjects(count, handles, FALSE, ms);
    DWORD werr = GetLastError();
    AcquireSRWLockExclusive(&ws->lock);
    ws->sleeping = false;
    WakeAllConditionVariable(&ws->rebuilt);
    if (r != WAIT_FAILED)
        take_result(ws, r, count, idx, hv);
    ReleaseSRWLockExclusive(&ws->lock);
    return r == WAIT_FAILED ? XIPC__OS_FAIL(werr, "WaitForMultipleObjects", "wait set") : 0;
}

int
xipc__os_waitset_wait(
    struct xipc__os_waitset *ws, xipc_waitset_entry *out, size_t cap, size_t *n, xipc__deadline dl)
{
    struct harvest hv = { out, cap, 0, false };
    unsigned pause = 1;
    int rc = 0;
    AcquireSRWLockExclusive(&ws->lock);
    bool busy = ws->waiting;
    ws->waiting = true;
    ReleaseSRWLockExclusive(&ws->lock);
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
    AcquireSRWLockExclusive(&ws->lock);
    ws->waiting = false;
    ReleaseSRWLockExclusive(&ws->lock);
    *n = hv.n;
    return rc;
}
