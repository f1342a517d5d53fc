/* tests/xt_os.h: the few things a test needs from the OS directly, implemented once per platform
 * in tests/posix/xt_os.c and tests/win32/xt_os.c (CMake compiles one), so that the tests
 * themselves have no platform conditionals. */
#ifndef XT_OS_H
#define XT_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called first in main. Windows: no crash dialogs, and argv replaced by UTF-8 strings from
 * GetCommandLineW (the CRT's argv is in the ANSI code page). */
void xt_os_init(int *argc, char ***argv);

/* The absolute path of this test binary. */
const char *xt_os_self_exe(void);

/* Whether we run under Wine (decided at runtime, never by #if). */
bool xt_os_is_wine(void);

/* Open descriptors (POSIX) or handles (Windows) in this process, to prove nothing leaked. */
int xt_os_handle_count(void);

/* A monotonic clock in milliseconds. */
uint64_t xt_os_now_ms(void);

void xt_os_sleep_ms(int ms);

/* Dies of an access violation: SIGSEGV with the default action, or an unhandled
 * EXCEPTION_ACCESS_VIOLATION, bypassing sanitizer handlers. */
void xt_os_crash(void);

/* The current directory, UTF-8. Returns 0 or -1. */
int xt_os_getcwd(char *buf, size_t cap);

/* An environment variable as UTF-8 (malloc'd, caller frees), or NULL if unset. */
char *xt_os_getenv(const char *name);

/* Sets (value non-NULL) or removes a variable in this process's environment. */
void xt_os_setenv(const char *name, const char *value);

/* Whether paths compare case-insensitively here. */
bool xt_os_paths_fold_case(void);

/* A path for a scratch file named tag in the temporary directory, UTF-8. */
void xt_os_temp_path(const char *tag, char *buf, size_t cap);

/* Whether named sync objects outlive the processes that hold them (POSIX: yes, until unlinked;
 * Windows: no). */
bool xt_os_names_outlive_processes(void);

/* POSIX: the mode bits of the object that xipc keeps under a sync name (kind "event", "mutex" or
 * "sem"), or -1 where there is no such file to look at (Windows). */
int xt_os_sync_object_mode(const char *kind, const char *name);

/* POSIX: gives that object to another user (uid 65534). 0, or -1 where that is not possible
 * (not root, or Windows). */
int xt_os_give_sync_object_away(const char *kind, const char *name);

/* Posts a named semaphore with the raw OS calls, as a program that never heard of xipc would:
 * sem_open("/NAME") + sem_post, or OpenSemaphoreW(L"Local\\NAME") + ReleaseSemaphore. 0 or -1. */
int xt_os_raw_sem_post(const char *name);

/* Whether named pipes live in a runtime directory of files (POSIX) or not (Windows). */
bool xt_os_has_runtime_dir(void);

/* Whether /bin/sh and cat are there to talk to a FIFO as programs without xipc would. */
bool xt_os_has_posix_shell(void);

/* Runs fn(arg) on a new thread; xt_os_thread_join waits for it and frees what start made. */
typedef struct xt_os_thread xt_os_thread;
xt_os_thread *xt_os_thread_start(void (*fn)(void *), void *arg);
void xt_os_thread_join(xt_os_thread *t);

/* Whether FIFOs are xipc's emulation (Windows), which takes only xipc writers. */
bool xt_os_fifo_is_emulated(void);

/* SIGPIPE's action in this process: XT_SIGPIPE_DEFAULT, _IGNORED or _HANDLED, or XT_SIGPIPE_NONE
 * where the OS has no SIGPIPE (Windows). */
enum { XT_SIGPIPE_NONE, XT_SIGPIPE_DEFAULT, XT_SIGPIPE_IGNORED, XT_SIGPIPE_HANDLED };
int xt_os_sigpipe_action(void);

/* POSIX file helpers for the security tests; each returns 0, or -1 (also on Windows). */
int xt_os_mkdir(const char *path, int mode);
int xt_os_chmod(const char *path, int mode);
int xt_os_chown_path(const char *path); /* to uid 65534; needs root */
/* The permission bits of path, or -1 if it does not exist (or on Windows). */
int xt_os_path_mode(const char *path);
/* Removes a directory and everything in it. */
void xt_os_remove_tree(const char *path);

/* POSIX: forks this process (no exec), runs fn(arg) in the child, which then exits with what fn
 * returned (0..255), and waits for it: the child's exit code, or -1 when it did not exit
 * normally. -1 at once where there is no fork (Windows): the caller skips. */
int xt_os_fork_run(int (*fn)(void *), void *arg);

/* ---- stream/proc helpers (issue 12) ---- */

/* Opens, inheritable, the i-th (0, 1, ...) native handle of a kind no stream import may take,
 * and names it in *what: POSIX a regular file, a directory, /dev/null, a listening socket, an
 * unconnected stream socket and a datagram socket; Windows a file, NUL and an event. -1 after
 * the last. */
intptr_t xt_os_open_non_stream_native(int i, const char **what);

/* Whether native is open and still inheritable (so a refused import changed nothing). */
bool xt_os_native_inheritable(intptr_t native);

void xt_os_close_native(intptr_t native);

/* Makes SIGCHLD's disposition one that lets POSIX discard children's exit statuses:
 * XT_SIGCHLD_IGNORE (SIG_IGN) or XT_SIGCHLD_NOCLDWAIT (SIG_DFL with SA_NOCLDWAIT);
 * XT_SIGCHLD_QUERY changes nothing. 0, or -1 where there is no SIGCHLD (Windows). */
enum { XT_SIGCHLD_QUERY, XT_SIGCHLD_IGNORE, XT_SIGCHLD_NOCLDWAIT };
int xt_os_sigchld_discard(int how);

/* Whether the kernel keeps a reaped child's exit status for the holder of a pidfd (Linux 6.15+,
 * PIDFD_INFO_EXIT), found by trying it. false on Windows. */
bool xt_os_kernel_keeps_reaped_status(void);

/* A child run as `--child role [arg]` with its stdin and stdout on pipes made by the OS's own
 * calls, as a parent that is not xipc makes them (pipe(2); CreatePipe, whose ends are
 * synchronous), and stderr inherited. It dies with the test on Windows (a kill-on-close job). */
typedef struct xt_os_raw_child xt_os_raw_child;
xt_os_raw_child *xt_os_raw_spawn(const char *role, const char *arg);
/* Writes all len bytes to its stdin, waiting as long as it takes. 0 or -1. */
int xt_os_raw_write(xt_os_raw_child *c, const void *buf, size_t len);
/* Reads what its stdout has, up to cap bytes, waiting for at least one: the count, 0 at the
 * end, -1 on an error. */
long xt_os_raw_read(xt_os_raw_child *c, void *buf, size_t cap);
void xt_os_raw_close_stdin(xt_os_raw_child *c);
/* Waits for it to end and frees c: its exit code, or -1. */
int xt_os_raw_wait(xt_os_raw_child *c);

/* Closes this process's standard input for good (POSIX: fd 0; Windows: the handle, and
 * SetStdHandle to NULL), as a process started without one has it. */
void xt_os_close_stdin(void);

#endif /* XT_OS_H */
