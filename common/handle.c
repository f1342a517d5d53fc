/* common/handle.c: the registry of live handles (see handle.h).
 *
 * The registry is an open-addressing hash set of object pointers (linear probing, at most half
 * full). A stale pointer whose memory was reused for a new handle of the same kind passes the
 * check, as a stale POSIX fd number would; every other use after close is caught.
 *
 * Every xipc call checks its handle, so the check takes no lock: with one, a reader thread and
 * a writer thread on one pipe queued on the process-wide mutex for every transfer (and on
 * Windows a contended lock may enter the kernel). Opening and closing change the registry under
 * the process-wide lock (xipc__os_global_lock); the check of a live handle reads it without:
 * - A table is filled before it is published, by a release store to `registry`; the check loads
 *   `registry` with acquire. A table that grew out of use is never freed, since a check may
 *   still be reading it: the replaced tables (64, 128, ... slots) together are smaller than the
 *   current one, which is sized for the peak number of live handles, and stay reachable from
 *   `registry` until the process exits (so leak checkers do not report them).
 * - Slot pointers are atomic, stored with release (after the handle's header was written) and
 *   loaded by the check with acquire. So a hit is true: the handle was registered when its
 *   slot was read, and its header is visible. The hit takes the kind from the header, which
 *   never changes while the handle lives, not from the slot, whose kind may belong to another
 *   handle by the time it is read.
 * - A miss may be false while a writer moves entries (a close shifts later members of a probe
 *   run back; a grow copies them to a new table), so the check confirms every miss under the
 *   lock. Misses are the error path (XIPC_EBADF); calls on live handles never take the lock.
 * - A close that happens before a check (the caller ordered them) is seen by it: the check's
 *   loads read the close's stores or later ones (coherence), and no later store puts the closed
 *   pointer back unless a new handle got its memory.
 * A check that runs while another thread closes the same handle was and stays the caller's
 * error: the call that follows a passed check uses the object. */
#include "handle.h"

#include <stdatomic.h>
#include <stdlib.h>

struct registry_slot {
    _Atomic(const void *) ptr; /* NULL: empty */
    enum xipc_kind kind; /* read and written only under the lock */
};

struct registry_table {
    struct registry_table *replaced; /* the table this one replaced, kept (see above) */
    size_t mask; /* the capacity, a power of two, minus 1 */
    struct registry_slot slots[];
};

static _Atomic(struct registry_table *) registry; /* NULL until the first handle */
static size_t registry_used; /* under the lock */

static size_t
slot_of(const void *ptr, size_t mask)
{
    uint64_t x = (uint64_t)(uintptr_t)ptr;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x & mask;
}

/* The pointer in slot i, for a writer or a reader that holds the lock. */
static const void *
slot_ptr(const struct registry_table *t, size_t i)
{
    return atomic_load_explicit(&t->slots[i].ptr, memory_order_relaxed);
}

static void
slot_set(struct registry_table *t, size_t i, const void *ptr, enum xipc_kind kind)
{
    t->slots[i].kind = kind;
    atomic_store_explicit(&t->slots[i].ptr, ptr, memory_order_release);
}

/* Under the lock. Linear probing: the slot holding ptr, or the empty slot where it would go. */
static size_t
find_slot(const struct registry_table *t, const void *ptr)
{
    size_t i = slot_of(ptr, t->mask);
    while (slot_ptr(t, i) != NULL && slot_ptr(t, i) != ptr)
        i = (i + 1) & t->mask;
    return i;
}

/* Without the lock: whether t holds ptr. A hit is true; a miss may not be (see the top). At
 * most one pass over the table, however the writers move entries meanwhile. */
static bool
table_holds(const struct registry_table *t, const void *ptr)
{
    size_t i = slot_of(ptr, t->mask);
    for (size_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
        const void *p = atomic_load_explicit(&t->slots[i].ptr, memory_order_acquire);
        if (p == ptr)
            return true;
        if (p == NULL)
            return false;
    }
    return false;
}

/* Publishes a table twice the size of the current one (64 slots at first), holding the same
 * handles; the current one stays readable. */
static int
registry_grow(void)
{
    struct registry_table *old = atomic_load_explicit(&registry, memory_order_relaxed);
    size_t cap = old != NULL ? 2 * (old->mask + 1) : 64;
    struct registry_table *t = malloc(sizeof *t + cap * sizeof t->slots[0]);
    if (t == NULL)
        return XIPC_ENOMEM;
    t->replaced = old;
    t->mask = cap - 1;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&t->slots[i].ptr, NULL);
    for (size_t i = 0; old != NULL && i <= old->mask; i++) {
        const void *ptr = slot_ptr(old, i);
        if (ptr != NULL)
            slot_set(t, find_slot(t, ptr), ptr, old->slots[i].kind);
    }
    atomic_store_explicit(&registry, t, memory_order_release);
    return 0;
}

int
xipc__handle_register(struct xipc_handle *h, enum xipc_kind kind)
{
    int rc = 0;
    h->kind = kind; /* before the slot's release store, which publishes it to the check */
    xipc__os_global_lock();
    struct registry_table *t = atomic_load_explicit(&registry, memory_order_relaxed);
    /* Keep the table at most half full so probe runs stay short. */
    if (t == NULL || (registry_used + 1) * 2 > t->mask + 1) {
        rc = registry_grow();
        t = atomic_load_explicit(&registry, memory_order_relaxed);
    }
    if (rc == 0) {
        slot_set(t, find_slot(t, h), h, kind);
        registry_used++;
    }
    xipc__os_global_unlock();
    return rc;
}

/* Empties slot i and shifts later members of its probe run back (Knuth's algorithm R), so no
 * tombstones are needed. A check running meanwhile may miss a member being moved, and then
 * looks again under the lock. */
static void
registry_remove_at(struct registry_table *t, size_t i)
{
    size_t j = i;
    slot_set(t, i, NULL, 0);
    for (;;) {
        j = (j + 1) & t->mask;
        const void *ptr = slot_ptr(t, j);
        if (ptr == NULL)
            return;
        size_t home = slot_of(ptr, t->mask);
        /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            slot_set(t, i, ptr, t->slots[j].kind);
            slot_set(t, j, NULL, 0);
            i = j;
        }
    }
}

void
xipc__handle_unregister(struct xipc_handle *h)
{
    xipc__os_global_lock();
    struct registry_table *t = atomic_load_explicit(&registry, memory_order_relaxed);
    if (t != NULL) {
        size_t i = find_slot(t, h);
        if (slot_ptr(t, i) == h) {
            registry_remove_at(t, i);
            registry_used--;
        }
    }
    xipc__os_global_unlock();
}

/* The check of a pointer the table seemed not to hold, under the lock, as writers see it. */
static int
check_locked(const void *h, enum xipc_kind kind)
{
    int rc = XIPC_EBADF;
    xipc__os_global_lock();
    const struct registry_table *t = atomic_load_explicit(&registry, memory_order_relaxed);
    if (t != NULL) {
        size_t i = find_slot(t, h);
        if (slot_ptr(t, i) == h)
            rc = (kind == 0 || t->slots[i].kind == kind) ? 0 : XIPC_EINVAL;
    }
    xipc__os_global_unlock();
    return rc;
}

int
xipc__handle_check(const void *h, enum xipc_kind kind)
{
    if (h == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "handle: NULL");
    const struct registry_table *t = atomic_load_explicit(&registry, memory_order_acquire);
    int rc = 0;
    if (t == NULL || !table_holds(t, h)) {
        rc = check_locked(h, kind);
    } else {
        /* Found registered: the header is the handle's, and its kind never changes. */
        enum xipc_kind held = ((const struct xipc_handle *)h)->kind;
        rc = (kind == 0 || held == kind) ? 0 : XIPC_EINVAL;
    }
    if (rc == XIPC_EBADF)
        return XIPC__FAIL(rc, "handle: closed, or never an xipc handle");
    if (rc != 0)
        return XIPC__FAIL(rc, "handle: of another kind than this call takes");
    return 0;
}

bool
xipc__handle_owns_native(intptr_t native)
{
    bool owned = false;
    xipc__os_global_lock();
    const struct registry_table *t = atomic_load_explicit(&registry, memory_order_relaxed);
    for (size_t i = 0; t != NULL && i <= t->mask && !owned; i++) {
        const void *ptr = slot_ptr(t, i);
        if (ptr != NULL)
            owned = xipc__handle_holds(ptr, native);
    }
    xipc__os_global_unlock();
    return owned;
}
