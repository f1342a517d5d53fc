/* win32/platform_types.h: the Win32 definitions of the contract's structs (common/platform.h).
 * A zeroed struct means "not open": every HANDLE is stored as NULL for "none", never
 * INVALID_HANDLE_VALUE. HANDLE is void *; spelling it so keeps <windows.h> out of common/. */
#ifndef XIPC_WIN32_PLATFORM_TYPES_H
#define XIPC_WIN32_PLATFORM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct xipc__os_stream {
    void *handle; /* the pipe end, opened for overlapped I/O; NULL: not open */
    /* Manual-reset events for the OVERLAPPED of a read and of a write, made once at open: one
     * thread may read while another writes (xipc/pipe.h), so each direction has its own. */
    void *read_event;
    void *write_event;
    /* The most one WriteFile may carry: the pipe's buffer quota. A pending write no larger than
     * the quota is never partly consumed (see win32_stream.c), which keeps *put exact. */
    uint32_t write_chunk;
};

struct xipc__os_proc {
    void *process; /* the child's process handle; NULL: not open */
    uint32_t pid;
    bool killed; /* xipc__os_proc_kill called TerminateProcess with XIPC__WIN32_KILL_CODE */
};

struct xipc__win32_mutex_state; /* the shared record beside a mutex, win32_sync.c */

/* Events, semaphores and mutexes (win32_sync.c). */
struct xipc__os_sync {
    void *handle; /* the event, semaphore or mutex; NULL: not open */
    /* Mutexes only: the section holding what Windows mutexes do not keep (owner died, not
     * recoverable, who holds it and how often), and its mapped view. NULL otherwise. */
    void *section;
    struct xipc__win32_mutex_state *state;
};

#endif /* XIPC_WIN32_PLATFORM_TYPES_H */
