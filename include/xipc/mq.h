/* xipc/mq.h: message queues between processes, in shared memory, the same on both platforms.
 *
 * A queue holds up to `capacity` messages of at most `msg_max` bytes each, both fixed when it is
 * created; an opener learns them (xipc_mq_stat). Every message carries a key, an unsigned 32-bit
 * number given at send, which the two receive orders read differently:
 *   xipc_mq_recv        priority order, as POSIX mq_receive: the highest key first, the oldest
 *                       first among equal keys. A port of a POSIX program sends its priorities
 *                       as keys.
 *   xipc_mq_recv_typed  typed selection, as System V msgrcv: selector 0 takes the oldest message;
 *                       a positive selector the oldest message whose key is exactly it; a
 *                       negative selector the message with the lowest key not above its absolute
 *                       value, the oldest first among equals. A port of a System V program sends
 *                       its message types (which msgsnd wants above 0) as keys.
 * Both orders work on the same queue at once; "oldest" is the order in which sends completed.
 *
 * Many producer and consumer processes may use one queue at once. A message is delivered whole,
 * to one receiver, once; a sender or receiver killed at any instant never leaves part of a
 * message visible, never loses a message whose send returned 0, never makes another process wait
 * past its timeout, and leaves the queue usable. (A receiver killed after its receive took the
 * message, before the caller saw it, takes that message with it, as a process killed just after
 * mq_receive returned would.)
 *
 * Full and empty: a send to a full queue waits up to its timeout for room; a receive from an
 * empty queue (or one with no message its selector takes) waits up to its timeout for one;
 * timeout 0 only tries. A busy queue is served in user space: the calls spin briefly, then sleep
 * in the kernel only when the queue is really empty or full.
 *
 * Two ways inside, chosen by the queue itself. While every queued message has the same key (all
 * priority 0, say, or all one type; a new queue starts so with key 0), the queue is a lock-free
 * ring: a send claims the next slot with a compare-and-swap, copies, and commits; a receive
 * takes the oldest message the same way (or, its selector taking no message of that key, finds
 * nothing), and no call takes a lock. A send of another key moves the queue to its lists (the
 * messages queued keep their places in both orders), where every call takes the queue's lock for
 * a moment (a copy of a message of up to 2 KiB; larger ones are copied outside it); a call whose
 * timeout is shorter waits for that moment all the same, up to 20 ms, and then gives
 * XIPC_ETIMEDOUT (another process stopped while it held the lock, say by a debugger). A lock held
 * by a process that died is taken over within about a millisecond. A queue that runs empty after
 * a run of sends of one key (8 + capacity / 8 of them) becomes the ring again. In the ring,
 * messages are received in the order their sends claimed slots, so a sender stopped between its
 * claim and its commit holds back the messages claimed after it: a receive that waits finds them
 * after one sleep slice (20 ms), when it moves the queue to the lists.
 *
 * Crash safety has one limit: every process registers in the queue's table of users (256 at
 * once: XIPC_EBUSY beyond), by its pid and start time. A child made by fork() without exec that
 * uses its parent's handle counts as its parent: open the queue again (or import it) in such a
 * child.
 *
 * Nothing read from the shared memory is trusted: every index, length, count and state another
 * process wrote is checked before use, and a queue whose shared state no xipc process could have
 * written gives XIPC_ECORRUPT, never a crash, a hang or an overrun.
 *
 * Names follow xipc_name_check(); flags, lifetime, security and passing on are those of the sync
 * families (xipc/sync.h): XIPC_CREATE, XIPC_OPEN or both; the name belongs to its creator, whose
 * close removes it; owner-only; an anonymous queue (name NULL) reaches a child through
 * xipc_spawn_opts.handles (xipc_mq_inherited) or an export text (xipc_mq_import). POSIX: the
 * queue's memory is shm_open("/xipc:NAME") (memfd when anonymous); Windows: a section named
 * L"Local\\NAME".
 *
 * Errors every call of this header may return besides those it names: XIPC_EINVAL for a NULL
 * handle or a handle of another kind, and XIPC_EBADF for a closed one.
 *
 * Threads: every call may be used from several threads on the same handle, except _close.
 */
#ifndef XIPC_MQ_H
#define XIPC_MQ_H

#include "xipc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_mq xipc_mq;

/* The sizes of a queue. At creation both must be above 0, capacity at most XIPC_MQ_CAPACITY_MAX
 * and msg_max at most XIPC_MQ_MSG_MAX, and capacity * msg_max at most XIPC_MQ_BYTES_MAX. */
typedef struct xipc_mq_attr {
    size_t capacity; /* messages the queue holds at once */
    size_t msg_max; /* the largest message, in bytes */
} xipc_mq_attr;

#define XIPC_MQ_CAPACITY_MAX 65536u
#define XIPC_MQ_MSG_MAX      (16u * 1024u * 1024u)
#define XIPC_MQ_BYTES_MAX    ((size_t)1 << 30)

/* What xipc_mq_stat reports. */
typedef struct xipc_mq_info {
    size_t capacity;
    size_t msg_max;
    size_t count; /* messages queued now: a snapshot others may change at once */
} xipc_mq_info;

/* Open flag (POSIX only): open or create a real mq_open("/NAME") queue, for talking to programs
 * that call mq_send and mq_receive themselves, instead of an xipc queue. Such a queue has the
 * kernel's limits (/proc/sys/fs/mqueue: sizes past them are XIPC_EINVAL), the kernel's speed,
 * priority order only (xipc_mq_recv_typed: XIPC_ENOTSUP), keys below 32768 (XIPC_EINVAL), and
 * the kernel's rule that a receive needs a buffer of msg_max bytes (a smaller one gives
 * XIPC_EMSGSIZE with *len = msg_max, nothing taken, whatever the message's size). It needs a
 * name, cannot be put in a wait set, and is not passed to a child (XIPC_ENOTSUP: the child opens
 * it by name). The xipc queue of the same name is another object. Lifetime and owner-only as
 * above. Windows has no such queue: XIPC_ENOTSUP. */
#define XIPC_MQ_POSIX 0x100u

/* Receive flag: a message larger than the buffer is cut to fit and taken, as msgrcv's
 * MSG_NOERROR does, instead of XIPC_EMSGSIZE. */
#define XIPC_MQ_TRUNCATE 0x1u

/* Creates or opens a queue (name NULL: a new anonymous one). attr gives the sizes where the
 * queue is created; an opener may pass NULL (or zeros) or the sizes it needs, which the queue
 * must have exactly.
 * Returns 0;
 * XIPC_EINVAL (bad name; a name given without XIPC_CREATE or XIPC_OPEN, or XIPC_OPEN alone without
 *   a name; an unknown flag; NULL out; sizes out of range, or missing where the queue is created;
 *   an existing queue with other sizes than attr asks; a name held by another kind);
 * XIPC_EEXIST (create-only: the name is taken); XIPC_ENOENT (open-only: no such name);
 * XIPC_EACCES (see xipc/sync.h, "Security"); XIPC_ECORRUPT (what the name holds is not a whole
 *   xipc queue: a creator died while making it, or bytes no xipc process wrote; unlink it.
 *   Windows: also a shared section of that name that is no queue);
 * XIPC_ENOTSUP (XIPC_MQ_POSIX on Windows); XIPC_EBUSY (256 handles hold the queue already; or
 *   others kept creating and removing the name); XIPC_ENOMEM; XIPC_EMFILE; XIPC_ENFILE;
 * XIPC_ENOSPC; XIPC_EOS (another OS failure: xipc_last_os_error). *out is NULL on failure. */
XIPC_API int xipc_mq_open(
    const char *name, unsigned flags, const xipc_mq_attr *attr, xipc_mq **out);

/* Sends len bytes (0 allowed) with the given key, waiting up to timeout_ms for room.
 * Returns 0 (the message is queued: it will be received exactly once);
 * XIPC_ETIMEDOUT (the queue stayed full; nothing was queued); XIPC_EMSGSIZE (len > msg_max);
 * XIPC_EINVAL (also NULL buf with len > 0, a bad timeout); XIPC_EBADF; XIPC_ECORRUPT;
 * XIPC_ENOMEM (the repair of the queue after a death needs memory: nothing was queued);
 * XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_mq_send(
    xipc_mq *mq, const void *buf, size_t len, unsigned key, int timeout_ms);

/* Receives the message priority order picks (see above) into buf (cap bytes), waiting up to
 * timeout_ms for one. *len gets its size and *key (if key is not NULL) its key.
 * Returns 0;
 * XIPC_EMSGSIZE (the message is larger than cap: it stays queued, and *len gets its size);
 * XIPC_ETIMEDOUT (nothing to receive); XIPC_EINVAL (also NULL len, NULL buf with cap > 0, a bad
 * timeout); XIPC_EBADF; XIPC_ECORRUPT; XIPC_ENOMEM (as for a send: nothing was taken);
 * XIPC_EOS (another OS failure: xipc_last_os_error). On failure buf may hold bytes of a message
 * not taken (the ring copies a small message out before it takes it). */
XIPC_API int xipc_mq_recv(
    xipc_mq *mq, void *buf, size_t cap, size_t *len, unsigned *key, int timeout_ms);

/* Receives the message typed selection picks for selector (see above), as xipc_mq_recv
 * otherwise; with XIPC_MQ_TRUNCATE in flags a larger message is cut to cap bytes and taken (*len
 * gets the bytes stored). Returns as xipc_mq_recv, and XIPC_EINVAL for an unknown flag or a
 * selector outside -UINT32_MAX..UINT32_MAX; XIPC_ENOTSUP (an XIPC_MQ_POSIX queue). */
XIPC_API int xipc_mq_recv_typed(xipc_mq *mq, int64_t selector, unsigned flags, void *buf,
    size_t cap, size_t *len, unsigned *key, int timeout_ms);

/* The queue's sizes and the messages queued now. Returns 0; XIPC_EINVAL (also NULL info);
 * XIPC_EBADF; XIPC_ECORRUPT. */
XIPC_API int xipc_mq_stat(xipc_mq *mq, xipc_mq_info *info);

/* Closes the handle (see xipc/sync.h, "Lifetime"). NULL, or a handle closed already, is a
 * no-op. */
XIPC_API void xipc_mq_close(xipc_mq *mq);

/* Removes a name (flags 0, or XIPC_MQ_POSIX for a real mq_open queue), for instance one left
 * behind by a process that died. Handles already open keep working. Returns 0; XIPC_ENOENT (no
 * such name); XIPC_EINVAL (bad name or flag; the name holds another kind); XIPC_EACCES (POSIX:
 * not ours to remove); XIPC_ENOTSUP (XIPC_MQ_POSIX on Windows); XIPC_EOS (another OS failure:
 * xipc_last_os_error). Windows: as xipc_event_unlink. */
XIPC_API int xipc_mq_unlink(const char *name, unsigned flags);

/* The queue as a generic handle, for xipc_spawn_opts.handles, xipc_handle_export(),
 * xipc_handle_kind() and wait sets (xipc/waitset.h: readable while a message is queued, writable
 * while there is room). NULL for NULL. */
XIPC_API xipc_handle *xipc_mq_handle(xipc_mq *mq);

/* In a child: the queue behind an export text. Returns as xipc_event_import. */
XIPC_API int xipc_mq_import(const char *text, xipc_mq **out);

/* In a spawned child: the queue the parent listed at this index of xipc_spawn_opts.handles.
 * Returns as xipc_event_inherited. */
XIPC_API int xipc_mq_inherited(size_t index, xipc_mq **out);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_MQ_H */
