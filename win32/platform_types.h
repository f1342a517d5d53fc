/* win32/platform_types.h: the Win32 definitions of the contract's structs (common/platform.h).
 * A zeroed struct means "not open": every HANDLE is stored as NULL for "none", never
 * INVALID_HANDLE_VALUE. HANDLE is void *; spelling it so keeps <windows.h> out of common/. */
#ifndef XIPC_WIN32_PLATFORM_TYPES_H
#define XIPC_WIN32_PLATFORM_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cl accepts /std:c11 but not C11's _Thread_local (common/platform.h's default); its own
 * __declspec(thread) is the same storage, and clang-cl takes it too. Implicit TLS in a DLL that
 * is loaded late works since Vista. */
#if defined(_MSC_VER)
#define XIPC__THREAD_LOCAL __declspec(thread)
#endif

/* What a stream is: its variant, which chooses its transfers (one switch in win32_stream.c's
 * read and write, no flag tested per variant), and the calls that depend on it (peer pid,
 * passing to a child). The first three are overlapped pipe ends, all read and written alike.
 * Zero is an anonymous pipe end, or any pipe end a parent passed on (a child cannot tell which
 * it got). */
enum xipc__win32_stream_kind {
    XIPC__WIN32_STREAM_ANON = 0,
    XIPC__WIN32_STREAM_NPIPE_SERVER = 1, /* the server's end of a named-pipe connection */
    XIPC__WIN32_STREAM_NPIPE_CLIENT = 2, /* the client's end */
    XIPC__WIN32_STREAM_FIFO_WRITER = 3, /* a client of a FIFO's pipe (win32_fifo.c) */
    XIPC__WIN32_STREAM_FIFO_READER = 4, /* all its state is in fifo; handle is NULL */
    /* A synchronous standard handle (xipc_stream_stdio), std_io says which; a standard handle
     * that is an overlapped pipe end is an XIPC__WIN32_STREAM_ANON. */
    XIPC__WIN32_STREAM_STD_SYNC = 5,
    /* A TCP connection (win32_sock.c): handle is the SOCKET, non-blocking, waited on with
     * WSAPoll; no events. */
    XIPC__WIN32_STREAM_SOCKET = 6,
    /* An end of a duplex pipe (xipc_duplex): an overlapped pipe end whose zero-byte read is the
     * other end's half-close (win32_duplex.c). */
    XIPC__WIN32_STREAM_DUPLEX = 7,
};

/* How a stream over a standard handle (xipc_stream_stdio) does its I/O; none for every other
 * stream. A standard handle is usually synchronous, so most of these are read and written in
 * the calling thread, cut at the deadline by CancelSynchronousIo (win32_stream.c). */
enum xipc__win32_std_io {
    XIPC__WIN32_STD_NONE = 0, /* not a standard handle */
    XIPC__WIN32_STD_OVERLAPPED = 1, /* an overlapped pipe end (an xipc parent's): as any stream */
    XIPC__WIN32_STD_SYNC_PIPE = 2, /* a synchronous pipe end (CreatePipe's, a shell's) */
    XIPC__WIN32_STD_SYNC_DEVICE = 3, /* a character device other than a console (NUL) */
    XIPC__WIN32_STD_SYNC_FILE = 4, /* a file: never waits */
    XIPC__WIN32_STD_CONSOLE = 5, /* a console: a read cannot be cut at a deadline */
};

struct xipc__win32_msg_head; /* win32_npipe.c */
struct xipc__win32_fifo_reader; /* win32_fifo.c */

/* Every stream kind: anonymous pipe ends, named-pipe connections of either mode, FIFO ends.
 * Not open when handle and fifo are both NULL. common/ copies the struct after opening it, so
 * anything an OVERLAPPED may point into lives on the heap, behind a pointer. */
struct xipc__os_stream {
    void *handle; /* the pipe end, opened for overlapped I/O; NULL: none */
    /* Manual-reset events for the OVERLAPPED of a read and of a write, each made at its first
     * use (xipc__win32_stream_event; NULL until then): one thread may read while another
     * writes (xipc/pipe.h), so each direction has its own. */
    void *read_event;
    void *write_event;
    /* The most one WriteFile may carry: the pipe's buffer quota. A pending write no larger than
     * the quota is never partly consumed (see win32_stream.c), which keeps *put exact. */
    uint32_t write_chunk;
    enum xipc__win32_stream_kind kind;
    /* A duplicate of this process's standard handle, and how to use it; never passed to a child
     * as an extra handle, whose import would take it for an overlapped pipe end. */
    enum xipc__win32_std_io std_io;
    /* Message mode: the start of a message a receive with too small a buffer took from the pipe,
     * kept for the next receive (win32_npipe.c). NULL when none; malloc'd. */
    struct xipc__win32_msg_head *head;
    /* A FIFO reader: its pipe instances, completion port and buffers. NULL otherwise. */
    struct xipc__win32_fifo_reader *fifo;
    /* A socket's (XIPC__WIN32_STREAM_SOCKET): the section a child inherits in its place, through
     * which the socket is duplicated for it (win32_sock.c). NULL otherwise. */
    void *share;
    /* A duplex end's (XIPC__WIN32_STREAM_DUPLEX): this end was shut for writing; the other
     * end's half-close (or close) was read. */
    bool shut_write;
    bool peer_shut;
    /* A named-pipe connection's that passed handles (win32_pass.c): the peer's process, opened
     * with PROCESS_DUP_HANDLE at the first pass and closed with the stream, and its id. NULL:
     * none passed yet. */
    void *peer_process;
    uint32_t peer_process_id;
    /* A pipe end a peer passed (xipc__os_stream_adopt_passed) is taken as one without asking
     * what it is: until its first read, write or shutdown asks (xipc__win32_stream_classify,
     * under classify_lock, an SRWLOCK), unclassified is set, and kind and write_chunk are not
     * yet its own. A wait needs neither: every pipe end is waited on alike. */
    _Atomic bool unclassified;
    void *classify_lock;
    /* A FIFO writer's (kind XIPC__WIN32_STREAM_FIFO_WRITER): where each write's frame (length,
     * then bytes) is put together, as long as the largest frame, malloc'd (win32_fifo.c). */
    unsigned char *frame;
};

struct xipc__win32_listener; /* win32_npipe.c */

/* A named-pipe server. Not open when listener is NULL. */
struct xipc__os_npipe {
    struct xipc__win32_listener *listener; /* the name claim, the spare instance, its OVERLAPPED */
};

/* A listening socket (win32_sock.c), non-blocking. Not open when sock is 0 (no SOCKET has that
 * value: socket handles are kernel handles, never 0). */
struct xipc__os_listener {
    uintptr_t sock;
    void *share; /* the section a child inherits in its place (win32_sock.c) */
    bool is_unix; /* AF_UNIX: its connections get no TCP_NODELAY */
    /* An AF_UNIX listener's socket file (UTF-8), removed by close; empty for TCP. */
    char path[108];
};

/* A UDP endpoint (win32_sock.c): non-blocking, waited on with WSAPoll. 0: not open. */
struct xipc__os_dgram {
    uintptr_t sock;
    void *share; /* the section a child inherits in its place (win32_sock.c) */
    void *read_event; /* manual-reset: a receive that waits is overlapped (win32_sock.c) */
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

/* A shared section (win32_shm.c). */
struct xipc__os_shm {
    void *ptr; /* the view; NULL: not open */
    size_t size; /* the section's size as its creator asked */
    void *section; /* the section's HANDLE */
    bool read_only; /* the view and the handle allow reading only */
};

/* A file mapping (win32_shm.c). The section is closed once the view is mapped. */
struct xipc__os_filemap {
    void *ptr; /* the byte at the offset asked for; NULL: not open */
    size_t size; /* len as asked */
    void *base; /* the view, from the allocation-granularity boundary at or before the offset */
    void *file; /* the file's HANDLE, kept for FlushFileBuffers */
    bool writable;
};

/* A signal watch (win32_signal.c): the signals it holds and its manual-reset event, set while a
 * signal of it is pending; the pending bits live in the process's shared section. set 0: not
 * open. */
struct xipc__os_signal {
    unsigned set;
    void *event; /* the event's HANDLE, named Local\xipc-signal#<pid>-<its number> */
    unsigned last; /* the bit reported last: the next report starts after it */
};

/* A file to lock (win32_flock.c): its handle, whose file object owns the locks. Overlapped on
 * Windows, so that a wait for a lock can be cancelled; synchronous under Wine, whose overlapped
 * lock waits do not work (overlapped false), where a limited wait polls for up to
 * poll_budget_us first (0: not adapted yet). */
struct xipc__os_flock {
    void *file; /* HANDLE; NULL: not open */
    bool overlapped;
    _Atomic uint32_t poll_budget_us;
};

#endif /* XIPC_WIN32_PLATFORM_TYPES_H */
