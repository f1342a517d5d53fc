/* xipc/shm.h: shared memory sections between processes, named or anonymous.
 *
 * A section is a block of bytes that every process holding it maps, at an address of its own.
 * It holds the caller's bytes and nothing else: xipc keeps no header inside it, so a program that
 * never heard of xipc maps the same bytes under the same name. POSIX: a real shm_open("/NAME")
 * object, which Python's multiprocessing.shared_memory.SharedMemory(name="NAME") opens; anonymous
 * sections are a memfd. Windows: a paging-file section named L"Local\\NAME", which
 * OpenFileMappingW opens; anonymous sections have no name.
 *
 * Names follow xipc_name_check(). Creating and opening, with the flags every named family shares
 * (xipc/base.h):
 *   XIPC_CREATE              create; XIPC_EEXIST if the name exists (also a stale name left by
 *                            a process that died: remove it with xipc_shm_unlink)
 *   XIPC_OPEN                open an existing section; XIPC_ENOENT if there is none
 *   XIPC_CREATE | XIPC_OPEN  open it if it exists, else create it
 *   XIPC_SHM_READONLY        with XIPC_OPEN alone: map it read-only. A write through the pointer
 *                            then faults (the process dies of SIGSEGV or an access violation).
 * With a NULL name (an anonymous section) neither is needed: it is always new.
 *
 * Size: the creator gives it (> 0) and every opener learns it exactly, on both platforms, as
 * xipc_shm_size. An opener may give 0 (any size) or the size it needs, which an existing section
 * must have at least. The bytes start zeroed. An opener racing the creator never maps a section
 * whose size is not set yet: it waits, at most 2 s, for the creator to finish (POSIX: a section
 * still empty after that is XIPC_ECORRUPT, a creator that died half way). Windows reports a
 * section's size in whole pages, so xipc makes the section 16 bytes larger than asked and keeps
 * the exact size in those last 16 bytes, past the caller's (at most one page more memory); a
 * program other than xipc sees the whole pages. A section such a program made has no such
 * trailer: xipc reports its size in whole pages, after the 2 s wait.
 *
 * Lifetime (as the sync families, xipc/sync.h): the name belongs to the creator. Closing the
 * handle that created a named section, in the process that created it, removes the name (POSIX:
 * shm_unlink; Windows: the name lives on only while some handle is open); every handle already
 * open, and its mapping, keeps working until closed. A creator that dies without closing leaves
 * the name behind on POSIX (not on Windows): xipc_shm_unlink removes it.
 *
 * Security: named sections are owner-only (POSIX mode 0600; Windows a DACL for the user and
 * SYSTEM). POSIX: opening or unlinking a section another user owns, one that grants access to
 * group or others, or a symbolic link at the name, is XIPC_EACCES; something of ours at the name
 * that is not a regular file is XIPC_ECORRUPT. Nothing xipc does to look at a name blocks on what
 * it finds there or follows a link.
 *
 * Passing on: a section listed in xipc_spawn_opts.handles reaches the child, which fetches it by
 * index (xipc_shm_inherited) or imports its export text (xipc_shm_import); the child maps it with
 * the access the parent's handle has. An import checks at once, before it changes anything, that
 * the native it names is open (XIPC_EBADF), is a section (XIPC_EINVAL) as large as the text says,
 * and is not held by a handle of this process already (XIPC_EEXIST).
 *
 * Errors every call of this header may return besides those it names: XIPC_EINVAL for a NULL
 * handle or a handle of another kind, and XIPC_EBADF for a closed one.
 *
 * Threads: every call may be used from several threads on the same handle, except _close.
 *
 * Waiting: a section has nothing to wait on (xipc_handle_native: XIPC_ENOTSUP). Use an event or
 * semaphore beside it.
 *
 * File mappings (xipc_filemap, below) map a range of a file instead: POSIX open + mmap, Windows
 * CreateFileW + CreateFileMappingW + MapViewOfFile.
 */
#ifndef XIPC_SHM_H
#define XIPC_SHM_H

#include "xipc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_shm xipc_shm;

/* Map the section read-only; only with XIPC_OPEN alone. */
#define XIPC_SHM_READONLY 0x100u

/* Creates or opens a section of size bytes (name NULL: a new anonymous one) and maps it.
 * Returns 0;
 * XIPC_EINVAL (bad name; a name given without XIPC_CREATE or XIPC_OPEN, or XIPC_OPEN alone
 *   without a name; an unknown flag; XIPC_SHM_READONLY with XIPC_CREATE or without a name; size
 *   0 where the section is created; an existing section smaller than size; NULL out; Windows: a
 *   name held by another kind of object);
 * XIPC_EEXIST (create-only: the name is taken);
 * XIPC_ENOENT (open-only: no such name);
 * XIPC_EACCES (see "Security");
 * XIPC_ECORRUPT (POSIX: what the name holds is not a regular file, or stayed empty for 2 s: a
 *   creator died before it set the size, unlink it; Windows: the size trailer disagrees with the
 *   section's size);
 * XIPC_EBUSY (POSIX, XIPC_CREATE | XIPC_OPEN: others kept creating and removing the name
 *   throughout the open's tries);
 * XIPC_ENOMEM (the system cannot give or map that many bytes, or a size past what a file offset
 *   holds); XIPC_ENOSPC (no room for it: /dev/shm, the paging file); XIPC_EMFILE; XIPC_ENFILE;
 * XIPC_EOS (another OS failure: xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_shm_open(const char *name, unsigned flags, size_t size, xipc_shm **out);

/* The address of the section's first byte in this process, valid until xipc_shm_close; NULL for
 * a NULL, closed or other kind's handle (no XIPC_E* code: a pointer is returned). */
XIPC_API void *xipc_shm_ptr(const xipc_shm *shm);

/* The section's size, exactly as its creator asked; 0 for a NULL, closed or other kind's
 * handle. */
XIPC_API size_t xipc_shm_size(const xipc_shm *shm);

/* Unmaps the section and closes the handle (see "Lifetime"): the pointer is dead afterwards.
 * NULL, or a handle closed already, is a no-op. */
XIPC_API void xipc_shm_close(xipc_shm *shm);

/* Removes a name, for instance one left behind by a process that died. Handles already open keep
 * working. Returns 0; XIPC_ENOENT (no such name); XIPC_EINVAL (bad name; Windows: the name holds
 * another kind of object); XIPC_EACCES (POSIX: not ours to remove, see "Security"); XIPC_EOS
 * (another OS failure: xipc_last_os_error). Windows: names never outlive their handles, so this
 * returns XIPC_ENOENT unless the section is still open, in which case it returns 0 and does
 * nothing. */
XIPC_API int xipc_shm_unlink(const char *name);

/* The section as a generic handle, for xipc_spawn_opts.handles, xipc_handle_export() and
 * xipc_handle_kind(). NULL for NULL. */
XIPC_API xipc_handle *xipc_shm_handle(xipc_shm *shm);

/* In a child: the section behind an export text (see "Passing on"), mapped. Returns 0;
 * XIPC_EINVAL (NULL argument, a malformed text or one of another kind, a native that is not a
 * section or smaller than the text says); XIPC_EBADF (nothing open under the native the text
 * names); XIPC_EEXIST (a handle of this process holds it already: the text was imported before);
 * XIPC_ENOMEM (no room to map it); XIPC_EOS (another OS failure: xipc_last_os_error). *out is
 * NULL on failure. */
XIPC_API int xipc_shm_import(const char *text, xipc_shm **out);

/* In a spawned child: imports (as xipc_shm_import) the section the parent listed at this index of
 * xipc_spawn_opts.handles (xipc/proc.h, "Passing handles"). Returns 0; XIPC_ENOENT (index is not
 * below xipc_inherited_count()); XIPC_EINVAL (NULL out; the handle at index is of another kind);
 * XIPC_EEXIST (fetched or imported already); and the other codes of xipc_shm_import. *out is
 * NULL on failure. */
XIPC_API int xipc_shm_inherited(size_t index, xipc_shm **out);

/* ---- File mappings -------------------------------------------------------------------------- */

/* A range of a file mapped into this process. Every process that maps the same file sees the
 * others' writes through its mapping at once (both platforms map the file's own pages);
 * xipc_filemap_flush makes them durable. Any offset works: the OS maps from a boundary at or
 * before it (POSIX a page, Windows the 64 KiB allocation granularity) and xipc hands back the
 * address of the byte at the offset asked for. A mapping cannot be passed to a child
 * (xipc_handle_export: XIPC_ENOTSUP): the child maps the path itself. The mapping stays valid
 * after the file is renamed or removed. A mapping has nothing to wait on. */
typedef struct xipc_filemap xipc_filemap;

/* File mapping flags, with XIPC_CREATE (create the file, 0600 on POSIX; XIPC_EEXIST if it
 * exists) and XIPC_OPEN (an existing file; XIPC_ENOENT if there is none), one or both: */
#define XIPC_FILEMAP_WRITE 0x100u /* map read-write; without it, read-only (a write faults) */
#define XIPC_FILEMAP_GROW  0x200u /* with _WRITE: extend a shorter file to offset + len */

/* Maps len bytes of the file at path (UTF-8) from offset. With XIPC_CREATE (alone, or with
 * XIPC_OPEN on a file that exists) a file shorter than offset + len is extended to it, as a new
 * one must be (the new bytes read as zero); XIPC_CREATE needs XIPC_FILEMAP_WRITE. Returns 0;
 * XIPC_EINVAL (NULL or empty path or out; neither XIPC_CREATE nor XIPC_OPEN; an unknown flag;
 * XIPC_FILEMAP_GROW or XIPC_CREATE without XIPC_FILEMAP_WRITE; len 0; offset + len past the
 * largest file offset; a file shorter than offset + len without XIPC_FILEMAP_GROW; a path that is
 * not a regular file); XIPC_ENOENT; XIPC_EEXIST; XIPC_EACCES (the OS refused the access asked);
 * XIPC_EISDIR (POSIX: a directory); XIPC_ENOTDIR (a part of the path is no directory);
 * XIPC_ENAMETOOLONG; XIPC_ENOMEM (no room in the address space for len bytes);
 * XIPC_ENOSPC (the file cannot grow that far: the disk, or the file system's largest file);
 * XIPC_EMFILE; XIPC_ENFILE; XIPC_EOS (another OS failure: xipc_last_os_error). *out is NULL on
 * failure. */
XIPC_API int xipc_filemap_open(
    const char *path, unsigned flags, uint64_t offset, size_t len, xipc_filemap **out);

/* The address of the byte at the offset the mapping was opened at; NULL for a NULL, closed or
 * other kind's handle. */
XIPC_API void *xipc_filemap_ptr(const xipc_filemap *map);

/* The mapping's length, len as opened; 0 for a NULL, closed or other kind's handle. */
XIPC_API size_t xipc_filemap_size(const xipc_filemap *map);

/* Writes the len bytes from offset (both relative to the mapping; len 0: to its end) to the file
 * and waits until the storage has them: POSIX msync(MS_SYNC); Windows FlushViewOfFile, then
 * FlushFileBuffers. A read-only mapping has nothing to write: 0. Returns 0; XIPC_EINVAL (NULL
 * or other kind's handle; offset + len past the mapping); XIPC_EBADF (closed handle); XIPC_EIO
 * (the storage failed); XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_filemap_flush(xipc_filemap *map, size_t offset, size_t len);

/* Unmaps and closes, without flushing (the OS writes the pages back in its own time). NULL, or a
 * handle closed already, is a no-op. */
XIPC_API void xipc_filemap_close(xipc_filemap *map);

/* The mapping as a generic handle, for xipc_handle_kind(). NULL for NULL. */
XIPC_API xipc_handle *xipc_filemap_handle(xipc_filemap *map);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_SHM_H */
