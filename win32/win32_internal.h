/* win32/win32_internal.h: helpers the Win32 files share. Not part of the contract. */
#ifndef XIPC_WIN32_INTERNAL_H
#define XIPC_WIN32_INTERNAL_H

#include <windows.h>

#include "platform.h"

/* The exit code xipc__os_proc_kill passes to TerminateProcess: "XIPC" in ASCII. It is neither a
 * common exit code nor an NTSTATUS error (0xC...), so a child that ends with it on its own is
 * unlikely, and xipc__os_proc_wait reports XIPC_EXIT_KILLED only when xipc also asked for it. */
#define XIPC__WIN32_KILL_CODE 0x58495043u

/* ---- Waiting (win32_clock.c) ---------------------------------------------------------------- */

/* Waits for h until dl. Returns WAIT_OBJECT_0 when h is signaled, WAIT_ABANDONED when h is a
 * mutex whose owner ended holding it (the caller now owns it), WAIT_TIMEOUT once dl has passed
 * (a deadline already passed polls once), or WAIT_FAILED with GetLastError() set. A wait that
 * returns before dl (timer granularity) is resumed with the time left. */
DWORD xipc__win32_wait(HANDLE h, xipc__deadline dl);

/* Whether this process runs under Wine, for the few places where Wine's behaviour breaks
 * Microsoft's documented contract (each says which). (win32_proc.c) */
bool xipc__win32_running_under_wine(void);

/* ---- UTF-8 and UTF-16 (win32_utf8.c) -------------------------------------------------------- */

/* Converts NUL-terminated UTF-8 into a malloc'd, NUL-terminated UTF-16 string.
 * Returns 0; XIPC_EINVAL for invalid UTF-8; XIPC_ENOMEM. */
int xipc__win32_utf8_to_wide(const char *s, wchar_t **out);

/* Bytes the UTF-8 form of wlen UTF-16 units at w needs (wlen -1: up to and including the NUL);
 * 0 for an empty input. Unpaired surrogates become U+FFFD, as WideCharToMultiByte does. */
size_t xipc__win32_utf8_size(const wchar_t *w, int wlen);

/* Writes that UTF-8 form into buf, which holds cap bytes (at least xipc__win32_utf8_size).
 * Returns the bytes written, 0 when it does not fit. */
size_t xipc__win32_to_utf8(const wchar_t *w, int wlen, char *buf, size_t cap);

/* ---- Handles passed on to a child ---------------------------------------------------------- */

/* Whether native can name a handle a parent passed on: 0 is none, negative values are
 * pseudo-handles (-1 is this process), which GetHandleInformation accepts. Kernel handles are
 * multiples of 4 and the kernel ignores their two low bits ("Why are kernel HANDLEs always a
 * multiple of four?", The Old New Thing, 2005-01-21), so a value with those bits set would name
 * the handle below it under another number; no export writes one. Wine 8 even reports
 * 0x7FFFFFFF as open in a process that never opened it (measured: GetHandleInformation
 * succeeds), so such values are refused before any call. */
static inline bool
xipc__win32_is_handle_value(intptr_t native)
{
    return native > 0 && (native & 3) == 0;
}

/* ---- Named kernel objects (win32_sync.c) ----------------------------------------------------- */

/* Room for L"Local\\" (6) + a name (XIPC_NAME_MAX) + the longest suffix (L"#xipc-mutex", 11)
 * + NUL, with room to spare. */
#define XIPC__WIN32_OBJECT_NAME_CAP 96

/* Writes L"Local\\" + name + suffix into out. name has passed xipc_name_check, so it is ASCII
 * and widening each byte converts it. XIPC_EINVAL if it does not fit, which a checked name never
 * does. */
int xipc__win32_object_name(
    const char *name, const wchar_t *suffix, wchar_t out[XIPC__WIN32_OBJECT_NAME_CAP]);

/* Checks a handle value the parent passed on, before anything about it changes: open here
 * (XIPC_EBADF), a kernel object of the given type (L"Event", L"Semaphore", L"Mutant",
 * L"Section"; else XIPC_EINVAL), and not held by a handle of this process already (XIPC_EEXIST:
 * two owners would close it under each other). */
int xipc__win32_check_inherited(intptr_t native, const wchar_t *type);

/* Makes a checked inherited handle non-inheritable again. */
int xipc__win32_disinherit(intptr_t native);

/* Opens the regular file at path with access (GENERIC_*) and attributes (FILE_ATTRIBUTE_NORMAL,
 * FILE_FLAG_OVERLAPPED) as flags ask (XIPC_CREATE, XIPC_OPEN, or both), not inheritable, owner-only
 * when created, sharing it with every other opener (read, write, delete), for file mappings and
 * file locks (win32_shm.c). XIPC_EINVAL for what is not a disk file, or the open's failure. */
int xipc__win32_open_file(
    const char *path, unsigned flags, DWORD access, DWORD attributes, HANDLE *out);

/* Whether the section Local\NAME holds an xipc message queue (win32_mq.c), for listing names. */
bool xipc__win32_section_is_mq(const char *name);

/* The type of kernel object h is, as NtQueryObject(ObjectTypeInformation) names it (L"Event",
 * L"Semaphore", L"Mutant", L"Section", L"File" for a file, a pipe end or a socket), cut to cap - 1
 * characters. Returns 0; XIPC_EBADF (nothing open under h); XIPC_EOS. One wineserver request
 * under Wine. */
int xipc__win32_object_type(HANDLE h, wchar_t *type, size_t cap);

/* ---- Security (win32_security.c) ------------------------------------------------------------ */

/* Fills *sa with a non-inheritable, owner-only security descriptor (the process's user as its
 * owner, full access for that user and SYSTEM, protected from inheritance), built once per
 * process and never freed. Returns 0 or the failure of the token or SDDL call. */
int xipc__win32_owner_only_sa(SECURITY_ATTRIBUTES *sa);

/* Whether sid is ours: this process's user, or the owner its token gives new objects (an
 * elevated administrator's: BUILTIN\Administrators). 0, XIPC_EACCES, or the token's failure;
 * what names the object in reports. */
int xipc__win32_owner_is_ours(PSID sid, const char *what);

/* Whether the file h is open on (with READ_CONTROL) is ours, by its owner: 0, XIPC_EACCES, or
 * the failure. A file system that keeps no owners (FAT) gives none, which counts as ours. */
int xipc__win32_check_file_owner(HANDLE h, const char *path);

/* Whether the kernel object h is open on (a section, an event; opened with READ_CONTROL) is
 * ours, by its owner: 0, XIPC_EACCES, or the failure. */
int xipc__win32_check_object_owner(HANDLE h, const char *what);

/* Whether the pipe that h, a client end, is open on is ours: its owner, fixed by whoever made
 * its first instance, is this process's user (or TokenOwner). 0; XIPC_EACCES, with the reason
 * recorded, for a pipe of another user, whose server the caller must not talk to; or the
 * failure. Wine 8 keeps no owner for a pipe made without a descriptor: that counts as ours. */
int xipc__win32_check_pipe_owner(HANDLE h, const char *name);

/* 0 outside an AppContainer; XIPC_ENOTSUP, with the reason recorded, inside one, where a process
 * may create pipes only under \\.\pipe\LOCAL\ (CreateNamedPipe's documentation), a name
 * only the processes of its own container see: a server or FIFO reader there would be one no
 * peer outside can reach, and its first instance would fail with ERROR_ACCESS_DENIED, which
 * otherwise means another program has the name. Wine has no AppContainers. */
int xipc__win32_check_not_sandboxed(void);

/* ---- Pipe streams (win32_stream.c) ---------------------------------------------------------- */

/* Makes h, an overlapped named-pipe handle that may ask GetNamedPipeInfo (FILE_READ_ATTRIBUTES),
 * the stream s of the given kind, with its write chunk (its events come at their first use). s
 * is zeroed first. The caller still owns h on failure. */
int xipc__win32_stream_open(HANDLE h, enum xipc__win32_stream_kind kind, struct xipc__os_stream *s);

/* Finishes an overlapped ReadFile/WriteFile that returned werr (ERROR_SUCCESS when it completed
 * at once). A pending call is waited for until dl, then cancelled. Returns ERROR_SUCCESS with *n
 * bytes moved (a call that completed while being cancelled counts), WAIT_TIMEOUT when it was
 * cancelled at dl having moved nothing, or the failure. */
DWORD xipc__win32_finish_io(HANDLE h, OVERLAPPED *ov, DWORD werr, xipc__deadline dl, DWORD *n);

/* Whether a read's werr says that every writer is gone (and nothing is left to read). */
bool xipc__win32_end_of_stream(DWORD werr);

/* ---- Duplex pipes (win32_duplex.c) --------------------------------------------------------- */

/* A duplex end's read (as xipc__os_stream_read, want > 0) and half-close; whether h is an end
 * of xipc_duplex's pipe (a full-duplex pipe of one instance). */
int xipc__win32_duplex_read(
    struct xipc__os_stream *s, void *buf, DWORD want, size_t *got, xipc__deadline dl);
int xipc__win32_duplex_shutdown(struct xipc__os_stream *s);
/* FILE_PIPE_LOCAL_INFORMATION (ntifs.h), from NtQueryInformationFile(FilePipeLocalInformation =
 * 24), which win32_stream.c asks of an adopted handle: what GetNamedPipeInfo, GetFileType and a
 * pipe's direction tell, in one call (each of those is one to three wineserver requests under
 * Wine). type: 0 byte, 1 message; configuration: 2 full duplex; end: 0 client, 1 server. */
struct xipc__win32_pipe_info {
    ULONG type, configuration, max_instances, cur_instances, inbound_quota, read_available,
        outbound_quota, write_quota_available, state, end;
};
/* Whether a pipe is one end of xipc_duplex's pair. */
bool xipc__win32_is_duplex_pair(const struct xipc__win32_pipe_info *info);

/* ---- Sockets (win32_sock.c) ---------------------------------------------------------------- */

/* Starts Winsock once per process, whichever thread asks first: 0, or WSAStartup's failure. */
int xipc__win32_winsock(void);

/* The transfers and close of a XIPC__WIN32_STREAM_SOCKET stream, as win32_stream.c's: read waits
 * until dl for a byte (0 bytes: the end of the stream), write_some sends what fits, waiting
 * until dl for room (XIPC_EPIPE when the peer is gone). */
int xipc__win32_sock_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, xipc__deadline dl);
int xipc__win32_sock_write_some(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, xipc__deadline dl);
void xipc__win32_sock_close(struct xipc__os_stream *s);

/* Passing a connection to a child (win32_sock.c's top comment). The native a child inherits for
 * a socket stream is its share section (s->share). _shares: whether any of natives is a share,
 * so the child must start suspended; _share_with: duplicates each shared socket among natives
 * for the child pid, before it runs; _adopt: in the child, the connection behind an inherited
 * share (XIPC_EINVAL when section is not one, or not for this process), closing the section. */
bool xipc__win32_sock_shares(const intptr_t *natives, size_t count);
int xipc__win32_sock_share_with(const intptr_t *natives, size_t count, uint32_t pid);
int xipc__win32_sock_adopt(HANDLE section, struct xipc__os_stream *s);

/* ---- Named-pipe plumbing (win32_npipe.c) ---------------------------------------------------- */

/* Room for a pipe or event name: the longest prefix (L"Local\\xipc-npipe#") + an xipc name
 * (XIPC_NAME_MAX) + the longest suffix (L"#message") + NUL, with room to spare. */
#define XIPC__WIN32_PIPE_NAME_CAP 112

/* Writes prefix + ascii into out (cap units). ascii is a checked name or hex digits, so widening
 * each byte converts it. XIPC_ENAMETOOLONG if it does not fit. */
int xipc__win32_wide_name(const wchar_t *prefix, const char *ascii, wchar_t *out, size_t cap);

/* Creates a new server instance of the pipe wname: overlapped, local clients only, unlimited
 * instances, buffers (each way) of `buffer` bytes, security sa (owner-only). open_mode and
 * pipe_mode add the direction, type and FILE_FLAG_FIRST_PIPE_INSTANCE. Returns NULL with
 * GetLastError() set. With FILE_FLAG_FIRST_PIPE_INSTANCE, ERROR_ACCESS_DENIED means that the
 * pipe exists already (xipc__win32_sole_instance makes Wine say so too): whoever made it fixed
 * its security descriptor, so the caller refuses the name (XIPC_EADDRINUSE). */
HANDLE xipc__win32_pipe_instance(const wchar_t *wname, DWORD open_mode, DWORD pipe_mode,
    DWORD buffer, SECURITY_ATTRIBUTES *sa);

/* Whether h, a server instance just made with FILE_FLAG_FIRST_PIPE_INSTANCE, is the only instance
 * of its pipe (GetNamedPipeHandleState's lpCurInstances is 1). Windows refuses such an instance
 * when the pipe exists (ERROR_ACCESS_DENIED), so this only ever says false under Wine 8, which
 * ignores the flag (docs/wine.md) but counts instances (measured: 1 for a new
 * pipe, 2 for an instance that joined one; a client end left open by a server that closed is
 * not counted). */
bool xipc__win32_sole_instance(HANDLE h);

/* Takes the named event claim_name, with security sa, for as long as *claim stays open: while it
 * does, the same call anywhere else fails. Returns ERROR_SUCCESS; ERROR_ALREADY_EXISTS when
 * someone holds it (also when an object of another type, or one we may not open, has the name);
 * or another failure code. */
DWORD xipc__win32_claim(const wchar_t *claim_name, SECURITY_ATTRIBUTES *sa, HANDLE *claim);

/* Opens a client end of the pipe wname with access, waiting until dl while every instance is
 * busy (ERROR_PIPE_BUSY, WaitNamedPipeW) and someone holds the claim claim_name (NULL: no such
 * check). Returns ERROR_SUCCESS; ERROR_FILE_NOT_FOUND when no instance exists, or when all are
 * busy and nobody holds the claim (the server closed, leaving only its connections);
 * WAIT_TIMEOUT once dl has passed; another failure code. */
DWORD xipc__win32_pipe_open_client(
    const wchar_t *wname, const wchar_t *claim_name, DWORD access, xipc__deadline dl, HANDLE *out);

/* Makes a stream that xipc__os_stream_adopt_passed took unclassified the kind its pipe is (a
 * duplex end, a FIFO writer, any other pipe end) with its write chunk: one
 * FilePipeLocalInformation query, at the first read, write or shutdown, by one thread while
 * others wait. 0 at once for every other stream; XIPC_EINVAL for a handle that is no pipe (a
 * peer named a file or a socket handle), XIPC_ENOMEM. (win32_stream.c) */
int xipc__win32_stream_classify(struct xipc__os_stream *s);

/* The manual-reset event for the OVERLAPPED of the stream's reads (write false: s->read_event)
 * or writes (s->write_event), made at the first call that needs it: a stream passed on and closed
 * unused costs none (under Wine, each CreateEventW and each CloseHandle is a wineserver request).
 * Every user of those two fields gets them here. Threads may ask at once: one event is kept.
 * 0, or CreateEventW's failure (XIPC_ENOMEM when out of resources). (win32_stream.c) */
int xipc__win32_stream_event(struct xipc__os_stream *s, bool write, HANDLE *event);

/* One overlapped WriteFile of len bytes (at most s->write_chunk), waited for until dl: 0 with
 * *n > 0, XIPC_ETIMEDOUT, or the failure recorded (XIPC_EPIPE when the reader is gone).
 * (win32_stream.c) */
int xipc__win32_write_once(
    struct xipc__os_stream *s, const void *buf, DWORD len, xipc__deadline dl, DWORD *n);

/* Whether a message pipe holds the start of a message that a receive with too small a buffer
 * took from the pipe (xipc__wait.held). */
bool xipc__win32_msg_held(const struct xipc__os_stream *s);

/* ---- FIFOs (win32_fifo.c) -------------------------------------------------------------------- */

/* xipc__os_stream_read and _close for a stream whose fifo is set. */
int xipc__win32_fifo_read(
    struct xipc__win32_fifo_reader *r, void *buf, size_t cap, size_t *got, xipc__deadline dl);
void xipc__win32_fifo_close(struct xipc__win32_fifo_reader *r);

/* xipc__os_stream_holds for a FIFO reader: its every pipe instance, port, thread and event.
 * Takes the reader's lock, never waits otherwise. */
bool xipc__win32_fifo_holds(struct xipc__win32_fifo_reader *r, intptr_t native);

/* Whether the reader holds frames, or a writer's end, that it took from its pipes and has not
 * returned yet (xipc__wait.held). For the thread that reads. */
bool xipc__win32_fifo_has_data(const struct xipc__win32_fifo_reader *r);

/* For a wait set, in the thread that waits while no other thread reads: takes in what the port
 * holds without waiting, and says whether a read would not wait (frames, a writer's end, or
 * every writer gone). */
bool xipc__win32_fifo_poll(struct xipc__win32_fifo_reader *r);

/* Makes s, an open client end of a FIFO's pipe, a FIFO writer (s->kind) that frames its writes
 * (allocates s->frame). */
int xipc__win32_fifo_writer_init(struct xipc__os_stream *s);

/* One write of xipc__os_stream_write for a FIFO writer: one frame, of as much of len as
 * fits. */
int xipc__win32_fifo_write(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, xipc__deadline dl);

/* ---- Mutexes (win32_sync.c) ------------------------------------------------------------------ */

/* For a wait set whose WaitForMultipleObjects took the mutex (abandoned: WAIT_ABANDONED_0 + i):
 * updates its record as xipc_mutex_lock does. 0 or XIPC_EOWNERDEAD held; another code (not
 * recoverable, corrupt) released again. */
int xipc__win32_mutex_acquired(struct xipc__os_sync *s, bool abandoned);

/* ---- Children's standard streams (win32_stream.c) ------------------------------------------ */

/* A new pipe for a child's standard stream which (0 stdin, 1 stdout, 2 stderr), as
 * XIPC_STDIO_PIPE gives it: *ours is this process's end, an ordinary overlapped pipe stream
 * (stdin: the end that writes), *theirs the child's end, synchronous (opened without
 * FILE_FLAG_OVERLAPPED) and inheritable, for the spawn's handle list. On failure nothing is
 * left open. */
int xipc__win32_child_pipe(int which, struct xipc__os_stream *ours, HANDLE *theirs);

#endif /* XIPC_WIN32_INTERNAL_H */
