/* win32/win32_shm.c: shared memory sections and file mappings (common/platform.h, "Shared memory
 * sections", "File mappings").
 *
 * A named section is a paging-file section named L"Local\\NAME", so that a program calling
 * OpenFileMappingW on that name shares it.
 *
 * The exact size. Windows keeps a paging-file section's size in whole pages (ZwCreateSection
 * "rounds this value up to the nearest multiple of PAGE_SIZE"), and VirtualQuery reports a view in
 * pages too, so an opener cannot learn from the OS what the creator asked for. xipc makes the
 * section SIZE_TRAILER bytes larger than asked and keeps the size in its last bytes, the
 * trailer, past the caller's bytes (at most a page more memory). The creator writes the size,
 * then the magic. Every opener maps the whole section and finds the trailer at the end of its
 * view, whose length (in pages) is the same for all. The trailer lives in the section itself, so
 * it always describes the section of the name, however often the name is made and dropped, and
 * costs no object of its own: a section is the two calls a raw program makes. An opener that
 * arrives before the creator has written the trailer waits for the magic, at most
 * XIPC__SHM_INIT_WAIT_MS; a section that a program other than xipc made never gets one, and
 * after the wait the opener takes the size of its view, in whole pages. */
#include "win32_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "XIPCSHM" and the trailer's version, 1. */
#define TRAILER_MAGIC 0x014d485343504958LL

struct size_trailer {
    volatile LONG64 magic; /* TRAILER_MAGIC once size is written; 0 before */
    volatile LONG64 size; /* the size the creator asked for */
};
#define SIZE_TRAILER sizeof(struct size_trailer)

/* A failed CreateFileMappingW or OpenFileMappingW on a name. Windows reports a name held by
 * another kind of object as ERROR_INVALID_HANDLE: XIPC_EINVAL, as for the sync kinds. A size the
 * system cannot give is ERROR_COMMITMENT_LIMIT or ERROR_NOT_ENOUGH_MEMORY (XIPC_ENOMEM in the
 * table), ERROR_DISK_FULL (XIPC_ENOSPC), or, for a size past what a section can have at all,
 * ERROR_INVALID_PARAMETER, which is XIPC_ENOMEM here: the size was the only parameter left. */
static int
section_failure(DWORD werr, const char *call, const char *name)
{
    int rc = XIPC__OS_FAIL(werr, call, name);
    if (werr == ERROR_INVALID_HANDLE)
        return XIPC_EINVAL;
    return werr == ERROR_INVALID_PARAMETER ? XIPC_ENOMEM : rc;
}

/* A paging-file section of size bytes and the trailer (size was checked to leave room). */
static HANDLE
create_section(SECURITY_ATTRIBUTES *sa, size_t size, const wchar_t *wname)
{
    unsigned long long n = (unsigned long long)size + SIZE_TRAILER;
    return CreateFileMappingW(INVALID_HANDLE_VALUE, sa, PAGE_READWRITE, (DWORD)(n >> 32),
        (DWORD)(n & 0xffffffffu), wname);
}

/* Maps the whole section; *pages gets the view's size, in whole pages. */
static int
map_whole(HANDLE section, bool read_only, const char *name, void **ptr, size_t *pages)
{
    MEMORY_BASIC_INFORMATION mbi;
    void *view = MapViewOfFile(section, read_only ? FILE_MAP_READ : FILE_MAP_WRITE, 0, 0, 0);
    if (view == NULL) {
        /* The whole of an open section: an invalid parameter can only be its size. */
        DWORD werr = GetLastError();
        int rc = XIPC__OS_FAIL(werr, "MapViewOfFile", name);
        return werr == ERROR_INVALID_PARAMETER ? XIPC_ENOMEM : rc;
    }
    if (VirtualQuery(view, &mbi, sizeof mbi) != sizeof mbi) {
        int rc = XIPC__OS_FAIL(GetLastError(), "VirtualQuery", name);
        (void)UnmapViewOfFile(view);
        return rc;
    }
    *ptr = view;
    *pages = mbi.RegionSize;
    return 0;
}

/* Creates and/or opens the section L"Local\\NAME" as flags ask. *fresh: this call made it. */
static int
open_section(const char *name, unsigned flags, size_t size, SECURITY_ATTRIBUTES *sa, HANDLE *out,
    bool *fresh)
{
    wchar_t wname[XIPC__WIN32_OBJECT_NAME_CAP];
    unsigned how = flags & (XIPC_CREATE | XIPC_OPEN);
    int rc = xipc__win32_object_name(name, L"", wname);
    *fresh = false;
    if (rc != 0)
        return rc;
    if (how == XIPC_OPEN) {
        DWORD access = FILE_MAP_READ | ((flags & XIPC_SHM_READONLY) ? 0 : FILE_MAP_WRITE);
        if ((*out = OpenFileMappingW(access, FALSE, wname)) == NULL)
            return section_failure(GetLastError(), "OpenFileMappingW", name);
        return 0;
    }
    /* A Create call that makes a new object need not clear the last error (MSDN promises only
     * ERROR_ALREADY_EXISTS for an existing one), so clear it first. */
    SetLastError(ERROR_SUCCESS);
    HANDLE h = create_section(sa, size, wname);
    DWORD werr = GetLastError();
    if (h == NULL)
        return section_failure(werr, "CreateFileMappingW", name);
    if (werr == ERROR_ALREADY_EXISTS && how == XIPC_CREATE) {
        (void)CloseHandle(h);
        return XIPC__OS_FAIL(ERROR_ALREADY_EXISTS, "CreateFileMappingW", name);
    }
    *out = h;
    *fresh = werr != ERROR_ALREADY_EXISTS;
    return 0;
}

static struct size_trailer *
trailer_of(void *view, size_t pages)
{
    return (struct size_trailer *)(void *)((unsigned char *)view + pages - SIZE_TRAILER);
}

/* The exact size of a section an opener found, whose view is `pages` long: the trailer's, once
 * its creator wrote it; the view's when no xipc creator ever will (see the top of this file).
 * XIPC_ECORRUPT for a trailer that disagrees with the section. */
static int
await_trailer(const struct size_trailer *t, size_t pages, size_t *size)
{
    SYSTEM_INFO si;
    LONG64 magic = 0;
    GetSystemInfo(&si);
    for (unsigned waited = 0; waited < XIPC__SHM_INIT_WAIT_MS; waited++) {
        /* A plain read: the view may be read-only, where even an interlocked compare that changes
         * nothing is a write and faults. The barrier orders the size's read after it. */
        magic = t->magic;
        MemoryBarrier();
        if (magic == TRAILER_MAGIC)
            break;
        xipc__os_sleep_ms(1);
    }
    if (magic != TRAILER_MAGIC) {
        *size = pages;
        return 0;
    }
    LONG64 n = t->size;
    if (n <= 0 || (unsigned long long)n > pages - SIZE_TRAILER ||
        pages - SIZE_TRAILER - (size_t)n >= si.dwPageSize)
        return XIPC__FAIL(XIPC_ECORRUPT, "name: a size trailer that does not fit the section");
    *size = (size_t)n;
    return 0;
}

/* The trailer's part of an open: the creator writes the size, an opener reads it. */
static int
settle_size(bool fresh, size_t size, size_t pages, struct xipc__os_shm *s)
{
    struct size_trailer *t = trailer_of(s->ptr, pages);
    if (fresh) {
        t->size = (LONG64)size;
        (void)InterlockedExchange64(&t->magic, TRAILER_MAGIC);
        s->size = size;
        return 0;
    }
    int rc = await_trailer(t, pages, &s->size);
    if (rc != 0)
        return rc;
    return s->size < size ? XIPC__FAIL(XIPC_EINVAL, "size: more than the existing section holds")
                          : 0;
}

int
xipc__os_shm_open(
    const char *name, unsigned flags, size_t size, struct xipc__os_shm *s, bool *created)
{
    SECURITY_ATTRIBUTES sa;
    HANDLE h = NULL;
    bool fresh = true, read_only = (flags & XIPC_SHM_READONLY) != 0;
    size_t pages = 0;
    int rc;
    *created = false;
    if (size > SIZE_MAX / 2)
        return XIPC__FAIL(XIPC_ENOMEM, "size: more than any address space holds");
    if ((rc = xipc__win32_owner_only_sa(&sa)) != 0)
        return rc;
    if (name == NULL) {
        if ((h = create_section(&sa, size, NULL)) == NULL)
            return section_failure(GetLastError(), "CreateFileMappingW", NULL);
    } else if ((rc = open_section(name, flags, size, &sa, &h, &fresh)) != 0) {
        return rc;
    }
    s->section = h;
    s->read_only = read_only;
    s->size = size;
    rc = map_whole(h, read_only, name, &s->ptr, &pages);
    if (rc == 0)
        rc = settle_size(fresh, size, pages, s);
    if (rc != 0) {
        xipc__os_shm_close(s);
        return rc;
    }
    *created = fresh && name != NULL;
    return 0;
}

void
xipc__os_shm_close(struct xipc__os_shm *s)
{
    if (s->ptr != NULL)
        (void)UnmapViewOfFile(s->ptr);
    if (s->section != NULL)
        (void)CloseHandle(s->section);
    memset(s, 0, sizeof *s);
}

/* Windows removes a name with the section's last handle and offers no other way: the probe only
 * tells whether the name is in use. */
int
xipc__os_shm_unlink(const char *name)
{
    wchar_t wname[XIPC__WIN32_OBJECT_NAME_CAP];
    int rc = xipc__win32_object_name(name, L"", wname);
    if (rc != 0)
        return rc;
    HANDLE h = OpenFileMappingW(FILE_MAP_READ, FALSE, wname);
    if (h == NULL)
        return section_failure(GetLastError(), "OpenFileMappingW", name);
    (void)CloseHandle(h);
    return 0;
}

void
xipc__os_shm_drop_name(const struct xipc__os_shm *s, const char *name)
{
    (void)s;
    (void)name;
}

/* "HANDLE,SIZE" for a section the child may write, "HANDLE,SIZE,r" for a read-only one: the text
 * carries the size, so that the child need not wait for a trailer. */
int
xipc__os_shm_export(const struct xipc__os_shm *s, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%llu,%llu%s", (unsigned long long)(uintptr_t)s->section,
        (unsigned long long)s->size, s->read_only ? ",r" : "");
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return XIPC_ENAMETOOLONG;
    }
    return 0;
}

/* Parses "HANDLE,SIZE[,r]". */
static int
parse_value(const char *value, intptr_t *native, size_t *size, bool *read_only)
{
    const char *comma = strchr(value, ',');
    intptr_t n = 0;
    if (comma == NULL || xipc__parse_native(value, comma, native) != 0)
        return XIPC_EINVAL;
    const char *flag = strchr(comma + 1, ',');
    if (xipc__parse_native(comma + 1, flag, &n) != 0 || n <= 0)
        return XIPC_EINVAL;
    if (flag != NULL && strcmp(flag, ",r") != 0)
        return XIPC_EINVAL;
    *size = (size_t)n;
    *read_only = flag != NULL;
    return 0;
}

int
xipc__os_shm_import(const char *value, struct xipc__os_shm *s)
{
    intptr_t native = 0;
    size_t size = 0, pages = 0;
    bool read_only = false;
    void *view = NULL;
    int rc = parse_value(value, &native, &size, &read_only);
    if (rc != 0 || (rc = xipc__win32_check_inherited(native, L"Section")) != 0)
        return rc;
    if ((rc = map_whole((HANDLE)native, read_only, "inherited handle", &view, &pages)) != 0)
        return rc == XIPC_EACCES ? XIPC_EINVAL : rc;
    if (pages < size) {
        (void)UnmapViewOfFile(view);
        return XIPC__FAIL(XIPC_EINVAL, "text: a size larger than the section it names");
    }
    if ((rc = xipc__win32_disinherit(native)) != 0) {
        (void)UnmapViewOfFile(view);
        return rc;
    }
    s->ptr = view;
    s->size = size;
    s->section = (HANDLE)native;
    s->read_only = read_only;
    return 0;
}

size_t
xipc__os_shm_natives(const struct xipc__os_shm *s, intptr_t out[XIPC__NATIVES_MAX])
{
    out[0] = (intptr_t)s->section;
    return 1;
}

bool
xipc__os_shm_holds(const struct xipc__os_shm *s, intptr_t native)
{
    HANDLE h = (HANDLE)native;
    return h != NULL && h == s->section;
}

/* ---- File mappings -------------------------------------------------------------------------- */

int
xipc__win32_open_file(const char *path, unsigned flags, DWORD access, DWORD attributes, HANDLE *out)
{
    static const DWORD disposition[] = { 0, CREATE_NEW, OPEN_EXISTING, OPEN_ALWAYS };
    SECURITY_ATTRIBUTES sa;
    wchar_t *wpath = NULL;
    int rc = xipc__win32_owner_only_sa(&sa);
    if (rc != 0 || (rc = xipc__win32_utf8_to_wide(path, &wpath)) != 0)
        return rc;
    /* The owner-only DACL applies only to a file this call creates. */
    HANDLE h = CreateFileW(wpath, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
        &sa, disposition[flags & (XIPC_CREATE | XIPC_OPEN)], attributes, NULL);
    free(wpath);
    if (h == INVALID_HANDLE_VALUE)
        return XIPC__OS_FAIL(GetLastError(), "CreateFileW", path);
    if (GetFileType(h) != FILE_TYPE_DISK) {
        (void)CloseHandle(h);
        return XIPC__FAIL(XIPC_EINVAL, "path: not a regular file");
    }
    *out = h;
    return 0;
}

/* Checks that the file holds end bytes. A shorter one grows when flags have XIPC_FILEMAP_GROW or
 * XIPC_CREATE (xipc/shm.h): the section, made end bytes long, extends the file (CreateFileMappingW: "If this parameter ... is
 * larger than the size of the file, the file is extended"). */
static int
check_file_size(HANDLE file, const char *path, unsigned flags, uint64_t end)
{
    LARGE_INTEGER size;
    if (!GetFileSizeEx(file, &size))
        return XIPC__OS_FAIL(GetLastError(), "GetFileSizeEx", path);
    if ((uint64_t)size.QuadPart >= end || (flags & (XIPC_FILEMAP_GROW | XIPC_CREATE)))
        return 0;
    return XIPC__FAIL(XIPC_EINVAL, "offset + len: past the file's end (XIPC_FILEMAP_GROW)");
}

/* Maps [offset - delta, offset + len) of the file through a section closed at once: the view
 * keeps it. A file that cannot grow so far fails with ERROR_DISK_FULL (XIPC_ENOSPC) or, past
 * the largest section, ERROR_INVALID_PARAMETER (XIPC_ENOSPC too: the size was the only
 * parameter left). */
static int
map_file(HANDLE file, const char *path, bool writable, uint64_t offset, size_t len, size_t delta,
    void **view)
{
    uint64_t end = offset + len, start = offset - delta;
    HANDLE section = CreateFileMappingW(file, NULL, writable ? PAGE_READWRITE : PAGE_READONLY,
        (DWORD)(end >> 32), (DWORD)(end & 0xffffffffu), NULL);
    if (section == NULL) {
        DWORD werr = GetLastError();
        int rc = XIPC__OS_FAIL(werr, "CreateFileMappingW", path);
        return werr == ERROR_INVALID_PARAMETER ? XIPC_ENOSPC : rc;
    }
    *view = MapViewOfFile(section, writable ? FILE_MAP_WRITE : FILE_MAP_READ, (DWORD)(start >> 32),
        (DWORD)(start & 0xffffffffu), len + delta);
    DWORD werr = GetLastError();
    (void)CloseHandle(section);
    return *view != NULL ? 0 : XIPC__OS_FAIL(werr, "MapViewOfFile", path);
}

int
xipc__os_filemap_open(
    const char *path, unsigned flags, uint64_t offset, size_t len, struct xipc__os_filemap *m)
{
    SYSTEM_INFO si;
    HANDLE file = NULL;
    void *view = NULL;
    bool writable = (flags & XIPC_FILEMAP_WRITE) != 0;
    GetSystemInfo(&si);
    /* Views start at the allocation granularity (64 KiB), not at a page. */
    size_t delta = (size_t)(offset % si.dwAllocationGranularity);
    DWORD access = GENERIC_READ | (writable ? GENERIC_WRITE : 0);
    int rc = xipc__win32_open_file(path, flags, access, FILE_ATTRIBUTE_NORMAL, &file);
    if (rc != 0)
        return rc;
    if ((rc = check_file_size(file, path, flags, offset + len)) == 0 && len > SIZE_MAX - delta)
        rc = XIPC__FAIL(XIPC_ENOMEM, "len: more than this process can map");
    if (rc == 0)
        rc = map_file(file, path, writable, offset, len, delta, &view);
    if (rc != 0) {
        (void)CloseHandle(file);
        return rc;
    }
    m->base = view;
    m->ptr = (unsigned char *)view + delta;
    m->size = len;
    m->file = file;
    m->writable = writable;
    return 0;
}

int
xipc__os_filemap_flush(struct xipc__os_filemap *m, size_t offset, size_t len)
{
    /* FlushViewOfFile starts the writes; FlushFileBuffers waits for them and the metadata. */
    if (!FlushViewOfFile((unsigned char *)m->ptr + offset, len))
        return XIPC__OS_FAIL(GetLastError(), "FlushViewOfFile", NULL);
    if (!FlushFileBuffers(m->file))
        return XIPC__OS_FAIL(GetLastError(), "FlushFileBuffers", NULL);
    return 0;
}

void
xipc__os_filemap_close(struct xipc__os_filemap *m)
{
    if (m->base != NULL)
        (void)UnmapViewOfFile(m->base);
    if (m->file != NULL)
        (void)CloseHandle(m->file);
    memset(m, 0, sizeof *m);
}

bool
xipc__os_filemap_holds(const struct xipc__os_filemap *m, intptr_t native)
{
    return native != 0 && (HANDLE)native == m->file;
}
