/* common/shm.c: shared memory sections and file mappings (xipc/shm.h): argument checks, handle
 * lifetime, a section creator's ownership of the name, and export/import. The platform maps
 * through xipc__os_shm_* and xipc__os_filemap_*. */
#include "handle.h"

#include <stdlib.h>

static int
check_open_args(const char *name, unsigned flags, size_t size)
{
    unsigned how = flags & (XIPC_CREATE | XIPC_OPEN);
    int rc = xipc__named_open_check(name, flags, XIPC_SHM_READONLY);
    if (rc != 0)
        return rc;
    if ((flags & XIPC_SHM_READONLY) && (name == NULL || how != XIPC_OPEN))
        return XIPC__FAIL(XIPC_EINVAL, "flags: XIPC_SHM_READONLY needs a name and XIPC_OPEN alone");
    if (size == 0 && (name == NULL || (how & XIPC_CREATE)))
        return XIPC__FAIL(XIPC_EINVAL, "size: 0 for a section this call may create");
    return 0;
}

/* Registers a section the platform opened; on failure closes it (and removes a name it made). */
static int
wrap(struct xipc_shm *shm, const char *created_name)
{
    int rc = xipc__handle_register(&shm->handle, XIPC_KIND_SHM);
    if (rc != 0) {
        if (created_name != NULL)
            xipc__os_shm_drop_name(&shm->os, created_name);
        xipc__os_shm_close(&shm->os);
        return rc;
    }
    if (created_name != NULL)
        xipc__owned_name_take(&shm->owner, created_name);
    return 0;
}

int
xipc_shm_open(const char *name, unsigned flags, size_t size, xipc_shm **out)
{
    bool created = false;
    int rc;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if ((rc = check_open_args(name, flags, size)) != 0)
        return rc;
    struct xipc_shm *shm = calloc(1, sizeof *shm);
    if (shm == NULL)
        return XIPC_ENOMEM;
    name = xipc__bare_name(name);
    if ((rc = xipc__os_shm_open(name, flags, size, &shm->os, &created)) != 0 ||
        (rc = wrap(shm, created ? name : NULL)) != 0) {
        free(shm);
        return rc;
    }
    *out = shm;
    return 0;
}

void *
xipc_shm_ptr(const xipc_shm *shm)
{
    return xipc__handle_check(shm, XIPC_KIND_SHM) == 0 ? shm->os.ptr : NULL;
}

size_t
xipc_shm_size(const xipc_shm *shm)
{
    return xipc__handle_check(shm, XIPC_KIND_SHM) == 0 ? shm->os.size : 0;
}

void
xipc_shm_close(xipc_shm *shm)
{
    xipc__handle_close(shm, XIPC_KIND_SHM);
}

int
xipc_shm_unlink(const char *name)
{
    xipc__error_clear();
    int rc = xipc_name_check(name);
    return rc != 0 ? rc : xipc__os_shm_unlink(xipc__bare_name(name));
}

xipc_handle *
xipc_shm_handle(xipc_shm *shm)
{
    return shm ? &shm->handle : NULL;
}

static int
shm_import(const char *text, xipc_shm **out)
{
    const char *value = text ? xipc__handle_text_value(text, XIPC_KIND_SHM) : NULL;
    if (value == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "text: NULL, or no export text of a section");
    struct xipc_shm *shm = calloc(1, sizeof *shm);
    if (shm == NULL)
        return XIPC_ENOMEM;
    int rc = xipc__os_shm_import(value, &shm->os);
    if (rc != 0 || (rc = wrap(shm, NULL)) != 0) {
        free(shm);
        return rc;
    }
    *out = shm;
    return 0;
}

int
xipc_shm_import(const char *text, xipc_shm **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    return shm_import(text, out);
}

int
xipc_shm_inherited(size_t index, xipc_shm **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__inherited_text(index, XIPC_KIND_SHM, text);
    return rc != 0 ? rc : shm_import(text, out);
}

/* ---- The kind table's row (common/kinds.h) -------------------------------------------------- */

void
xipc__shm_release(struct xipc_handle *h)
{
    struct xipc_shm *shm = (struct xipc_shm *)h;
    /* Unlink before close, as the sync families do: the other order could remove a name that
     * another process created after ours was gone. */
    if (xipc__owned_name_due(&shm->owner))
        xipc__os_shm_drop_name(&shm->os, shm->owner.name);
    xipc__os_shm_close(&shm->os);
    free(shm);
}

int
xipc__shm_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    const struct xipc_shm *shm = (const struct xipc_shm *)h;
    *count = xipc__os_shm_natives(&shm->os, natives);
    return xipc__os_shm_export(&shm->os, value, cap);
}

bool
xipc__shm_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_shm_holds(&((const struct xipc_shm *)h)->os, native);
}

void
xipc__shm_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    (void)h;
    w->how = XIPC__WAIT_NONE; /* bytes have no readiness: xipc/shm.h, "Waiting" */
}

/* ---- File mappings -------------------------------------------------------------------------- */

static int
check_filemap_args(const char *path, unsigned flags, uint64_t offset, size_t len)
{
    const unsigned known = XIPC_CREATE | XIPC_OPEN | XIPC_FILEMAP_WRITE | XIPC_FILEMAP_GROW;
    if (path == NULL || path[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "path: NULL or empty");
    if (flags & ~known)
        return XIPC__FAIL(XIPC_EINVAL, "flags: a flag a file mapping does not take");
    if (!(flags & (XIPC_CREATE | XIPC_OPEN)))
        return XIPC__FAIL(XIPC_EINVAL, "flags: neither XIPC_CREATE nor XIPC_OPEN");
    if ((flags & (XIPC_CREATE | XIPC_FILEMAP_GROW)) && !(flags & XIPC_FILEMAP_WRITE))
        return XIPC__FAIL(XIPC_EINVAL, "flags: XIPC_CREATE or _GROW without XIPC_FILEMAP_WRITE");
    if (len == 0)
        return XIPC__FAIL(XIPC_EINVAL, "len: 0");
    if ((uint64_t)len > (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX - (uint64_t)len)
        return XIPC__FAIL(XIPC_EINVAL, "offset + len: past the largest file offset");
    return 0;
}

int
xipc_filemap_open(const char *path, unsigned flags, uint64_t offset, size_t len, xipc_filemap **out)
{
    int rc;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if ((rc = check_filemap_args(path, flags, offset, len)) != 0)
        return rc;
    struct xipc_filemap *map = calloc(1, sizeof *map);
    if (map == NULL)
        return XIPC_ENOMEM;
    if ((rc = xipc__os_filemap_open(path, flags, offset, len, &map->os)) != 0) {
        free(map);
        return rc;
    }
    if ((rc = xipc__handle_register(&map->handle, XIPC_KIND_FILEMAP)) != 0) {
        xipc__os_filemap_close(&map->os);
        free(map);
        return rc;
    }
    *out = map;
    return 0;
}

void *
xipc_filemap_ptr(const xipc_filemap *map)
{
    return xipc__handle_check(map, XIPC_KIND_FILEMAP) == 0 ? map->os.ptr : NULL;
}

size_t
xipc_filemap_size(const xipc_filemap *map)
{
    return xipc__handle_check(map, XIPC_KIND_FILEMAP) == 0 ? map->os.size : 0;
}

int
xipc_filemap_flush(xipc_filemap *map, size_t offset, size_t len)
{
    xipc__error_clear();
    int rc = xipc__handle_check(map, XIPC_KIND_FILEMAP);
    if (rc != 0)
        return rc;
    size_t size = map->os.size;
    if (offset > size || len > size - offset)
        return XIPC__FAIL(XIPC_EINVAL, "offset + len: past the mapping's end");
    if (!map->os.writable)
        return 0; /* nothing was written through it */
    return xipc__os_filemap_flush(&map->os, offset, len == 0 ? size - offset : len);
}

void
xipc_filemap_close(xipc_filemap *map)
{
    xipc__handle_close(map, XIPC_KIND_FILEMAP);
}

xipc_handle *
xipc_filemap_handle(xipc_filemap *map)
{
    return map ? &map->handle : NULL;
}

void
xipc__filemap_release(struct xipc_handle *h)
{
    struct xipc_filemap *map = (struct xipc_filemap *)h;
    xipc__os_filemap_close(&map->os);
    free(map);
}

bool
xipc__filemap_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_filemap_holds(&((const struct xipc_filemap *)h)->os, native);
}

void
xipc__filemap_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    (void)h;
    w->how = XIPC__WAIT_NONE; /* bytes have no readiness */
}
