/* common/mq.h: message queues (xipc/mq.h) inside: the one shared layout both platforms use, the
 * handle, the core that works on the layout (common/mq_core.c) and the small platform contract
 * the queue needs besides the shared-memory section (posix/posix_mq.c, win32/win32_mq.c).
 *
 * The layout, in one section: a header, then `capacity` slot records, each a line of the slot's
 * fields (struct xipc__mq_slot: its word first) directly followed by its payload area, msg_max
 * rounded up to whole lines. A message's word and its bytes are then neighbours, and those of
 * a message of up to 64 bytes are one aligned pair of lines, which a CPU's adjacent-line
 * prefetch moves between the CPUs together: a ring message costs the line transfers of one
 * record, not of a slot's line and a payload line of another array. Every field is fixed-width
 * and little-endian (every platform xipc builds for is). Another process writes all of it, so
 * every field is input: the opener checks the magic, the version, the sizes and the section's
 * size against them, and every call checks each index, link, length, state and owner it reads
 * before it uses it (XIPC_ECORRUPT).
 *
 * Truth is in the slots' words; the ring's ends, the lists and the counts are derived from them,
 * and the lists rebuilt after a death or when the ring closes (mq_core.c says how). */
#ifndef XIPC_COMMON_MQ_H
#define XIPC_COMMON_MQ_H

#include "handle.h"
#include "xipc/mq.h"

#include <stdatomic.h>

#define XIPC__MQ_MAGIC   0x31514d58u /* "XMQ1" */
#define XIPC__MQ_VERSION 3u /* 2: the payloads in an array of their own, after the slots */

/* Processes (handles) that may have a queue open at once: each holds an entry of the user table,
 * which the lock word and every claim name. */
#define XIPC__MQ_USERS 256u

/* "No slot" in a link. */
#define XIPC__MQ_NIL 0xffffffffu

/* Slot states: the commit points are single stores (or compare-and-swaps) of a slot's word. */
enum {
    XIPC__MQ_FREE = 0,
    XIPC__MQ_WRITING = 1, /* claimed by a sender (owner), its payload being copied in */
    XIPC__MQ_READY = 2, /* a whole message: len, key and seq were written before this state */
    XIPC__MQ_READING = 3, /* claimed by a receiver (owner), its payload being copied out */
};

/* A slot's word: its state in bits 0-7, a claim's owner (user index) in bits 8-15, then, while
 * the slot belongs to the ring (XIPC__MQ_IN_RING), the ring position it holds or, FREE, waits
 * for, in bits 17-63. A slot of the lists has neither. */
#define XIPC__MQ_STATE_MASK 0xffu
#define XIPC__MQ_OWNER_SHIFT 8
#define XIPC__MQ_IN_RING ((uint64_t)1 << 16)
#define XIPC__MQ_POS_SHIFT 17
#define XIPC__MQ_POS_MASK (((uint64_t)1 << 47) - 1)

/* The queue's mode word: XIPC__MQ_LISTS, or XIPC__MQ_RING_OF(key): every queued message has that
 * key, and the messages live in the ring (mq_core.c says how). */
#define XIPC__MQ_LISTS        0u
#define XIPC__MQ_RING         ((uint64_t)1 << 32)
#define XIPC__MQ_RING_OF(key) (XIPC__MQ_RING | (uint32_t)(key))

/* In the lists, messages up to this size are copied inside the lock (one lock per call); larger
 * ones between a claim and its commit, outside it, so that a sender and a receiver copy at the
 * same time. (The ring copies every message between a claim and its commit.) */
#define XIPC__MQ_COPY_IN_LOCK_MAX 2048u

/* Which side waits: receivers for a message, senders for room. */
enum xipc__mq_side { XIPC__MQ_RECV = 0, XIPC__MQ_SEND = 1 };

/* An entry of the user table: pid 0 is free. start tells a reused pid from the process that
 * registered (Linux: the start time in /proc; Windows: the creation time). */
struct xipc__mq_user {
    _Atomic uint64_t pid;
    _Atomic uint64_t start;
};

struct xipc__mq_header {
    _Atomic uint32_t magic; /* stored last by the creator, with release order */
    uint32_t version;
    uint32_t capacity;
    uint32_t msg_max;
    uint64_t size; /* of the whole layout, which the section must hold */
    char wake_id[16]; /* hex digits naming the Windows wake objects of this queue */
    /* The lock: 0 free, else the holder's user index + 1. On the line of the fields above, which
     * nobody reads after opening, and not on the line of what it protects: a waiter spinning on
     * it does not take that line from the holder in the middle of its changes. */
    _Atomic uint32_t lock;
    uint32_t reserved0;
    /* The mode (XIPC__MQ_LISTS or XIPC__MQ_RING_OF): read by every call, changed only under the
     * lock, so in ring mode this line stays in every reader's cache. */
    _Atomic uint64_t mode;
    uint64_t reserved1[2];
    /* Derived, under the lock. */
    _Atomic uint64_t next_seq;
    uint32_t free_head;
    uint32_t prio_head, prio_tail; /* highest key first, oldest first among equal keys */
    uint32_t fifo_head, fifo_tail; /* send order */
    _Atomic uint32_t count; /* READY messages */
    uint32_t claims; /* WRITING and READING slots */
    /* The lists' sends in a row with one key (streak_key): enough of them, and an empty queue
     * turns back to the ring. */
    uint32_t streak_key, streak;
    uint32_t reserved2[3];
    /* One cache line per side, apart from the lock's: a receiver spinning on not_empty does not
     * take the line the lock and the lists live in from the process that holds the lock.
     * Wake words: bumped at every send (not_empty) and every receive (not_full) and at a
     * recovery; a waiter sleeps on one only after it raised its side's waiter count. The sleepy
     * flag is set by a waiter before it sleeps and cleared by the waker that wakes the side, so
     * that a side whose sleepers were woken already is not woken again at every change. */
    struct xipc__mq_side_words {
        _Atomic uint32_t word;
        _Atomic uint32_t waiters;
        _Atomic uint32_t sleepy;
        uint32_t reserved[13];
    } side[2]; /* XIPC__MQ_RECV: not empty; XIPC__MQ_SEND: not full */
    /* The ring's ends, each on a line of its own: where receivers look for the next position to
     * take (head) and senders for the next one to claim (tail). Hints, the truth being in the
     * slots' words: a claimer moves its end past its position by a plain store, a call that
     * finds the end's position claimed helps it on by a compare-and-swap, and a claimer that
     * raced with another may set it back a little (mq_core.c, ring_pass). */
    struct xipc__mq_ring_end {
        _Atomic uint64_t pos;
        uint64_t reserved[7];
    } ring_head, ring_tail;
    struct xipc__mq_user users[XIPC__MQ_USERS];
};

struct xipc__mq_slot {
    _Atomic uint64_t word; /* state, owner, ring position: see XIPC__MQ_STATE_MASK */
    uint32_t len;
    uint32_t key;
    uint64_t seq; /* send order */
    uint32_t prio_prev, prio_next;
    uint32_t fifo_prev, fifo_next;
    uint32_t free_next;
    uint32_t reserved[5];
};

_Static_assert(sizeof(struct xipc__mq_header) == 384 + 16 * XIPC__MQ_USERS, "header layout");
_Static_assert(offsetof(struct xipc__mq_header, side) == 128, "wake words on lines of their own");
_Static_assert(offsetof(struct xipc__mq_header, lock) == 40 &&
        offsetof(struct xipc__mq_header, mode) == 48 &&
        offsetof(struct xipc__mq_header, next_seq) == 72 &&
        offsetof(struct xipc__mq_header, ring_head) == 256 &&
        offsetof(struct xipc__mq_header, ring_tail) == 320,
    "the lock apart from the lists");
_Static_assert(sizeof(struct xipc__mq_slot) == 64, "slot layout: one line, the payload after it");
_Static_assert(sizeof(struct xipc__mq_header) % 128 == 0, "records on pairs of lines");
_Static_assert(XIPC__MQ_USERS <= 256, "a claim's owner fits the 8 bits a slot's word gives it");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

struct xipc_mq {
    struct xipc_handle handle;
    struct xipc__owned_name owner;
    struct xipc__os_shm shm;
    intptr_t wake[2]; /* Windows: the semaphores receivers and senders sleep on; POSIX: unused */
    struct xipc__mq_header *hdr;
    unsigned char *records; /* the first slot record */
    size_t record; /* a record's size: the slot's line and its payload area */
    uint32_t capacity, msg_max;
    uint64_t ring_mask; /* capacity - 1 when a power of two (a position's slot by a mask), or 0 */
    uint32_t me; /* our user index */
    uint64_t my_pid, my_start;
    _Atomic uint32_t locked_here; /* a thread of this handle holds the lock */
    /* An XIPC_MQ_POSIX queue: the kernel's queue descriptor + 1 (0: an xipc queue), with none
     * of the above but capacity and msg_max. */
    intptr_t posix_plus1;
};

/* ---- The core (common/mq_core.c) ------------------------------------------------------------ */

/* The layout's size for the sizes given (checked), and a slot record's size. */
size_t xipc__mq_layout_size(uint32_t capacity, uint32_t msg_max, size_t *record);

/* A creator's initialisation of a new, zeroed section (magic stored last). */
void xipc__mq_layout_init(struct xipc_mq *q, uint32_t capacity, uint32_t msg_max);

/* An opener's check of what the section holds (waiting up to XIPC__SHM_INIT_WAIT_MS for a
 * creator still at work), then the pointers of q. XIPC_ECORRUPT. */
int xipc__mq_layout_attach(struct xipc_mq *q);

/* Takes a user entry for this handle (XIPC_EBUSY when all are held by live processes), and lets
 * it go. */
int xipc__mq_register(struct xipc_mq *q);
void xipc__mq_unregister(struct xipc_mq *q);

int xipc__mq_send(struct xipc_mq *q, const void *buf, size_t len, unsigned key, int timeout_ms);

/* selector: XIPC__MQ_PRIORITY for priority order, else the typed selector. */
#define XIPC__MQ_PRIORITY INT64_MIN
int xipc__mq_recv(struct xipc_mq *q, int64_t selector, unsigned flags, void *buf, size_t cap,
    size_t *len, unsigned *key, int timeout_ms);

int xipc__mq_stat(struct xipc_mq *q, xipc_mq_info *info);

/* Readiness for wait sets, nothing taken: XIPC_WAITSET_READ while a message is queued,
 * XIPC_WAITSET_WRITE while a send would find room. */
unsigned xipc__mq_ready(struct xipc_mq *q);

/* ---- The platform (posix/posix_mq.c, win32/win32_mq.c) -------------------------------------- */

/* Opens or creates the queue's section as xipc__os_shm_open does, under the queue's own name
 * (POSIX "/xipc-mq:NAME", which no other kind's name can be; Windows L"Local\\NAME"). */
int xipc__os_mq_section_open(
    const char *name, unsigned flags, size_t size, struct xipc__os_shm *s, bool *created);

/* Removes a queue's name (xipc_mq_unlink), and the creator's drop at close. */
int xipc__os_mq_unlink(const char *name);
void xipc__os_mq_drop_name(const struct xipc__os_shm *s, const char *name);

/* The wake objects of the queue (Windows: two semaphores named after hdr->wake_id, created by
 * whoever comes first; POSIX: nothing, the futex is the word itself). */
int xipc__os_mq_wake_open(struct xipc_mq *q);
void xipc__os_mq_wake_close(struct xipc_mq *q);

/* Sleeps while *word holds seen, until dl: 0 (woken, changed, or a spurious return: callers
 * look again), XIPC_ETIMEDOUT at dl, or a failure. */
int xipc__os_mq_sleep(struct xipc_mq *q, enum xipc__mq_side side, _Atomic uint32_t *word,
    uint32_t seen, xipc__deadline dl);

/* Wakes the sleepers of a side (waiters: how many the count says). */
void xipc__os_mq_wake(
    struct xipc_mq *q, enum xipc__mq_side side, _Atomic uint32_t *word, uint32_t waiters);

/* This process's start time, as xipc__os_mq_alive compares it. */
uint64_t xipc__os_mq_self_start(void);

/* Whether process pid, started at start, still runs (a zombie does not). */
bool xipc__os_mq_alive(uint64_t pid, uint64_t start);

/* XIPC_MQ_POSIX queues: the kernel's own, mq_open("/NAME") (Windows: XIPC_ENOTSUP). open
 * creates (with capacity and msg_max) or opens as flags ask, owner-only, and fills
 * q->posix_plus1, q->capacity and q->msg_max; the others work as the public calls say of such a
 * queue. */
int xipc__os_mq_posix_open(const char *name, unsigned flags, size_t capacity, size_t msg_max,
    struct xipc_mq *q, bool *created);
int xipc__os_mq_posix_send(
    struct xipc_mq *q, const void *buf, size_t len, unsigned key, int timeout_ms);
int xipc__os_mq_posix_recv(
    struct xipc_mq *q, void *buf, size_t cap, size_t *len, unsigned *key, int timeout_ms);
int xipc__os_mq_posix_count(struct xipc_mq *q, size_t *count);
void xipc__os_mq_posix_close(struct xipc_mq *q);
int xipc__os_mq_posix_unlink(const char *name);

/* Gives the CPU to another thread (sched_yield, SwitchToThread), and a pause for a spin. */
void xipc__os_mq_yield(void);
void xipc__os_mq_relax(void);

#endif /* XIPC_COMMON_MQ_H */
