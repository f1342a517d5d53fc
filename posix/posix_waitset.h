/* posix/posix_waitset.h: the readiness poller under POSIX wait sets (posix_waitset.c). Linux's
 * is epoll with an eventfd for wakes (posix_epoll.c); a BSD or macOS port puts kqueue there. Not
 * part of the contract. */
#ifndef XIPC_POSIX_WAITSET_H
#define XIPC_POSIX_WAITSET_H

#include "posix_internal.h"

/* The key the poller reports for a wake. */
#define XIPC__POLLER_WAKE_KEY UINT64_MAX

/* One ready descriptor: the key it was added with, and what is ready (XIPC_WAITSET_*). */
struct xipc__posix_ready {
    uint64_t key;
    unsigned events;
};

/* A poller (its descriptor) and its wake descriptor, both close-on-exec; the wake descriptor is
 * in the poller under XIPC__POLLER_WAKE_KEY. */
int xipc__posix_poller_open(int *poller, int *wake);
void xipc__posix_poller_close(int poller, int wake);

/* Adds fd under key, waiting for events (XIPC_WAITSET_*), level-triggered; changes what it waits
 * for; takes it out. */
int xipc__posix_poller_add(int poller, int fd, unsigned events, uint64_t key);
int xipc__posix_poller_modify(int poller, int fd, unsigned events, uint64_t key);
void xipc__posix_poller_remove(int poller, int fd);

/* Waits up to timeout_us microseconds (-1: no limit, 0: looks once) for ready descriptors, at most cap of
 * them into out; *count gets how many (0 on a timeout). A wake is reported, and consumed, under
 * XIPC__POLLER_WAKE_KEY. EINTR ends the wait early with *count 0: the caller looks again. */
int xipc__posix_poller_wait(
    int poller, int wake, struct xipc__posix_ready *out, int cap, int64_t timeout_us, int *count);

/* Makes the next (or current) wait of the poller return with a wake. */
int xipc__posix_poller_wake(int wake);

#endif /* XIPC_POSIX_WAITSET_H */
