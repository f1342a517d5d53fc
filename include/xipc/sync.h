/* xipc/sync.h: events, semaphores and mutexes between processes, named or anonymous.
 *
 * Names follow xipc_name_check(). A named object is found by any process of the same user that
 * opens the same name; an anonymous one (name NULL) reaches a child only through
 * xipc_spawn_opts.handles, fetched there by index with the family's _inherited call.
 *
 * Creating and opening, for every kind, with the flags every named family shares (xipc/base.h):
 *   XIPC_CREATE              create; XIPC_EEXIST if the name exists (also a stale name left
 *                            by a process that died: remove it with _unlink)
 *   XIPC_OPEN                open an existing object; XIPC_ENOENT if there is none
 *   XIPC_CREATE | XIPC_OPEN  open it if it exists, else create it
 * With a NULL name (an anonymous object) neither is needed: it is always new. The kinds' own
 * flags start at 0x100. Opening or unlinking an object of another kind under the same name gives
 * XIPC_EINVAL. POSIX: semaphores are sem_open("/NAME") objects, and events and mutexes share their
 * own namespace, shm_open("/xipc:NAME"), which no other kind can reach (':' is not a name
 * character), so only events and mutexes collide with each other there; on Windows all three kinds
 * share one namespace. Portable programs give each object its own name.
 *
 * Lifetime (xipc's choice where the platforms differ): the name belongs to the creator. Closing
 * the handle that created a named object, in the process that created it, removes the name
 * (POSIX: unlink; Windows: the name lives on only while some handle is open), and handles already
 * open keep working. A child forked without exec that closes its copy of the handle leaves the
 * name alone. A creator that dies without closing leaves the name behind on POSIX (not on
 * Windows): _unlink removes it.
 *
 * Security: named objects are owner-only (POSIX mode 0600; Windows a DACL for the user and
 * SYSTEM). POSIX: opening (or unlinking) what another user owns under the name, what grants
 * access to group or others, or a symbolic link at the name, is refused with XIPC_EACCES; what
 * is ours but not a whole xipc object (a file of the wrong type, size or contents, or one a
 * creator left half made) is XIPC_ECORRUPT, and _unlink removes it. Nothing xipc does to look at
 * a name blocks on what it finds there (a FIFO) or follows a link.
 *
 * Passing on: the child fetches a handle listed in xipc_spawn_opts.handles by its index there,
 * with the family's _inherited call (xipc/proc.h, "Passing handles"); or xipc_handle_export gives
 * the text and the family's _import takes it in the child. An import (and so a fetch) checks at
 * once, before it changes anything, that the native handles the text names are open (XIPC_EBADF),
 * are an object of the kind imported (XIPC_EINVAL: a pipe, a file, a socket, another kind) and are
 * not held by a handle of this process already (XIPC_EEXIST: importing the same text twice).
 *
 * Errors every call of this header may return besides those it names: XIPC_EINVAL for a NULL
 * handle or a handle of another kind, and XIPC_EBADF for a closed one.
 *
 * Threads: every call may be used from several threads on the same handle, except _close.
 *
 * Waiting together with other objects (xipc_handle_native): Windows gives the event, semaphore
 * or mutex HANDLE; POSIX has none (XIPC_ENOTSUP), the objects live in shared memory.
 */
#ifndef XIPC_SYNC_H
#define XIPC_SYNC_H

#include "xipc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Events --------------------------------------------------------------------------------- */

typedef struct xipc_event xipc_event;

/* Event flags, with XIPC_CREATE and XIPC_OPEN (they matter only when the event is created). */
#define XIPC_EVENT_MANUAL_RESET 0x100u /* stays set until reset; otherwise a wait consumes it */
#define XIPC_EVENT_INITIAL_SET  0x200u

/* Creates or opens an event (name NULL: a new anonymous event). An auto-reset event releases
 * exactly one waiter per set and stays set until one waiter consumes it; a manual-reset event
 * releases every waiter until it is reset. Setting a set event does nothing. A waiter that dies
 * while it waits changes nothing for the others.
 * Returns 0;
 * XIPC_EINVAL (bad name; a name given without XIPC_CREATE or XIPC_OPEN, or XIPC_OPEN alone
 *   without a name; an unknown flag; NULL out; a name held by another kind);
 * XIPC_EEXIST (create-only: the name is taken, whatever holds it);
 * XIPC_ENOENT (open-only: no such name);
 * XIPC_EACCES (see "Security");
 * XIPC_ECORRUPT (what the name holds is not a whole xipc object: a creator died while making it,
 *   or a file that is not xipc's; unlink it);
 * XIPC_EBUSY (POSIX: with XIPC_CREATE | XIPC_OPEN, others kept creating and removing the name
 *   throughout the open's tries; anonymous, where memfd_create is missing, every temporary name
 *   tried was taken by others);
 * XIPC_ENOMEM; XIPC_EMFILE; XIPC_ENFILE; XIPC_ENOSPC (POSIX: no room in /dev/shm); XIPC_EOS
 * (another OS failure: xipc_last_os_error). *out is NULL on failure.
 * POSIX: a state word in shared memory (shm_open "/xipc:NAME", or memfd) waited on with a futex.
 * A set on an event that is still set counts the waiters asleep in the kernel, up to 64 at once,
 * to know whether another release may be pending; a waiter in its first microseconds (it spins
 * before it sleeps) or beyond those 64 (it polls the state with pauses of up to 8 ms) is not
 * counted, so a set that comes before the last one's release was taken, while only such waiters
 * wait, is merged with it as a set of a set event is. */
XIPC_API int xipc_event_open(const char *name, unsigned flags, xipc_event **out);

/* Sets the event. Returns 0; XIPC_EINVAL; XIPC_EBADF; XIPC_ECORRUPT (POSIX: the shared state
 * holds a value no xipc process writes); XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_event_set(xipc_event *ev);

/* Resets a set event (no effect on an unset one). Returns 0; XIPC_EINVAL; XIPC_EBADF; XIPC_EOS
 * (Windows: ResetEvent failed). */
XIPC_API int xipc_event_reset(xipc_event *ev);

/* Waits up to timeout_ms for the event to be set; an auto-reset event is consumed by the wait.
 * Returns 0; XIPC_ETIMEDOUT; XIPC_EINVAL (also a bad timeout); XIPC_EBADF; XIPC_ECORRUPT (POSIX:
 * the shared state word holds a value no xipc process writes); XIPC_EOS (another OS failure:
 * xipc_last_os_error). */
XIPC_API int xipc_event_wait(xipc_event *ev, int timeout_ms);

/* Closes the handle (see "Lifetime" above). NULL, or a handle closed already, is a no-op. */
XIPC_API void xipc_event_close(xipc_event *ev);

/* Removes a name, for instance one left behind by a process that died. Handles already open keep
 * working. Returns 0; XIPC_ENOENT (no such name); XIPC_EINVAL (bad name, or the name holds
 * another kind); XIPC_EACCES (POSIX: not ours to remove, see "Security"); XIPC_EOS (another OS
 * failure: xipc_last_os_error). Windows: names never outlive their handles, so this returns
 * XIPC_ENOENT unless the object is still open, in which case it returns 0 and does nothing. */
XIPC_API int xipc_event_unlink(const char *name);

/* The event as a generic handle, for xipc_spawn_opts.handles, xipc_handle_export(),
 * xipc_handle_kind() and xipc_handle_native(). NULL for NULL. */
XIPC_API xipc_handle *xipc_event_handle(xipc_event *ev);

/* In a child: the event behind an export text (see "Passing on"). Returns 0; XIPC_EINVAL (NULL
 * argument, a malformed text or one of another kind, a native that is not an event); XIPC_EBADF
 * (nothing open under the native the text names); XIPC_EEXIST (a handle of this process holds it
 * already: the text was imported before); XIPC_ECORRUPT (POSIX: the shared memory is not an
 * event's); XIPC_ENOENT (POSIX, a named semaphore: its name is gone); XIPC_ENOMEM; XIPC_EOS
 * (another OS failure: xipc_last_os_error). The same codes for the other kinds' _import.
 * *out is NULL on failure. */
XIPC_API int xipc_event_import(const char *text, xipc_event **out);

/* In a spawned child: imports (as xipc_event_import) the event the parent listed at this index of
 * xipc_spawn_opts.handles (xipc/proc.h, "Passing handles"). Returns 0; XIPC_ENOENT (index is not
 * below xipc_inherited_count()); XIPC_EINVAL (NULL out; the handle at index is of another kind);
 * XIPC_EEXIST (fetched or imported already); and the other codes of xipc_event_import. *out is
 * NULL on failure. The same for xipc_sem_inherited and xipc_mutex_inherited. */
XIPC_API int xipc_event_inherited(size_t index, xipc_event **out);

/* ---- Semaphores ----------------------------------------------------------------------------- */

typedef struct xipc_sem xipc_sem;

/* The largest value a semaphore holds, on every platform (SEM_VALUE_MAX on Linux; the maximum
 * count xipc gives CreateSemaphoreW). */
#define XIPC_SEM_VALUE_MAX 0x7fffffff

/* Creates or opens a counting semaphore with the given initial value (used only when created).
 * Semaphores have no flags of their own. Returns as xipc_event_open, and XIPC_EINVAL for
 * initial > XIPC_SEM_VALUE_MAX.
 * POSIX: named semaphores are real sem_open("/NAME") objects, so a program that calls sem_open
 * itself shares them; anonymous ones are process-shared sem_t in memfd memory. */
XIPC_API int xipc_sem_open(const char *name, unsigned flags, unsigned initial, xipc_sem **out);

/* Adds one. Returns 0; XIPC_ELIMIT (the value is already XIPC_SEM_VALUE_MAX; nothing changed);
 * XIPC_EINVAL; XIPC_EBADF; XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_sem_post(xipc_sem *sem);

/* Waits up to timeout_ms for the value to be above zero, then takes one (0: try).
 * Returns 0; XIPC_ETIMEDOUT; XIPC_EINVAL (also a bad timeout); XIPC_EBADF; XIPC_EOS (another OS
 * failure: xipc_last_os_error). */
XIPC_API int xipc_sem_wait(xipc_sem *sem, int timeout_ms);

/* A snapshot of the current count: other processes may change it before the caller looks at it,
 * so it suits diagnostics and legacy code that calls sem_getvalue, not decisions (a wait with
 * timeout 0 takes one atomically). Returns 0; XIPC_EINVAL (NULL sem or value, or another kind);
 * XIPC_EBADF; XIPC_EOS (Windows: ntdll refused the query). POSIX: sem_getvalue. Windows: ntdll's
 * NtQuerySemaphore. */
XIPC_API int xipc_sem_value(xipc_sem *sem, unsigned *value);

/* As xipc_event_close. */
XIPC_API void xipc_sem_close(xipc_sem *sem);
/* As xipc_event_unlink. */
XIPC_API int xipc_sem_unlink(const char *name);
/* As xipc_event_handle. */
XIPC_API xipc_handle *xipc_sem_handle(xipc_sem *sem);
/* As xipc_event_import. */
XIPC_API int xipc_sem_import(const char *text, xipc_sem **out);
/* As xipc_event_inherited. */
XIPC_API int xipc_sem_inherited(size_t index, xipc_sem **out);

/* ---- Mutexes -------------------------------------------------------------------------------- */

typedef struct xipc_mutex xipc_mutex;

/* Creates or opens a mutex. Mutexes are recursive (as Windows mutexes are): the owner may lock
 * again and must unlock as many times. Mutexes have no flags of their own.
 * Returns as xipc_event_open. POSIX: a robust, process-shared, recursive pthread mutex in shared
 * memory. Windows: CreateMutexW, with a small shared section for the recovery state. */
XIPC_API int xipc_mutex_open(const char *name, unsigned flags, xipc_mutex **out);

/* Waits up to timeout_ms for the mutex. Returns 0 (held); XIPC_EOWNERDEAD (held, but the previous
 * owner died holding it: repair what it protects, then call xipc_mutex_consistent, or unlock to
 * give up, which makes the mutex unusable); XIPC_ENOTRECOVERABLE (a previous owner gave up: the
 * mutex is unusable for good; not held); XIPC_ETIMEDOUT; XIPC_ELIMIT (recursion too deep);
 * XIPC_ECORRUPT (Windows: the shared recovery record is not xipc's); XIPC_EINVAL (also a bad
 * timeout); XIPC_EBADF; XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_mutex_lock(xipc_mutex *mx, int timeout_ms);

/* Marks the state repaired after XIPC_EOWNERDEAD; the mutex stays held. Returns 0; XIPC_EINVAL
 * (not held after XIPC_EOWNERDEAD; POSIX (glibc) checks only that the mutex is inconsistent, not
 * that the caller holds it); XIPC_ECORRUPT (Windows); XIPC_EBADF; XIPC_EOS (another OS failure:
 * xipc_last_os_error). */
XIPC_API int xipc_mutex_consistent(xipc_mutex *mx);

/* Releases one level of ownership. Returns 0; XIPC_EPERM (the caller does not hold it);
 * XIPC_ECORRUPT (Windows: the shared recovery record is not xipc's); XIPC_EINVAL; XIPC_EBADF;
 * XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_mutex_unlock(xipc_mutex *mx);

/* As xipc_event_close. */
XIPC_API void xipc_mutex_close(xipc_mutex *mx);
/* As xipc_event_unlink. */
XIPC_API int xipc_mutex_unlink(const char *name);
/* As xipc_event_handle. Windows: a wait on the native takes the mutex outside xipc, which then
 * knows nothing of it (release it with ReleaseMutex). */
XIPC_API xipc_handle *xipc_mutex_handle(xipc_mutex *mx);
/* As xipc_event_import. */
XIPC_API int xipc_mutex_import(const char *text, xipc_mutex **out);
/* As xipc_event_inherited. */
XIPC_API int xipc_mutex_inherited(size_t index, xipc_mutex **out);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_SYNC_H */
