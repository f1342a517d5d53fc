/* common/mq_core.c: the message queue's shared layout at work (common/mq.h): the ring and the
 * lists, the lock, sending and receiving, waiting, and the recovery after a death.
 *
 * Two modes, one truth. Each slot's word is the truth: a send is visible exactly when its slot
 * becomes READY, a receive has taken a message exactly when its slot becomes FREE (or READING,
 * for a large one, then FREE); each is one store or compare-and-swap. The mode word says where
 * the READY messages are found:
 *
 * - RING(key): every queued message has that key, so the oldest is the first in both orders,
 *   and the slots form a bounded multi-producer multi-consumer ring (after Vyukov's): position p
 *   lives in slot p % capacity, and a slot's word carries the position it holds or, FREE, waits
 *   for. A send of key takes the tail's position by a compare-and-swap of that slot's word from
 *   FREE to WRITING naming its user entry (the claim), copies, commits by a compare-and-swap to
 *   READY, and moves the tail by a plain store (anyone who finds a claimed position moves it on
 *   for a claimer that has not yet: the ends are hints). A receive whose selector takes the oldest
 *   message of key does the same at the head; a small message is copied out first and taken by
 *   one compare-and-swap from READY to FREE for the slot's next round, a large one claimed
 *   (READING) around its copy. No lock is taken; the head and the tail are on cache lines of
 *   their own, and a message's word and bytes share its slot's record (common/mq.h). A send
 *   makes two atomic read-modify-writes, a receive one: each costs about 10 ns on this project's
 *   VM, most of a call's own time.
 * - LISTS: the free list and two linked lists of the READY messages (priority order, send order)
 *   and the counts, all derived from the words, changed only under the lock.
 *
 * The lock path switches between them. A send of another key, or a ring call that finds a word
 * no ring call writes there, closes the ring under the lock (ring_close): the mode first, so
 * that no call starts on the ring, then every slot's word leaves the ring by a compare-and-swap,
 * so that a ring call on its way fails its next one and comes to the lock; a claim caught
 * between its claim and its commit is committed under the lock by its owner; then the lists are
 * built from the words (rebuild), each ring message in its place since its seq is its position.
 * A queue of the lists that runs empty after enough sends of one key becomes the ring of that key
 * again (ring_open, under the lock). Both switches cost O(capacity), amortised by the run of
 * sends a switch back needs.
 *
 * Deaths. A claim (WRITING, READING) names its owner's user entry; a claim whose owner died is
 * undone by the rebuild (WRITING: the message was never sent, FREE; READING: it was never taken,
 * READY again, in its old place since its seq stays), which closes a ring first. A sender that
 * finds no room and a receiver that finds nothing in the lists look for dead claims first; every
 * waiter looks for them again after each slice of its sleep, and then also closes a ring held up
 * at its end by a live claim, so a dead or stopped claimant costs nobody more than a slice.
 *
 * The lock is a word holding its holder's user index + 1, taken by a compare-and-swap. Threads
 * of one handle share a user entry, so they take a flag of the handle first: a lock word naming
 * our own entry while we hold that flag is then left over (a previous process's, or corrupt).
 * A waiter spins, then yields, then sleeps a millisecond at a time, and every millisecond asks
 * whether the holder lives.
 *
 * Nothing read from the section is trusted: every index, link, length, state and owner is
 * checked before use, and every walk is bounded by the capacity (XIPC_ECORRUPT otherwise). */
#include "mq.h"

#include <stdlib.h>
#include <string.h>

/* A waiter for the lock asks whether its holder lives this often, and only sleeps (1 ms at a
 * time) after LOCK_SLEEP_AFTER_NS of spinning and yielding. */
#define LOCK_LOOK_NS        1000000u
#define LOCK_SLEEP_AFTER_NS 10000000u
/* The lock is held for a copy of at most XIPC__MQ_COPY_IN_LOCK_MAX bytes or a rebuild, so even a
 * call that only tries (timeout 0) waits this long for it before it gives up. */
#define LOCK_GRACE_NS 20000000u
/* How long a waiter spins on the wake word before it sleeps, and its sleep's slice. */
#define SPIN_NS        20000u
#define SLEEP_SLICE_MS 20

#define NIL XIPC__MQ_NIL

/* ---- Checked access ------------------------------------------------------------------------- */

static int
corrupt(const char *why)
{
    return XIPC__FAIL(XIPC_ECORRUPT, why);
}

static struct xipc__mq_slot *
slot_at(struct xipc_mq *q, uint32_t i)
{
    return (struct xipc__mq_slot *)(void *)(q->records + (size_t)i * q->record);
}

/* A slot's payload: right after its line of fields, in its record. */
static unsigned char *
payload_at(struct xipc_mq *q, uint32_t i)
{
    return (unsigned char *)(slot_at(q, i) + 1);
}

/* A link read from the memory: a slot index or NIL. */
static bool
link_ok(const struct xipc_mq *q, uint32_t i)
{
    return i == NIL || i < q->capacity;
}

static uint64_t
word_of_slot(struct xipc_mq *q, uint32_t i)
{
    return atomic_load_explicit(&slot_at(q, i)->word, memory_order_acquire);
}

static uint32_t
state_in(uint64_t word)
{
    return (uint32_t)(word & XIPC__MQ_STATE_MASK);
}

static uint32_t
owner_in(uint64_t word)
{
    return (uint32_t)(word >> XIPC__MQ_OWNER_SHIFT) & 0xffu;
}

static uint32_t
state_of(struct xipc_mq *q, uint32_t i)
{
    return state_in(word_of_slot(q, i));
}

static uint32_t
owner_of(struct xipc_mq *q, uint32_t i)
{
    return owner_in(word_of_slot(q, i));
}

/* A slot of the lists: state and, for a claim, its owner, in one store. */
static void
set_state(struct xipc_mq *q, uint32_t i, uint32_t state)
{
    atomic_store_explicit(&slot_at(q, i)->word, state, memory_order_release);
}

static void
set_claim(struct xipc_mq *q, uint32_t i, uint32_t state)
{
    uint64_t word = state | (uint64_t)q->me << XIPC__MQ_OWNER_SHIFT;
    atomic_store_explicit(&slot_at(q, i)->word, word, memory_order_release);
}

/* A side's wake word, waiter count and sleepy flag. */
static _Atomic uint32_t *
word_of(struct xipc_mq *q, enum xipc__mq_side side)
{
    return &q->hdr->side[side].word;
}

static _Atomic uint32_t *
waiters_of(struct xipc_mq *q, enum xipc__mq_side side)
{
    return &q->hdr->side[side].waiters;
}

static _Atomic uint32_t *
sleepy_of(struct xipc_mq *q, enum xipc__mq_side side)
{
    return &q->hdr->side[side].sleepy;
}

/* ---- Users ---------------------------------------------------------------------------------- */

/* Whether the process behind user entry u runs. An entry whose start is not written yet (0)
 * belongs to a process still registering: it counts as alive while its pid does. */
static bool
user_alive(struct xipc_mq *q, uint32_t u)
{
    uint64_t pid = atomic_load(&q->hdr->users[u].pid);
    uint64_t start = atomic_load(&q->hdr->users[u].start);
    if (pid == 0)
        return false;
    if (pid == q->my_pid && (start == q->my_start || start == 0))
        return true;
    return xipc__os_mq_alive(pid, start);
}

/* Whether a slot claim names user u. */
static bool
claimed_by(struct xipc_mq *q, uint32_t u)
{
    for (uint32_t i = 0; i < q->capacity; i++) {
        uint32_t st = state_of(q, i);
        if ((st == XIPC__MQ_WRITING || st == XIPC__MQ_READING) && owner_of(q, i) == u)
            return true;
    }
    return false;
}

/* Frees the entries of dead processes that neither the lock nor any claim names: a dead process
 * takes neither again, so once none names it the entry may go. */
static void
reap_dead_users(struct xipc_mq *q)
{
    for (uint32_t u = 0; u < XIPC__MQ_USERS; u++) {
        uint64_t pid = atomic_load(&q->hdr->users[u].pid);
        if (pid == 0 || user_alive(q, u))
            continue;
        if (atomic_load(&q->hdr->lock) == u + 1 || claimed_by(q, u))
            continue;
        (void)atomic_compare_exchange_strong(&q->hdr->users[u].pid, &pid, 0);
    }
}

static bool
take_free_user(struct xipc_mq *q)
{
    for (uint32_t u = 0; u < XIPC__MQ_USERS; u++) {
        uint64_t zero = 0;
        if (atomic_compare_exchange_strong(&q->hdr->users[u].pid, &zero, q->my_pid)) {
            atomic_store(&q->hdr->users[u].start, q->my_start);
            q->me = u;
            return true;
        }
    }
    return false;
}

int
xipc__mq_register(struct xipc_mq *q)
{
    q->my_pid = xipc__os_self_pid();
    q->my_start = xipc__os_mq_self_start();
    if (take_free_user(q))
        return 0;
    reap_dead_users(q);
    if (take_free_user(q))
        return 0;
    return XIPC__FAIL(XIPC_EBUSY, "name: XIPC__MQ_USERS handles hold the queue already");
}

void
xipc__mq_unregister(struct xipc_mq *q)
{
    atomic_store(&q->hdr->users[q->me].start, 0);
    atomic_store(&q->hdr->users[q->me].pid, 0);
}

/* ---- The lock ------------------------------------------------------------------------------- */

static int rebuild(struct xipc_mq *q);

static void
local_take(struct xipc_mq *q)
{
    for (unsigned i = 0; atomic_exchange_explicit(&q->locked_here, 1, memory_order_acquire); i++) {
        if (i < 64)
            xipc__os_mq_relax();
        else
            xipc__os_mq_yield();
    }
}

static void
local_drop(struct xipc_mq *q)
{
    atomic_store_explicit(&q->locked_here, 0, memory_order_release);
}

static bool
cas_lock(struct xipc_mq *q, uint32_t from)
{
    return atomic_compare_exchange_strong_explicit(
        &q->hdr->lock, &from, q->me + 1, memory_order_acquire, memory_order_relaxed);
}

/* Whether the holder named by the lock word is gone: a dead process, or our own entry, which no
 * thread of ours holds while we hold the local flag. */
static bool
holder_gone(struct xipc_mq *q, uint32_t held)
{
    return held == q->me + 1 || !user_alive(q, held - 1);
}

/* Takes the lock over from a dead holder and rebuilds; on failure lets it go again. */
static int
take_over(struct xipc_mq *q, uint32_t held, bool *taken)
{
    *taken = cas_lock(q, held);
    if (!*taken)
        return 0;
    int rc = rebuild(q);
    if (rc != 0)
        atomic_store_explicit(&q->hdr->lock, 0, memory_order_release);
    return rc;
}

static int
lock_slow(struct xipc_mq *q, xipc__deadline dl)
{
    uint64_t start = xipc__os_clock_ns(), next_look = start + LOCK_LOOK_NS;
    uint64_t give_up = dl > start + LOCK_GRACE_NS ? dl : start + LOCK_GRACE_NS;
    for (unsigned i = 1;; i++) {
        uint32_t held = atomic_load_explicit(&q->hdr->lock, memory_order_relaxed);
        if (held == 0 && cas_lock(q, 0))
            return 0;
        if (held > XIPC__MQ_USERS)
            return corrupt("mq: the lock word names no user");
        if (i < 128 || held == 0) {
            xipc__os_mq_relax();
            continue;
        }
        xipc__os_mq_yield();
        uint64_t now = xipc__os_clock_ns();
        if (now >= next_look) {
            bool taken = false;
            next_look = now + LOCK_LOOK_NS;
            int rc = holder_gone(q, held) ? take_over(q, held, &taken) : 0;
            if (rc != 0 || taken)
                return rc;
        }
        if (now >= give_up)
            return XIPC_ETIMEDOUT;
        if (now - start > LOCK_SLEEP_AFTER_NS)
            xipc__os_sleep_ms(1);
    }
}

/* Takes the queue's lock, waiting until dl (or LOCK_GRACE_NS at least). */
static int
mq_lock(struct xipc_mq *q, xipc__deadline dl)
{
    local_take(q);
    if (cas_lock(q, 0))
        return 0;
    int rc = lock_slow(q, dl);
    if (rc != 0)
        local_drop(q);
    return rc;
}

static void
mq_unlock(struct xipc_mq *q)
{
    atomic_store_explicit(&q->hdr->lock, 0, memory_order_release);
    local_drop(q);
}

/* ---- Derived lists (under the lock) --------------------------------------------------------- */

static int
pop_free(struct xipc_mq *q, uint32_t *out)
{
    uint32_t i = q->hdr->free_head;
    *out = NIL;
    if (i == NIL)
        return 0;
    if (i >= q->capacity || state_of(q, i) != XIPC__MQ_FREE)
        return corrupt("mq: the free list names a slot that is not free");
    uint32_t next = slot_at(q, i)->free_next;
    if (!link_ok(q, next))
        return corrupt("mq: a free-list link out of range");
    q->hdr->free_head = next;
    *out = i;
    return 0;
}

static void
push_free(struct xipc_mq *q, uint32_t i)
{
    slot_at(q, i)->free_next = q->hdr->free_head;
    q->hdr->free_head = i;
}

/* The two orders, as offsets of their links in a slot and of their ends in the header. */
struct order {
    size_t prev, next; /* in struct xipc__mq_slot */
    uint32_t *head, *tail;
};

static struct order
fifo_order(struct xipc_mq *q)
{
    struct order o = { offsetof(struct xipc__mq_slot, fifo_prev),
        offsetof(struct xipc__mq_slot, fifo_next), &q->hdr->fifo_head, &q->hdr->fifo_tail };
    return o;
}

static struct order
prio_order(struct xipc_mq *q)
{
    struct order o = { offsetof(struct xipc__mq_slot, prio_prev),
        offsetof(struct xipc__mq_slot, prio_next), &q->hdr->prio_head, &q->hdr->prio_tail };
    return o;
}

static uint32_t *
link_of(struct xipc_mq *q, uint32_t i, size_t off)
{
    return (uint32_t *)(void *)((unsigned char *)slot_at(q, i) + off);
}

/* Links i into order o after slot after (NIL: at the head). */
static void
insert_after(struct xipc_mq *q, const struct order *o, uint32_t i, uint32_t after, uint32_t next)
{
    *link_of(q, i, o->prev) = after;
    *link_of(q, i, o->next) = next;
    if (after == NIL)
        *o->head = i;
    else
        *link_of(q, after, o->next) = i;
    if (next == NIL)
        *o->tail = i;
    else
        *link_of(q, next, o->prev) = i;
}

static int
unlink_from(struct xipc_mq *q, const struct order *o, uint32_t i)
{
    uint32_t prev = *link_of(q, i, o->prev), next = *link_of(q, i, o->next);
    if (!link_ok(q, prev) || !link_ok(q, next))
        return corrupt("mq: a message link out of range");
    if ((prev == NIL ? *o->head : *link_of(q, prev, o->next)) != i ||
        (next == NIL ? *o->tail : *link_of(q, next, o->prev)) != i)
        return corrupt("mq: message links that do not agree");
    if (prev == NIL)
        *o->head = next;
    else
        *link_of(q, prev, o->next) = next;
    if (next == NIL)
        *o->tail = prev;
    else
        *link_of(q, next, o->prev) = prev;
    return 0;
}

/* The slot after which a message of key goes in priority order: walking from the tail (lowest
 * key, newest), past every lower key, so that an equal key costs one step. */
static int
prio_place(struct xipc_mq *q, uint32_t key, uint32_t *after)
{
    uint32_t p = q->hdr->prio_tail;
    for (uint32_t steps = 0; p != NIL; steps++) {
        if (p >= q->capacity || steps >= q->capacity)
            return corrupt("mq: the priority list is out of range or endless");
        if (slot_at(q, p)->key >= key)
            break;
        p = slot_at(q, p)->prio_prev;
    }
    *after = p;
    return 0;
}

static int
next_of(struct xipc_mq *q, uint32_t after, const struct order *o, uint32_t *next)
{
    *next = after == NIL ? *o->head : *link_of(q, after, o->next);
    return link_ok(q, *next) ? 0 : corrupt("mq: a message link out of range");
}

/* Links READY slot i into both orders. */
static int
link_ready(struct xipc_mq *q, uint32_t i)
{
    struct order f = fifo_order(q), p = prio_order(q);
    uint32_t after = NIL, next = NIL;
    uint32_t tail = *f.tail;
    if (!link_ok(q, tail))
        return corrupt("mq: the send-order tail out of range");
    insert_after(q, &f, i, tail, NIL);
    int rc = prio_place(q, slot_at(q, i)->key, &after);
    if (rc == 0)
        rc = next_of(q, after, &p, &next);
    if (rc != 0)
        return rc;
    insert_after(q, &p, i, after, next);
    atomic_fetch_add_explicit(&q->hdr->count, 1, memory_order_relaxed);
    return 0;
}

static int
unlink_ready(struct xipc_mq *q, uint32_t i)
{
    struct order f = fifo_order(q), p = prio_order(q);
    int rc = unlink_from(q, &f, i);
    if (rc == 0)
        rc = unlink_from(q, &p, i);
    if (rc == 0)
        atomic_fetch_sub_explicit(&q->hdr->count, 1, memory_order_relaxed);
    return rc;
}

/* ---- Selection (under the lock) ------------------------------------------------------------- */

/* Whether a message of key is the better pick for selector than the best so far (best_key; found
 * tells whether there is one): walking in send order, the first match wins ties. */
static bool
better(int64_t selector, uint32_t key, bool found, uint32_t best_key)
{
    if (selector > 0)
        return !found && key == (uint64_t)selector;
    return key <= (uint64_t)-selector && (!found || key < best_key);
}

/* The message the typed selector takes, in send order; NIL when none. */
static int
select_typed(struct xipc_mq *q, int64_t selector, uint32_t *out)
{
    uint32_t i = q->hdr->fifo_head, best = NIL, best_key = 0;
    *out = NIL;
    for (uint32_t steps = 0; i != NIL; steps++) {
        if (i >= q->capacity || steps >= q->capacity || state_of(q, i) != XIPC__MQ_READY)
            return corrupt("mq: the send-order list is out of range, endless or stale");
        uint32_t key = slot_at(q, i)->key;
        if (selector == 0 || better(selector, key, best != NIL, best_key)) {
            best = i;
            best_key = key;
            if (selector == 0 || selector > 0)
                break;
        }
        i = slot_at(q, i)->fifo_next;
    }
    *out = best;
    return 0;
}

static int
select_message(struct xipc_mq *q, int64_t selector, uint32_t *out)
{
    if (selector != XIPC__MQ_PRIORITY)
        return select_typed(q, selector, out);
    uint32_t i = q->hdr->prio_head;
    *out = NIL;
    if (i == NIL)
        return 0;
    if (i >= q->capacity || state_of(q, i) != XIPC__MQ_READY)
        return corrupt("mq: the priority list names a slot that is not ready");
    *out = i;
    return 0;
}

/* ---- The ring: positions and slot words ----------------------------------------------------- */

/* A call on the ring gives up after this many tries cut short by others' progress, and the lock
 * path decides: a ring made inconsistent by a scribble must not keep a call busy. */
#define RING_TRIES 4096u

/* What a call on the ring may return besides 0 and XIPC_*: the lock path decides (the ring is
 * not the mode, or not consistent); the ring was closed between our claim and its commit, which
 * the lock path then makes; the lock path opened the ring for us. */
#define RING_CLOSED 1
#define RING_FROZEN 2
#define RING_OPENED 3

static bool
ring_mode(uint64_t mode)
{
    return (mode >> 32) == 1;
}

static uint64_t
mode_now(struct xipc_mq *q)
{
    return atomic_load_explicit(&q->hdr->mode, memory_order_acquire);
}

/* The slot that holds ring position pos. */
static uint32_t
ring_slot(const struct xipc_mq *q, uint64_t pos)
{
    return (uint32_t)(q->ring_mask != 0 ? pos & q->ring_mask : pos % q->capacity);
}

static uint64_t
ring_word(uint64_t pos, uint32_t state, uint32_t owner)
{
    return (pos & XIPC__MQ_POS_MASK) << XIPC__MQ_POS_SHIFT | XIPC__MQ_IN_RING |
        (uint64_t)owner << XIPC__MQ_OWNER_SHIFT | state;
}

/* Where a slot's word stands against position pos, which that slot holds in its turn. */
enum ring_place {
    RING_AT, /* the word is about pos */
    RING_LAP_BEHIND, /* about pos - capacity: the previous round is still in the slot */
    RING_AHEAD, /* about a later round: pos was claimed already, the end lags behind */
    RING_ODD, /* not a ring word, or none the ring writes for that slot */
};

/* Positions are compared by their difference modulo 2^47, so that they may wrap. */
static enum ring_place
ring_place(const struct xipc_mq *q, uint64_t word, uint64_t pos)
{
    if (!(word & XIPC__MQ_IN_RING))
        return RING_ODD;
    uint64_t d = ((word >> XIPC__MQ_POS_SHIFT) - pos) & XIPC__MQ_POS_MASK;
    if (d == 0)
        return RING_AT;
    if (d == (-(uint64_t)q->capacity & XIPC__MQ_POS_MASK))
        return RING_LAP_BEHIND;
    if (d < XIPC__MQ_POS_MASK / 2 && d % q->capacity == 0)
        return RING_AHEAD;
    return RING_ODD;
}

/* Moves an end from pos to pos + 1 unless another call did: whoever finds pos claimed, by
 * another call, helps its claimer this way (which may have died before it moved the end). */
static void
ring_advance(_Atomic uint64_t *end, uint64_t pos)
{
    (void)atomic_compare_exchange_strong(end, &pos, pos + 1);
}

/* The claimer's own move of an end past the position pos it took (a sender's after its commit,
 * a receiver's after its take): a plain store when the end still shows pos, which it always
 * does in a stream with one sender or one receiver, so that a call makes no atomic
 * read-modify-write of an end (each costs about as much as the claim itself). Another claimer
 * may move the end on between our look and our store, which then sets it back to pos + 1,
 * never further back than a claim still in flight: the ends are only where calls start
 * looking, a call finding pos + 1 claimed helps the end on (ring_advance), and a lagging end
 * costs a step, never a message. The store may be seen after the commit or take before it,
 * and after our look at the waiter count (ring_wake): a waiter's last look before it sleeps
 * reads the slot's word, not the end (ring_moved). */
static void
ring_pass(_Atomic uint64_t *end, uint64_t pos)
{
    if (atomic_load_explicit(end, memory_order_relaxed) == pos)
        atomic_store_explicit(end, pos + 1, memory_order_release);
}

/* Whether the oldest message of a ring of key is the one selector takes (every queued message
 * has that key, so the oldest is the first in both orders). */
static bool
ring_answers(int64_t selector, uint32_t key)
{
    if (selector == XIPC__MQ_PRIORITY || selector == 0)
        return true;
    if (selector > 0)
        return key == (uint64_t)selector;
    return key <= (uint64_t)-selector;
}

/* ---- Changing the mode (under the lock) ----------------------------------------------------- */

/* Ends the ring. The mode says LISTS first, so that no call starts on the ring any more; then
 * each slot's word leaves the ring by a compare-and-swap (its state and owner stay), so that a
 * ring call already on its way fails its next compare-and-swap and comes to the lock: a claim in
 * flight stays a claim that its owner commits under the lock (or the rebuild undoes, its owner
 * dead), a READY message stays, its ring position its seq. The lists' seqs then start past every
 * position a late ring call may still hold. Idempotent, and the rebuild's first step. */
static void
ring_close(struct xipc_mq *q)
{
    struct xipc__mq_header *h = q->hdr;
    atomic_store(&h->mode, XIPC__MQ_LISTS);
    for (uint32_t i = 0; i < q->capacity; i++) {
        _Atomic uint64_t *w = &slot_at(q, i)->word;
        uint64_t word = atomic_load(w);
        while ((word & XIPC__MQ_IN_RING) &&
            !atomic_compare_exchange_weak(w, &word, word & (XIPC__MQ_IN_RING - 1)))
            xipc__os_mq_relax();
    }
    uint64_t head = atomic_load(&h->ring_head.pos), tail = atomic_load(&h->ring_tail.pos);
    uint64_t past = (head > tail ? head : tail) + 2 * (uint64_t)q->capacity;
    if (atomic_load_explicit(&h->next_seq, memory_order_relaxed) < past)
        atomic_store_explicit(&h->next_seq, past, memory_order_relaxed);
    h->streak = 0;
}

/* Makes an empty queue of the lists the ring of key: every slot FREE and waiting for its first
 * position from next_seq on, both ends there, the mode last. */
static int
ring_open(struct xipc_mq *q, uint32_t key)
{
    struct xipc__mq_header *h = q->hdr;
    uint64_t first = atomic_load_explicit(&h->next_seq, memory_order_relaxed);
    uint64_t round = first - ring_slot(q, first); /* the position slot 0 holds in first's round */
    for (uint32_t i = 0; i < q->capacity; i++)
        if (state_of(q, i) != XIPC__MQ_FREE)
            return corrupt("mq: a slot in use in a queue counted empty");
    for (uint32_t i = 0; i < q->capacity; i++) {
        uint64_t pos = round + i < first ? round + i + q->capacity : round + i;
        atomic_store(&slot_at(q, i)->word, ring_word(pos, XIPC__MQ_FREE, 0));
    }
    atomic_store(&h->ring_head.pos, first);
    atomic_store(&h->ring_tail.pos, first);
    h->streak = 0;
    atomic_store(&h->mode, XIPC__MQ_RING_OF(key));
    return 0;
}

/* The lists' sends in a row with one key that turn an empty queue back into the ring: enough
 * that the O(capacity) switch costs little per message, and a queue whose keys alternate stays
 * in the lists. */
static uint32_t
ring_after(const struct xipc_mq *q)
{
    return 8u + q->capacity / 8u;
}

static bool
ring_due(struct xipc_mq *q, uint32_t key)
{
    struct xipc__mq_header *h = q->hdr;
    return h->streak_key == key && h->streak >= ring_after(q) &&
        atomic_load_explicit(&h->count, memory_order_relaxed) == 0 && h->claims == 0;
}

static void
note_streak(struct xipc_mq *q, uint32_t key)
{
    struct xipc__mq_header *h = q->hdr;
    if (h->streak_key != key) {
        h->streak_key = key;
        h->streak = 0;
    }
    if (h->streak < UINT32_MAX)
        h->streak++;
}

/* ---- Recovery (under the lock) -------------------------------------------------------------- */

/* A message kept for the rebuild's sort. */
struct kept {
    uint64_t seq;
    uint32_t key, slot;
};

static int
by_seq(const void *a, const void *b)
{
    const struct kept *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : (x->slot < y->slot ? -1 : 1);
}

static int
by_priority(const void *a, const void *b)
{
    const struct kept *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return by_seq(a, b);
}

/* Undoes a dead owner's claim on slot i; counts a live one. */
static int
settle_claim(struct xipc_mq *q, uint32_t i, uint32_t state, uint32_t *claims)
{
    if (user_alive(q, owner_of(q, i))) {
        (*claims)++;
        return 0;
    }
    set_state(q, i, state == XIPC__MQ_WRITING ? XIPC__MQ_FREE : XIPC__MQ_READY);
    return 0;
}

/* Reads every slot's state, settles dead claims, rebuilds the free list and collects the READY
 * messages into kept (*n of them). */
static int
collect(struct xipc_mq *q, struct kept *kept, uint32_t *n, uint64_t *next_seq)
{
    uint32_t claims = 0;
    q->hdr->free_head = NIL;
    *n = 0;
    for (uint32_t i = q->capacity; i-- > 0;) {
        uint32_t state = state_of(q, i);
        int rc = 0;
        if (state == XIPC__MQ_WRITING || state == XIPC__MQ_READING)
            rc = settle_claim(q, i, state, &claims);
        if (rc != 0)
            return rc;
        state = state_of(q, i);
        if (state == XIPC__MQ_FREE) {
            push_free(q, i);
        } else if (state == XIPC__MQ_READY) {
            struct xipc__mq_slot *s = slot_at(q, i);
            if (s->len > q->msg_max)
                return corrupt("mq: a message longer than the queue's largest");
            kept[(*n)++] = (struct kept) { s->seq, s->key, i };
            if (s->seq >= *next_seq)
                *next_seq = s->seq + 1;
        } else if (state != XIPC__MQ_WRITING && state != XIPC__MQ_READING) {
            return corrupt("mq: a slot state no xipc queue writes");
        }
    }
    q->hdr->claims = claims;
    return 0;
}

/* Links the kept messages into both orders. */
static void
relink(struct xipc_mq *q, struct kept *kept, uint32_t n)
{
    struct order f = fifo_order(q), p = prio_order(q);
    *f.head = *f.tail = *p.head = *p.tail = NIL;
    qsort(kept, n, sizeof *kept, by_seq);
    for (uint32_t k = 0; k < n; k++)
        insert_after(q, &f, kept[k].slot, k ? kept[k - 1].slot : NIL, NIL);
    qsort(kept, n, sizeof *kept, by_priority);
    for (uint32_t k = 0; k < n; k++)
        insert_after(q, &p, kept[k].slot, k ? kept[k - 1].slot : NIL, NIL);
    atomic_store_explicit(&q->hdr->count, n, memory_order_relaxed);
}

static void wake_side(struct xipc_mq *q, enum xipc__mq_side side);

/* Rebuilds the lists from the slot states (the lock taken over from a dead holder, a dead claim
 * found, or the ring closed): O(capacity). The ring, or a switch to or from it cut short by a
 * death, ends first. */
static int
rebuild(struct xipc_mq *q)
{
    uint32_t n = 0;
    ring_close(q);
    uint64_t next_seq = atomic_load_explicit(&q->hdr->next_seq, memory_order_relaxed);
    struct kept *kept = malloc(sizeof *kept * q->capacity);
    if (kept == NULL)
        return XIPC_ENOMEM;
    int rc = collect(q, kept, &n, &next_seq);
    if (rc == 0) {
        relink(q, kept, n);
        atomic_store_explicit(&q->hdr->next_seq, next_seq, memory_order_relaxed);
        atomic_fetch_add_explicit(word_of(q, XIPC__MQ_RECV), 1, memory_order_release);
        atomic_fetch_add_explicit(word_of(q, XIPC__MQ_SEND), 1, memory_order_release);
        wake_side(q, XIPC__MQ_RECV);
        wake_side(q, XIPC__MQ_SEND);
    }
    free(kept);
    return rc;
}

/* Undoes the claims of dead owners, if any (a look before a sleep). The lists count their
 * claims; the ring's are only in the slots. */
static int
recover_dead_claims(struct xipc_mq *q)
{
    if (mode_now(q) == XIPC__MQ_LISTS && q->hdr->claims == 0)
        return 0;
    for (uint32_t i = 0; i < q->capacity; i++) {
        uint64_t word = word_of_slot(q, i);
        uint32_t state = state_in(word);
        if (state != XIPC__MQ_WRITING && state != XIPC__MQ_READING)
            continue;
        if (!user_alive(q, owner_in(word)))
            return rebuild(q);
    }
    return 0;
}

static int recv_commit(struct xipc_mq *q, uint32_t i);

/* ---- Waking and waiting --------------------------------------------------------------------- */

/* After a change that side's waiters wait for (the word bumped): wakes them, and only when one
 * has said it sleeps since the last wake, so that a busy queue never enters the kernel, and a
 * queue whose sleepers are on their way up does not enter it at every change. */
static void
wake_side(struct xipc_mq *q, enum xipc__mq_side side)
{
    _Atomic uint32_t *sleepy = sleepy_of(q, side);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(sleepy, memory_order_relaxed) == 0 || atomic_exchange(sleepy, 0) == 0)
        return;
    uint32_t waiters = atomic_load_explicit(waiters_of(q, side), memory_order_relaxed);
    xipc__os_mq_wake(q, side, word_of(q, side), waiters ? waiters : 1);
}

/* After a commit on the ring (a sequentially consistent compare-and-swap): bumps the side's word
 * and wakes only when a waiter has counted itself in, which it does before its last look at the
 * ring (ring_moved), so that one of the two sees the other; a busy ring never touches the word. */
static void
ring_wake(struct xipc_mq *q, enum xipc__mq_side side)
{
    if (atomic_load(waiters_of(q, side)) == 0)
        return;
    atomic_fetch_add_explicit(word_of(q, side), 1, memory_order_release);
    wake_side(q, side);
}

/* Whether the ring may now have what a waiter of side waits for (a message selector takes, or
 * room), or is in a state only a try settles. The lists bump the side's word at every change;
 * the ring does not, so a waiter looks at the ring's end itself. exact: the last look before a
 * sleep, which reads the slot's word even while the tail shows nothing new (ring_pass). */
static bool
ring_moved(struct xipc_mq *q, enum xipc__mq_side side, int64_t selector, bool exact)
{
    uint64_t mode = mode_now(q);
    if (!ring_mode(mode) || (side == XIPC__MQ_RECV && !ring_answers(selector, (uint32_t)mode)))
        return false;
    _Atomic uint64_t *end = side == XIPC__MQ_RECV ? &q->hdr->ring_head.pos : &q->hdr->ring_tail.pos;
    uint64_t pos = atomic_load(end);
    /* A receiver looks at the tail's line first: while no send has committed at the head's
     * position it does not take the slot's lines from the sender filling them. */
    if (side == XIPC__MQ_RECV && !exact && atomic_load(&q->hdr->ring_tail.pos) == pos)
        return false;
    uint64_t word = atomic_load(&slot_at(q, ring_slot(q, pos))->word);
    enum ring_place where = ring_place(q, word, pos);
    if (where == RING_LAP_BEHIND)
        return false;
    if (side == XIPC__MQ_RECV && where == RING_AT)
        return state_in(word) != XIPC__MQ_FREE && state_in(word) != XIPC__MQ_WRITING;
    return true;
}

/* Whether the ring's end that side waits at is held by a live claim: a sender between its
 * claim and its commit at the head (the messages claimed after it wait behind it), or a receiver
 * still copying out of the slot the tail needs. */
static bool
ring_stalled(struct xipc_mq *q, enum xipc__mq_side side)
{
    _Atomic uint64_t *end = side == XIPC__MQ_RECV ? &q->hdr->ring_head.pos : &q->hdr->ring_tail.pos;
    uint64_t pos = atomic_load(end);
    uint64_t word = word_of_slot(q, ring_slot(q, pos));
    if (!ring_mode(mode_now(q)))
        return false;
    if (side == XIPC__MQ_RECV)
        return ring_place(q, word, pos) == RING_AT && state_in(word) == XIPC__MQ_WRITING;
    return ring_place(q, word, pos) == RING_LAP_BEHIND && state_in(word) == XIPC__MQ_READING;
}

/* A look between two slices of a sleep: for dead claims, and for a ring held up a whole slice
 * by a live claim (its owner stopped, say by a debugger), which the lists then get around: the
 * claim stays a claim there, and the messages behind it are free to go. */
static int
recover_now(struct xipc_mq *q, enum xipc__mq_side side, xipc__deadline dl)
{
    int rc = mq_lock(q, dl);
    if (rc != 0)
        return rc == XIPC_ETIMEDOUT ? 0 : rc;
    rc = recover_dead_claims(q);
    if (rc == 0 && ring_stalled(q, side))
        rc = rebuild(q);
    mq_unlock(q);
    return rc;
}

/* What a waiter waits for: its side, the side's word read before its failed try, its selector
 * (receivers). */
struct wait_for {
    enum xipc__mq_side side;
    uint32_t seen;
    int64_t selector;
};

static bool
changed(struct xipc_mq *q, const struct wait_for *w, bool exact)
{
    return atomic_load(word_of(q, w->side)) != w->seen ||
        ring_moved(q, w->side, w->selector, exact);
}

/* Spins until changed, for at most SPIN_NS and never past dl: true when it changed. Without a
 * limit the clock is first read after 64 looks, not before the first: a receiver that keeps up
 * with its sender waits here for every message, and a clock read (about 25 ns on this project's
 * VM) would delay each of them. */
static bool
spin_for_change(struct xipc_mq *q, const struct wait_for *w, xipc__deadline dl)
{
    uint64_t end = 0; /* not known yet */
    if (dl != XIPC__DEADLINE_NEVER) {
        end = xipc__os_clock_ns() + SPIN_NS;
        end = end < dl ? end : dl;
    }
    for (unsigned i = 1;; i++) {
        if (changed(q, w, false))
            return true;
        xipc__os_mq_relax();
        if ((i & 63) != 0)
            continue;
        uint64_t now = xipc__os_clock_ns();
        if (end == 0)
            end = now + SPIN_NS;
        else if (now >= end)
            return false;
    }
}

/* Waits until changed, or dl: 0 to try again, XIPC_ETIMEDOUT, or a failure. Sleeps in slices,
 * looking for dead claims between them. */
static int
await_change(struct xipc_mq *q, const struct wait_for *w, xipc__deadline dl)
{
    _Atomic uint32_t *word = word_of(q, w->side), *waiters = waiters_of(q, w->side);
    if (dl != XIPC__DEADLINE_NEVER && xipc__os_clock_ns() >= dl)
        return XIPC_ETIMEDOUT;
    if (spin_for_change(q, w, dl))
        return 0;
    atomic_fetch_add(waiters, 1);
    atomic_store(sleepy_of(q, w->side), 1);
    int rc = 0;
    if (!changed(q, w, true)) {
        uint64_t slice = xipc__os_clock_ns() + (uint64_t)SLEEP_SLICE_MS * 1000000u;
        rc = xipc__os_mq_sleep(q, w->side, word, w->seen, slice < dl ? slice : dl);
    }
    atomic_fetch_sub(waiters, 1);
    if (rc == XIPC_ETIMEDOUT) {
        if (xipc__os_clock_ns() >= dl)
            return XIPC_ETIMEDOUT;
        return recover_now(q, w->side, dl);
    }
    return rc;
}

/* ---- Sending on the ring -------------------------------------------------------------------- */

/* Fills slot i, claimed for position pos, and commits it: 0, or RING_FROZEN (*claimed) when the
 * ring was closed in between. */
static int
ring_fill(struct xipc_mq *q, uint32_t i, uint64_t pos, const void *buf, size_t len, unsigned key,
    uint32_t *claimed)
{
    struct xipc__mq_slot *s = slot_at(q, i);
    s->len = (uint32_t)len;
    s->key = key;
    s->seq = pos;
    if (len > 0)
        memcpy(payload_at(q, i), buf, len);
    uint64_t mine = ring_word(pos, XIPC__MQ_WRITING, q->me);
    if (atomic_compare_exchange_strong(&s->word, &mine, ring_word(pos, XIPC__MQ_READY, 0)))
        return 0;
    *claimed = i;
    return RING_FROZEN;
}

/* Asks for the first two lines of position pos's slot record (its fields, and its payload's
 * first line) in exclusive state, ahead of the next send: they were last written by the
 * receiver of the round before, and in a stream their transfer then overlaps this send's copy
 * instead of stalling the next claim. */
static void
ring_prefetch(struct xipc_mq *q, uint64_t pos)
{
    uint32_t i = ring_slot(q, pos);
    __builtin_prefetch(slot_at(q, i), 1);
    __builtin_prefetch(payload_at(q, i), 1);
}

/* A send on the ring of key: claims the slot of the tail's position (a compare-and-swap of its
 * word from FREE to WRITING naming us), copies, commits (READY), then moves the tail
 * (ring_pass): a receiver waiting for the message watches the tail's line, and a tail moved only
 * by commits keeps it off the slot's lines while we fill them (another sender that finds our
 * claim at the tail moves it on for itself). 0 sent, XIPC_ETIMEDOUT full, RING_FROZEN, or
 * RING_CLOSED. */
static int
ring_send(struct xipc_mq *q, const void *buf, size_t len, unsigned key, uint32_t *claimed)
{
    _Atomic uint64_t *tail = &q->hdr->ring_tail.pos;
    for (uint32_t tries = 0; tries < RING_TRIES; tries++) {
        uint64_t pos = atomic_load_explicit(tail, memory_order_acquire);
        uint32_t i = ring_slot(q, pos);
        _Atomic uint64_t *w = &slot_at(q, i)->word;
        uint64_t word = atomic_load_explicit(w, memory_order_acquire);
        switch (ring_place(q, word, pos)) {
        case RING_AT:
            if (state_in(word) != XIPC__MQ_FREE) {
                ring_advance(tail, pos);
            } else if (atomic_compare_exchange_strong(
                           w, &word, ring_word(pos, XIPC__MQ_WRITING, q->me))) {
                ring_prefetch(q, pos + 1);
                int rc = ring_fill(q, i, pos, buf, len, key, claimed);
                if (rc == 0)
                    ring_pass(tail, pos);
                return rc;
            }
            break;
        case RING_AHEAD:
            ring_advance(tail, pos);
            break;
        case RING_LAP_BEHIND:
            return state_in(word) == XIPC__MQ_FREE ? RING_CLOSED : XIPC_ETIMEDOUT;
        default:
            return RING_CLOSED;
        }
    }
    return RING_CLOSED;
}

/* ---- Sending through the lock --------------------------------------------------------------- */

/* One try under the lock. 0 sent; 1 a slot claimed (*slot) for a copy outside the lock;
 * RING_OPENED; XIPC_ETIMEDOUT no room. A ring still open is closed first: the lock path works on
 * the lists. */
static int
send_locked(struct xipc_mq *q, const void *buf, size_t len, unsigned key, uint32_t *slot)
{
    uint32_t i;
    int rc = mode_now(q) == XIPC__MQ_LISTS ? 0 : rebuild(q);
    if (rc != 0)
        return rc;
    if (ring_due(q, key))
        return (rc = ring_open(q, key)) != 0 ? rc : RING_OPENED;
    rc = pop_free(q, &i);
    if (rc == 0 && i == NIL && (rc = recover_dead_claims(q)) == 0)
        rc = pop_free(q, &i);
    if (rc != 0)
        return rc;
    if (i == NIL)
        return XIPC_ETIMEDOUT;
    note_streak(q, key);
    struct xipc__mq_slot *s = slot_at(q, i);
    s->len = (uint32_t)len;
    s->key = key;
    if (len > XIPC__MQ_COPY_IN_LOCK_MAX) {
        set_claim(q, i, XIPC__MQ_WRITING);
        q->hdr->claims++;
        *slot = i;
        return 1;
    }
    if (len > 0)
        memcpy(payload_at(q, i), buf, len);
    s->seq = atomic_fetch_add_explicit(&q->hdr->next_seq, 1, memory_order_relaxed);
    set_state(q, i, XIPC__MQ_READY);
    atomic_fetch_add_explicit(word_of(q, XIPC__MQ_RECV), 1, memory_order_release);
    return link_ready(q, i);
}

/* The commit of a claimed send (the lists', or the ring's that the ring's closing froze), under
 * the lock. */
static int
send_commit(struct xipc_mq *q, uint32_t i)
{
    struct xipc__mq_slot *s = slot_at(q, i);
    if (state_of(q, i) != XIPC__MQ_WRITING || owner_of(q, i) != q->me ||
        (word_of_slot(q, i) & XIPC__MQ_IN_RING))
        return corrupt("mq: our send's claim was changed under us");
    s->seq = atomic_fetch_add_explicit(&q->hdr->next_seq, 1, memory_order_relaxed);
    set_state(q, i, XIPC__MQ_READY);
    q->hdr->claims--;
    atomic_fetch_add_explicit(word_of(q, XIPC__MQ_RECV), 1, memory_order_release);
    return link_ready(q, i);
}

/* Takes the lock for a commit: a holder that keeps it past the deadline (stopped, or a corrupt
 * lock word naming a live process) leaves our claim in place, its slot out of use while we live:
 * nothing was sent (or taken). */
static int
commit_by_lock(struct xipc_mq *q, enum xipc__mq_side side, uint32_t i, xipc__deadline dl)
{
    int rc = mq_lock(q, dl);
    if (rc != 0)
        return rc;
    rc = side == XIPC__MQ_SEND ? send_commit(q, i) : recv_commit(q, i);
    mq_unlock(q);
    if (rc == 0)
        wake_side(q, side == XIPC__MQ_SEND ? XIPC__MQ_RECV : XIPC__MQ_SEND);
    return rc;
}

static int
send_by_lock(struct xipc_mq *q, const void *buf, size_t len, unsigned key, xipc__deadline dl)
{
    uint32_t slot = NIL;
    int rc = mq_lock(q, dl);
    if (rc != 0)
        return rc;
    rc = send_locked(q, buf, len, key, &slot);
    mq_unlock(q);
    if (rc == 1) {
        memcpy(payload_at(q, slot), buf, len);
        return commit_by_lock(q, XIPC__MQ_SEND, slot, dl);
    }
    if (rc == 0)
        wake_side(q, XIPC__MQ_RECV);
    return rc;
}

/* A call's deadline, fixed when a path first needs it (the lock's or a wait's), so that a call
 * served on the ring never reads the clock; 0 for a call that only tries. */
static xipc__deadline
deadline_of(struct xipc__lazy_deadline *ld)
{
    return ld->timeout_ms == 0 ? 0 : xipc__lazy_deadline_get(ld);
}

/* One try: on the ring when it is the mode and the key is its key, else (or when the ring says
 * so) through the lock, which may close the ring, or open it for us. */
static int
send_once(
    struct xipc_mq *q, const void *buf, size_t len, unsigned key, struct xipc__lazy_deadline *ld)
{
    int rc = RING_OPENED;
    for (unsigned turn = 0; turn < 3 && rc == RING_OPENED; turn++) {
        uint32_t slot = NIL;
        rc = mode_now(q) == XIPC__MQ_RING_OF(key) ? ring_send(q, buf, len, key, &slot)
                                                  : RING_CLOSED;
        if (rc == 0)
            ring_wake(q, XIPC__MQ_RECV);
        else if (rc == RING_FROZEN)
            rc = commit_by_lock(q, XIPC__MQ_SEND, slot, deadline_of(ld));
        else if (rc == RING_CLOSED)
            rc = send_by_lock(q, buf, len, key, deadline_of(ld));
    }
    return rc == RING_OPENED ? XIPC_ETIMEDOUT : rc;
}

int
xipc__mq_send(struct xipc_mq *q, const void *buf, size_t len, unsigned key, int timeout_ms)
{
    struct xipc__lazy_deadline ld = xipc__lazy_deadline_in(timeout_ms);
    for (;;) {
        struct wait_for w = { XIPC__MQ_SEND, atomic_load(word_of(q, XIPC__MQ_SEND)), 0 };
        int rc = send_once(q, buf, len, key, &ld);
        if (rc != XIPC_ETIMEDOUT || timeout_ms == 0)
            return rc;
        if ((rc = await_change(q, &w, deadline_of(&ld))) != 0)
            return rc;
    }
}

/* ---- Receiving on the ring ------------------------------------------------------------------ */

/* What a receive asked for and got. */
struct take {
    int64_t selector;
    unsigned flags;
    void *buf;
    size_t cap;
    size_t len; /* the message's, or the bytes stored when truncated */
    unsigned key;
    size_t copy; /* bytes to copy */
};

/* Sizes the take of a message of len and key: 0, or XIPC_EMSGSIZE (too large, kept). */
static int
measure(struct take *t, uint32_t len, uint32_t key)
{
    t->key = key;
    t->len = len;
    if (len > t->cap && !(t->flags & XIPC_MQ_TRUNCATE))
        return XIPC_EMSGSIZE;
    t->copy = len < t->cap ? len : t->cap;
    if (t->flags & XIPC_MQ_TRUNCATE)
        t->len = t->copy;
    return 0;
}

/* What ring_take may return besides ring_recv's codes: another receive took the message first. */
#define RING_LOST 4

/* A small message is copied out first and taken after, by one compare-and-swap from READY to
 * FREE for the slot's next round: no claim, so a receiver killed in the copy leaves the message
 * READY. While the word stays READY at pos nobody writes the payload; a copy whose swap fails
 * (another receive took the message, or the ring closed) is dropped, which leaves the caller's
 * buffer with bytes of a message not received. */
static int
ring_take_small(struct xipc_mq *q, struct take *t, uint32_t i, uint64_t pos, uint64_t word)
{
    if (t->copy > 0)
        memcpy(t->buf, payload_at(q, i), t->copy);
    if (!atomic_compare_exchange_strong(
            &slot_at(q, i)->word, &word, ring_word(pos + q->capacity, XIPC__MQ_FREE, 0)))
        return RING_LOST;
    ring_pass(&q->hdr->ring_head.pos, pos);
    return 0;
}

/* Takes the READY message at pos in slot i, whose word was seen as word: its length and key are
 * read before the claim (and known to be its own when the word has not changed meanwhile), so
 * that a message too large for the buffer is left where it is. */
static int
ring_take(struct xipc_mq *q, struct take *t, uint32_t i, uint64_t pos, uint64_t word,
    uint32_t *claimed)
{
    struct xipc__mq_slot *s = slot_at(q, i);
    uint32_t len = *(volatile uint32_t *)&s->len, key = *(volatile uint32_t *)&s->key;
    if (atomic_load(&s->word) != word)
        return RING_LOST;
    if (len > q->msg_max)
        return RING_CLOSED; /* the rebuild says XIPC_ECORRUPT */
    int rc = measure(t, len, key);
    if (rc != 0)
        return rc;
    if (t->copy <= XIPC__MQ_COPY_IN_LOCK_MAX)
        return ring_take_small(q, t, i, pos, word);
    if (!atomic_compare_exchange_strong(&s->word, &word, ring_word(pos, XIPC__MQ_READING, q->me)))
        return RING_LOST;
    ring_pass(&q->hdr->ring_head.pos, pos);
    if (t->copy > 0)
        memcpy(t->buf, payload_at(q, i), t->copy);
    uint64_t mine = ring_word(pos, XIPC__MQ_READING, q->me);
    if (atomic_compare_exchange_strong(
            &s->word, &mine, ring_word(pos + q->capacity, XIPC__MQ_FREE, 0)))
        return 0;
    *claimed = i;
    return RING_FROZEN;
}

/* A receive on the ring of key: takes the message at the head's position when the selector
 * takes the oldest message of key. 0, XIPC_ETIMEDOUT nothing to take, XIPC_EMSGSIZE,
 * RING_FROZEN, or RING_CLOSED. */
static int
ring_recv(struct xipc_mq *q, struct take *t, uint32_t key, uint32_t *claimed)
{
    _Atomic uint64_t *head = &q->hdr->ring_head.pos;
    if (!ring_answers(t->selector, key))
        return XIPC_ETIMEDOUT;
    for (uint32_t tries = 0; tries < RING_TRIES; tries++) {
        uint64_t pos = atomic_load_explicit(head, memory_order_acquire);
        uint32_t i = ring_slot(q, pos);
        uint64_t word = word_of_slot(q, i);
        int rc = RING_LOST;
        switch (ring_place(q, word, pos)) {
        case RING_AT:
            if (state_in(word) == XIPC__MQ_READY)
                rc = ring_take(q, t, i, pos, word, claimed);
            else if (state_in(word) == XIPC__MQ_READING)
                ring_advance(head, pos);
            else
                rc = state_in(word) > XIPC__MQ_READING ? RING_CLOSED : XIPC_ETIMEDOUT;
            break;
        case RING_AHEAD:
            ring_advance(head, pos);
            break;
        case RING_LAP_BEHIND:
            rc = state_in(word) == XIPC__MQ_READING ? XIPC_ETIMEDOUT : RING_CLOSED;
            break;
        default:
            rc = RING_CLOSED;
            break;
        }
        if (rc != RING_LOST)
            return rc;
    }
    return RING_CLOSED;
}

/* ---- Receiving through the lock ------------------------------------------------------------- */

/* After a receive under the lock: an empty queue whose last sends all had one key turns back
 * into the ring. */
static int
reopen_if_due(struct xipc_mq *q)
{
    return ring_due(q, q->hdr->streak_key) ? ring_open(q, q->hdr->streak_key) : 0;
}

/* One try under the lock. 0 taken; 1 a slot claimed (*slot) for a copy outside the lock;
 * XIPC_ETIMEDOUT nothing to take; XIPC_EMSGSIZE too large for the buffer (kept). */
static int
recv_locked(struct xipc_mq *q, struct take *t, uint32_t *slot)
{
    uint32_t i;
    int rc = mode_now(q) == XIPC__MQ_LISTS ? 0 : rebuild(q);
    if (rc == 0)
        rc = select_message(q, t->selector, &i);
    if (rc == 0 && i == NIL && (rc = recover_dead_claims(q)) == 0)
        rc = select_message(q, t->selector, &i);
    if (rc != 0)
        return rc;
    if (i == NIL)
        return XIPC_ETIMEDOUT;
    struct xipc__mq_slot *s = slot_at(q, i);
    if (s->len > q->msg_max)
        return corrupt("mq: a message longer than the queue's largest");
    if ((rc = measure(t, s->len, s->key)) != 0 || (rc = unlink_ready(q, i)) != 0)
        return rc;
    if (t->copy > XIPC__MQ_COPY_IN_LOCK_MAX) {
        set_claim(q, i, XIPC__MQ_READING);
        q->hdr->claims++;
        *slot = i;
        return 1;
    }
    if (t->copy > 0)
        memcpy(t->buf, payload_at(q, i), t->copy);
    set_state(q, i, XIPC__MQ_FREE);
    push_free(q, i);
    atomic_fetch_add_explicit(word_of(q, XIPC__MQ_SEND), 1, memory_order_release);
    return reopen_if_due(q);
}

static int
recv_commit(struct xipc_mq *q, uint32_t i)
{
    if (state_of(q, i) != XIPC__MQ_READING || owner_of(q, i) != q->me ||
        (word_of_slot(q, i) & XIPC__MQ_IN_RING))
        return corrupt("mq: our receive's claim was changed under us");
    set_state(q, i, XIPC__MQ_FREE);
    q->hdr->claims--;
    push_free(q, i);
    atomic_fetch_add_explicit(word_of(q, XIPC__MQ_SEND), 1, memory_order_release);
    return reopen_if_due(q);
}

static int
recv_by_lock(struct xipc_mq *q, struct take *t, xipc__deadline dl)
{
    uint32_t slot = NIL;
    int rc = mq_lock(q, dl);
    if (rc != 0)
        return rc;
    rc = recv_locked(q, t, &slot);
    mq_unlock(q);
    if (rc == 1) {
        memcpy(t->buf, payload_at(q, slot), t->copy);
        return commit_by_lock(q, XIPC__MQ_RECV, slot, dl);
    }
    if (rc == 0)
        wake_side(q, XIPC__MQ_SEND);
    return rc;
}

static int
recv_once(struct xipc_mq *q, struct take *t, struct xipc__lazy_deadline *ld)
{
    uint32_t slot = NIL;
    uint64_t mode = mode_now(q);
    int rc = ring_mode(mode) ? ring_recv(q, t, (uint32_t)mode, &slot) : RING_CLOSED;
    if (rc == 0)
        ring_wake(q, XIPC__MQ_SEND);
    else if (rc == RING_FROZEN)
        rc = commit_by_lock(q, XIPC__MQ_RECV, slot, deadline_of(ld));
    else if (rc == RING_CLOSED)
        rc = recv_by_lock(q, t, deadline_of(ld));
    return rc;
}

int
xipc__mq_recv(struct xipc_mq *q, int64_t selector, unsigned flags, void *buf, size_t cap,
    size_t *len, unsigned *key, int timeout_ms)
{
    struct take t = { selector, flags, buf, cap, 0, 0, 0 };
    struct xipc__lazy_deadline ld = xipc__lazy_deadline_in(timeout_ms);
    for (;;) {
        struct wait_for w = { XIPC__MQ_RECV, atomic_load(word_of(q, XIPC__MQ_RECV)), selector };
        int rc = recv_once(q, &t, &ld);
        if (rc == 0 || rc == XIPC_EMSGSIZE) {
            *len = t.len;
            if (key != NULL && rc == 0)
                *key = t.key;
            return rc;
        }
        if (rc != XIPC_ETIMEDOUT || timeout_ms == 0)
            return rc;
        if ((rc = await_change(q, &w, deadline_of(&ld))) != 0)
            return rc;
    }
}

/* ---- What anyone may look at ---------------------------------------------------------------- */

/* The ring's messages now: its ends' distance (the head read first: both only grow), within
 * 0..capacity. */
static uint32_t
ring_count(struct xipc_mq *q)
{
    uint64_t head = atomic_load(&q->hdr->ring_head.pos), tail = atomic_load(&q->hdr->ring_tail.pos);
    if (tail <= head)
        return 0;
    return tail - head > q->capacity ? q->capacity : (uint32_t)(tail - head);
}

int
xipc__mq_stat(struct xipc_mq *q, xipc_mq_info *info)
{
    uint32_t count = ring_mode(mode_now(q)) ? ring_count(q)
                                            : atomic_load_explicit(&q->hdr->count, memory_order_relaxed);
    if (count > q->capacity)
        return corrupt("mq: more messages counted than the queue holds");
    info->capacity = q->capacity;
    info->msg_max = q->msg_max;
    info->count = count;
    return 0;
}

unsigned
xipc__mq_ready(struct xipc_mq *q)
{
    unsigned events = 0;
    if (ring_mode(mode_now(q))) {
        if (ring_moved(q, XIPC__MQ_RECV, XIPC__MQ_PRIORITY, true))
            events |= XIPC_WAITSET_READ;
        if (ring_moved(q, XIPC__MQ_SEND, 0, true))
            events |= XIPC_WAITSET_WRITE;
        return events;
    }
    uint32_t count = atomic_load_explicit(&q->hdr->count, memory_order_relaxed);
    uint32_t free_head = *(volatile uint32_t *)&q->hdr->free_head;
    if (count > 0)
        events |= XIPC_WAITSET_READ;
    if (free_head != NIL)
        events |= XIPC_WAITSET_WRITE;
    return events;
}

/* ---- The layout ----------------------------------------------------------------------------- */

size_t
xipc__mq_layout_size(uint32_t capacity, uint32_t msg_max, size_t *record)
{
    size_t line = sizeof(struct xipc__mq_slot);
    *record = line + (((size_t)msg_max + line - 1) & ~(line - 1));
    return sizeof(struct xipc__mq_header) + (size_t)capacity * *record;
}

static void
set_pointers(struct xipc_mq *q, uint32_t capacity, uint32_t msg_max)
{
    q->hdr = q->shm.ptr;
    q->capacity = capacity;
    q->msg_max = msg_max;
    (void)xipc__mq_layout_size(capacity, msg_max, &q->record);
    q->ring_mask = (capacity & (capacity - 1)) == 0 ? capacity - 1 : 0;
    q->records = (unsigned char *)q->shm.ptr + sizeof *q->hdr;
}

/* A name for the Windows wake objects, unique enough that no two queues share it: the clock, the
 * pid and the mapping's address mixed. */
static void
make_wake_id(char id[16])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t x = xipc__os_clock_ns() ^ (xipc__os_self_pid() << 40) ^ (uint64_t)(uintptr_t)id;
    x *= UINT64_C(0x9E3779B97F4A7C15);
    x ^= x >> 29;
    for (int k = 0; k < 16; k++)
        id[k] = hex[(x >> (4 * k)) & 15u];
}

void
xipc__mq_layout_init(struct xipc_mq *q, uint32_t capacity, uint32_t msg_max)
{
    set_pointers(q, capacity, msg_max);
    struct xipc__mq_header *h = q->hdr;
    h->version = XIPC__MQ_VERSION;
    h->capacity = capacity;
    h->msg_max = msg_max;
    h->size = xipc__mq_layout_size(capacity, msg_max, &q->record);
    make_wake_id(h->wake_id);
    h->free_head = NIL;
    h->prio_head = h->prio_tail = h->fifo_head = h->fifo_tail = NIL;
    /* A new queue is the ring of key 0, priority 0 being what most programs send: the first
     * send of another key moves it to the lists. */
    (void)ring_open(q, 0);
    atomic_store_explicit(&h->magic, XIPC__MQ_MAGIC, memory_order_release);
}

static int
await_magic(struct xipc__mq_header *h)
{
    for (unsigned waited = 0;; waited++) {
        uint32_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
        if (magic == XIPC__MQ_MAGIC)
            return 0;
        if (magic != 0 || waited >= XIPC__SHM_INIT_WAIT_MS)
            return corrupt("name: not a whole xipc queue (a creator died making it?)");
        xipc__os_sleep_ms(1);
    }
}

int
xipc__mq_layout_attach(struct xipc_mq *q)
{
    struct xipc__mq_header *h = q->shm.ptr;
    size_t record;
    if (q->shm.size < sizeof *h)
        return corrupt("name: a section too small for a queue");
    int rc = await_magic(h);
    if (rc != 0)
        return rc;
    uint32_t version = h->version, capacity = h->capacity, msg_max = h->msg_max;
    uint64_t size = h->size;
    if (version != XIPC__MQ_VERSION)
        return corrupt("name: a queue of another layout version");
    if (capacity == 0 || capacity > XIPC_MQ_CAPACITY_MAX || msg_max == 0 ||
        msg_max > XIPC_MQ_MSG_MAX || (uint64_t)capacity * msg_max > XIPC_MQ_BYTES_MAX)
        return corrupt("name: a queue whose sizes are out of range");
    if (size != xipc__mq_layout_size(capacity, msg_max, &record) || size > q->shm.size)
        return corrupt("name: a queue whose size does not match its section");
    set_pointers(q, capacity, msg_max);
    return 0;
}
