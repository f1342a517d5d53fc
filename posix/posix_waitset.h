/* posix/posix_waitset.h: the readiness poller under POSIX wait sets (posix_waitset.c). Linux's
 * is epoll with an eventfd for wakes (posix_epoll.c); a BSD or macOS port puts kqueue there. Not
 * part of the contract. */
#ifndef XIPC_POSIX_WAITSET_H
#define XIPC_POSIX_WAITSET_H

#include "posix_internal.h"

/* The keys the poller reports for a wake (xipc_waitset_wake) and for a note from the set's
 * helper thread (an event it watches was set); entries' keys are below them. */
#define XIPC__POLLER_WAKE_KEY   UINT64_MAX
#define XIPC__POLLER_NOTIFY_KEY (UINT64_MAX - 1)

/* One ready descriptor: the key it was added with, and what is ready (XIPC_WAITSET_*). */
struct xipc__posix_ready {
    uint64_t key;
    unsigned events;
};

/* A poller (its descriptor) and its wake and notify descriptors, all close-on-exec; those two
 * are in the poller under XIPC__POLLER_WAKE_KEY and _NOTIFY_KEY. */
int xipc__posix_poller_open(int *poller, int *wake, int *notify);
void xipc__posix_poller_close(int poller, int wake, int notify);

/* Adds fd under key, waiting for events (XIPC_WAITSET_*), level-triggered; changes what it waits
 * for; takes it out. */
int xipc__posix_poller_add(int poller, int fd, unsigned events, uint64_t key);
int xipc__posix_poller_modify(int poller, int fd, unsigned events, uint64_t key);
void xipc__posix_poller_remove(int poller, int fd);

/* Waits up to timeout_us microseconds (-1: no limit, 0: looks once) for ready descriptors, at
 * most cap of them into out; *count gets how many (0 on a timeout). A wake or a note is reported
 * under its key and consumed (drain: the wake and the notify descriptors). EINTR ends the wait
 * early with *count 0: the caller looks again. */
int xipc__posix_poller_wait(int poller, const int drain[2], struct xipc__posix_ready *out, int cap,
    int64_t timeout_us, int *count);

/* Makes the next (or current) wait of the poller return with a wake (fd: the wake descriptor)
 * or a note (the notify descriptor). */
int xipc__posix_poller_wake(int fd);

#endif /* XIPC_POSIX_WAITSET_H */
