/* xipc/signal.h: the portable signals, read from a watch, and sent to a process by its id.
 *
 * Five signals exist on every platform, as bits of a set: XIPC_SIGNAL_INTERRUPT, _TERMINATE,
 * _HANGUP, _USER1 and _USER2. A process watches some of them (xipc_signal_watch) and reads what
 * arrives (xipc_signal_next), in its own code: xipc never runs user code in a signal handler.
 *
 * Delivery: a signal sent is pending until a watch reads it, and is never lost; several sends of
 * one kind before a read may arrive as one report, as POSIX signals do. Every kind sent after
 * the previous read is reported at least once. A watch reads its kinds in turn, so one kind sent
 * without pause does not hide the others.
 *
 * Default action: a signal that no watch of the target process watches ends that process, on
 * every platform, and its exit status says so: xipc_exit_status_signal() (xipc/proc.h) gives the
 * signal, for an end of kind XIPC_EXIT_CRASHED (POSIX: code is the OS signal number; Windows:
 * code is XIPC_SIGNAL_EXIT_CODE(sig)).
 *
 * One watch per signal per process: a process may hold several watches whose sets do not
 * overlap; a watch of a signal that another watch of the process holds is XIPC_EBUSY. Closing a
 * watch gives its signals back the action they had before it: POSIX the previous sigaction
 * (the default, or whatever the program had set); Windows the default action (the process ends).
 * A signal still pending in a watch when it closes is dropped: it was delivered, to the watch.
 *
 * POSIX: a watch installs a handler (sigaction, SA_RESTART) for its signals (SIGINT, SIGTERM,
 * SIGHUP, SIGUSR1, SIGUSR2) that only marks the signal pending and writes a byte into a pipe of
 * the watch. A handler the program installs for one of those signals afterwards replaces it, and
 * closing the watch puts back the action from before the watch, whatever was set in between. A
 * watched signal that every thread of the process blocks (sigprocmask) waits in the kernel until
 * a thread unblocks it. A process started by exec starts with the default actions again.
 * Sending is kill(2), so a program that never heard of xipc can signal a watching process, and
 * be signalled by one.
 * Windows: from its first watch on, a process keeps a small owner-only section,
 * "Local\xipc-signal#<pid>", with the pending bits and the watch holding each signal, and each
 * watch an owner-only event, "Local\xipc-signal#<pid>-<n>"; a sender sets the bit and the event,
 * or applies the default action (TerminateProcess) when the target does not watch the signal.
 * Only xipc's senders reach a watch there, and console control events, where the process has a
 * console: CTRL_C_EVENT and CTRL_BREAK_EVENT as INTERRUPT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT
 * and CTRL_SHUTDOWN_EVENT as TERMINATE. Windows ends a process once its handler returns from the
 * last three, or when the system's time for it runs out (5 seconds for CTRL_CLOSE_EVENT, by
 * default), so xipc's handler holds on for that time: a watcher that read TERMINATE has that long
 * to clean up and exit. A process that has Ctrl+C switched off (started with
 * CREATE_NEW_PROCESS_GROUP) keeps it off.
 *
 * Waiting together with other objects: a watch is ready in a wait set (xipc/waitset.h) while a
 * signal of it is pending. xipc_handle_native gives POSIX the read end of the watch's pipe,
 * readable then; Windows the watch's manual-reset event, set then. A signal that arrives while
 * xipc_signal_next reads another may leave the native ready once more after its report: a read
 * with timeout 0 then gives XIPC_ETIMEDOUT.
 *
 * A watch cannot be passed to a child (xipc_handle_export and xipc_spawn give XIPC_ENOTSUP):
 * signals belong to a process.
 *
 * Errors every call of this header on a watch may return besides those it names: XIPC_EINVAL
 * for a NULL handle or a handle of another kind, and XIPC_EBADF for a closed one.
 *
 * Threads: xipc_signal_send, and calls on different watches, may run in several threads at once;
 * one watch is read (xipc_signal_next) by one thread at a time, and not closed while in use.
 */
#ifndef XIPC_SIGNAL_H
#define XIPC_SIGNAL_H

#include "xipc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The portable signals, as bits of a set. POSIX: SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2. */
#define XIPC_SIGNAL_INTERRUPT 0x01 /* Ctrl+C; Windows also Ctrl+Break */
#define XIPC_SIGNAL_TERMINATE 0x02 /* a polite request to end; Windows also closing the console */
#define XIPC_SIGNAL_HANGUP    0x04 /* the terminal or controlling peer went away */
#define XIPC_SIGNAL_USER1     0x08
#define XIPC_SIGNAL_USER2     0x10
#define XIPC_SIGNAL_ALL       0x1f

/* Windows: the exit code of a process a signal's default action ended (TerminateProcess from
 * xipc_signal_send), for one signal: an NTSTATUS-shaped error code with the customer bit set
 * ("XS" and the signal's bit), so xipc_proc_wait reports XIPC_EXIT_CRASHED with this code. */
#define XIPC_SIGNAL_EXIT_CODE(sig) (0xE0585300u | (unsigned)(sig))

/* A watch over a set of signals. */
typedef struct xipc_signal xipc_signal;

/* Starts watching the signals of set (a non-empty OR of XIPC_SIGNAL_*): from now on they are
 * read from *out and no longer end the process. Returns 0; XIPC_EINVAL (set empty or with other
 * bits; NULL out); XIPC_EBUSY (another watch of this process holds one of the signals);
 * XIPC_EACCES (Windows: the object name this process's watch uses is held by an object this
 * watch did not make, another user's or one left over: see the header comment); XIPC_ELIMIT
 * (Windows: this process made 2^31 - 1 watches already); XIPC_ENOMEM;
 * XIPC_EMFILE; XIPC_ENFILE; XIPC_EOS (another OS failure: xipc_last_os_error). *out is NULL on
 * failure. */
XIPC_API int xipc_signal_watch(unsigned set, xipc_signal **out);

/* Waits up to timeout_ms for a signal of the watch's set and reports one in *sig (one
 * XIPC_SIGNAL_* bit). Returns 0; XIPC_ETIMEDOUT (none pending); XIPC_EINVAL (NULL sig, bad
 * timeout); XIPC_EBADF; XIPC_ENOMEM; XIPC_EOS (another OS failure: xipc_last_os_error). Windows:
 * the watch trusts no more of its shared section than the pending bits of its own signals. */
XIPC_API int xipc_signal_next(xipc_signal *w, int *sig, int timeout_ms);

/* Stops watching: the watch's signals get back the action they had before it (see above). NULL,
 * or a watch closed already, is a no-op. */
XIPC_API void xipc_signal_close(xipc_signal *w);

/* The watch as a generic handle, for xipc_handle_kind(), xipc_handle_native() and wait sets. NULL
 * for NULL. */
XIPC_API xipc_handle *xipc_signal_handle(xipc_signal *w);

/* Sends sig (one XIPC_SIGNAL_* bit) to process pid, this one included. The call does not wait
 * for the target to read it, or to end. Returns 0; XIPC_EINVAL (sig not exactly one portable
 * signal; pid 0); XIPC_ENOENT (no process has that id); XIPC_EPERM (the process is not ours to
 * signal: another user's); XIPC_EACCES (Windows: the target's signal objects belong to another
 * user, who made them first; nothing was sent); XIPC_ECORRUPT (Windows: the target's section is
 * not what xipc writes there; nothing was sent); XIPC_ENOTSUP (Windows: the process runs in
 * another session, where this one cannot see its signal objects; nothing was sent); XIPC_ENOMEM;
 * XIPC_EOS (another OS failure: xipc_last_os_error). POSIX: a child that ended and was not yet
 * waited for still has its id, and a send to it returns 0.
 * POSIX: kill(pid, signal). Windows: to a process that watches sig, it is set pending in the
 * process's section; else the process ends (TerminateProcess with XIPC_SIGNAL_EXIT_CODE(sig)).
 * A process id is only a number: pids are reused, and a send to an id whose process ended may
 * reach a new process with that id (Windows: not during the call, which holds the process). */
XIPC_API int xipc_signal_send(uint64_t pid, int sig);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_SIGNAL_H */
