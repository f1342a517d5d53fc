/* xipc/proc.h: spawning a child process that inherits exactly the handles it is given.
 *
 * Only what a spawn lists reaches the child: its three standard streams and the extra handles in
 * xipc_spawn_opts.handles. Every other xipc handle, and on POSIX every other descriptor above 2,
 * stays behind (POSIX: closed in the child; Windows: PROC_THREAD_ATTRIBUTE_HANDLE_LIST).
 *
 * Passing handles: the child fetches the listed handles by their index in the list, as libuv's
 * stdio[3..] are numbered, with the fetch of their kind (xipc_stream_inherited, xipc_event_,
 * xipc_sem_, xipc_mutex_, xipc_msgpipe_inherited):
 *
 *     xipc_handle *pass[] = { xipc_stream_handle(wr), xipc_event_handle(ev) };
 *     opts.handles = pass;                                    // parent
 *     opts.handle_count = 2;
 *     xipc_spawn(&opts, &child);
 *     xipc_stream_inherited(0, &wr); xipc_event_inherited(1, &ev);   // child
 *
 * The numbering travels in the child's environment variable XIPC_INHERITED, which holds the
 * export texts (xipc_handle_export) of the list, in order, separated by spaces. xipc_spawn always
 * sets it to this spawn's list, or removes it for a spawn without handles, whatever the caller's
 * env and this process's own environment say, so a grandchild never sees its parent's numbers.
 * A child started some other way (system, exec) inherits the variable as it is: its numbers
 * describe handles of this process only. The texts also work by hand, as before: put them in
 * argv and call the family's _import.
 *
 * Threads: xipc_spawn may be called from several threads at once. A process handle is used by one
 * thread at a time.
 *
 * POSIX: xipc_proc_wait reads a child's exit status with waitpid. A program that ignores SIGCHLD
 * (SIG_IGN, or SA_NOCLDWAIT) lets the kernel reap its children on its own and discard their
 * statuses, and a program that reaps every child itself (waitpid(-1, ...)) takes them; Linux
 * 6.15 and later still keep the status for xipc, which holds a pidfd of each child from before
 * it can end (PIDFD_INFO_EXIT). Elsewhere such a status is gone: XIPC_ECHILD.
 */
#ifndef XIPC_PROC_H
#define XIPC_PROC_H

#include "xipc/base.h"
#include "xipc/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xipc_proc xipc_proc;

/* What a child's standard stream is connected to.
 *
 * XIPC_STDIO_PIPE is the one to give a program that is not xipc (libuv's UV_CREATE_PIPE):
 * xipc_spawn makes a new pipe, gives the child its end as an ordinary synchronous one (POSIX a
 * blocking descriptor; Windows a pipe handle opened without FILE_FLAG_OVERLAPPED), closes its own
 * copy of that end, and puts the other end, an ordinary xipc stream with timeouts (xipc/pipe.h),
 * in *pipe_end: for stdin the end that writes to the child, for stdout and stderr the end that
 * reads what the child wrote. End of stream comes when the child (and whatever it passed the end
 * on to) has closed it, with nothing for the caller to close first.
 *
 * XIPC_STDIO_STREAM gives the child a stream the caller made. POSIX: the child's copy is made
 * blocking, as ordinary programs expect (see stdio in xipc_spawn_opts). Windows: the child gets
 * the stream's own handle, and xipc's pipe ends are opened for overlapped I/O (which their
 * timeouts need); a file object opened so cannot be made synchronous afterwards. Microsoft
 * documents that ReadFile or WriteFile without an OVERLAPPED on such a handle "can incorrectly
 * report that the operation is complete" while other I/O is in flight on the same file object:
 * two threads of the child writing at once (stdout and stderr given the same stream, or one
 * stream written from two threads), or this process still using its copy. An xipc child reads
 * such a stream as overlapped (xipc_stream_stdio) and is not affected; for any other program,
 * use XIPC_STDIO_PIPE. */
enum xipc_stdio_mode {
    XIPC_STDIO_INHERIT = 0, /* the parent's own stdin/stdout/stderr (the default) */
    XIPC_STDIO_NULL = 1, /* the null device */
    XIPC_STDIO_STREAM = 2, /* the given stream */
    XIPC_STDIO_PIPE = 3 /* a new pipe; this process's end goes to *pipe_end */
};

typedef struct xipc_stdio {
    int mode; /* enum xipc_stdio_mode */
    xipc_stream *stream; /* for XIPC_STDIO_STREAM, else NULL */
    /* For XIPC_STDIO_PIPE (ignored for the other modes): where xipc_spawn puts this process's
     * end of the new pipe (NULL there when the spawn fails); the caller closes it. */
    xipc_stream **pipe_end;
} xipc_stdio;

/* Spawn flags. */
#define XIPC_SPAWN_CLEAR_ENV 0x1u /* start from an empty environment, not the parent's */
/* Kill the child when this process ends, however it ends. The promise is the direct child's
 * only, on every platform: what the child starts lives on, unless the child asked the same for
 * it. POSIX (Linux): PR_SET_PDEATHSIG, which fires when the spawning *thread* ends, so spawn from
 * a thread that lives as long as the child should. Windows: a kill-on-close job owned by this
 * process, which the child joins before it runs its first instruction (it starts suspended);
 * the job lets the child's own children out (silent breakaway) and lets the child ask for
 * CREATE_BREAKAWAY_FROM_JOB. Where a job this process is in forbids the child to join another
 * (Windows before 8, where a process in a job cannot join a second; a hierarchy of jobs Windows 8
 * and later cannot nest), the promise cannot be kept: xipc_spawn fails with XIPC_EPERM and the
 * child, which never ran, is gone (spawn again without the flag to run it unprotected). */
#define XIPC_SPAWN_DIE_WITH_PARENT 0x2u

typedef struct xipc_spawn_opts {
    /* The program. With a path separator it is used as given; without one it is searched for in
     * PATH. Windows: ".exe" is added when the name as given does not exist. Required. */
    const char *file;
    /* The arguments, NULL-terminated, argv[0] included. Required, with at least argv[0].
     * Windows: quoted so that the child's CommandLineToArgvW gives back exactly these strings.
     * argv[0] is read there literally up to a quote or blank, without escapes, so an argv[0]
     * holding '"' is XIPC_EINVAL. */
    const char *const *argv;
    /* "KEY=VALUE" entries, NULL-terminated, laid over the parent's environment (or over an empty
     * one with XIPC_SPAWN_CLEAR_ENV); "KEY" alone removes KEY. NULL: the parent's environment.
     * Windows: keys compare case-insensitively, as the OS does. */
    const char *const *env;
    /* The child's working directory; NULL keeps the parent's. */
    const char *cwd;
    /* stdin, stdout, stderr. A zeroed struct inherits all three. POSIX: a stream given here is
     * switched to blocking mode in the child, as ordinary programs expect; the parent should
     * close its copy after spawning (if it keeps it, its timeouts still hold, with writes cut to
     * PIPE_BUF). Windows: the child gets the overlapped handle, which a program that is not xipc
     * may misuse (see enum xipc_stdio_mode): give such programs XIPC_STDIO_PIPE. */
    xipc_stdio stdio[3];
    /* Extra handles the child inherits, numbered from 0 in this order for the child's
     * xipc_<kind>_inherited(index, ...) (see above); each keeps the value xipc_handle_export()
     * gives. The only way anything beyond stdio is inherited. */
    xipc_handle *const *handles;
    size_t handle_count;
    unsigned flags; /* XIPC_SPAWN_* */
} xipc_spawn_opts;

/* Starts the program. Strings are UTF-8. On success *out is the running child, and each
 * XIPC_STDIO_PIPE slot's *pipe_end this process's end of its pipe; on failure all are NULL.
 * Returns 0; XIPC_ENOENT (no such program, or no such cwd); XIPC_ENOTDIR (cwd is not a
 * directory); XIPC_EACCES (not executable); XIPC_ELIMIT (arguments and environment too long);
 * XIPC_EPERM (Windows, XIPC_SPAWN_DIE_WITH_PARENT: a job this process is in forbids the child to
 * join xipc's, see the flag); XIPC_EMFILE, XIPC_ENFILE (no descriptor or handle left for a
 * XIPC_STDIO_PIPE); XIPC_EINVAL (NULL opts or out, no file or argv[0], bad stdio mode, a stdio
 * stream that is NULL, not a stream or of the wrong direction, XIPC_STDIO_PIPE without a
 * pipe_end, or with a stream, or with the pipe_end of another slot, a NULL entry in handles,
 * unknown flags, invalid UTF-8 on Windows); XIPC_EBADF (a closed stream or handle); XIPC_ENOTSUP
 * (a handle of a kind that cannot be passed to a child, as xipc_handle_export() says for it: a
 * process (its wait belongs to its parent, xipc_proc_handle); a FIFO end that xipc/fifo.h says
 * cannot be passed; a message pipe holding a message that a receive with too small a buffer
 * took; a socket listener or datagram endpoint; Windows: a TCP connection as a child's stdio,
 * xipc/sock.h; XIPC_SPAWN_DIE_WITH_PARENT on a POSIX system that cannot do it, which Linux
 * can);
 * XIPC_ENOMEM; XIPC_EOS. */
XIPC_API int xipc_spawn(const xipc_spawn_opts *opts, xipc_proc **out);

/* In a spawned child: how many handles the parent listed in xipc_spawn_opts.handles, fetched by
 * index with xipc_stream_inherited(), xipc_event_inherited(), xipc_sem_inherited(),
 * xipc_mutex_inherited(), xipc_msgpipe_inherited() and xipc_npipe_inherited() (each once: a
 * second fetch of an index is XIPC_EEXIST). 0 when the parent listed none, or this process was
 * not started by xipc_spawn. Returns the count (>= 0), or XIPC_ENOMEM; XIPC_EOS (Windows: the
 * environment could not be read). */
XIPC_API int xipc_inherited_count(void);

/* How a child ended, as far as the OS can tell.
 * - xipc_proc_kill() ended it: XIPC_EXIT_KILLED, code 0, on every platform (a child that ended on
 *   its own before the kill reached it reports that end instead).
 * - Killed by anyone else: POSIX XIPC_EXIT_CRASHED with the signal number as code (SIGKILL 9,
 *   SIGTERM 15...), as for any death by a signal. Windows records no difference between
 *   TerminateProcess(h, n) from another process and the child's own ExitProcess(n): the report
 *   gives n as code, XIPC_EXIT_CRASHED when n is an NTSTATUS error (0xC..., as
 *   STATUS_CONTROL_C_EXIT 0xC000013A) and XIPC_EXIT_NORMAL otherwise (taskkill /F and Task
 *   Manager give 1, a normal exit 1). Wine: a Windows process whose Unix process was killed by a
 *   signal reports the code wineserver gives it, and no crash. */
enum xipc_exit_kind {
    XIPC_EXIT_NORMAL = 1, /* it exited; code holds its exit code */
    XIPC_EXIT_CRASHED = 2, /* it died abnormally: POSIX a signal (code = signal number), Windows an
                              unhandled exception or a termination with an NTSTATUS error code
                              (code = the NTSTATUS, e.g. 0xC0000005) */
    XIPC_EXIT_KILLED = 3 /* xipc_proc_kill() ended it; code is 0 */
};

typedef struct xipc_exit_status {
    int kind; /* enum xipc_exit_kind */
    uint32_t code; /* see the kind; POSIX exit codes are 0..255 */
} xipc_exit_status;

/* The portable signal (XIPC_SIGNAL_*, xipc/signal.h) whose default action ended a child, as
 * xipc_proc_wait reported its end in *status, or 0 for any other end (NULL status: 0). Such an
 * end is XIPC_EXIT_CRASHED on every platform: POSIX code is the OS signal number (SIGTERM
 * 15...); Windows code is XIPC_SIGNAL_EXIT_CODE(signal), which xipc_signal_send's
 * TerminateProcess gives, or STATUS_CONTROL_C_EXIT (0xC000013A), the end a console control
 * event's default action gives, which reads as XIPC_SIGNAL_INTERRUPT (Windows does not tell
 * Ctrl+C from Ctrl+Break or a closed console there). Never fails. */
XIPC_API int xipc_exit_status_signal(const xipc_exit_status *status);

/* Waits up to timeout_ms for the child to end, then reports how. May be called again after it
 * returned 0 (the same status). Returns 0; XIPC_ETIMEDOUT (still running); XIPC_ECHILD (POSIX,
 * before Linux 6.15 or without pidfds: the child has ended but its status is gone, because the
 * program ignores SIGCHLD or reaped the child itself, see above; every later wait says so too);
 * XIPC_EINVAL (NULL p or status, bad timeout); XIPC_EBADF (closed handle); XIPC_EOS (another OS
 * failure: xipc_last_os_error). Windows: abort() in the child is an exit with code 3 (the CRT's
 * choice), not a crash. */
XIPC_API int xipc_proc_wait(xipc_proc *p, xipc_exit_status *status, int timeout_ms);

/* Ends the child at once (POSIX: SIGKILL, through a pidfd where Linux has one; Windows:
 * TerminateProcess); xipc_proc_wait() then reports XIPC_EXIT_KILLED with code 0. A child that
 * has already ended, or whose status is gone (XIPC_ECHILD from xipc_proc_wait), is not an
 * error: no signal is sent to a pid that may be reused. Returns 0; XIPC_EINVAL (NULL p);
 * XIPC_EBADF (closed handle); XIPC_EOS (another OS failure: xipc_last_os_error). */
XIPC_API int xipc_proc_kill(xipc_proc *p);

/* The child's process id. Returns 0; XIPC_EINVAL (NULL p or pid); XIPC_EBADF (closed handle). */
XIPC_API int xipc_proc_pid(const xipc_proc *p, uint64_t *pid);

/* Releases the handle. Does not kill or wait for the child. NULL, or a handle closed already, is a
 * no-op. POSIX: a child that is closed before it was waited for becomes a zombie when it exits,
 * until this process reaps it or exits. */
XIPC_API void xipc_proc_close(xipc_proc *p);

/* The process as a generic handle, for xipc_handle_kind() and xipc_handle_native() (POSIX: a
 * pidfd, where Linux has them; Windows: the process HANDLE; both ready once the child ended).
 * NULL for NULL. A process cannot be passed to a child in this version, so there is no
 * xipc_proc_import (xipc_handle_export() and xipc_spawn() give XIPC_ENOTSUP): on POSIX only the
 * parent can read a child's exit status (waitpid), or a holder of its pidfd on Linux 6.15 and
 * later only, so a passed process could not keep xipc_proc_wait's promise everywhere. */
XIPC_API xipc_handle *xipc_proc_handle(xipc_proc *p);

/* The calling process's id. Never fails. */
XIPC_API uint64_t xipc_self_pid(void);

/* The absolute path of the running program, UTF-8, so a program can spawn itself as its own
 * child. Returns 0; XIPC_EINVAL (NULL buf, cap 0); XIPC_ENAMETOOLONG (cap too small); XIPC_EOS. */
XIPC_API int xipc_self_exe(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* XIPC_PROC_H */
