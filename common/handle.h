/* common/handle.h: the header every xipc object starts with, and the registry of live handles
 * that lets a call on a closed handle fail with XIPC_EBADF instead of touching freed memory. */
#ifndef XIPC_COMMON_HANDLE_H
#define XIPC_COMMON_HANDLE_H

#include "kinds.h"
#include "platform.h"
#include "xipc/fifo.h"
#include "xipc/npipe.h"
#include "xipc/pipe.h"
#include "xipc/proc.h"
#include "xipc/shm.h"
#include "xipc/sync.h"

/* First member of every object, so that a pointer to the object is a pointer to its handle. */
struct xipc_handle {
    enum xipc_kind kind;
};

/* What a stream end may do. */
#define XIPC__STREAM_READ  0x1u
#define XIPC__STREAM_WRITE 0x2u

struct xipc_stream {
    struct xipc_handle handle;
    unsigned caps; /* XIPC__STREAM_* */
    struct xipc__os_stream os;
    /* A FIFO end whose open created the FIFO (common/fifo.c): its path, malloc'd, which closing
     * the stream in the process that opened it (creator_pid) removes. NULL for any other. */
    char *fifo_path;
    uint64_t creator_pid;
};

struct xipc_proc {
    struct xipc_handle handle;
    struct xipc__os_proc os;
};

struct xipc_npipe {
    struct xipc_handle handle;
    unsigned mode; /* XIPC_NPIPE_BYTE or XIPC_NPIPE_MESSAGE */
    struct xipc__os_npipe os;
};

struct xipc_msgpipe {
    struct xipc_handle handle;
    struct xipc__os_stream os;
};

/* Allocates and registers a stream around an open OS stream with the given capabilities; on
 * failure closes os. (common/stream.c) */
int xipc__stream_wrap(struct xipc__os_stream *os, unsigned caps, struct xipc_stream **out);

/* The stream behind an export text that a peer just passed (xipc_stream_receive), *out set on
 * success only: xipc_stream_import's checks, through xipc__os_stream_adopt_passed. */
int xipc__stream_import_passed(const char *text, xipc_stream **out);

/* ---- Named objects (common/name.c) ---------------------------------------------------------- */

/* The name a handle's open created, for every named family whose creator owns the name
 * (xipc/base.h): closing that handle in the process that created it (creator_pid) removes the
 * name; a child that got the handle by fork does not. owns is false for any other handle. */
struct xipc__owned_name {
    bool owns;
    uint64_t creator_pid;
    char name[XIPC_NAME_MAX + 1];
};

/* Records that this process's open created name (checked, without its leading '/'). */
void xipc__owned_name_take(struct xipc__owned_name *o, const char *name);

/* Whether closing the handle here must remove the name: it created it, in this process. */
bool xipc__owned_name_due(const struct xipc__owned_name *o);

/* The name without its one optional leading '/' (NULL stays NULL). */
const char *xipc__bare_name(const char *name);

/* The checks of a named family's _open on name and flags: flags holds only XIPC_CREATE,
 * XIPC_OPEN and own_flags; a name needs at least one of the two and passes xipc_name_check; NULL
 * (anonymous) is refused with XIPC_OPEN alone. 0 or XIPC_EINVAL, the reason recorded. */
int xipc__named_open_check(const char *name, unsigned flags, unsigned own_flags);

/* Events, semaphores and mutexes share one shape; the public types stay distinct. */
struct xipc__sync {
    struct xipc_handle handle;
    struct xipc__owned_name owner;
    struct xipc__os_sync os;
};

struct xipc_event {
    struct xipc__sync sync;
};
struct xipc_sem {
    struct xipc__sync sync;
};
struct xipc_mutex {
    struct xipc__sync sync;
};

/* A shared section and a file mapping (common/shm.c). */
struct xipc_shm {
    struct xipc_handle handle;
    struct xipc__owned_name owner;
    struct xipc__os_shm os;
};

struct xipc_filemap {
    struct xipc_handle handle;
    struct xipc__os_filemap os;
};

/* Adds a new object to the registry, under the process-wide lock. Sets h->kind first: the
 * check reads a live handle's kind from there. XIPC_ENOMEM if the registry cannot grow. */
int xipc__handle_register(struct xipc_handle *h, enum xipc_kind kind);

/* Removes it, under the process-wide lock; after this, xipc__handle_check() on the pointer gives
 * XIPC_EBADF. Call it before freeing the object. */
void xipc__handle_unregister(struct xipc_handle *h);

/* 0 if h is a live handle of the given kind; XIPC_EINVAL for NULL or another kind; XIPC_EBADF
 * for a pointer that is not (or no longer) a live handle. Never dereferences a pointer it does
 * not find in the registry. Pass kind 0 to accept any kind. Takes no lock for a live handle, so
 * calls on live handles in several threads do not wait for each other; only a pointer it does
 * not find is looked up again under the process-wide lock. */
int xipc__handle_check(const void *h, enum xipc_kind kind);

#endif /* XIPC_COMMON_HANDLE_H */
