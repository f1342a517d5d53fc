/* common/handle.c: the registry of live handles (see handle.h).
 *
 * The registry is an open-addressing hash set of object pointers under the process-wide lock.
 * A stale pointer whose memory was reused for a new handle of the same kind passes the check,
 * as a stale POSIX fd number would; every other use after close is caught. */
#include "handle.h"

#include <stdlib.h>

struct registry_slot {
    const void *ptr; /* NULL: empty */
    enum xipc_kind kind;
};

static struct registry_slot *registry;
static size_t registry_cap; /* a power of two, or 0 */
static size_t registry_used;

static size_t
slot_of(const void *ptr, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)ptr;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

/* Linear probing: the slot holding ptr, or the empty slot where it would go. */
static size_t
find_slot(const struct registry_slot *table, size_t cap, const void *ptr)
{
    size_t i = slot_of(ptr, cap);
    while (table[i].ptr != NULL && table[i].ptr != ptr)
        i = (i + 1) & (cap - 1);
    return i;
}

static int
registry_grow(void)
{
    size_t new_cap = registry_cap ? registry_cap * 2 : 64;
    struct registry_slot *table = calloc(new_cap, sizeof *table);
    if (table == NULL)
        return XIPC_ENOMEM;
    for (size_t i = 0; i < registry_cap; i++) {
        if (registry[i].ptr != NULL)
            table[find_slot(table, new_cap, registry[i].ptr)] = registry[i];
    }
    free(registry);
    registry = table;
    registry_cap = new_cap;
    return 0;
}

int
xipc__handle_register(struct xipc_handle *h, enum xipc_kind kind)
{
    int rc = 0;
    h->kind = kind;
    xipc__os_global_lock();
    /* Keep the table at most half full so probe sequences stay short. */
    if ((registry_used + 1) * 2 > registry_cap)
        rc = registry_grow();
    if (rc == 0) {
        size_t i = find_slot(registry, registry_cap, h);
        registry[i].ptr = h;
        registry[i].kind = kind;
        registry_used++;
    }
    xipc__os_global_unlock();
    return rc;
}

/* Removes slot i and shifts later members of its probe run back (Knuth's algorithm R), so no
 * tombstones are needed. */
static void
registry_remove_at(size_t i)
{
    size_t mask = registry_cap - 1;
    size_t j = i;
    registry[i].ptr = NULL;
    for (;;) {
        j = (j + 1) & mask;
        if (registry[j].ptr == NULL)
            return;
        size_t home = slot_of(registry[j].ptr, registry_cap);
        /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            registry[i] = registry[j];
            registry[j].ptr = NULL;
            i = j;
        }
    }
}

void
xipc__handle_unregister(struct xipc_handle *h)
{
    xipc__os_global_lock();
    if (registry_cap != 0) {
        size_t i = find_slot(registry, registry_cap, h);
        if (registry[i].ptr == h) {
            registry_remove_at(i);
            registry_used--;
        }
    }
    /* Give the memory back when the last handle goes, so leak checkers see a clean exit. */
    if (registry_used == 0) {
        free(registry);
        registry = NULL;
        registry_cap = 0;
    }
    xipc__os_global_unlock();
}

int
xipc__handle_check(const void *h, enum xipc_kind kind)
{
    int rc = XIPC_EBADF;
    if (h == NULL)
        return XIPC_EINVAL;
    xipc__os_global_lock();
    if (registry_cap != 0) {
        size_t i = find_slot(registry, registry_cap, h);
        if (registry[i].ptr == h)
            rc = (kind == 0 || registry[i].kind == kind) ? 0 : XIPC_EINVAL;
    }
    xipc__os_global_unlock();
    return rc;
}

bool
xipc__handle_owns_native(intptr_t native)
{
    bool owned = false;
    xipc__os_global_lock();
    for (size_t i = 0; i < registry_cap && !owned; i++) {
        if (registry[i].ptr != NULL)
            owned = xipc__handle_holds(registry[i].ptr, native);
    }
    xipc__os_global_unlock();
    return owned;
}
