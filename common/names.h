/* common/names.h: the caller's named objects as the OS holds them, and what this platform is, for
 * the xipc command (`xipc ls`, `xipc rm`, `xipc info`) and its tests. Internal: the command links
 * the static library and calls these directly; they are no part of the public API, whose shape
 * they would fix before the families that still come have said what their names look like.
 *
 * A name is "live" while some process holds the object, "stale" when none does but the name
 * stays: POSIX keeps names in files after their creator died without closing (a named-pipe
 * socket whose lock nobody holds; an event, mutex, semaphore or section in /dev/shm that no
 * process has open or mapped). Windows drops every kernel object with its last handle, so there
 * a name is always live.
 *
 * posix/posix_names.c and win32/win32_names.c implement the xipc__os_ functions; common/names.c
 * the rest. A new family lists its names in both (see their comments) and removes them in
 * removals (common/names.c). */
#ifndef XIPC_COMMON_NAMES_H
#define XIPC_COMMON_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "xipc/base.h"

/* The kind of a name whose object cannot tell: a creator died while making it. */
#define XIPC__KIND_UNKNOWN ((enum xipc_kind)0)

struct xipc__name_entry {
    /* XIPC_KIND_NPIPE for a named-pipe server, else the object's kind, or XIPC__KIND_UNKNOWN */
    enum xipc_kind kind;
    char name[XIPC_NAME_MAX + 1]; /* as the caller gave it to _open or _listen */
    bool live; /* held by some process (see above) */
};

/* Called once per name found; a nonzero return stops the listing and is returned by it. */
typedef int (*xipc__name_visit)(const struct xipc__name_entry *entry, void *ctx);

/* Calls visit for each of the caller's named xipc objects (named-pipe servers, events,
 * semaphores, mutexes, shared memory sections, message queues), in no particular order. Names that
 * are not valid xipc names are skipped. Returns 0, visit's nonzero return, or a failure to read
 * the namespace: XIPC_EACCES (POSIX: the runtime directory is not the user's alone); XIPC_ENOTSUP
 * (Windows: the session's object directory cannot be read); XIPC_ENOMEM; XIPC_EOS. */
int xipc__os_names_list(xipc__name_visit visit, void *ctx);

/* Writes a line saying what the platform is ("Linux 6.1.0 x86_64, glibc 2.36", "Windows 10.0.19045
 * (Wine 8.0)") into buf (always NUL-terminated when cap > 0). Never fails. */
void xipc__os_platform_describe(char *buf, size_t cap);

/* Writes where the named objects of each family live here, one "family: place" line each, into
 * buf (always NUL-terminated when cap > 0). Returns 0, or the runtime directory's failure
 * (POSIX: XIPC_EACCES, XIPC_ENAMETOOLONG, XIPC_EOS), with buf still filled in. */
int xipc__os_namespace_describe(char *buf, size_t cap);

/* The kind's word ("event", "npipe"...) as export texts write it. */
const char *xipc__kind_word(enum xipc_kind kind);

/* Removes every stale name NAME holds, of whatever kind, with the family's own removal (its
 * _unlink; a named-pipe server's files by taking the name over and closing). Returns 0 (at least
 * one removed, and no live one left); XIPC_EBUSY (a live object holds the name: it is left
 * alone, whatever else was removed); XIPC_ENOENT (no object has the name); XIPC_EINVAL (bad
 * name); or the listing's or a removal's failure. *removed, which may be NULL, gets how many
 * names went. */
int xipc__names_remove_stale(const char *name, int *removed);

#endif /* XIPC_COMMON_NAMES_H */
