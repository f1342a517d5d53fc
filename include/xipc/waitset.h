/* xipc/waitset.h: wait sets. One call waits on any mix of xipc handles with one timeout, the same
 * way on both platforms, with as many objects as the caller adds (1024 and more).
 *
 * Level-triggered: every wait reports what is ready at that moment, whatever was reported before.
 * What "ready" means, by kind (the events an entry may carry):
 * - stream end (every variant: pipe, FIFO, byte-mode connection): XIPC_WAITSET_READ while a read
 *   with timeout 0 would not give XIPC_ETIMEDOUT (data, end of stream, or an error);
 *   XIPC_WAITSET_WRITE while a write would make progress (room, or an error such as no reader);
 *   Windows: a pipe end cannot say it has room (nothing is signalled when room appears, and the
 *   room it reports, WriteQuotaAvailable, shrinks by any read pending at the other end, so a full
 *   pipe looks like one whose reader waits; Wine reports 0), so WRITE is XIPC_ENOTSUP there for
 *   pipe ends and message pipes, in _add and _modify (sockets report it, see below). A Windows
 *   FIFO reader's frames taken from its pipes and not returned yet count as data; a writer that
 *   leaves while others stay may make it ready once for nothing (a read with timeout 0 then gives
 *   XIPC_ETIMEDOUT).
 * - message pipe: as a stream, a whole message for READ; a message xipc holds in user space
 *   (after a receive into too small a buffer) counts.
 * - named-pipe server: READ while a client waits to be accepted. Windows: a server whose spare
 *   instance's connect was cancelled by its thread's exit may be reported once with no client;
 *   an accept with timeout 0 then gives XIPC_ETIMEDOUT (xipc/npipe.h).
 * - process: READ once it has ended (xipc_proc_wait with timeout 0 gives its status).
 * - event, semaphore, mutex: READ, and the object is TAKEN by the wait that reports it, as
 *   WaitForMultipleObjects takes it: an auto-reset event is reset, a semaphore unit is the
 *   caller's, a mutex is held by the calling thread (result XIPC_EOWNERDEAD when its owner died:
 *   held, inconsistent, as xipc_mutex_lock reports it). A manual-reset event is reported while
 *   set, and stays set. A wait takes at most one of these per call (a manual-reset event counts
 *   as one), so nothing is taken that the caller does not see. A mutex that is not recoverable is
 *   reported with result XIPC_ENOTRECOVERABLE, not held.
 * - message queue (xipc/mq.h): READ while a message is queued, WRITE while a send would find
 *   room; nothing is taken (a receive with timeout 0 may still find nothing when another process
 *   was quicker, or when no message matches its selector). Looked at between short sleeps (50 us
 *   up to 8 ms), as semaphores are.
 * - TCP and AF_UNIX connections, duplex pipe ends, socket listeners and datagram endpoints
 *   (xipc/sock.h): as a stream (READ: data, end or error; WRITE, connections only: room or an
 *   error); a listener: READ while a client waits to be accepted; a datagram endpoint: READ while
 *   a datagram waits. Windows (a duplex pipe end is a pipe there, as above): a socket joins the
 *   wait through an event of its own (WSAEventSelect), which Windows allows one of per socket,
 *   for every descriptor of it: a socket is in one set of the process at a time (XIPC_EBUSY for
 *   a second), and its selection ends when it leaves the set. The application must not select
 *   it itself (WSAEventSelect, WSAAsyncSelect), nor another process holding it in a set, which
 *   would take the selection away. WRITE is seen at once when a send of xipc's found the socket
 *   full (Windows then signals room), else up to 8 ms late: the set looks between sleeps.
 * Kinds with nothing to wait on cannot be added (XIPC_ENOTSUP): shared memory sections and file
 * mappings, and a stream over a synchronous standard handle on Windows (xipc_stream_stdio).
 * A family that comes later takes part through its row of the kind table (its waitable answer: a
 * descriptor, a HANDLE, or a helper), and its header says what "ready" means for it.
 *
 * POSIX: epoll (Linux) for the descriptors; events, semaphores and mutexes live in shared memory,
 * which no descriptor reports. They wake the set through a helper thread (Linux 5.16+'s
 * futex_waitv, up to 127 of them a set): it holds one of an event's 64 waiter slots meanwhile
 * (and counts as one more waiter for an auto-reset event's sets), and sleeps on a semaphore's or
 * a mutex's own word as one of glibc's waiters (glibc 2.21 or later on a 64-bit machine, checked
 * when the set first watches one): while a set watches a semaphore, each post makes one futex
 * wake call, and a held mutex is marked as having waiters, so its unlock makes one; a sleeper in
 * sem_wait or pthread_mutex_lock elsewhere loses no wake-up to the set. Objects past those, and
 * semaphores and mutexes where that check fails, are tried before and between sleeps of 50 us up
 * to 8 ms, so they are seen up to ~8 ms late after a quiet spell.
 * Windows: WaitForMultipleObjects on events, semaphores, mutexes, processes and servers, and on a
 * zero-byte overlapped read kept pending on each stream (data or the writer's end completes it,
 * nothing is consumed); each socket's event (WSAEventSelect) says when to look, and a zero-timeout
 * WSAPoll whether it is ready; past 61 handles, watcher threads wait on the streams, sockets,
 * processes and servers in groups of 63; a FIFO reader is looked at between sleeps of 1 to 8 ms.
 *
 * Threads: add, modify, remove and wake may be called from any thread, also while another thread
 * waits; one thread waits on a set at a time (a second gets XIPC_EBUSY). Closing a handle removes
 * it from every set, also while a wait runs. A Windows FIFO reader in a set is read by the
 * thread that waits, or by none while a wait runs (the wait takes in its pipes' completions). A set
 * is not an xipc_handle: it cannot be passed to a child or added to another set.
 */
#ifndef XIPC_WAITSET_H
#define XIPC_WAITSET_H

#include "xipc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_waitset xipc_waitset;

/* What an entry waits for, and what a wait reports. */
#define XIPC_WAITSET_READ  0x1u /* readable, a client to accept, ended, or taken */
#define XIPC_WAITSET_WRITE 0x2u /* writable: streams and message pipes only */

/* The most handles one set holds. */
#define XIPC_WAITSET_MAX 65536u

/* One ready handle, as xipc_waitset_wait reports it. */
typedef struct xipc_waitset_entry {
    xipc_handle *handle;
    void *user; /* as given to _add or _modify */
    unsigned events; /* what is ready: XIPC_WAITSET_READ and/or _WRITE, among those asked for */
    int result; /* 0; XIPC_EOWNERDEAD for a mutex taken whose owner died; XIPC_ENOTRECOVERABLE
                 * for a mutex that nobody can take any more; XIPC_ECORRUPT for an event whose
                 * shared state no xipc process wrote */
} xipc_waitset_entry;

/* Creates an empty set. Returns 0; XIPC_EINVAL (NULL out); XIPC_ENOMEM; XIPC_EMFILE,
 * XIPC_ENFILE; XIPC_EOS. *out is NULL on failure. */
XIPC_API int xipc_waitset_open(xipc_waitset **out);

/* Adds h, waiting for events (XIPC_WAITSET_READ and/or _WRITE; WRITE only for streams and
 * message pipes), with user given back in its entries. The set does not own h: closing h removes
 * it. Returns 0; XIPC_EINVAL (NULL ws or h, a closed set, events 0, unknown bits, or WRITE for a
 * kind that has no writing); XIPC_EBADF (closed handle); XIPC_EEXIST (h is in the set already);
 * XIPC_ENOTSUP (a kind with nothing to wait on, see above; Windows: XIPC_WAITSET_WRITE for a
 * pipe end or a message pipe); XIPC_EBUSY (Windows: a socket that another set of this process
 * holds); XIPC_ELIMIT (XIPC_WAITSET_MAX handles already; Windows: 61 events, semaphores and mutexes
 * already, which the waiting thread itself must wait on to take them: a mutex belongs to the
 * thread that took it, and a watcher thread that took an event or a semaphore the wait then did
 * not report would have to give it back, which other processes can see: a waiter elsewhere
 * times out meanwhile, and an auto-reset event set again before the SetEvent that gives it back
 * stays set once, so one set is lost); XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_waitset_add(xipc_waitset *ws, xipc_handle *h, unsigned events, void *user);

/* Changes what h waits for and its user pointer. Returns 0; XIPC_EINVAL (as _add); XIPC_EBADF;
 * XIPC_ENOENT (h is not in the set); XIPC_ENOTSUP (Windows: XIPC_WAITSET_WRITE for a pipe end or
 * a message pipe); XIPC_EOS. */
XIPC_API int xipc_waitset_modify(xipc_waitset *ws, xipc_handle *h, unsigned events, void *user);

/* Takes h out of the set. Returns 0; XIPC_EINVAL (NULL ws or h, a closed set); XIPC_ENOENT (h is
 * not in the set, or closed, which removed it). */
XIPC_API int xipc_waitset_remove(xipc_waitset *ws, xipc_handle *h);

/* Waits up to timeout_ms until at least one handle is ready, or _wake is called, and fills out
 * with up to cap ready entries, *n of them. Returns 0 with *n > 0; 0 with *n == 0 when _wake ended
 * the wait (a wake made while no wait ran ends the next one at once; several wakes before a wait
 * count as one); XIPC_ETIMEDOUT with *n == 0 (a timeout of 0 still looks once); XIPC_EINVAL (NULL
 * ws, out or n, cap 0, a closed set, a bad timeout); XIPC_EBUSY (another thread is waiting on the
 * set); XIPC_EOS. An empty set waits for _wake or the timeout. */
XIPC_API int xipc_waitset_wait(
    xipc_waitset *ws, xipc_waitset_entry *out, size_t cap, size_t *n, int timeout_ms);

/* Ends the current wait on ws early, from any thread (the next one, if none runs). Returns 0;
 * XIPC_EINVAL (NULL or closed set); XIPC_EOS. */
XIPC_API int xipc_waitset_wake(xipc_waitset *ws);

/* Frees the set; the handles in it stay open. No thread may be waiting on it. NULL: no-op. */
XIPC_API void xipc_waitset_close(xipc_waitset *ws);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_WAITSET_H */
