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

/* Threads of this process, to prove no helper thread outlived its handle; -1 if unknown. */
int xt_os_thread_count(void);

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

/* POSIX: the mode bits of the object that xipc keeps under a sync name (kind "event", "mutex", "mq" or
 * "sem"), or -1 where there is no such file to look at (Windows). */
int xt_os_sync_object_mode(const char *kind, const char *name);

/* POSIX: gives that object to another user (uid 65534). 0, or -1 where that is not possible
 * (not root, or Windows). */
int xt_os_give_sync_object_away(const char *kind, const char *name);

/* Posts a named semaphore with the raw OS calls, as a program that never heard of xipc would:
 * sem_open("/NAME") + sem_post, or OpenSemaphoreW(L"Local\\NAME") + ReleaseSemaphore. 0 or -1. */
int xt_os_raw_sem_post(const char *name);

/* A connected message socket pair made with the raw calls, as a program that never heard of
 * xipc makes one (POSIX socketpair(AF_UNIX, SOCK_SEQPACKET)): 0, or -1 where there is none
 * (Windows). xt_os_raw_message_send writes one message of len bytes, however long (0 or -1);
 * xt_os_raw_close closes one end. */
int xt_os_raw_message_pair(intptr_t fds[2]);
int xt_os_raw_message_send(intptr_t fd, const void *buf, size_t len);
void xt_os_raw_close(intptr_t fd);

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

/* Whether a pipe end can tell a wait set it has room (POSIX: poll; Windows cannot, and xipc
 * documents XIPC_ENOTSUP for XIPC_WAITSET_WRITE on its pipes). */
bool xt_os_pipes_report_room(void);

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
/* Removes a file, or a directory and everything in it (POSIX; nothing on Windows). */
void xt_os_remove_tree(const char *path);

/* POSIX: forks this process (no exec), runs fn(arg) in the child, which then exits with what fn
 * returned (0..255), and waits for it: the child's exit code, or -1 when it did not exit
 * normally. -1 at once where there is no fork (Windows): the caller skips. */
int xt_os_fork_run(int (*fn)(void *), void *arg);

/* ---- FIFOs ------------------------------------------------------------------------------- */

/* Gives the FIFO at path to another user, as if that user had made it for everyone: POSIX
 * chown to uid 65534 and mode 0666 (needs root); Windows: the owner of the marker file becomes
 * BUILTIN\Users (needs SeRestorePrivilege). 0, or -1 where that is not possible (also under
 * Wine 8, which keeps no owner a program sets). */
int xt_os_fifo_give_away(const char *path);

/* Makes link a symbolic link to target. 0, or -1 where that is not possible (Windows without the
 * privilege or developer mode; Wine 8, whose CreateSymbolicLinkW makes nothing). */
int xt_os_symlink(const char *target, const char *link);

/* Whether paths may hold control characters and name devices only in /dev (POSIX), or not
 * (Windows: a leaf named CON, NUL, COM1... is a device in every directory). */
bool xt_os_paths_take_any_byte(void);

/* ---- named pipes ------------------------------------------------------------------------- */

/* POSIX: the path of the socket file xipc uses for the named pipe name (<runtime dir>/NAME, the
 * directory made 0700 if missing). 0, or -1 (also on Windows, where pipes have no file). */
int xt_os_npipe_socket_path(const char *name, char *buf, size_t cap);

/* A named-pipe server that is not xipc's, made with the raw OS calls under the name xipc gives
 * the pipe name, as a program that never heard of xipc makes it. POSIX: an AF_UNIX socket bound
 * at <runtime dir>/NAME, without xipc's lock file; a stream or seqpacket one listens with a
 * backlog of 0. Windows: \\.\pipe\NAME from CreateNamedPipeW with an owner-only DACL and a
 * single instance (nMaxInstances 1), synchronous. Kinds: */
enum {
    XT_RAW_BYTE,
    XT_RAW_MESSAGE,
    XT_RAW_BYTE_ANY_INSTANCES, /* Windows: nMaxInstances PIPE_UNLIMITED_INSTANCES (one made) */
    XT_RAW_DATAGRAM, /* POSIX only: a bound SOCK_DGRAM */
};
typedef struct xt_os_raw_server xt_os_raw_server;

/* Starts one; NULL when that fails (with a message on stderr) or the kind has no equivalent
 * here (a datagram socket on Windows). */
xt_os_raw_server *xt_os_raw_server_open(const char *name, int kind);

/* Makes the server busy with clients of its own: POSIX fills the backlog with raw connects until
 * the next one would wait (EAGAIN); Windows connects a raw client to the only instance. 0 or -1. */
int xt_os_raw_server_fill(xt_os_raw_server *srv);

/* Lets its own clients go (POSIX: accepts and closes them; Windows: closes its client and
 * DisconnectNamedPipe), and with gap_ms > 0 also closes its socket or instance, so that the name
 * is missing for gap_ms, before it makes a new one. Then waits for the next client, reads one
 * read's worth (up to 256 bytes) and writes it back, and lets that client go too. 0 or -1. */
int xt_os_raw_server_echo_next(xt_os_raw_server *srv, int gap_ms);

/* Closes everything it holds, and POSIX removes its socket file. NULL: no-op. */
void xt_os_raw_server_close(xt_os_raw_server *srv);

/* ---- events, semaphores, mutexes --------------------------------------------------------- */

/* What xt_os_plant_at_sync_name puts where the OS keeps the object of a sync name. */
enum {
    XT_PLANT_FIFO, /* POSIX: a FIFO of ours */
    XT_PLANT_FOREIGN_FIFO, /* POSIX: a FIFO of uid 65534, open to all (needs root) */
    XT_PLANT_LINK, /* POSIX: a symbolic link to a FIFO */
    XT_PLANT_EMPTY_FILE, /* POSIX: an empty file of ours, as a creator that died at once leaves */
    XT_PLANT_SHORT_FILE, /* POSIX: a file of ours, shorter than any header, not empty */
    /* A whole object whose header is not xipc's. POSIX: a file of ours, 8 KiB of 0xff (events and
     * mutexes). Windows (mutexes only): a raw mutex with a section of 0xff beside it. */
    XT_PLANT_BAD_HEADER,
};

/* Plants `what` under the sync name (kind "event", "mutex" or "sem"), as another program, another
 * user or a creator that died half way would leave it. 0, or -1 where that cannot be done here
 * (Windows, except a mutex's bad header; the foreign FIFO when not root). */
int xt_os_plant_at_sync_name(const char *kind, const char *name, int what);

/* Removes whatever is under the sync name now, and what a planted link points to. */
void xt_os_unplant_sync_name(const char *kind, const char *name);

/* POSIX: makes memfd_create fail with ENOSYS in this process and its children for good (a seccomp
 * filter), so that anonymous objects take the shm_open fallback. 0, or -1 where that cannot be
 * done (Windows, an unknown architecture, no seccomp). */
int xt_os_forbid_memfd(void);

/* POSIX: takes (creates) or gives back (removes) the shm_open names that xipc's fallback tries for
 * the anonymous objects of this process, numbers first .. first + count - 1 (posix_memfd.c:
 * "/xipc-anon:PID:N"). 0, or -1 (also on Windows). */
int xt_os_take_anon_names(unsigned first, unsigned count, bool take);

/* Opens a native handle that is no sync object, left open: which 0 the null device, 1 a scratch
 * file, 2 a socket (POSIX). Its value, or -1 where there is none. */
intptr_t xt_os_open_odd_native(int which);

/* 1 if the native handle (fd, HANDLE) would be inherited by a child (no FD_CLOEXEC,
 * HANDLE_FLAG_INHERIT), 0 if not, -1 if it is not open. */
int xt_os_native_inheritable(intptr_t native);

/* POSIX: changes the connected stream socket native as a program that is not xipc and holds it
 * too may: SO_RCVTIMEO and SO_SNDTIMEO of timeout_ms (0: none), and O_NONBLOCK on its open file
 * description if nonblocking. 0, or -1 (also on Windows, where a socket's timeouts do not apply
 * to the overlapped transfers xipc makes, and its mode is no description's flag). */
int xt_os_socket_meddle(intptr_t native, int timeout_ms, bool nonblocking);

/* ---- streams and processes --------------------------------------------------------------- */

/* Opens, inheritable, the i-th (0, 1, ...) native handle of a kind no stream import may take,
 * and names it in *what: POSIX a regular file, a directory, /dev/null, a listening socket, an
 * unconnected stream socket and a datagram socket; Windows a file, NUL and an event. -1 after
 * the last. */
intptr_t xt_os_open_non_stream_native(int i, const char **what);


void xt_os_close_native(intptr_t native);

/* ---- handles and waits ------------------------------------------------------------------- */

/* Every native handle open in this process now (POSIX: every descriptor; Windows: every handle
 * value): the count, of which the first cap go to out. */
size_t xt_os_list_natives(intptr_t *out, size_t cap);

/* The objects of the waitability test, and how xipc_handle_native's native waits for each here
 * (XT_WAIT_NONE: xipc_handle_native says XIPC_ENOTSUP). */
enum {
    XT_OBJ_PIPE_READER,
    XT_OBJ_PIPE_WRITER,
    XT_OBJ_PROC,
    XT_OBJ_EVENT,
    XT_OBJ_SEM,
    XT_OBJ_MUTEX,
    XT_OBJ_NPIPE_SERVER,
    XT_OBJ_NPIPE_STREAM, /* a byte-mode connection, the server's end */
    XT_OBJ_MSGPIPE, /* a message-mode connection, the server's end */
    XT_OBJ_FIFO_READER,
    XT_OBJ_FIFO_WRITER,
};
enum {
    XT_WAIT_NONE,
    XT_WAIT_FD, /* POSIX: a descriptor poll() reports ready */
    XT_WAIT_SIGNALLED, /* Windows: a HANDLE WaitForSingleObject reports signalled */
    XT_WAIT_ARMED, /* Windows: an overlapped pipe HANDLE, which a waiter must arm first */
};
int xt_os_wait_expected(int obj);

/* Whether native, waited on as `how` says, is ready now, without waiting: 1, 0, or -1 when it is
 * not what `how` says (not open, not a pipe). XT_WAIT_FD: poll() for POLLIN, or POLLOUT with
 * write. XT_WAIT_SIGNALLED: WaitForSingleObject(0), which takes an auto-reset event or a
 * semaphore unit as any wait does; a mutex it takes is released again. XT_WAIT_ARMED: a pipe
 * HANDLE, ready for reading when PeekNamedPipe sees bytes (no call is armed, nothing is taken),
 * always ready for writing. */
int xt_os_native_ready(intptr_t native, int how, bool write);

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

/* ---- processes killed from outside, and stdin -------------------------------------------- */

/* Kills process pid from outside xipc, with the OS's own calls, as another program would. POSIX:
 * kill(pid, sig); -1 on Windows, which has no signals. */
int xt_os_kill_with_signal(uint64_t pid, int sig);
/* Windows: OpenProcess(PROCESS_TERMINATE) and TerminateProcess(h, code); -1 on POSIX. */
int xt_os_terminate_with_code(uint64_t pid, uint32_t code);

/* This process's standard input as the OS has it: POSIX 0, Windows GetStdHandle's HANDLE. */
intptr_t xt_os_stdin_native(void);

/* ---- children's standard streams, written as a program that is not xipc writes them ------ */

/* One raw write of len bytes to this process's stdout (which 1) or stderr (2), as a plain
 * program makes it: POSIX write(2); Windows WriteFile on GetStdHandle's handle without an
 * OVERLAPPED. The count written (which may be short), or -1 on an error. */
long xt_os_std_write(int which, const void *buf, size_t len);

/* ---- jobs ---------------------------------------------------------------------------------- */

/* Windows: puts this process into a new job of its own that has no limits (so no breakaway for
 * its children), as a CI runner or a service host does. The job handle stays open. 0, or -1
 * where there are no jobs (POSIX) or the OS refused. */
int xt_os_join_new_job(void);

/* Windows: starts `--child proc_exit_with 0` with CREATE_BREAKAWAY_FROM_JOB, as a program that
 * wants out of the job it runs in (a daemon's launcher) does, and waits for it: 0 when it ran
 * and exited 0, else the GetLastError() of the refused CreateProcessW (ERROR_ACCESS_DENIED when
 * a job this process is in does not allow breakaway). -1 where there are no jobs (POSIX). */
long xt_os_spawn_breaking_away(void);

/* ---- pipe squatters, file identity -------------------------------------------------------- */

/* A pipe that another user made first, as a squatter on a machine-wide name would: Windows
 * creates \\.\pipe\ + pipe_name (a raw name: an xipc name, or xt_os_fifo_pipe_name's) with
 * SYSTEM as its owner and a DACL open to everyone, with two instances waiting for clients, made
 * as xipc makes its own (fifo: a FIFO reader's inbound message pipe; else a byte-mode server's
 * duplex byte pipe), so that only a check of the first instance tells them apart (Wine refuses
 * an instance whose type differs from the pipe's with ERROR_ACCESS_DENIED).
 * NULL where that cannot be made, with the reason in *why: POSIX (named pipes and FIFOs there
 * are files in the file system, whose owners are checked), or Windows without the privilege to
 * give an object another owner (SeRestorePrivilege). */
typedef struct xt_os_squatter xt_os_squatter;
xt_os_squatter *xt_os_squat_pipe(const char *pipe_name, bool fifo, const char **why);
/* Bytes the squatter's instances have received (and not read), from every client. */
long xt_os_squatter_received(xt_os_squatter *sq);
void xt_os_squatter_close(xt_os_squatter *sq);

/* Windows: the raw name of the pipe the ends of the FIFO at path meet on, as win32_fifo.c makes
 * it from the marker file's identity and stamp ("xipc-fifo-" + volume serial + '-' + file id +
 * '-' + the stamp the marker holds, in hex).
 * 0, or -1 (also on POSIX, where the FIFO is the file itself). */
int xt_os_fifo_pipe_name(const char *path, char *buf, size_t cap);

/* Makes link_path a second hard link to the file target (POSIX link(2), Windows CreateHardLinkW).
 * 0, or -1 where that is not possible. */
int xt_os_hard_link(const char *target, const char *link_path);

/* Makes the open file description of the pipe end native O_NONBLOCK, as another program sharing
 * it may (POSIX fcntl). false where the OS has no such mode (Windows). */
bool xt_os_make_description_nonblocking(intptr_t native);

/* CPU time this process has used (user + system), in milliseconds. */
uint64_t xt_os_cpu_ms(void);

/* ---- shared memory sections -------------------------------------------------------------- */

/* POSIX: the file behind the section "/NAME" (/dev/shm/NAME on Linux), for xt_os_path_mode,
 * xt_os_chmod and xt_os_chown_path. 0, or -1 where a section has no file (Windows). */
int xt_os_shm_path(const char *name, char *buf, size_t cap);

/* Gives a fault (a write to read-only memory) its default action again, as xt_os_crash does: the
 * sanitizers catch SIGSEGV and exit normally. Nothing to do on Windows. */
void xt_os_fault_default(void);

/* A program that never heard of xipc opens the section NAME, checks that it is size bytes long
 * and that its first min(size, 4096) bytes hold xt_pattern, then writes the 16 bytes of
 * XT_FOREIGN_ANSWER at offset size - 16. POSIX: python3's
 * multiprocessing.shared_memory.SharedMemory(name=NAME), in its own process; Windows: this
 * process with the raw OpenFileMappingW + MapViewOfFile (a view's size is in pages there, so only
 * that it holds size bytes is checked). 0 done, 77 no python3 here, else -1. */
#define XT_FOREIGN_ANSWER "foreign-answered"
int xt_os_foreign_shm_answer(const char *name, size_t size);

/* Lets this process hold at least want descriptors (POSIX: raises the soft RLIMIT_NOFILE, up to
 * the hard one; Windows has no such limit). 0, or -1 when the limit stays below want. */
int xt_os_raise_fd_limit(unsigned want);

/* ---- Sockets ---------------------------------------------------------------------------------- */

/* Makes room for at least n open descriptors in this process (POSIX: RLIMIT_NOFILE's soft limit,
 * up to the hard one; children inherit it). 0, or -1 when the hard limit is lower. Windows has
 * no such limit: 0. */
int xt_os_fd_limit_at_least(int n);

/* Whether a child started by any means (not only xipc_spawn, which passes listed handles only)
 * would inherit native: POSIX no FD_CLOEXEC; Windows HANDLE_FLAG_INHERIT. */
bool xt_os_is_inheritable(intptr_t native);

/* ---- Signals ---------------------------------------------------------------------------------- */

/* Whether this process may become another user (POSIX: it runs as root); false on Windows. */
bool xt_os_can_become_other_user(void);

/* Becomes uid and gid 65534 for good (POSIX, as root). 0, or -1 (also on Windows). */
int xt_os_become_other_user(void);

/* POSIX: makes SIGHUP ignored (SIG_IGN) in this process, as nohup does. 0, or -1 on Windows,
 * where a process has no action to set for it but xipc's. */
int xt_os_ignore_hangup(void);

/* Windows: makes a section at the name xipc's signal watch of process pid uses
 * ("Local\xipc-signal#<pid>"), 4 KiB of 0xff, as a squatter or a stray program would, and leaves
 * it open: its HANDLE (close it with xt_os_close_native). -1 where that is not possible, and on
 * POSIX, where signals have no names. */
intptr_t xt_os_plant_signal_section(uint64_t pid);

/* Windows: runs `--child role arg` in a console of its own (CREATE_NEW_CONSOLE: alone on it, so
 * a console control event it generates reaches no other process), waits for it and gives its
 * exit code in *code. 0, or -1 where that is not possible (POSIX: no consoles). */
int xt_os_run_in_own_console(const char *role, const char *arg, uint32_t *code);

/* Windows: GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0), to every process on this console: 0, or
 * GetLastError() of the refusal. -1 on POSIX. */
long xt_os_console_ctrl_c(void);

/* A byte-range lock as a program that never heard of xipc takes it: POSIX a classic fcntl
 * F_SETLK record lock (owned by the process), Windows LockFileEx with LOCKFILE_FAIL_IMMEDIATELY.
 * Opens path read-write and tries once (len 0: to the end of the file). Returns 0 when the lock is
 * held (the file stays open, and locked, until the process ends), 1 when a conflicting lock is
 * held elsewhere, -1 on any other failure. */
int xt_os_raw_file_lock(const char *path, uint64_t offset, uint64_t len, bool exclusive);

#endif /* XT_OS_H */
