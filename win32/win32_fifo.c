/* win32/win32_fifo.c: FIFOs (common/platform.h, "Named pipes and FIFOs"), which Windows lacks,
 * emulated with the POSIX rules (xipc/fifo.h) on a message-mode named pipe.
 *
 * The FIFO in the file system is a marker file holding MARKER_HEAD and a stamp unique to the
 * FIFO, made owner-only. Its ends meet on the pipe L"\\\\.\\pipe\\xipc-fifo-" + the marker's
 * identity (fifo_id: its volume's serial number, its file id, and the stamp, which tells a FIFO
 * from an older one whose deleted file had the same id), read from the handle that checked the
 * marker, so that every path
 * that reaches the file (any case, a relative one, a short 8.3 name, a second hard link, a subst
 * drive) reaches the same pipe, as POSIX's FIFO is the file itself. A marker reached through a
 * reparse point is refused, and so is, unless the open says XIPC_FIFO_SHARED, one that another
 * user owns (xipc/fifo.h); paths Windows cannot name as files (devices, control characters, too
 * long) are refused before any call sees them.
 *
 * The pipe namespace is machine-wide and whoever makes a pipe's first instance fixes its
 * security descriptor, so anyone who can read the marker's identity could make the pipe first,
 * with a DACL open to all, and read what writers send. The reader's first instance is therefore
 * made with FILE_FLAG_FIRST_PIPE_INSTANCE (a pipe that exists already is XIPC_EADDRINUSE), and a
 * writer refuses a pipe whose owner is not its user (XIPC_EACCES) before it writes anything.
 *
 * The reader is the pipe's server, inbound. Every writer connects to a pipe instance of its own
 * and sends each stream write as one frame: a 4-byte length, then the bytes. One WriteFile
 * carries one frame of at most the pipe's quota (win32_stream.c: such a write is never taken in
 * part), XIPC_MSGPIPE_MAX >= XIPC_FIFO_ATOMIC, so writes never interleave. The pipe is of message
 * type, which tells a child that inherits a writer to frame its writes (win32_stream.c), but the
 * reader reads it in byte mode, so that one ReadFile takes as many frames as its buffer holds:
 * a message per ReadFile cost the 64-byte message rate three quarters of a raw pipe's. A
 * listener thread keeps one instance listening, so writers can open while the reader is not
 * reading, as with POSIX ("The listener" below). The reader multiplexes over the connected
 * instances with an I/O completion port: on every one a ReadFile into that instance's buffer.
 * Completed reads queue up in the order they completed; a stream read returns the whole frames
 * of the first instance of the queue (the last one in part when the caller's buffer is full,
 * the rest at the next read), and once its whole frames are returned the next stream read
 * starts that instance's next ReadFile, so a writer that outpaces the reader waits on its full
 * pipe; a sole writer is read past the port ("The sole writer" below). A frame's length comes
 * from another process: one that cannot be (0, or more than a frame can hold) ends that writer
 * as if it had closed. A writer's end of pipe reaches the reader as a failed read, after all
 * its frames; the reader sees the end of the stream when every writer that connected has gone
 * and nothing is left, and a writer that comes later is read again, as with POSIX. A reader
 * opened with XIPC_FIFO_NOWAIT has had no writer yet: until one comes, it waits instead.
 *
 * Completion packets (measured on Wine 8, and what Windows documents): a ReadFile that succeeds
 * or is pending queues exactly one packet, also when cancelled (ERROR_OPERATION_ABORTED); one
 * that fails at once queues none, nor does one whose event has its low bit set (the sole
 * writer's). Connects never reach the port: an instance is tied to it only once its writer is
 * there, and the listener posts it then.
 *
 * One reader at a time, as xipc/fifo.h promises on both platforms: a second one gets XIPC_EBUSY.
 * The reader holds the named event L"Local\\xipc-fifo#" + the id for that. */
#include "win32_internal.h"

#include <aclapi.h>
#include <stdlib.h>
#include <string.h>

/* What a marker file holds, exactly: "xipc fifo", version 2, then the FIFO's stamp, STAMP_LEN
 * lower-case hex digits that its creator chose, unique to that FIFO, then a newline. */
static const char MARKER_HEAD[] = "xipc fifo 2 ";
#define MARKER_HEAD_LEN (sizeof MARKER_HEAD - 1)
#define STAMP_LEN       16
#define MARKER_LEN      (MARKER_HEAD_LEN + STAMP_LEN + 1)

#define PIPE_PREFIX  L"\\\\.\\pipe\\xipc-fifo-"
#define CLAIM_PREFIX L"Local\\xipc-fifo#"
#define NAME_CAP     XIPC__WIN32_PIPE_NAME_CAP

/* A FIFO's id: its marker's 64-bit volume serial, 128-bit file id and stamp in hex, with a '-'
 * between each (fifo_id). */
#define FIFO_ID_LEN (16 + 1 + 32 + 1 + STAMP_LEN)

/* A frame: its payload's length, 4 bytes little-endian, then the payload, 1 to FRAME_MAX bytes:
 * a 64 KiB write goes in one frame. */
#define FRAME_HEAD 4u
#define FRAME_MAX  XIPC_MSGPIPE_MAX

/* The pipe's buffer each way, and so its quota: a writer's WriteFile carries at most that, one
 * frame. Each instance reads into a buffer of the same size, which holds the largest frame. */
#define INSTANCE_BUFFER (FRAME_HEAD + FRAME_MAX)

/* The longest pause between looks for a reader's pipe. */
#define WRITER_PAUSE_MAX_MS 20u

enum instance_state {
    INSTANCE_CONNECTING, /* listening, or connected and on its way to the reader (a packet) */
    INSTANCE_READING, /* ReadFile pending (or completed, its packet not yet taken) */
    INSTANCE_DONE, /* the read's result is in got/err, queued for the stream */
    INSTANCE_IDLE, /* no call pending: frames being returned, or read_next */
};

struct fifo_instance {
    HANDLE pipe;
    OVERLAPPED ov; /* the connect's: the listener's event; then reads': no event, the port */
    enum instance_state state;
    DWORD got; /* INSTANCE_DONE: bytes the read took */
    DWORD err; /* INSTANCE_DONE: ERROR_SUCCESS or the failure */
    struct fifo_instance *prev, *next; /* the reader's connected instances */
    struct fifo_instance *all_prev, *all_next; /* every instance the reader made (r->all) */
    struct fifo_instance *next_done; /* the queue of completed reads */
    /* buf[0, have) holds what was read and not yet returned: frames from buf[pos], the first of
     * them with `returned` bytes of its payload returned already. */
    DWORD have, pos, returned;
    unsigned char buf[INSTANCE_BUFFER];
};

struct xipc__win32_fifo_reader {
    HANDLE port; /* the completion port every connected instance reports to */
    HANDLE claim; /* the named event that says this FIFO has a reader */
    SECURITY_ATTRIBUTES sa; /* owner-only, for every instance */
    /* The listener thread and what it shares with the reader (see "The listener"). */
    HANDLE thread;
    HANDLE stop; /* set by close: the thread ends */
    HANDLE connect_event; /* the listening instance's ConnectNamedPipe */
    HANDLE arrival; /* auto-reset; set once a new writer's instance is posted to the port */
    SRWLOCK lock; /* guards listening, handing_over and all */
    struct fifo_instance *listening; /* the instance with a connect pending; NULL: none */
    bool handing_over; /* a connected instance is between its connect and its packet */
    /* Every instance made and not freed yet, wherever it is (listening, in flight to the port,
     * connected): what xipc__win32_fifo_holds looks through, from any thread. */
    struct fifo_instance *all;
    /* The reader's own state, touched by the thread of the stream's read only. */
    struct fifo_instance *conns; /* connected instances, a doubly linked list */
    size_t conn_count;
    /* A writer has been added since the reader opened. Until then no writer means "none yet"
     * (XIPC_FIFO_NOWAIT), not the end of the stream. */
    bool had_writer;
    struct fifo_instance *done_head, *done_tail; /* completed reads, oldest first */
    /* The instance whose frames are being returned. A frame returned in part keeps it here, so
     * the rest comes next, before any other writer's bytes. NULL otherwise. */
    struct fifo_instance *cur;
    /* The instance whose whole frames were just returned. Its next ReadFile starts with the next
     * stream read, not at once: a read that is already pending when data arrives costs Wine
     * more than one started once the data is there (xipc bench, fifo rows: a round trip went
     * from 2.4× to 1.25× a raw named pipe when reads were started lazily). NULL otherwise. */
    struct fifo_instance *read_next;
    HANDLE sole_event; /* what a sole writer's read signals (see read_sole) */
    char id[FIFO_ID_LEN + 1]; /* the marker's identity (fifo_id), for error reports */
    wchar_t wname[NAME_CAP];
};

/* ---- Paths and markers ---------------------------------------------------------------------- */

/* The longest path, made absolute, that names a marker: MAX_PATH less its NUL, as the ...W calls
 * take it without a \\?\ prefix; and the longest component (NTFS, FAT's long names). */
#define PATH_MAX_UNITS      (MAX_PATH - 1)
#define COMPONENT_MAX_UNITS 255

/* Whether the component c[0, len) names a DOS device (CON, NUL, COM1, ...), which the Win32 path
 * rules find in every directory, whatever extension follows and with trailing spaces ignored. */
static bool
is_device_name(const wchar_t *c, size_t len)
{
    static const wchar_t *const plain[] = { L"CON", L"PRN", L"AUX", L"NUL", L"CONIN$", L"CONOUT$" };
    size_t n = 0;
    while (n < len && c[n] != L'.')
        n++;
    while (n > 0 && c[n - 1] == L' ')
        n--;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (wcslen(plain[i]) == n && _wcsnicmp(c, plain[i], n) == 0)
            return true;
    }
    /* COM0-9 and LPT0-9, and with the superscript digits 1-3 as Windows also takes them. */
    wchar_t d = n == 4 ? c[3] : 0;
    return (_wcsnicmp(c, L"COM", 3) == 0 || _wcsnicmp(c, L"LPT", 3) == 0) &&
        ((d >= L'0' && d <= L'9') || d == 0xB9 || d == 0xB2 || d == 0xB3);
}

/* Checks wpath as a name for a marker: XIPC_EINVAL for a control character or a reserved one
 * (no Windows file name holds them) or a last component that is a device; XIPC_ENAMETOOLONG for
 * a component or a whole path (made absolute) longer than Windows takes. Without these,
 * CreateFileW would open the device, or fail with codes that read as "no such file"
 * (ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND). */
static int
check_wpath(const wchar_t *wpath, const char *path)
{
    /* "\\?\" starts a path that Windows takes as it is; its '?' is no wildcard. */
    const wchar_t *start = wcsncmp(wpath, L"\\\\?\\", 4) == 0 ? wpath + 4 : wpath;
    const wchar_t *leaf = start;
    for (const wchar_t *p = start; *p != L'\0'; p++) {
        /* Control characters and the characters Windows reserves in file names ("Naming
         * Files, Paths, and Namespaces"), which CreateFileW would report as ERROR_INVALID_NAME,
         * a code that reads as "no such file". */
        if (*p < 0x20 || wcschr(L"<>\"|?*", *p) != NULL)
            return XIPC_EINVAL;
        if (*p == L'\\' || *p == L'/' || *p == L':') {
            if (p - leaf > COMPONENT_MAX_UNITS)
                return XIPC_ENAMETOOLONG;
            leaf = p + 1;
        }
    }
    size_t leaf_len = wcslen(leaf);
    if (leaf_len > COMPONENT_MAX_UNITS)
        return XIPC_ENAMETOOLONG;
    if (is_device_name(leaf, leaf_len))
        return XIPC_EINVAL;
    DWORD need = GetFullPathNameW(wpath, 0, NULL, NULL); /* the units, with the NUL */
    if (need == 0)
        return XIPC__OS_FAIL(GetLastError(), "GetFullPathNameW", path);
    return need - 1 > PATH_MAX_UNITS ? XIPC_ENAMETOOLONG : 0;
}

/* path as UTF-16 (malloc'd), checked by check_wpath. */
static int
fifo_wpath(const char *path, wchar_t **wpath)
{
    int rc = xipc__win32_utf8_to_wide(path, wpath);
    if (rc == 0 && (rc = check_wpath(*wpath, path)) != 0) {
        free(*wpath);
        *wpath = NULL;
    }
    return rc;
}

/* Whether text[0, MARKER_LEN) is a marker's: its head, a stamp of lower-case hex, a newline. */
static bool
marker_text_ok(const char *text)
{
    if (memcmp(text, MARKER_HEAD, MARKER_HEAD_LEN) != 0 || text[MARKER_LEN - 1] != '\n')
        return false;
    for (size_t i = MARKER_HEAD_LEN; i < MARKER_HEAD_LEN + STAMP_LEN; i++) {
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return false;
    }
    return true;
}

/* Whether the handle's file is a marker: 0, with its stamp in stamp (NULL: not wanted);
 * XIPC_EACCES for a reparse point (a symbolic link, a junction or any other: the FIFO would be
 * reached through it, or be something else); XIPC_EINVAL for anything else, directories
 * included. */
static int
check_marker(HANDLE h, const char *path, char *stamp)
{
    BY_HANDLE_FILE_INFORMATION info;
    char text[MARKER_LEN + 1];
    DWORD n = 0;
    if (!GetFileInformationByHandle(h, &info))
        return XIPC__OS_FAIL(GetLastError(), "GetFileInformationByHandle", path);
    if ((info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0)
        return XIPC_EACCES;
    if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 || info.nFileSizeHigh != 0 ||
        info.nFileSizeLow != MARKER_LEN || !ReadFile(h, text, sizeof text, &n, NULL) ||
        n != MARKER_LEN || !marker_text_ok(text))
        return XIPC_EINVAL;
    if (stamp != NULL) {
        memcpy(stamp, text + MARKER_HEAD_LEN, STAMP_LEN);
        stamp[STAMP_LEN] = '\0';
    }
    return 0;
}

/* How long an opener waits for a creator that is still writing its marker: xipc__os_fifo_create
 * holds the new file unshared (ERROR_SHARING_VIOLATION for an opener) and empty until it has
 * written it, a few microseconds. A FIFO made with XIPC_CREATE | XIPC_OPEN by both sides at once
 * meets this every time the loser's open comes in between. A marker still empty after the wait
 * was left by a creator that died: it reads as "not a FIFO" (XIPC_EINVAL), and _unlink removes
 * it. */
#define MARKER_WAIT_MS 200

/* Whether the file h is open on is empty: a marker its creator has not written yet. */
static bool
marker_unwritten(HANDLE h)
{
    LARGE_INTEGER size;
    return GetFileSizeEx(h, &size) && size.QuadPart == 0;
}

/* Opens path to read (plus access) without following a reparse point, once its creator has
 * written it (see MARKER_WAIT_MS): 0 with the handle in *h, or the open's failure. */
static int
open_finished_marker(const wchar_t *wpath, const char *path, DWORD access, HANDLE *h)
{
    unsigned pause_ms = 1;
    xipc__deadline dl = xipc__deadline_in(MARKER_WAIT_MS);
    for (;;) {
        /* FILE_FLAG_OPEN_REPARSE_POINT opens a link itself, which check_marker refuses. (Wine 8
         * shows a Unix symbolic link as the file it points to, with no reparse point to see.)
         * FILE_FLAG_BACKUP_SEMANTICS opens a directory too, so that it reads as "not a FIFO"
         * rather than as ERROR_ACCESS_DENIED; it grants nothing without the backup
         * privilege. */
        *h = CreateFileW(wpath, GENERIC_READ | READ_CONTROL | access,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
            FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
        DWORD werr = *h == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS;
        bool unwritten = werr == ERROR_SHARING_VIOLATION ||
            (werr == ERROR_SUCCESS && marker_unwritten(*h));
        if (!unwritten || xipc__pause_before_retry(dl, &pause_ms, 10) != 0) {
            if (werr != ERROR_SUCCESS)
                return XIPC__OS_FAIL(werr, "CreateFileW", path);
            return 0; /* written, or still empty after the wait: check_marker judges it */
        }
        if (werr == ERROR_SUCCESS)
            (void)CloseHandle(*h);
    }
}

/* Opens path to read (plus access) without following a reparse point, and checks that it is a
 * marker (check_marker, which gives its stamp to stamp unless NULL) and, if check_owner_too,
 * that it is ours: 0; XIPC_ENOENT; XIPC_EACCES; XIPC_EINVAL. The handle goes to *out, or is
 * closed when out is NULL. */
static int
open_marker(const wchar_t *wpath, const char *path, DWORD access, bool check_owner_too,
    char *stamp, HANDLE *out)
{
    HANDLE h;
    int rc = open_finished_marker(wpath, path, access, &h);
    if (rc != 0)
        return rc;
    rc = check_marker(h, path, stamp);
    /* Wine 8 gives every file the one user's SID and keeps no owner that SetSecurityInfo sets,
     * so there a marker of another user cannot be made, and this check never refuses. */
    if (rc == 0 && check_owner_too)
        rc = xipc__win32_check_file_owner(h, path);
    if (rc != 0 || out == NULL)
        (void)CloseHandle(h);
    else
        *out = h;
    return rc;
}

/* Writes the n bytes at p, last byte first, as 2n hex digits at out. */
static char *
put_hex(char *out, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = p;
    while (n-- > 0) {
        *out++ = hex[b[n] >> 4];
        *out++ = hex[b[n] & 0xFu];
    }
    return out;
}

/* The FIFO's id: the identity of the marker file h is open on, in hex, as the file system keeps
 * it whatever path reached the file (a relative or absolute one, any case, an 8.3 short name, a
 * second hard link, a subst drive, a \\?\ prefix), then the marker's stamp. FileIdInfo (Windows
 * 8 and later) gives the 64-bit volume serial number and the 128-bit file id that ReFS needs;
 * where it is not supported, GetFileInformationByHandle's 32-bit serial and 64-bit file index,
 * widened to the same form (the choice depends on the system and the file system alone, so
 * every process makes the same one). A file id is reused once its file is deleted, while a
 * reader of that FIFO may still be open (FAT's ids come from the directory entry's place; Wine's
 * are Unix inode numbers, which the next file takes at once: measured, two tests' FIFOs met); the
 * stamp, chosen when the marker is made, tells such FIFOs apart. */
static int
fifo_id(HANDLE h, const char *path, const char *stamp, char id[FIFO_ID_LEN + 1])
{
    FILE_ID_INFO info;
    if (!GetFileInformationByHandleEx(h, FileIdInfo, &info, sizeof info)) {
        BY_HANDLE_FILE_INFORMATION old;
        if (!GetFileInformationByHandle(h, &old))
            return XIPC__OS_FAIL(GetLastError(), "GetFileInformationByHandle", path);
        memset(&info, 0, sizeof info);
        info.VolumeSerialNumber = old.dwVolumeSerialNumber;
        ULONGLONG index = (ULONGLONG)old.nFileIndexHigh << 32 | old.nFileIndexLow;
        for (size_t i = 0; i < sizeof index; i++)
            info.FileId.Identifier[i] = (BYTE)(index >> (8 * i));
    }
    char *end = put_hex(id, &info.VolumeSerialNumber, sizeof info.VolumeSerialNumber);
    *end++ = '-';
    end = put_hex(end, info.FileId.Identifier, sizeof info.FileId.Identifier);
    *end++ = '-';
    memcpy(end, stamp, STAMP_LEN + 1);
    return 0;
}

/* Writes a new marker's text into text (MARKER_LEN bytes): the head, a stamp no other FIFO has,
 * a newline. The stamp needs to be unique, not secret (the marker is owner-only anyway): this
 * process's id, a serial number, and the performance counter, which differs between runs that
 * reuse a pid, as in anonymous pipes' names (win32_stream.c). */
static void
compose_marker(char text[MARKER_LEN])
{
    static LONG volatile serial;
    LARGE_INTEGER now;
    (void)QueryPerformanceCounter(&now);
    uint64_t bits = (uint64_t)now.QuadPart * 0x9E3779B97F4A7C15u;
    bits ^= (uint64_t)GetCurrentProcessId() << 40 ^ (uint64_t)InterlockedIncrement(&serial) << 24;
    memcpy(text, MARKER_HEAD, MARKER_HEAD_LEN);
    (void)put_hex(text + MARKER_HEAD_LEN, &bits, sizeof bits);
    text[MARKER_LEN - 1] = '\n';
}

int
xipc__os_fifo_create(const char *path)
{
    SECURITY_ATTRIBUTES sa;
    wchar_t *wpath = NULL;
    char text[MARKER_LEN];
    DWORD n = 0;
    int rc = xipc__win32_owner_only_sa(&sa);
    if (rc != 0 || (rc = fifo_wpath(path, &wpath)) != 0)
        return rc;
    /* CREATE_NEW: ERROR_FILE_EXISTS is XIPC_EEXIST from the table (a link at path included:
     * CREATE_NEW does not follow it), ERROR_PATH_NOT_FOUND XIPC_ENOENT. */
    HANDLE h = CreateFileW(wpath, GENERIC_WRITE, 0, &sa, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        rc = XIPC__OS_FAIL(GetLastError(), "CreateFileW", path);
        free(wpath);
        return rc;
    }
    /* A synchronous WriteFile to a file writes all or fails. */
    compose_marker(text);
    if (!WriteFile(h, text, (DWORD)MARKER_LEN, &n, NULL)) {
        rc = XIPC__OS_FAIL(GetLastError(), "WriteFile", path);
        (void)CloseHandle(h);
        (void)DeleteFileW(wpath); /* no half-made marker: it would read as "not a FIFO" */
        free(wpath);
        return rc;
    }
    (void)CloseHandle(h);
    free(wpath);
    return 0;
}

int
xipc__os_fifo_remove(const char *path)
{
    FILE_DISPOSITION_INFO info = { TRUE };
    wchar_t *wpath = NULL;
    HANDLE h = NULL;
    int rc = fifo_wpath(path, &wpath);
    if (rc != 0)
        return rc;
    /* Delete through the handle that was checked: what goes is the marker that was read, even
     * if the path changes meanwhile. The owner is not checked, as unlink(2) does not. */
    rc = open_marker(wpath, path, DELETE, false, NULL, &h);
    free(wpath);
    if (rc != 0)
        return rc;
    if (!SetFileInformationByHandle(h, FileDispositionInfo, &info, sizeof info))
        rc = XIPC__OS_FAIL(GetLastError(), "SetFileInformationByHandle", path);
    (void)CloseHandle(h);
    return rc;
}

/* ---- Writers -------------------------------------------------------------------------------- */

/* A writer is a client of the reader's pipe. Until a reader opens, the pipe does not exist
 * (ERROR_FILE_NOT_FOUND), or has only instances left by a reader that closed, whose claim is
 * gone: look again after short, growing pauses, as POSIX open waits, or (nowait) give up at once
 * as POSIX's ENXIO does. */
static int
open_writer(
    const char *id, const char *path, unsigned mode, struct xipc__os_stream *s, xipc__deadline dl)
{
    bool nowait = (mode & XIPC_FIFO_NOWAIT) != 0;
    wchar_t wname[NAME_CAP], claim_name[NAME_CAP];
    unsigned pause_ms = 1;
    HANDLE h;
    int rc = xipc__win32_wide_name(PIPE_PREFIX, id, wname, NAME_CAP);
    if (rc != 0 || (rc = xipc__win32_wide_name(CLAIM_PREFIX, id, claim_name, NAME_CAP)) != 0)
        return rc;
    for (;;) {
        /* FILE_READ_ATTRIBUTES: GetNamedPipeInfo, for the stream's write chunk. */
        DWORD werr = xipc__win32_pipe_open_client(
            wname, claim_name, GENERIC_WRITE | FILE_READ_ATTRIBUTES, dl, &h);
        if (werr == ERROR_SUCCESS)
            break;
        if (werr == WAIT_TIMEOUT)
            return XIPC_ETIMEDOUT;
        if (werr != ERROR_FILE_NOT_FOUND)
            return XIPC__OS_FAIL(werr, "CreateFileW", path);
        if (nowait) {
            (void)XIPC__OS_FAIL(werr, "CreateFileW", path); /* for diagnostics only */
            return XIPC_ECONNREFUSED;
        }
        if ((rc = xipc__pause_before_retry(dl, &pause_ms, WRITER_PAUSE_MAX_MS)) != 0)
            return rc;
    }
    /* Before anything is written: a pipe another user made first would read it. A FIFO shared
     * with other users (XIPC_FIFO_SHARED) may have a reader of another user. */
    if (((mode & XIPC_FIFO_SHARED) == 0 && (rc = xipc__win32_check_pipe_owner(h, path)) != 0) ||
        (rc = xipc__win32_stream_open(h, XIPC__WIN32_STREAM_ANON, s)) != 0) {
        (void)CloseHandle(h);
        return rc;
    }
    if ((rc = xipc__win32_fifo_writer_init(s)) != 0)
        xipc__os_stream_close(s);
    return rc;
}

/* The most payload one frame carries: a WriteFile carries at most the quota (win32_stream.c),
 * and a frame must fit in a reader's instance buffer. */
static DWORD
frame_room(const struct xipc__os_stream *s)
{
    DWORD quota = s->write_chunk < INSTANCE_BUFFER ? s->write_chunk : INSTANCE_BUFFER;
    return quota - FRAME_HEAD;
}

int
xipc__win32_fifo_writer_init(struct xipc__os_stream *s)
{
    if (s->write_chunk <= FRAME_HEAD)
        return XIPC__OS_FAIL(ERROR_INVALID_DATA, "GetNamedPipeInfo", "FIFO writer");
    s->kind = XIPC__WIN32_STREAM_FIFO_WRITER;
    s->frame = malloc(FRAME_HEAD + frame_room(s));
    return s->frame != NULL ? 0 : XIPC_ENOMEM;
}

int
xipc__win32_fifo_write(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, xipc__deadline dl)
{
    DWORD room = frame_room(s), n = len < room ? (DWORD)len : room, wrote = 0;
    s->frame[0] = (unsigned char)n;
    s->frame[1] = (unsigned char)(n >> 8);
    s->frame[2] = (unsigned char)(n >> 16);
    s->frame[3] = (unsigned char)(n >> 24);
    memcpy(s->frame + FRAME_HEAD, buf, n);
    int rc = xipc__win32_write_once(s, s->frame, FRAME_HEAD + n, dl, &wrote);
    if (rc != 0)
        return rc; /* XIPC_EPIPE: the reader has gone */
    /* A write no larger than the quota goes whole or not at all (win32_stream.c). */
    if (wrote != FRAME_HEAD + n)
        return XIPC__OS_FAIL(ERROR_INVALID_DATA, "WriteFile", "FIFO frame");
    *put = n;
    return 0;
}

/* ---- The listener ---------------------------------------------------------------------------
 * POSIX lets a writer open as soon as the reader has, whether or not the reader is reading. A
 * pipe client needs a listening instance, and making the next one cannot wait for the reader's
 * next read: a reader that waits for its writers to open before it reads would wait forever. So
 * a thread per reader keeps one instance listening. When a writer connects, the thread ties the
 * instance to the port and posts it there; the reader adds it at its next read (pump).
 *
 * Instances are made, and their connects started, under r->lock, and leave `listening` for
 * `handing_over` under it too: whoever holds the lock sees every writer that has connected and
 * is not yet in the port (connect_in_flight), which the reader needs to tell the end of the
 * stream from a writer arriving. */

/* How long the listener pauses after failing to make an instance (out of memory or handles). */
#define LISTEN_RETRY_MS 50

/* Closes and frees an instance, out of r->all. */
static void
free_instance(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    AcquireSRWLockExclusive(&r->lock);
    if (inst->all_prev != NULL)
        inst->all_prev->all_next = inst->all_next;
    else if (r->all == inst)
        r->all = inst->all_next;
    if (inst->all_next != NULL)
        inst->all_next->all_prev = inst->all_prev;
    ReleaseSRWLockExclusive(&r->lock);
    (void)CloseHandle(inst->pipe);
    free(inst);
}

/* Why the reader's instance could not be made. For its first one (first:
 * FILE_FLAG_FIRST_PIPE_INSTANCE), ERROR_ACCESS_DENIED says that the pipe exists: someone who is
 * not this FIFO's reader (who would hold the claim) made it first, and fixed its security
 * descriptor, so writers would reach them too: XIPC_EADDRINUSE, as npipe listen says. So does
 * ERROR_PIPE_BUSY, a pipe of theirs with its instance limit reached. */
static int
instance_failure(DWORD werr, DWORD first, const char *id)
{
    int rc = XIPC__OS_FAIL(werr, "CreateNamedPipeW", id);
    if (first != 0 && (werr == ERROR_ACCESS_DENIED || werr == ERROR_PIPE_BUSY))
        return XIPC_EADDRINUSE;
    return rc;
}

/* Makes an instance of the pipe and starts its ConnectNamedPipe on r->connect_event, under the
 * lock: it becomes r->listening, or (its writer already there) handing_over. A writer can connect
 * to an instance before its ConnectNamedPipe, and even write and close before it: that is
 * ERROR_NO_DATA, and the instance still holds what the writer wrote, then its end (measured under
 * Wine 8; NPFS keeps a closing pipe's data), so it is handed over as any other: that writer's
 * bytes are read and it counts as a writer that came. */
static int
make_instance(struct xipc__win32_fifo_reader *r, DWORD first, struct fifo_instance **out)
{
    struct fifo_instance *inst = calloc(1, sizeof *inst);
    DWORD werr = ERROR_IO_PENDING;
    *out = NULL;
    if (inst == NULL)
        return XIPC_ENOMEM;
    inst->state = INSTANCE_CONNECTING;
    inst->ov.hEvent = r->connect_event;
    AcquireSRWLockExclusive(&r->lock);
    inst->pipe = xipc__win32_pipe_instance(r->wname, PIPE_ACCESS_INBOUND | first,
        PIPE_TYPE_MESSAGE | PIPE_READMODE_BYTE, INSTANCE_BUFFER, &r->sa);
    if (inst->pipe == NULL) {
        werr = GetLastError();
    } else {
        inst->all_next = r->all;
        if (r->all != NULL)
            r->all->all_prev = inst;
        r->all = inst;
        if (!ConnectNamedPipe(inst->pipe, &inst->ov)) /* overlapped: FALSE, or a completion */
            werr = GetLastError();
    }
    if (werr == ERROR_IO_PENDING)
        r->listening = inst;
    else if (werr == ERROR_PIPE_CONNECTED || werr == ERROR_NO_DATA)
        r->handing_over = true;
    ReleaseSRWLockExclusive(&r->lock);
    if (werr == ERROR_IO_PENDING || werr == ERROR_PIPE_CONNECTED || werr == ERROR_NO_DATA) {
        *out = inst;
        return 0;
    }
    if (inst->pipe == NULL) {
        free(inst);
        return instance_failure(werr, first, r->id);
    }
    free_instance(r, inst);
    return XIPC__OS_FAIL(werr, "ConnectNamedPipe", r->id);
}

/* Hands inst, whose writer has connected, to the reader through the port. */
static void
hand_over(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    AcquireSRWLockExclusive(&r->lock);
    r->listening = NULL;
    r->handing_over = true;
    ReleaseSRWLockExclusive(&r->lock);
    /* Reads are started after this, so their completions go to the port, not to the event. */
    if (CreateIoCompletionPort(inst->pipe, r->port, (ULONG_PTR)inst, 0) == NULL ||
        !PostQueuedCompletionStatus(r->port, 0, (ULONG_PTR)inst, &inst->ov))
        free_instance(r, inst); /* out of resources: that writer's next write says XIPC_EPIPE */
    else
        (void)SetEvent(r->arrival); /* a reader in read_sole turns to the port */
    AcquireSRWLockExclusive(&r->lock);
    r->handing_over = false;
    ReleaseSRWLockExclusive(&r->lock);
}

/* Drops the listening instance: its connect failed, or the reader is closing. */
static void
drop_listening(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    DWORD n;
    (void)CancelIoEx(inst->pipe, &inst->ov);
    (void)GetOverlappedResult(inst->pipe, &inst->ov, &n, TRUE);
    AcquireSRWLockExclusive(&r->lock);
    r->listening = NULL;
    ReleaseSRWLockExclusive(&r->lock);
    free_instance(r, inst);
}

/* Waits for the listening instance's writer. true when it came; false when the reader closes
 * (or the wait itself failed, which ends the thread as closing would). */
static bool
await_writer(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst, bool *failed)
{
    HANDLE waits[2] = { r->stop, r->connect_event };
    DWORD n;
    *failed = false;
    for (;;) {
        if (WaitForMultipleObjects(2, waits, FALSE, INFINITE) != WAIT_OBJECT_0 + 1)
            return false;
        if (GetOverlappedResult(inst->pipe, &inst->ov, &n, FALSE))
            return true;
        /* ERROR_IO_INCOMPLETE: the event was set before ConnectNamedPipe reset it. */
        if (GetLastError() != ERROR_IO_INCOMPLETE) {
            *failed = true;
            return true;
        }
    }
}

/* The thread: starts with the instance reader_init made, then makes one after each writer. */
static DWORD WINAPI
listener_thread(void *arg)
{
    struct xipc__win32_fifo_reader *r = arg;
    for (;;) {
        struct fifo_instance *inst = r->listening; /* only this thread changes it now */
        bool failed = false;
        if (inst == NULL) {
            if (make_instance(r, 0, &inst) != 0) {
                if (WaitForSingleObject(r->stop, LISTEN_RETRY_MS) != WAIT_TIMEOUT)
                    return 0;
                continue;
            }
            if (r->listening != inst) {
                hand_over(r, inst); /* its writer was there before it listened */
                continue;
            }
        }
        if (!await_writer(r, inst, &failed)) {
            drop_listening(r, inst);
            return 0;
        }
        if (failed)
            drop_listening(r, inst); /* the writer left before it was connected */
        else
            hand_over(r, inst);
    }
}

/* Whether the listening instance's writer is there, asked of the pipe itself. The OVERLAPPED of
 * its ConnectNamedPipe is no answer: Windows writes a completion there asynchronously, and Wine
 * only once the listener thread runs, while the writer's CreateFileW has returned as soon as the
 * instance was connected (a reader that trusted it saw the end of the stream with a writer
 * open). PeekNamedPipe reads the instance's state: it fails with ERROR_BAD_PIPE on
 * an instance still listening, succeeds on a connected one, and gives ERROR_BROKEN_PIPE once that
 * writer has closed again (ReactOS npfs NpPeek; the same under Wine 8). Any other failure counts
 * as no writer, so that a reader never waits on a state it cannot read. */
static bool
writer_connected(struct fifo_instance *inst)
{
    if (HasOverlappedIoCompleted(&inst->ov))
        return true;
    if (PeekNamedPipe(inst->pipe, NULL, 0, NULL, NULL, NULL))
        return true;
    return GetLastError() == ERROR_BROKEN_PIPE;
}

/* Whether a writer has connected that has not reached the port yet. Under the lock, so that the
 * listener neither hands the listening instance over nor frees it meanwhile. */
static bool
connect_in_flight(struct xipc__win32_fifo_reader *r)
{
    AcquireSRWLockShared(&r->lock);
    bool busy = r->handing_over || (r->listening != NULL && writer_connected(r->listening));
    ReleaseSRWLockShared(&r->lock);
    return busy;
}

/* ---- The reader's instances ----------------------------------------------------------------- */

static void
queue_done(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst, DWORD got, DWORD err)
{
    inst->state = INSTANCE_DONE;
    inst->got = got;
    inst->err = err;
    inst->next_done = NULL;
    if (r->done_tail != NULL)
        r->done_tail->next_done = inst;
    else
        r->done_head = inst;
    r->done_tail = inst;
}

/* Starts a ReadFile of what the instance's writer sent next, into the room after what its
 * buffer holds (moved to the front first). The buffer never holds a whole frame when this is
 * called, so there is room. event: NULL, or the event that the read signals instead of queueing
 * a packet on the port. Returns ReadFile's error: ERROR_SUCCESS, ERROR_IO_PENDING or a failure. */
static DWORD
issue_read(struct fifo_instance *inst, HANDLE event)
{
    if (inst->pos > 0) {
        memmove(inst->buf, inst->buf + inst->pos, inst->have - inst->pos);
        inst->have -= inst->pos;
        inst->pos = 0;
    }
    memset(&inst->ov, 0, sizeof inst->ov);
    /* The low bit set: the documented way to keep a port-bound handle's completion off the
     * port. */
    inst->ov.hEvent = event != NULL ? (HANDLE)((ULONG_PTR)event | 1) : NULL;
    inst->state = INSTANCE_READING;
    if (ReadFile(inst->pipe, inst->buf + inst->have, INSTANCE_BUFFER - inst->have, NULL, &inst->ov))
        return ERROR_SUCCESS;
    return GetLastError();
}

/* Reads through the port: the result arrives there, or is queued here when the call fails at
 * once. */
static void
start_read(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    DWORD werr = issue_read(inst, NULL);
    if (werr != ERROR_SUCCESS && werr != ERROR_IO_PENDING)
        queue_done(r, inst, 0, werr);
}

/* ---- The sole writer --------------------------------------------------------------------------
 *
 * A wait on the port costs Wine two more server calls than a wait on an event (a failed
 * remove_completion before it, another after), and a 64-byte round trip through two FIFOs cost
 * 1.27-1.32 times one through two pipes (measured by turns in one process); with this, 1.00. So
 * when the reader has one writer, the stream read reads it with an event and no port packet,
 * and waits for that event or `arrival`. A writer that arrives meanwhile, or the deadline,
 * cancels the read: what it took is kept, and otherwise the instance reads through the port
 * again, where the new writer's packet waits too. The read is over, one way or the other,
 * before the stream read returns, so nothing but port reads is ever pending between calls. */

/* Reads the sole writer's next frames until dl or a new writer; the result is queued, or the
 * instance reads through the port. */
static void
read_sole(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst, xipc__deadline dl)
{
    HANDLE waits[2] = { r->sole_event, r->arrival };
    DWORD n = 0, werr = issue_read(inst, r->sole_event);
    if (werr == ERROR_IO_PENDING) {
        int left = xipc__deadline_left_ms(dl);
        if (WaitForMultipleObjects(2, waits, FALSE, left < 0 ? INFINITE : (DWORD)left) !=
            WAIT_OBJECT_0) {
            (void)CancelIoEx(inst->pipe, &inst->ov); /* ERROR_NOT_FOUND: it just completed */
            (void)WaitForSingleObject(r->sole_event, INFINITE);
        }
        werr = ERROR_SUCCESS;
    }
    if (werr == ERROR_SUCCESS && !GetOverlappedResult(inst->pipe, &inst->ov, &n, FALSE))
        werr = n > 0 ? ERROR_SUCCESS : GetLastError(); /* bytes that came are kept */
    if (werr == ERROR_OPERATION_ABORTED)
        start_read(r, inst);
    else
        queue_done(r, inst, n, werr);
}

static void
add_conn(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    inst->prev = NULL;
    inst->next = r->conns;
    if (r->conns != NULL)
        r->conns->prev = inst;
    r->conns = inst;
    r->conn_count++;
    r->had_writer = true;
    start_read(r, inst);
}

/* Closes a connected instance whose writer has gone (no call of it is pending). */
static void
drop_conn(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    if (inst->prev != NULL)
        inst->prev->next = inst->next;
    else
        r->conns = inst->next;
    if (inst->next != NULL)
        inst->next->prev = inst->prev;
    r->conn_count--;
    free_instance(r, inst);
}

/* Takes one packet from the port, waiting up to wait_ms, and applies it: a new writer from the
 * listener, or a read's result. XIPC_ETIMEDOUT when none came. */
static int
pump(struct xipc__win32_fifo_reader *r, DWORD wait_ms)
{
    DWORD n = 0;
    ULONG_PTR key = 0;
    OVERLAPPED *ov = NULL;
    BOOL ok = GetQueuedCompletionStatus(r->port, &n, &key, &ov, wait_ms);
    DWORD werr = ok ? ERROR_SUCCESS : GetLastError();
    if (ov == NULL)
        return werr == WAIT_TIMEOUT ? XIPC_ETIMEDOUT
                                    : XIPC__OS_FAIL(werr, "GetQueuedCompletionStatus", r->id);
    struct fifo_instance *inst = (struct fifo_instance *)key;
    if (inst->state == INSTANCE_CONNECTING)
        add_conn(r, inst);
    else
        queue_done(r, inst, n, werr);
    return 0;
}

/* Waits for the port until dl. 0 when a packet came, and also when the wait ended a little early
 * (timer granularity): the caller looks at the state again. */
static int
pump_until(struct xipc__win32_fifo_reader *r, xipc__deadline dl)
{
    int left = xipc__deadline_left_ms(dl);
    int rc = pump(r, left < 0 ? INFINITE : (DWORD)left);
    if (rc == XIPC_ETIMEDOUT && xipc__deadline_left_ms(dl) != 0)
        return 0;
    return rc;
}

/* ---- The reader ----------------------------------------------------------------------------- */

/* Stops the listener, then cancels every pending read and waits for its packet, so that no
 * OVERLAPPED is freed while the system may still write it; then closes and frees everything,
 * writers posted by the listener but not taken yet included. r may be half made. */
static void
reader_free(struct xipc__win32_fifo_reader *r)
{
    size_t pending = 0;
    if (r->thread != NULL) {
        (void)SetEvent(r->stop);
        (void)WaitForSingleObject(r->thread, INFINITE);
        (void)CloseHandle(r->thread);
    } else if (r->listening != NULL) {
        drop_listening(r, r->listening); /* made by reader_init, before the thread */
    }
    for (struct fifo_instance *c = r->conns; c != NULL; c = c->next) {
        if (c->state == INSTANCE_READING) {
            (void)CancelIoEx(c->pipe, &c->ov); /* ERROR_NOT_FOUND: its packet is queued */
            pending++;
        }
    }
    /* Every packet left: a cancelled read's (pending counts those), or a posted new writer. */
    for (;;) {
        DWORD n;
        ULONG_PTR key;
        OVERLAPPED *ov = NULL;
        (void)GetQueuedCompletionStatus(r->port, &n, &key, &ov, pending > 0 ? INFINITE : 0);
        if (ov == NULL)
            break; /* none left, or the port itself failed: leak rather than free live memory */
        struct fifo_instance *inst = (struct fifo_instance *)key;
        if (inst->state == INSTANCE_CONNECTING)
            free_instance(r, inst);
        else
            pending--;
    }
    while (r->conns != NULL && pending == 0)
        drop_conn(r, r->conns);
    if (r->port != NULL)
        (void)CloseHandle(r->port);
    if (r->stop != NULL)
        (void)CloseHandle(r->stop);
    if (r->connect_event != NULL)
        (void)CloseHandle(r->connect_event);
    if (r->arrival != NULL)
        (void)CloseHandle(r->arrival);
    if (r->sole_event != NULL)
        (void)CloseHandle(r->sole_event);
    if (r->claim != NULL)
        (void)CloseHandle(r->claim);
    free(r);
}

void
xipc__win32_fifo_close(struct xipc__win32_fifo_reader *r)
{
    reader_free(r);
}

bool
xipc__win32_fifo_holds(struct xipc__win32_fifo_reader *r, intptr_t native)
{
    HANDLE h = (HANDLE)native;
    if (h == r->port || h == r->claim || h == r->thread || h == r->stop || h == r->connect_event ||
        h == r->arrival || h == r->sole_event)
        return true;
    bool found = false;
    AcquireSRWLockShared(&r->lock);
    for (const struct fifo_instance *inst = r->all; inst != NULL && !found; inst = inst->all_next)
        found = inst->pipe == h;
    ReleaseSRWLockShared(&r->lock);
    return found;
}

bool
xipc__win32_fifo_has_data(const struct xipc__win32_fifo_reader *r)
{
    /* Frames being returned, or completed reads (data or a writer's end) not yet looked at. */
    return r->cur != NULL || r->done_head != NULL;
}

/* For a wait set (win32_waitset.c), in the thread that waits, while no other thread reads:
 * takes in whatever the port holds, without waiting, and says whether the reader has something
 * for a read: frames or a writer's end taken in, or every writer gone (the end of the stream).
 * A writer's end while others remain makes it look ready once for nothing: the read that
 * follows takes that end in and waits for the others. */
bool
xipc__win32_fifo_poll(struct xipc__win32_fifo_reader *r)
{
    if (r->read_next != NULL) {
        struct fifo_instance *next = r->read_next;
        r->read_next = NULL;
        start_read(r, next); /* through the port, where the next poll sees it */
    }
    while (pump(r, 0) == 0)
        ;
    if (xipc__win32_fifo_has_data(r))
        return true;
    return r->had_writer && r->conn_count == 0 && !connect_in_flight(r);
}

/* The oldest completed read. */
static struct fifo_instance *
take_done(struct xipc__win32_fifo_reader *r)
{
    struct fifo_instance *inst = r->done_head;
    if (inst == NULL)
        return NULL;
    r->done_head = inst->next_done;
    if (r->done_tail == inst)
        r->done_tail = NULL;
    return inst;
}

enum frame_state { FRAME_WHOLE, FRAME_PARTIAL, FRAME_BAD };

/* What the buffer holds at inst->pos: a whole frame (*len: its payload's length), the start of
 * one (or nothing), or a length no xipc writer sends. */
static enum frame_state
next_frame(const struct fifo_instance *inst, DWORD *len)
{
    const unsigned char *p = inst->buf + inst->pos;
    DWORD held = inst->have - inst->pos;
    if (held < FRAME_HEAD)
        return FRAME_PARTIAL;
    *len = (DWORD)p[0] | (DWORD)p[1] << 8 | (DWORD)p[2] << 16 | (DWORD)p[3] << 24;
    if (*len == 0 || *len > FRAME_MAX)
        return FRAME_BAD;
    return held - FRAME_HEAD >= *len ? FRAME_WHOLE : FRAME_PARTIAL;
}

/* Ends a writer whose frame lengths make no sense. */
static void
drop_bad_writer(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    (void)XIPC__OS_FAIL(ERROR_INVALID_DATA, "ReadFile", r->id); /* for diagnostics only */
    drop_conn(r, inst);
}

/* Takes in a completed read: its instance's frames become the ones to return, or it reads on
 * for the rest of a frame; an instance whose writer has gone is dropped. */
static void
use_done(struct xipc__win32_fifo_reader *r, struct fifo_instance *inst)
{
    DWORD len;
    if (inst->err != ERROR_SUCCESS) {
        /* ERROR_BROKEN_PIPE: the writer closed, after every frame it wrote (each went whole, so
         * nothing is left in part). Anything else ends this writer too; the reader goes on with
         * the others. */
        if (!xipc__win32_end_of_stream(inst->err))
            (void)XIPC__OS_FAIL(inst->err, "ReadFile", r->id); /* for diagnostics only */
        drop_conn(r, inst);
        return;
    }
    inst->have += inst->got;
    inst->state = INSTANCE_IDLE;
    switch (next_frame(inst, &len)) {
    case FRAME_WHOLE:
        r->cur = inst;
        return;
    case FRAME_PARTIAL:
        start_read(r, inst);
        return;
    case FRAME_BAD:
        drop_bad_writer(r, inst);
        return;
    }
}

/* Copies the current instance's whole frames' payloads into buf, as many as fit (the last in
 * part when cap runs out). Once no whole frame is left, the instance is read again by the next
 * stream read (read_next). Returns the bytes copied, > 0. */
static size_t
deliver(struct xipc__win32_fifo_reader *r, void *buf, size_t cap)
{
    struct fifo_instance *inst = r->cur;
    unsigned char *out = buf;
    size_t n = 0;
    DWORD len;
    while (n < cap && next_frame(inst, &len) == FRAME_WHOLE) {
        DWORD left = len - inst->returned;
        size_t take = cap - n < left ? cap - n : left;
        memcpy(out + n, inst->buf + inst->pos + FRAME_HEAD + inst->returned, take);
        n += take;
        inst->returned += (DWORD)take;
        if (inst->returned == len) {
            inst->pos += FRAME_HEAD + len;
            inst->returned = 0;
        }
    }
    if (inst->returned > 0)
        return n; /* the rest of this frame comes next */
    enum frame_state st = next_frame(inst, &len);
    if (st != FRAME_WHOLE) {
        r->cur = NULL;
        if (st == FRAME_BAD)
            drop_bad_writer(r, inst);
        else
            r->read_next = inst;
    }
    return n;
}

/* How long a read with no writer waits for one whose connect is in flight before looking again:
 * the listener posts it within microseconds, unless it ran out of resources and dropped it. */
#define IN_FLIGHT_WAIT_MS 10

int
xipc__win32_fifo_read(
    struct xipc__win32_fifo_reader *r, void *buf, size_t cap, size_t *got, xipc__deadline dl)
{
    *got = 0;
    if (r->read_next != NULL) {
        struct fifo_instance *next = r->read_next;
        r->read_next = NULL;
        if (r->conn_count == 1)
            read_sole(r, next, dl);
        else
            start_read(r, next);
    }
    for (;;) {
        struct fifo_instance *inst;
        int rc;
        if (r->cur != NULL) {
            *got = deliver(r, buf, cap);
            return 0;
        }
        if ((inst = take_done(r)) != NULL) {
            use_done(r, inst);
            continue;
        }
        if (r->conn_count > 0 || !r->had_writer) {
            rc = pump_until(r, dl); /* data, a writer's end, or (XIPC_FIFO_NOWAIT) a first one */
        } else if (connect_in_flight(r)) {
            int left = xipc__deadline_left_ms(dl);
            rc = pump(r, left >= 0 && left < IN_FLIGHT_WAIT_MS ? (DWORD)left : IN_FLIGHT_WAIT_MS);
            if (rc == XIPC_ETIMEDOUT && xipc__deadline_left_ms(dl) != 0)
                rc = 0;
        } else {
            /* No writer: the end of the stream (POSIX returns 0 at once), unless a writer's
             * packet is waiting in the port already. */
            if ((rc = pump(r, 0)) == XIPC_ETIMEDOUT)
                return 0;
        }
        if (rc != 0)
            return rc;
    }
}

/* Makes the reader's port, claim and events, its first instance (here, so that its failure is
 * reported), and then the listener thread, which takes that instance over. */
static int
reader_init(struct xipc__win32_fifo_reader *r, const char *id)
{
    wchar_t claim_name[NAME_CAP];
    struct fifo_instance *first = NULL;
    int rc = xipc__win32_owner_only_sa(&r->sa);
    InitializeSRWLock(&r->lock);
    (void)memcpy(r->id, id, sizeof r->id);
    if (rc != 0 || (rc = xipc__win32_wide_name(PIPE_PREFIX, id, r->wname, NAME_CAP)) != 0 ||
        (rc = xipc__win32_wide_name(CLAIM_PREFIX, id, claim_name, NAME_CAP)) != 0)
        return rc;
    DWORD werr = xipc__win32_claim(claim_name, &r->sa, &r->claim);
    if (werr == ERROR_ALREADY_EXISTS) {
        (void)XIPC__OS_FAIL(werr, "CreateEventW", id);
        return XIPC_EBUSY; /* another reader has the FIFO open */
    }
    if (werr != ERROR_SUCCESS)
        return XIPC__OS_FAIL(werr, "CreateEventW", id);
    if ((r->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateIoCompletionPort", id);
    if ((r->stop = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
        (r->connect_event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
        (r->arrival = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL ||
        (r->sole_event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateEventW", NULL);
    if ((rc = make_instance(r, FILE_FLAG_FIRST_PIPE_INSTANCE, &first)) != 0)
        return rc;
    if (r->listening != first)
        hand_over(r, first); /* a writer was there before the first instance listened */
    if ((r->thread = CreateThread(NULL, 0, listener_thread, r, 0, NULL)) == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateThread", NULL);
    return 0;
}

static int
open_reader(const char *id, bool nowait, struct xipc__os_stream *s, xipc__deadline dl)
{
    int rc = xipc__win32_check_not_sandboxed();
    if (rc != 0)
        return rc;
    struct xipc__win32_fifo_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return XIPC_ENOMEM;
    rc = reader_init(r, id);
    /* POSIX: opening for reading waits for a writer, unless asked not to. */
    while (rc == 0 && !nowait && r->conn_count == 0)
        rc = pump_until(r, dl);
    if (rc != 0) {
        reader_free(r);
        return rc;
    }
    memset(s, 0, sizeof *s);
    s->kind = XIPC__WIN32_STREAM_FIFO_READER;
    s->fifo = r;
    return 0;
}

int
xipc__os_fifo_open(const char *path, unsigned mode, struct xipc__os_stream *s, xipc__deadline dl)
{
    bool nowait = (mode & XIPC_FIFO_NOWAIT) != 0;
    wchar_t *wpath = NULL;
    HANDLE marker = NULL;
    char id[FIFO_ID_LEN + 1], stamp[STAMP_LEN + 1];
    int rc = fifo_wpath(path, &wpath);
    if (rc != 0)
        return rc;
    rc = open_marker(wpath, path, 0, (mode & XIPC_FIFO_SHARED) == 0, stamp, &marker);
    free(wpath);
    if (rc != 0)
        return rc;
    /* The id comes from the handle that was checked: the file is the one judged a marker. */
    rc = fifo_id(marker, path, stamp, id);
    (void)CloseHandle(marker);
    if (rc != 0)
        return rc;
    if ((mode & XIPC_FIFO_READ) != 0)
        return open_reader(id, nowait, s, dl);
    return open_writer(id, path, mode, s, dl);
}
