/* common/handle.c: the registry of live handles (see handle.h) and the export-text format.
 *
 * The registry is an open-addressing hash set of object pointers under the process-wide lock.
 * A stale pointer whose memory was reused for a new handle of the same kind passes the check,
 * as a stale POSIX fd number would; every other use after close is caught. */
#include "handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct registry_slot {
    const void *ptr; /* NULL: empty */
    enum xipc__kind kind;
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
xipc__handle_register(struct xipc_handle *h, enum xipc__kind kind)
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
xipc__handle_check(const void *h, enum xipc__kind kind)
{
    int rc = XIPC_EBADF;
    if (h == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "handle: NULL");
    xipc__os_global_lock();
    if (registry_cap != 0) {
        size_t i = find_slot(registry, registry_cap, h);
        if (registry[i].ptr == h)
            rc = (kind == 0 || registry[i].kind == kind) ? 0 : XIPC_EINVAL;
    }
    xipc__os_global_unlock();
    if (rc == XIPC_EBADF)
        return XIPC__FAIL(rc, "handle: closed, or never an xipc handle");
    if (rc != 0)
        return XIPC__FAIL(rc, "handle: of another kind than this call takes");
    return 0;
}

/* The native handles a live object holds that an import could name: a stream's or a message
 * pipe's descriptor or HANDLE, a sync object's natives. */
static size_t
natives_held(const struct registry_slot *slot, intptr_t out[XIPC__NATIVES_MAX])
{
    switch (slot->kind) {
    case XIPC__KIND_STREAM:
        out[0] = xipc__os_stream_native(&((const struct xipc_stream *)slot->ptr)->os);
        return 1;
    case XIPC__KIND_MSGPIPE:
        out[0] = xipc__os_stream_native(&((const struct xipc_msgpipe *)slot->ptr)->os);
        return 1;
    case XIPC__KIND_EVENT:
    case XIPC__KIND_SEM:
    case XIPC__KIND_MUTEX:
        return xipc__os_sync_natives(&((const struct xipc__sync *)slot->ptr)->os, out);
    case XIPC__KIND_PROC:
    case XIPC__KIND_NPIPE:
        break;
    }
    return 0;
}

bool
xipc__handle_owns_native(intptr_t native)
{
    bool owned = false;
    xipc__os_global_lock();
    for (size_t i = 0; i < registry_cap && !owned; i++) {
        intptr_t held[XIPC__NATIVES_MAX];
        if (registry[i].ptr == NULL)
            continue;
        size_t n = natives_held(&registry[i], held);
        for (size_t k = 0; k < n && !owned; k++)
            owned = held[k] == native;
    }
    xipc__os_global_unlock();
    return owned;
}

static const char *
kind_name(enum xipc__kind kind)
{
    switch (kind) {
    case XIPC__KIND_STREAM:
        return "stream";
    case XIPC__KIND_PROC:
        return "proc";
    case XIPC__KIND_EVENT:
        return "event";
    case XIPC__KIND_SEM:
        return "sem";
    case XIPC__KIND_MUTEX:
        return "mutex";
    case XIPC__KIND_NPIPE:
        return "npipe";
    case XIPC__KIND_MSGPIPE:
        return "msgpipe";
    }
    return "?";
}

int
xipc__handle_text_format(enum xipc__kind kind, const char *value, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "xipc1:%s:%s", kind_name(kind), value);
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0';
        return XIPC__FAIL(XIPC_ENAMETOOLONG, "cap: too small (XIPC_HANDLE_TEXT_MAX always fits)");
    }
    return 0;
}

const char *
xipc__handle_text_value(const char *text, enum xipc__kind kind)
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "xipc1:%s:", kind_name(kind));
    if (n < 0 || strncmp(text, prefix, (size_t)n) != 0)
        return NULL;
    return text + n;
}

int
xipc__parse_native(const char *p, const char *end, intptr_t *out)
{
    intptr_t v = 0;
    if (end == NULL)
        end = p + strlen(p);
    if (p == end || (p[0] == '0' && end - p > 1))
        return XIPC_EINVAL;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9' || v > (INTPTR_MAX - 9) / 10)
            return XIPC_EINVAL;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

int
xipc__handle_natives(const struct xipc_handle *h, intptr_t out[XIPC__NATIVES_MAX], size_t *count)
{
    switch (h->kind) {
    case XIPC__KIND_STREAM:
        if (!xipc__os_stream_exportable(&((const struct xipc_stream *)h)->os))
            return XIPC__FAIL(XIPC_ENOTSUP, "handles: a stream of this process's stdio");
        out[0] = xipc__os_stream_native(&((const struct xipc_stream *)h)->os);
        *count = 1;
        return 0;
    case XIPC__KIND_EVENT:
    case XIPC__KIND_SEM:
    case XIPC__KIND_MUTEX:
        *count = xipc__os_sync_natives(&((const struct xipc__sync *)h)->os, out);
        return 0;
    case XIPC__KIND_PROC:
    case XIPC__KIND_NPIPE:
    case XIPC__KIND_MSGPIPE:
        break;
    }
    return XIPC__FAIL(XIPC_ENOTSUP, "handles: a kind that cannot be passed to a child");
}

int
xipc_handle_export(const xipc_handle *h, char *buf, size_t cap)
{
    char value[XIPC_HANDLE_TEXT_MAX];
    int rc;
    xipc__error_clear();
    if (h == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "h: NULL");
    if (buf == NULL || cap == 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL, or cap: 0");
    buf[0] = '\0';
    if ((rc = xipc__handle_check(h, 0)) != 0)
        return rc;
    switch (h->kind) {
    case XIPC__KIND_STREAM:
        rc = xipc__stream_export_value((const struct xipc_stream *)h, value, sizeof value);
        break;
    case XIPC__KIND_EVENT:
    case XIPC__KIND_SEM:
    case XIPC__KIND_MUTEX:
        rc = xipc__os_sync_export(&((const struct xipc__sync *)h)->os, value, sizeof value);
        break;
    case XIPC__KIND_PROC:
    case XIPC__KIND_NPIPE:
    case XIPC__KIND_MSGPIPE:
        rc = XIPC__FAIL(XIPC_ENOTSUP, "h: a kind that cannot be passed to a child");
        break;
    }
    return rc != 0 ? rc : xipc__handle_text_format(h->kind, value, buf, cap);
}
