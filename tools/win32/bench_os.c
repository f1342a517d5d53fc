/* tools/win32/bench_os.c: tools/bench_os.h on Windows (and Wine). */
#include "bench_os.h"

#include <winsock2.h>

#include <windows.h>

#include <io.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

int
bench_os_pin(int cpu)
{
    return SetThreadAffinityMask(GetCurrentThread(), (DWORD_PTR)1 << cpu) != 0 ? 0 : -1;
}

int
bench_os_cpu_count(void)
{
    DWORD_PTR mine, system;
    int n = 0;
    if (!GetProcessAffinityMask(GetCurrentProcess(), &mine, &system))
        return 1;
    for (; mine != 0; mine &= mine - 1)
        n++;
    return n;
}

uint64_t
bench_os_cpu_ns(void)
{
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user))
        return 0;
    uint64_t k = ((uint64_t)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime;
    uint64_t u = ((uint64_t)user.dwHighDateTime << 32) | user.dwLowDateTime;
    return (k + u) * 100u; /* FILETIME counts 100 ns */
}

void
bench_os_sleep_us(int us)
{
    /* Sleep() has millisecond steps (and coarser); a waitable timer takes 100 ns units. */
    HANDLE t = CreateWaitableTimerW(NULL, TRUE, NULL);
    LARGE_INTEGER due;
    due.QuadPart = -(LONGLONG)us * 10;
    if (t != NULL && SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE))
        WaitForSingleObject(t, INFINITE);
    else
        Sleep((DWORD)((us + 999) / 1000));
    if (t != NULL)
        CloseHandle(t);
}

int
bench_os_stderr_is_tty(void)
{
    return _isatty(2);
}

struct bench_raw {
    HANDLE h;
    HANDLE event;
    bool socket; /* a socket: blocking recv/send, as a program using Winsock writes it */
    DWORD limit_ms; /* INFINITE: none */
};

struct bench_raw *
bench_raw_open_limited(intptr_t native, int limit_ms)
{
    struct bench_raw *r = malloc(sizeof *r);
    if (r == NULL)
        return NULL;
    r->h = (HANDLE)native;
    r->limit_ms = limit_ms < 0 ? INFINITE : (DWORD)limit_ms;
    int type = 0, len = sizeof type;
    u_long blocking = 0;
    DWORD limit = r->limit_ms;
    r->socket = getsockopt((SOCKET)native, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
    /* The raw side has its own connection: making it blocking changes nothing xipc uses. A
     * socket's limit is SO_RCVTIMEO / SO_SNDTIMEO, set once. */
    if (r->socket &&
        (ioctlsocket((SOCKET)native, FIONBIO, &blocking) != 0 ||
            (limit_ms >= 0 &&
                (setsockopt((SOCKET)native, SOL_SOCKET, SO_RCVTIMEO, (const char *)&limit,
                     sizeof limit) != 0 ||
                    setsockopt((SOCKET)native, SOL_SOCKET, SO_SNDTIMEO, (const char *)&limit,
                        sizeof limit) != 0)))) {
        free(r);
        return NULL;
    }
    r->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (r->event == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

struct bench_raw *
bench_raw_open(intptr_t native)
{
    return bench_raw_open_limited(native, -1);
}

void
bench_raw_close(struct bench_raw *r)
{
    CloseHandle(r->event); /* the pipe handle belongs to its xipc stream */
    free(r);
}

/* Waits for a pending overlapped transfer until the endpoint's limit; at the limit cancels it
 * (a transfer that completed meanwhile still succeeds; a cancelled one fails). */
static BOOL
await_transfer(struct bench_raw *r, OVERLAPPED *ov, DWORD *n)
{
    if (r->limit_ms != INFINITE && WaitForSingleObject(r->event, r->limit_ms) == WAIT_TIMEOUT)
        (void)CancelIoEx(r->h, ov);
    return GetOverlappedResult(r->h, ov, n, TRUE);
}

/* One overlapped transfer, waited for up to the endpoint's limit; on a socket, one blocking recv
 * or send (a reset reads as the end, as xipc reports it). */
static long
transfer(struct bench_raw *r, void *buf, DWORD len, BOOL writing)
{
    if (r->socket) {
        int n =
            writing ? send((SOCKET)r->h, buf, (int)len, 0) : recv((SOCKET)r->h, buf, (int)len, 0);
        if (n < 0 && !writing && WSAGetLastError() == WSAECONNRESET)
            return 0;
        return n;
    }
    OVERLAPPED ov;
    DWORD n = 0;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = r->event;
    BOOL ok = writing ? WriteFile(r->h, buf, len, NULL, &ov) : ReadFile(r->h, buf, len, NULL, &ov);
    if (!ok && GetLastError() != ERROR_IO_PENDING)
        return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
    if (!await_transfer(r, &ov, &n))
        return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
    return (long)n;
}

long
bench_raw_read(struct bench_raw *r, void *buf, size_t cap)
{
    return transfer(r, buf, cap > 0x40000000 ? 0x40000000 : (DWORD)cap, FALSE);
}

int
bench_raw_write(struct bench_raw *r, const void *buf, size_t len)
{
    char *p = (char *)(uintptr_t)buf;
    while (len > 0) {
        long n = transfer(r, p, len > 0x40000000 ? 0x40000000 : (DWORD)len, TRUE);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
bench_os_has_fifo(void)
{
    return 0;
}

int
bench_os_has_sigpipe(void)
{
    return 0;
}

const char *
bench_os_temp_dir(void)
{
    static char dir[MAX_PATH * 3];
    wchar_t wide[MAX_PATH + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, wide);
    if (n == 0 || n > MAX_PATH)
        return ".";
    if (wide[n - 1] == L'\\')
        wide[--n] = L'\0';
    if (WideCharToMultiByte(CP_UTF8, 0, wide, -1, dir, (int)sizeof dir, NULL, NULL) == 0)
        return ".";
    return dir;
}

const char bench_os_raw_limits[] =
    "overlapped ReadFile/WriteFile, WaitForSingleObject with the limit, CancelIoEx at it";
const char bench_os_raw_pipe[] = "overlapped ReadFile/WriteFile + wait on the same named-pipe pair";
const char bench_os_raw_npipe[] =
    "overlapped ReadFile/WriteFile + wait on the same named-pipe connection";
const char bench_os_raw_tcp[] = "blocking recv/send on the same TCP socket (TCP_NODELAY)";
const char bench_os_raw_pass[] =
    "DuplicateHandle into the peer, the value over the same named-pipe connection";
const char bench_os_raw_udp[] = "blocking recv/send on the same connected UDP socket";
const char bench_os_raw_unix[] = "blocking recv/send on the same AF_UNIX stream socket";
const char bench_os_raw_unixdgram[] = "blocking recv/send (Windows has no AF_UNIX datagrams)";
const char bench_os_raw_duplex[] =
    "overlapped ReadFile/WriteFile + wait on the same duplex message pipe";
const char bench_os_raw_msgpipe[] =
    "overlapped ReadFile/WriteFile + wait on the same message-mode pipe connection";
const char bench_os_raw_fifo[] =
    "overlapped ReadFile/WriteFile + wait on a named-pipe pair (no FIFOs in Windows)";
const char bench_os_raw_event[] = "CreateEventW (auto-reset) + SetEvent/WaitForSingleObject";
const char bench_os_raw_sem[] = "CreateSemaphoreW + ReleaseSemaphore/WaitForSingleObject";
const char bench_os_raw_waitset[] = "overlapped ReadFile, WaitForMultipleObjects on its event";

/* ---- Raw signalling: two named events or semaphores ---------------------------------------- */

struct bench_raw_sig {
    int is_event;
    HANDLE h[2];
};

struct bench_raw_sig *
bench_raw_sig_open(enum bench_raw_sig_kind kind, const char *tag, int create)
{
    struct bench_raw_sig *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->is_event = kind == BENCH_RAW_EVENT;
    for (int i = 0; i < 2; i++) {
        wchar_t name[128];
        swprintf(name, 128, L"Local\\%hs.%d", tag, i);
        if (create)
            s->h[i] = s->is_event ? CreateEventW(NULL, FALSE, FALSE, name)
                                  : CreateSemaphoreW(NULL, 0, 0x7fffffff, name);
        else
            s->h[i] = s->is_event
                ? OpenEventW(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, name)
                : OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, name);
        if (s->h[i] == NULL) {
            bench_raw_sig_close(s);
            return NULL;
        }
    }
    return s;
}

int
bench_raw_sig_post(struct bench_raw_sig *s, int which)
{
    BOOL ok = s->is_event ? SetEvent(s->h[which]) : ReleaseSemaphore(s->h[which], 1, NULL);
    return ok ? 0 : -1;
}

int
bench_raw_sig_wait(struct bench_raw_sig *s, int which)
{
    return WaitForSingleObject(s->h[which], INFINITE) == WAIT_OBJECT_0 ? 0 : -1;
}

int
bench_raw_sig_sleep(struct bench_raw_sig *s, int which)
{
    return bench_raw_sig_wait(s, which); /* the wait never spins here */
}

void
bench_os_cpu_relax(void)
{
    YieldProcessor();
}

void
bench_raw_sig_close(struct bench_raw_sig *s)
{
    for (int i = 0; i < 2; i++) {
        if (s->h[i] != NULL)
            CloseHandle(s->h[i]);
    }
    free(s);
}

const char *
bench_os_platform(void)
{
    static char name[64];
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    FARPROC wine_version = ntdll ? GetProcAddress(ntdll, "wine_get_version") : NULL;
    if (wine_version == NULL)
        return "Windows";
    /* wine_get_version is const char *(void); FARPROC must be cast through a generic pointer. */
    const char *(*get)(void) = (const char *(*)(void))(void (*)(void))wine_version;
    snprintf(name, sizeof name, "Wine %s", get());
    return name;
}

/* ---- Raw shared memory: a named paging-file section ----------------------------------------- */

const char bench_os_raw_shm[] = "CreateFileMappingW(Local\\NAME) + MapViewOfFile, Unmap + Close";

int
bench_raw_shm_cycle(const char *name, size_t size)
{
    wchar_t wname[96];
    swprintf(wname, sizeof wname / sizeof wname[0], L"Local\\%hs", name);
    HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
        (DWORD)((unsigned long long)size >> 32), (DWORD)size, wname);
    if (h == NULL)
        return -1;
    volatile unsigned char *b = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, size);
    if (b != NULL) {
        for (size_t i = 0; i < size; i += 4096)
            b[i] = 1;
        UnmapViewOfFile((void *)(uintptr_t)b);
    }
    CloseHandle(h);
    return b != NULL ? 0 : -1;
}

/* ---- The waitset mechanism's raw side ------------------------------------------------------- */

struct bench_raw_waiter {
    HANDLE h, event;
};

struct bench_raw_waiter *
bench_raw_waiter_open(intptr_t native, const intptr_t *idle, size_t n_idle)
{
    /* WaitForMultipleObjects takes 64 handles and each idle pipe would need a read of its own:
     * the raw wait is on the one pipe alone, so the 1000-idle row compares xipc among them with
     * a raw wait on one. */
    (void)idle;
    (void)n_idle;
    struct bench_raw_waiter *w = malloc(sizeof *w);
    if (w == NULL)
        return NULL;
    w->h = (HANDLE)native;
    w->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (w->event == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

long
bench_raw_waiter_read(struct bench_raw_waiter *w, void *buf, size_t cap)
{
    OVERLAPPED ov;
    DWORD n = 0;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = w->event;
    if (!ReadFile(w->h, buf, (DWORD)cap, NULL, &ov) && GetLastError() != ERROR_IO_PENDING)
        return -1;
    if (WaitForMultipleObjects(1, &w->event, FALSE, INFINITE) != WAIT_OBJECT_0)
        return -1;
    return GetOverlappedResult(w->h, &ov, &n, FALSE) ? (long)n : -1;
}

void
bench_raw_waiter_close(struct bench_raw_waiter *w)
{
    CloseHandle(w->event); /* the pipe handle belongs to its xipc stream */
    free(w);
}

int
bench_os_raise_fd_limit(unsigned want)
{
    (void)want; /* no such limit on handles */
    return 0;
}

/* ---- Raw handle passing: DuplicateHandle ---------------------------------------------------- */

int
bench_raw_pass_send(struct bench_raw *conn, intptr_t native, uint64_t peer_pid)
{
    static HANDLE peer; /* the process of peer_of, kept as a program talking to it would */
    static uint64_t peer_of;
    HANDLE remote = NULL;
    if (peer == NULL || peer_of != peer_pid) {
        if (peer != NULL)
            CloseHandle(peer);
        peer = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)peer_pid);
        peer_of = peer_pid;
        if (peer == NULL)
            return -1;
    }
    if (!DuplicateHandle(
            GetCurrentProcess(), (HANDLE)native, peer, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS))
        return -1;
    uint64_t value = (uint64_t)(uintptr_t)remote;
    return bench_raw_write(conn, &value, sizeof value);
}

intptr_t
bench_raw_pass_recv(struct bench_raw *conn)
{
    uint64_t value = 0;
    for (size_t done = 0; done < sizeof value;) {
        long n = bench_raw_read(conn, (char *)&value + done, sizeof value - done);
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return (intptr_t)value;
}

void
bench_raw_pass_close(intptr_t native)
{
    CloseHandle((HANDLE)native);
}

/* ---- Raw file locks ------------------------------------------------------------------------- */

const char bench_os_raw_flock[] = "blocking LockFileEx / UnlockFileEx on its own synchronous CreateFileW";

struct bench_raw_file {
    HANDLE h;
};

struct bench_raw_file *
bench_raw_file_open(const char *path)
{
    wchar_t wpath[1024];
    if (MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, 1024) == 0)
        return NULL;
    struct bench_raw_file *f = malloc(sizeof *f);
    if (f == NULL)
        return NULL;
    f->h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
        FILE_ATTRIBUTE_NORMAL, NULL);
    if (f->h == INVALID_HANDLE_VALUE) {
        free(f);
        return NULL;
    }
    return f;
}

int
bench_raw_file_lock(struct bench_raw_file *f)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    return LockFileEx(f->h, LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ov) ? 0 : -1;
}

int
bench_raw_file_unlock(struct bench_raw_file *f)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    return UnlockFileEx(f->h, 0, 1, 0, &ov) ? 0 : -1;
}

void
bench_raw_file_close(struct bench_raw_file *f)
{
    if (f != NULL)
        CloseHandle(f->h);
    free(f);
}

/* ---- The mq mechanisms' raw sides ----------------------------------------------------------- */

const char bench_os_raw_mq[] = "a single-producer single-consumer ring in shared memory (fixed "
                               "slots), spin up to 20 us, then an auto-reset event";
const char bench_os_raw_mqos[] =
    "message-mode named pipe (no queue in Windows): WriteFile; overlapped ReadFile + "
    "WaitForMultipleObjects, one instance per producer";

#define QUEUE_PRODUCERS_MAX 8

/* The consumer's side: one pipe instance per producer, each with a read kept pending into a
 * buffer of its own; the producer's side: one client handle (pipe[0]). */
struct bench_raw_queue {
    int n, connected;
    size_t msg_size;
    HANDLE pipe[QUEUE_PRODUCERS_MAX], event[QUEUE_PRODUCERS_MAX];
    OVERLAPPED ov[QUEUE_PRODUCERS_MAX];
    unsigned char *buf[QUEUE_PRODUCERS_MAX];
    int pending[QUEUE_PRODUCERS_MAX];
};

static void
queue_pipe_name(wchar_t *name, size_t cap, const char *tag)
{
    swprintf(name, cap, L"\\\\.\\pipe\\%hs", tag);
}

/* Starts the overlapped operation of instance i (a connect, then reads). 0 or -1. */
static int
queue_arm(struct bench_raw_queue *q, int i, BOOL connect)
{
    memset(&q->ov[i], 0, sizeof q->ov[i]);
    q->ov[i].hEvent = q->event[i];
    BOOL ok = connect ? ConnectNamedPipe(q->pipe[i], &q->ov[i])
                      : ReadFile(q->pipe[i], q->buf[i], (DWORD)q->msg_size, NULL, &q->ov[i]);
    DWORD err = ok ? ERROR_SUCCESS : GetLastError();
    /* A client that came before ConnectNamedPipe is ERROR_PIPE_CONNECTED: the event is left
     * unset then (ConnectNamedPipe's documented contract), so set it. */
    if (connect && err == ERROR_PIPE_CONNECTED)
        return SetEvent(q->event[i]) ? 0 : -1;
    /* A producer that sent all it had may be gone while others still send: its instance is
     * left out of the wait from now on (its event stays unset). */
    if (!connect && err == ERROR_BROKEN_PIPE)
        return ResetEvent(q->event[i]) ? 0 : -1;
    if (!ok && err != ERROR_IO_PENDING)
        return -1;
    q->pending[i] = 1;
    return 0;
}

/* Makes instance i of the consumer's pipe (instances in all) and starts its connect. 0 or -1. */
static int
queue_make_instance(struct bench_raw_queue *q, const wchar_t *name, int instances, size_t capacity)
{
    int i = q->n++;
    DWORD open_mode = PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED;
    if (i == 0)
        open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
    /* The pipe's buffer holds as many messages as the xipc queue it is compared with. */
    q->pipe[i] = CreateNamedPipeW(name, open_mode,
        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
        (DWORD)instances, 0, (DWORD)(capacity * q->msg_size), 0, NULL);
    if (q->pipe[i] == INVALID_HANDLE_VALUE) {
        q->pipe[i] = NULL;
        return -1;
    }
    q->event[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
    q->buf[i] = malloc(q->msg_size);
    return q->event[i] != NULL && q->buf[i] != NULL ? queue_arm(q, i, TRUE) : -1;
}

struct bench_raw_queue *
bench_raw_queue_create(const char *tag, int producers, size_t capacity, size_t msg_size)
{
    struct bench_raw_queue *q = calloc(1, sizeof *q);
    wchar_t name[128];
    if (q == NULL || producers < 1 || producers > QUEUE_PRODUCERS_MAX) {
        free(q);
        return NULL;
    }
    q->msg_size = msg_size;
    queue_pipe_name(name, 128, tag);
    while (q->n < producers) {
        if (queue_make_instance(q, name, producers, capacity) != 0) {
            bench_raw_queue_close(q);
            return NULL;
        }
    }
    return q;
}

struct bench_raw_queue *
bench_raw_queue_open(const char *tag)
{
    struct bench_raw_queue *q = calloc(1, sizeof *q);
    wchar_t name[128];
    if (q == NULL)
        return NULL;
    queue_pipe_name(name, 128, tag);
    q->n = 1;
    /* Every instance was made before the producers started: none is busy for long. */
    for (int tries = 0; tries < 100; tries++) {
        q->pipe[0] = CreateFileW(name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (q->pipe[0] != INVALID_HANDLE_VALUE || GetLastError() != ERROR_PIPE_BUSY)
            break;
        WaitNamedPipeW(name, 100);
    }
    if (q->pipe[0] == INVALID_HANDLE_VALUE) {
        free(q);
        return NULL;
    }
    return q;
}

int
bench_raw_queue_send(struct bench_raw_queue *q, const void *buf, size_t len)
{
    DWORD put = 0;
    return WriteFile(q->pipe[0], buf, (DWORD)len, &put, NULL) && put == len ? 0 : -1;
}

/* The consumer's first receive waits until every producer has connected, then starts a read on
 * each instance. 0 or -1. */
static int
queue_connect_all(struct bench_raw_queue *q)
{
    DWORD n = 0;
    DWORD w = WaitForMultipleObjects((DWORD)q->n, q->event, TRUE, INFINITE);
    if (w >= WAIT_OBJECT_0 + (DWORD)q->n)
        return -1;
    for (int i = 0; i < q->n; i++) {
        if (q->pending[i] && !GetOverlappedResult(q->pipe[i], &q->ov[i], &n, FALSE))
            return -1;
        q->pending[i] = 0;
        if (!ResetEvent(q->event[i]) || queue_arm(q, i, FALSE) != 0)
            return -1;
    }
    q->connected = 1;
    return 0;
}

long
bench_raw_queue_recv(struct bench_raw_queue *q, void *buf, size_t cap)
{
    if (!q->connected && queue_connect_all(q) != 0)
        return -1;
    for (;;) {
        DWORD n = 0, w = WaitForMultipleObjects((DWORD)q->n, q->event, FALSE, INFINITE);
        if (w >= WAIT_OBJECT_0 + (DWORD)q->n)
            return -1;
        int i = (int)(w - WAIT_OBJECT_0);
        q->pending[i] = 0;
        if (GetOverlappedResult(q->pipe[i], &q->ov[i], &n, FALSE)) {
            if (n > cap)
                return -1;
            memcpy(buf, q->buf[i], n);
            return queue_arm(q, i, FALSE) == 0 ? (long)n : -1;
        }
        /* A producer gone (see queue_arm). */
        if (GetLastError() != ERROR_BROKEN_PIPE || !ResetEvent(q->event[i]))
            return -1;
    }
}

void
bench_raw_queue_close(struct bench_raw_queue *q)
{
    if (q == NULL)
        return;
    for (int i = 0; i < q->n; i++) {
        DWORD n;
        /* A read still pending writes into buf[i]: it must end before the buffer goes. */
        if (q->pending[i]) {
            (void)CancelIoEx(q->pipe[i], &q->ov[i]);
            (void)GetOverlappedResult(q->pipe[i], &q->ov[i], &n, TRUE);
        }
        if (q->pipe[i] != NULL)
            CloseHandle(q->pipe[i]);
        if (q->event[i] != NULL)
            CloseHandle(q->event[i]);
        free(q->buf[i]);
    }
    free(q);
}
