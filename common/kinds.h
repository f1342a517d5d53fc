/* common/kinds.h: the kind table. One row per kind of xipc object (enum xipc_kind, xipc/base.h)
 * names everything the handle layer (common/kinds.c) does with an object of that kind without
 * knowing its family: release it, pass it to a child, tell which native handles it holds, and
 * how a wait on it is made. A new family is a value in enum xipc_kind, a row here and its own
 * files; nothing in the handle layer switches on kinds.
 *
 * XX(KIND, text, release, pass, holds, waitable):
 *   KIND      the enum value without XIPC_KIND_.
 *   text      the kind's word in export texts, "xipc1:<text>:<value>". A child may be a build of
 *             another version: never change one.
 *   release   void (struct xipc_handle *h): closes whatever the object holds and frees it. The
 *             handle was checked and is already out of the registry (xipc__handle_close).
 *   pass      int (const struct xipc_handle *h, char *value, size_t cap,
 *                  intptr_t natives[XIPC__NATIVES_MAX], size_t *count):
 *             the value part of the object's export text, and the native handles a child must
 *             inherit for it (0 to XIPC__NATIVES_MAX). XIPC_ENOTSUP for an object that cannot be
 *             passed on (xipc__kind_not_passable for a whole kind), XIPC_ENAMETOOLONG when value
 *             does not fit in cap.
 *   holds     bool (const struct xipc_handle *h, intptr_t native): whether native is one of the
 *             OS handles the object holds, whatever for. Runs under the registry's lock (see
 *             xipc__os_stream_holds, common/platform.h).
 *   waitable  void (const struct xipc_handle *h, struct xipc__wait *w): how a wait on it is
 *             made, the platform's answer (common/platform.h, "Waiting on objects").
 * Event, semaphore and mutex share one shape and so one set of functions. */
#ifndef XIPC_COMMON_KINDS_H
#define XIPC_COMMON_KINDS_H

#include "platform.h"

#define XIPC__KIND_MAP(XX)                                                                         \
    XX(STREAM, "stream", xipc__stream_release, xipc__stream_pass, xipc__stream_holds,              \
        xipc__stream_waitable)                                                                     \
    XX(PROC, "proc", xipc__proc_release, xipc__kind_not_passable, xipc__proc_holds,                \
        xipc__proc_waitable)                                                                       \
    XX(EVENT, "event", xipc__sync_release, xipc__sync_pass, xipc__sync_holds, xipc__sync_waitable) \
    XX(SEM, "sem", xipc__sync_release, xipc__sync_pass, xipc__sync_holds, xipc__sync_waitable)     \
    XX(MUTEX, "mutex", xipc__sync_release, xipc__sync_pass, xipc__sync_holds, xipc__sync_waitable) \
    XX(NPIPE, "npipe", xipc__npipe_release, xipc__npipe_pass, xipc__npipe_holds,                   \
        xipc__npipe_waitable)                                                                      \
    XX(MSGPIPE, "msgpipe", xipc__msgpipe_release, xipc__msgpipe_pass, xipc__msgpipe_holds,         \
        xipc__msgpipe_waitable)                                                                    \
    XX(SHM, "shm", xipc__shm_release, xipc__shm_pass, xipc__shm_holds, xipc__shm_waitable)         \
    XX(FILEMAP, "filemap", xipc__filemap_release, xipc__kind_not_passable, xipc__filemap_holds,    \
        xipc__filemap_waitable)                                                                    \
    XX(LISTENER, "listener", xipc__listener_release, xipc__listener_pass, xipc__listener_holds,    \
        xipc__listener_waitable)                                                                   \
    XX(DGRAM, "dgram", xipc__dgram_release, xipc__dgram_pass, xipc__dgram_holds,                   \
        xipc__dgram_waitable)                                                                      \
    XX(MQ, "mq", xipc__mq_release, xipc__mq_pass, xipc__mq_holds, xipc__mq_waitable)

struct xipc_handle;
struct xipc__wait;

/* The prototypes of every function the table names (each family defines its own). */
#define XIPC__KIND_PROTOTYPES(KIND, text, release, pass, holds, waitable) \
    void release(struct xipc_handle *h);                                  \
    int pass(const struct xipc_handle *h, char *value, size_t cap,        \
        intptr_t natives[XIPC__NATIVES_MAX], size_t *count);              \
    bool holds(const struct xipc_handle *h, intptr_t native);             \
    void waitable(const struct xipc_handle *h, struct xipc__wait *w);
XIPC__KIND_MAP(XIPC__KIND_PROTOTYPES)
#undef XIPC__KIND_PROTOTYPES

/* ---- The handle layer (common/kinds.c) ------------------------------------------------------ */

/* The public _close of every kind: nothing for NULL or a pointer that is not a live handle of
 * this kind; otherwise takes it out of the registry, then releases it (the table's release). */
void xipc__handle_close(void *obj, enum xipc_kind kind);

/* The export text of h, a live handle, into text (cap bytes), and the native handles a child must
 * inherit for it (the table's pass): 0, XIPC_ENOTSUP for an object that cannot be passed on, or
 * XIPC_ENAMETOOLONG when cap is too small (XIPC_HANDLE_TEXT_MAX never is). text is empty on
 * failure. */
int xipc__handle_pass(const struct xipc_handle *h, char *text, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count);

/* Whether the live handle h holds native (the table's holds). */
bool xipc__handle_holds(const struct xipc_handle *h, intptr_t native);

/* How a wait on the live handle h is made (the table's waitable). */
void xipc__handle_waitable(const struct xipc_handle *h, struct xipc__wait *w);

/* Export texts are "xipc1:<kind>:<value>", the value kind-specific. The value part of a text of
 * the given kind, or NULL when the text is of another kind or malformed. */
const char *xipc__handle_text_value(const char *text, enum xipc_kind kind);

/* Numbered inherited handles (common/proc.c): xipc_spawn puts the export texts of
 * xipc_spawn_opts.handles, in order and separated by spaces (no text holds one), into the
 * child's environment variable XIPC__INHERITED_VAR. The text at index, which must be of kind,
 * into text: 0, XIPC_ENOENT past the end, XIPC_EINVAL for a text of another kind or longer than
 * any export text, XIPC_ENOMEM. */
#define XIPC__INHERITED_VAR "XIPC_INHERITED"
int xipc__inherited_text(size_t index, enum xipc_kind kind, char text[XIPC_HANDLE_TEXT_MAX]);

/* The pass of a kind that cannot be passed to a child in this version: XIPC_ENOTSUP. */
int xipc__kind_not_passable(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count);

#endif /* XIPC_COMMON_KINDS_H */
