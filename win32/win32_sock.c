/* win32/win32_sock.c: TCP listeners and connections on Winsock 2, and the socket calls on
 * streams (common/platform.h, "Sockets"). A connection is the stream kind
 * XIPC__WIN32_STREAM_SOCKET, whose transfers win32_stream.c hands to this file.
 *
 * Sockets are non-blocking. A stream read is one overlapped WSARecv, waited for until its
 * deadline and cancelled there (xipc__win32_sock_read); every other call that must wait (a send,
 * an accept, a datagram) waits in WSAPoll and tries again. Not SO_RCVTIMEO/SO_SNDTIMEO:
 * Microsoft's setsockopt documentation says a send or receive that timed out leaves the socket in
 * an indeterminate state, not to be used again. Not overlapped WSASend either: a cancelled
 * overlapped send does not say how much of it went, and a stream write must report exactly that;
 * a non-blocking send takes what fits and says so.
 *
 * Winsock starts once per process, lazily (the first socket call, in any thread), under
 * InitOnceExecuteOnce, and is never stopped: WSACleanup would pull it from under every other
 * user of Winsock in the process. Every socket is made with WSA_FLAG_NO_HANDLE_INHERIT.
 *
 * Passing a connection to a child. An inherited socket handle is not a socket in the child under
 * Wine (send gives WSAENOTSOCK: notes/wine.md), and Microsoft documents handle inheritance of
 * sockets as unreliable wherever a layered service provider is installed; the documented way is
 * WSADuplicateSocketW, which needs the child's process id. So each connection has a small
 * section (its "share") that the child inherits in its place, named by the export text. The
 * spawn creates the child suspended, duplicates the socket for it into a slot of the share
 * (xipc__win32_sock_share_with, keyed by the child's pid), and only then lets it run; the
 * child's import finds its slot and makes the socket with WSASocketW(FROM_PROTOCOL_INFO). The
 * duplicate exists in the child from that moment, so the parent may close its connection at
 * once. A share has SHARE_SLOTS slots: that many spawns of one connection may be in flight
 * before their children import it. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <afunix.h>

#include "win32_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- Winsock's start ------------------------------------------------------------------------ */

static INIT_ONCE winsock_once = INIT_ONCE_STATIC_INIT;
static int winsock_error; /* WSAStartup's result, read after the once completed */

static BOOL CALLBACK
start_winsock(PINIT_ONCE once, PVOID param, PVOID *context)
{
    WSADATA data;
    (void)once;
    (void)param;
    (void)context;
    winsock_error = WSAStartup(MAKEWORD(2, 2), &data);
    return TRUE;
}

int
xipc__win32_winsock(void)
{
    if (!InitOnceExecuteOnce(&winsock_once, start_winsock, NULL, NULL))
        return XIPC__OS_FAIL(GetLastError(), "InitOnceExecuteOnce", "Winsock");
    if (winsock_error != 0)
        return XIPC__OS_FAIL(winsock_error, "WSAStartup", NULL);
    return 0;
}

/* ---- Shares: passing a connection to a child ------------------------------------------------ */

#define SHARE_SLOTS 8
static const char share_magic[8] = { 'x', 'i', 'p', 'c', 's', 'c', 'k', '1' };

struct share_slot {
    LONG volatile pid; /* written last: the slot is ready for that process */
    WSAPROTOCOL_INFOW info;
};

struct share_page {
    char magic[8];
    LONG volatile next; /* the next slot to fill, modulo SHARE_SLOTS */
    struct share_slot slot[SHARE_SLOTS];
};

/* Every live connection's share in this process: the spawn looks its natives up here. */
struct share_entry {
    HANDLE section;
    SOCKET sock;
    struct share_page *page;
};
static SRWLOCK share_lock = SRWLOCK_INIT;
static struct share_entry *shares;
static size_t share_count, share_cap;

static int
share_register(HANDLE section, SOCKET sock, struct share_page *page)
{
    AcquireSRWLockExclusive(&share_lock);
    if (share_count == share_cap) {
        size_t cap = share_cap ? 2 * share_cap : 16;
        struct share_entry *grown = realloc(shares, cap * sizeof *grown);
        if (grown == NULL) {
            ReleaseSRWLockExclusive(&share_lock);
            return XIPC_ENOMEM;
        }
        shares = grown;
        share_cap = cap;
    }
    shares[share_count++] = (struct share_entry) { section, sock, page };
    ReleaseSRWLockExclusive(&share_lock);
    return 0;
}

static void
share_unregister(HANDLE section)
{
    AcquireSRWLockExclusive(&share_lock);
    for (size_t i = 0; i < share_count; i++) {
        if (shares[i].section == section) {
            (void)UnmapViewOfFile(shares[i].page);
            shares[i] = shares[--share_count];
            break;
        }
    }
    ReleaseSRWLockExclusive(&share_lock);
    (void)CloseHandle(section);
}

/* Makes the share of sock, registered; *section is NULL on failure. Not inheritable: a spawn
 * that lists it makes it so for that child alone. */
static int
share_open(SOCKET sock, HANDLE *section)
{
    *section = NULL;
    HANDLE h = CreateFileMappingW(
        INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(struct share_page), NULL);
    if (h == NULL)
        return XIPC__OS_FAIL(GetLastError(), "CreateFileMappingW", "socket share");
    struct share_page *page = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, sizeof *page);
    if (page == NULL) {
        int rc = XIPC__OS_FAIL(GetLastError(), "MapViewOfFile", "socket share");
        (void)CloseHandle(h);
        return rc;
    }
    memcpy(page->magic, share_magic, sizeof share_magic);
    int rc = share_register(h, sock, page);
    if (rc != 0) {
        (void)UnmapViewOfFile(page);
        (void)CloseHandle(h);
        return rc;
    }
    *section = h;
    return 0;
}

static struct share_entry *
share_find(intptr_t native)
{
    for (size_t i = 0; i < share_count; i++) {
        if ((intptr_t)shares[i].section == native)
            return &shares[i];
    }
    return NULL;
}

bool
xipc__win32_sock_shares(const intptr_t *natives, size_t count)
{
    bool found = false;
    AcquireSRWLockShared(&share_lock);
    for (size_t i = 0; i < count && !found; i++)
        found = share_find(natives[i]) != NULL;
    ReleaseSRWLockShared(&share_lock);
    return found;
}

int
xipc__win32_sock_share_with(const intptr_t *natives, size_t count, uint32_t pid)
{
    int rc = 0;
    AcquireSRWLockShared(&share_lock);
    for (size_t i = 0; i < count && rc == 0; i++) {
        struct share_entry *e = share_find(natives[i]);
        if (e == NULL)
            continue;
        LONG n = InterlockedIncrement(&e->page->next);
        struct share_slot *slot = &e->page->slot[(ULONG)n % SHARE_SLOTS];
        (void)InterlockedExchange(&slot->pid, 0);
        if (WSADuplicateSocketW(e->sock, pid, &slot->info) != 0)
            rc = XIPC__OS_FAIL(WSAGetLastError(), "WSADuplicateSocketW", NULL);
        else
            (void)InterlockedExchange(&slot->pid, (LONG)pid);
    }
    ReleaseSRWLockShared(&share_lock);
    return rc;
}

/* This process's slot of a share mapped at page: its protocol info, or XIPC_EINVAL. */
static int
share_take(const struct share_page *page, WSAPROTOCOL_INFOW *info)
{
    LONG self = (LONG)GetCurrentProcessId();
    if (memcmp(page->magic, share_magic, sizeof share_magic) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a stream's export text (not a pipe or socket)");
    for (int i = 0; i < SHARE_SLOTS; i++) {
        if (page->slot[i].pid == self) {
            *info = page->slot[i].info;
            return 0;
        }
    }
    return XIPC__FAIL(XIPC_EINVAL, "text: a connection not passed to this process");
}

/* ---- Addresses ------------------------------------------------------------------------------ */

static const struct sockaddr *
sa_of(const xipc_sockaddr *a)
{
    return (const struct sockaddr *)(const void *)a->storage;
}

static bool
is_inet(const xipc_sockaddr *a)
{
    int family = sa_of(a)->sa_family;
    return a->len >= sizeof(struct sockaddr_in) && (family == AF_INET || family == AF_INET6);
}

/* Host names are UTF-8: GetAddrInfoW takes them as the user wrote them (IDN included). */
int
xipc__os_sockaddr_resolve(const char *host, int port, unsigned flags, xipc_sockaddr *out)
{
    ADDRINFOW hints, *res = NULL;
    wchar_t service[8], *whost = NULL;
    int rc = xipc__win32_winsock();
    if (rc != 0)
        return rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = (flags & XIPC_SOCK_IPV6) ? AF_INET6
        : (flags & XIPC_SOCK_IPV4)             ? AF_INET
                                               : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (host == NULL)
        host = hints.ai_family == AF_INET6 ? "::1" : "127.0.0.1";
    if ((rc = xipc__win32_utf8_to_wide(host, &whost)) != 0)
        return rc == XIPC_EINVAL ? XIPC__FAIL(XIPC_EINVAL, "host: not UTF-8") : rc;
    (void)_snwprintf(service, sizeof service / sizeof service[0], L"%d", port);
    int gai = GetAddrInfoW(whost, service, &hints, &res);
    free(whost);
    if (gai == WSA_NOT_ENOUGH_MEMORY || gai == EAI_MEMORY)
        return XIPC_ENOMEM;
    if (gai != 0 || res == NULL || res->ai_addrlen > sizeof out->storage) {
        if (res != NULL)
            FreeAddrInfoW(res);
        return XIPC__FAIL(XIPC_ENOENT, "host: no address of the family asked for");
    }
    memcpy(out->storage, res->ai_addr, res->ai_addrlen);
    out->len = (uint32_t)res->ai_addrlen;
    FreeAddrInfoW(res);
    return 0;
}

int
xipc__os_sockaddr_port(const xipc_sockaddr *a, int *port)
{
    if (!is_inet(a))
        return XIPC__FAIL(XIPC_EINVAL, "a: not an IPv4 or IPv6 address");
    const void *sa = a->storage;
    *port = sa_of(a)->sa_family == AF_INET ? ntohs(((const struct sockaddr_in *)sa)->sin_port)
                                           : ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

/* AF_UNIX paths are UTF-8 here, passed to afunix.h's sun_path as the caller wrote them. */
int
xipc__os_sockaddr_unix(const char *path, xipc_sockaddr *out)
{
    SOCKADDR_UN *un = (SOCKADDR_UN *)(void *)out->storage;
    size_t n = strlen(path);
    if (n >= sizeof un->sun_path)
        return XIPC__FAIL(XIPC_ENAMETOOLONG, "path: longer than sun_path holds (107 bytes)");
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n + 1);
    out->len = (uint32_t)(offsetof(SOCKADDR_UN, sun_path) + n + 1);
    return 0;
}

static int
format_unix(const xipc_sockaddr *a, char *buf, size_t cap)
{
    const SOCKADDR_UN *un = (const SOCKADDR_UN *)(const void *)a->storage;
    size_t off = offsetof(SOCKADDR_UN, sun_path), n = 0;
    while (off + n < a->len && n < sizeof un->sun_path && un->sun_path[n] != '\0')
        n++;
    if (n >= cap)
        return XIPC_ENAMETOOLONG;
    memcpy(buf, un->sun_path, n);
    buf[n] = '\0';
    return 0;
}

int
xipc__os_sockaddr_format(const xipc_sockaddr *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    int port = 0;
    if (a->len >= sizeof(ADDRESS_FAMILY) && sa_of(a)->sa_family == AF_UNIX)
        return format_unix(a, buf, cap);
    if (!is_inet(a))
        return XIPC__FAIL(XIPC_EINVAL, "a: not an IPv4 or IPv6 address");
    const void *sa = a->storage;
    bool v6 = sa_of(a)->sa_family == AF_INET6;
    const void *ip = v6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (inet_ntop(v6 ? AF_INET6 : AF_INET, ip, host, sizeof host) == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "a: not an address inet_ntop takes");
    (void)xipc__os_sockaddr_port(a, &port);
    int n = snprintf(buf, cap, v6 ? "[%s]:%d" : "%s:%d", host, port);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

/* ---- Sockets -------------------------------------------------------------------------------- */

/* A new non-blocking TCP socket of family, never inherited. INVALID_SOCKET with the failure
 * recorded in *rc. */
static SOCKET
new_socket(int family, int *rc)
{
    u_long on = 1;
    SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        *rc = XIPC__OS_FAIL(WSAGetLastError(), "WSASocketW", NULL);
        return s;
    }
    if (ioctlsocket(s, FIONBIO, &on) != 0) {
        *rc = XIPC__OS_FAIL(WSAGetLastError(), "ioctlsocket", "FIONBIO");
        (void)closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

/* Waits until dl for events (POLLRDNORM, POLLWRNORM) on s. 0 when ready (or in error: the call
 * that follows says which), XIPC_ETIMEDOUT. */
static int
poll_socket(SOCKET s, short events, xipc__deadline dl)
{
    for (;;) {
        WSAPOLLFD pfd = { s, events, 0 };
        int left = xipc__deadline_left_ms(dl);
        int n = WSAPoll(&pfd, 1, left);
        if (n > 0)
            return 0;
        if (n < 0)
            return XIPC__OS_FAIL(WSAGetLastError(), "WSAPoll", NULL);
        if (left == 0 || xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
    }
}

/* ---- Listeners ------------------------------------------------------------------------------ */

/* SO_EXCLUSIVEADDRUSE: no other socket may bind the port, not even with SO_REUSEADDR, which on
 * Windows would let it (Microsoft: "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"). Wine gives
 * SO_REUSEADDR Linux's meaning and accepts this option (notes/wine.md). IPv6 only on an IPv6
 * socket, as on POSIX. */
static int
listen_options(SOCKET s, int family)
{
    BOOL on = TRUE;
    DWORD v6only = 1;
    if (setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof on) != 0)
        return XIPC__OS_FAIL(WSAGetLastError(), "setsockopt", "SO_EXCLUSIVEADDRUSE");
    if (family == AF_INET6 &&
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&v6only, sizeof v6only) != 0)
        return XIPC__OS_FAIL(WSAGetLastError(), "setsockopt", "IPV6_V6ONLY");
    return 0;
}

static int
bind_failure(int werr)
{
    if (werr == WSAEADDRNOTAVAIL)
        return XIPC__FAIL(XIPC_EINVAL, "host: not an address of this machine");
    return XIPC__OS_FAIL(werr, "bind", NULL);
}

int
xipc__os_tcp_listen(const xipc_sockaddr *addr, struct xipc__os_listener *l)
{
    int rc = xipc__win32_winsock(), family = sa_of(addr)->sa_family;
    if (rc != 0)
        return rc;
    SOCKET s = new_socket(family, &rc);
    if (s == INVALID_SOCKET)
        return rc;
    if ((rc = listen_options(s, family)) != 0)
        goto out_close;
    if (bind(s, sa_of(addr), (int)addr->len) != 0) {
        rc = bind_failure(WSAGetLastError());
        goto out_close;
    }
    if (listen(s, SOMAXCONN) != 0) {
        rc = XIPC__OS_FAIL(WSAGetLastError(), "listen", NULL);
        goto out_close;
    }
    if ((rc = share_open(s, (HANDLE *)&l->share)) != 0)
        goto out_close;
    l->sock = (uintptr_t)s;
    return 0;

out_close:
    (void)closesocket(s);
    return rc;
}

/* TCP_NODELAY: an IPC write goes out at once, not when Nagle's algorithm lets it. */
static int
tcp_nodelay(SOCKET s)
{
    BOOL on = TRUE;
    if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&on, sizeof on) != 0)
        return XIPC__OS_FAIL(WSAGetLastError(), "setsockopt", "TCP_NODELAY");
    return 0;
}

/* A connected non-blocking socket as the stream s; TCP (tcp) gets TCP_NODELAY. Closes sock on
 * failure. */
static int
sock_stream(SOCKET sock, bool tcp, struct xipc__os_stream *s)
{
    HANDLE section = NULL;
    int rc = tcp ? tcp_nodelay(sock) : 0;
    if (rc == 0)
        rc = share_open(sock, &section);
    if (rc != 0) {
        (void)closesocket(sock);
        return rc;
    }
    memset(s, 0, sizeof *s);
    s->handle = (HANDLE)sock;
    s->share = section; /* the read event comes at the first read (xipc__win32_stream_event) */
    s->kind = XIPC__WIN32_STREAM_SOCKET;
    return 0;
}

int
xipc__os_listener_accept(struct xipc__os_listener *l, struct xipc__os_stream *s, xipc__deadline dl)
{
    SOCKET ls = (SOCKET)l->sock;
    for (;;) {
        /* The accepted socket has the listener's properties (accept's documentation): it is
         * non-blocking. Whether WSA_FLAG_NO_HANDLE_INHERIT goes along is not said, and under
         * Wine 8 it does not: the handle is cleared of HANDLE_FLAG_INHERIT here, as WSASocketW's
         * documentation says GetHandleInformation reports that flag for sockets. (AcceptEx into
         * a socket made non-inheritable would leave no window; a spawn lists the handles it
         * passes, so no xipc child inherits it meanwhile.) */
        SOCKET c = accept(ls, NULL, NULL);
        if (c != INVALID_SOCKET && !SetHandleInformation((HANDLE)c, HANDLE_FLAG_INHERIT, 0)) {
            int rc = XIPC__OS_FAIL(GetLastError(), "SetHandleInformation", "accepted socket");
            (void)closesocket(c);
            return rc;
        }
        /* The listener's WSAEventSelect, if it is in a wait set, goes along too (accept's
         * documentation; Wine 8 does the same): each of the connection's network events would
         * wake the set for the listener, which a look then finds not ready. Cleared: the
         * connection's own set, if any, selects it. */
        if (c != INVALID_SOCKET)
            (void)WSAEventSelect(c, NULL, 0);
        if (c != INVALID_SOCKET)
            return sock_stream(c, !l->is_unix, s);
        int werr = WSAGetLastError();
        if (werr == WSAECONNRESET) /* a client that gave up while queued: take the next */
            continue;
        if (werr != WSAEWOULDBLOCK)
            return XIPC__OS_FAIL(werr, "accept", NULL);
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
        int rc = poll_socket(ls, POLLRDNORM, dl);
        if (rc != 0)
            return rc;
    }
}

/* The local (peer false) or peer address of sock, as getsockname or getpeername gives it. */
static int
socket_address(SOCKET sock, bool peer, xipc_sockaddr *out)
{
    int len = (int)sizeof out->storage;
    struct sockaddr *sa = (struct sockaddr *)(void *)out->storage;
    if ((peer ? getpeername(sock, sa, &len) : getsockname(sock, sa, &len)) != 0)
        return XIPC__OS_FAIL(WSAGetLastError(), peer ? "getpeername" : "getsockname", NULL);
    out->len = (uint32_t)len;
    return 0;
}

int
xipc__os_listener_addr(const struct xipc__os_listener *l, xipc_sockaddr *out)
{
    return socket_address((SOCKET)l->sock, false, out);
}

void
xipc__os_listener_close(struct xipc__os_listener *l)
{
    if (l->share != NULL)
        share_unregister(l->share);
    l->share = NULL;
    if (l->sock != 0)
        (void)closesocket((SOCKET)l->sock);
    l->sock = 0;
    if (l->path[0] != '\0') {
        wchar_t *wide = NULL;
        /* The socket file stays after closesocket, as on POSIX. */
        if (xipc__win32_utf8_to_wide(l->path, &wide) == 0)
            (void)DeleteFileW(wide);
        free(wide);
        l->path[0] = '\0';
    }
}

bool
xipc__os_listener_holds(const struct xipc__os_listener *l, intptr_t native)
{
    return native != 0 && ((uintptr_t)native == l->sock || (void *)native == l->share);
}

void
xipc__os_listener_waitable(const struct xipc__os_listener *l, struct xipc__wait *w)
{
    /* A socket is no object WaitForMultipleObjects takes by itself: WSAPoll tells when a
     * client waits (POLLRDNORM). */
    w->how = XIPC__WAIT_FD;
    w->native = (intptr_t)l->sock;
}

/* ---- Connecting ----------------------------------------------------------------------------- */

/* Waits until dl for a non-blocking connect in progress on s. select(), not WSAPoll: select
 * reports a failed connect in its except set (its documentation), while WSAPoll did not report
 * one at all before Windows 10 2004. */
static int
connect_wait(SOCKET s, xipc__deadline dl)
{
    for (;;) {
        fd_set wr, ex;
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        FD_SET(s, &wr);
        FD_SET(s, &ex);
        int left = xipc__deadline_left_ms(dl);
        struct timeval tv = { left / 1000, (left % 1000) * 1000 };
        int n = select(0, NULL, &wr, &ex, left < 0 ? NULL : &tv);
        if (n < 0)
            return XIPC__OS_FAIL(WSAGetLastError(), "select", NULL);
        if (FD_ISSET(s, &wr))
            return 0;
        if (FD_ISSET(s, &ex)) {
            int err = 0, len = sizeof err;
            if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
                return XIPC__OS_FAIL(WSAGetLastError(), "getsockopt", "SO_ERROR");
            return XIPC__OS_FAIL(err != 0 ? err : WSAECONNREFUSED, "connect", NULL);
        }
        if (left == 0 || xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
    }
}

int
xipc__os_tcp_connect(const xipc_sockaddr *addr, struct xipc__os_stream *s, xipc__deadline dl)
{
    int rc = xipc__win32_winsock();
    if (rc != 0)
        return rc;
    SOCKET sock = new_socket(sa_of(addr)->sa_family, &rc);
    if (sock == INVALID_SOCKET)
        return rc;
    if (connect(sock, sa_of(addr), (int)addr->len) != 0) {
        int werr = WSAGetLastError();
        rc = werr == WSAEWOULDBLOCK ? connect_wait(sock, dl) : XIPC__OS_FAIL(werr, "connect", NULL);
    }
    if (rc != 0) {
        (void)closesocket(sock);
        return rc;
    }
    return sock_stream(sock, true, s);
}

/* ---- AF_UNIX -------------------------------------------------------------------------------- */

/* A non-blocking AF_UNIX stream socket; Wine 8 has none (WSAEAFNOSUPPORT: XIPC_ENOTSUP). */
static SOCKET
unix_socket(int *rc)
{
    if ((*rc = xipc__win32_winsock()) != 0)
        return INVALID_SOCKET;
    u_long on = 1;
    SOCKET s = WSASocketW(AF_UNIX, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        *rc = XIPC__OS_FAIL(WSAGetLastError(), "WSASocketW", "AF_UNIX");
        return s;
    }
    if (ioctlsocket(s, FIONBIO, &on) != 0) {
        *rc = XIPC__OS_FAIL(WSAGetLastError(), "ioctlsocket", "FIONBIO");
        (void)closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

int
xipc__os_unix_listen(const xipc_sockaddr *addr, struct xipc__os_listener *l)
{
    int rc;
    SOCKET s = unix_socket(&rc);
    if (s == INVALID_SOCKET)
        return rc;
    if (bind(s, sa_of(addr), (int)addr->len) != 0) {
        rc = XIPC__OS_FAIL(WSAGetLastError(), "bind", NULL);
        (void)closesocket(s);
        return rc;
    }
    l->sock = (uintptr_t)s;
    l->is_unix = true;
    (void)format_unix(addr, l->path, sizeof l->path);
    if ((rc = share_open(s, (HANDLE *)&l->share)) != 0 || listen(s, SOMAXCONN) != 0) {
        rc = rc != 0 ? rc : XIPC__OS_FAIL(WSAGetLastError(), "listen", NULL);
        xipc__os_listener_close(l);
        return rc;
    }
    return 0;
}

int
xipc__os_unix_connect(const xipc_sockaddr *addr, struct xipc__os_stream *s, xipc__deadline dl)
{
    int rc;
    SOCKET sock = unix_socket(&rc);
    if (sock == INVALID_SOCKET)
        return rc;
    if (connect(sock, sa_of(addr), (int)addr->len) != 0) {
        int werr = WSAGetLastError();
        rc = werr == WSAEWOULDBLOCK ? connect_wait(sock, dl) : XIPC__OS_FAIL(werr, "connect", NULL);
    }
    if (rc != 0) {
        (void)closesocket(sock);
        return rc;
    }
    return sock_stream(sock, false, s);
}

int
xipc__os_unix_dgram_open(const xipc_sockaddr *addr, struct xipc__os_dgram *d)
{
    (void)addr;
    (void)d;
    return XIPC__FAIL(XIPC_ENOTSUP, "AF_UNIX datagrams: Windows has AF_UNIX stream sockets only");
}

/* ---- Datagrams ------------------------------------------------------------------------------ */

/* SIO_UDP_CONNRESET off: Windows otherwise fails the next receive with WSAECONNRESET once a
 * datagram sent to a port with no receiver drew an ICMP "port unreachable" (Microsoft KB263823),
 * which no POSIX receive does on an unconnected socket. Best effort: the receive skips that
 * error anyway. */
static void
udp_connreset_off(SOCKET s)
{
    BOOL off = FALSE;
    DWORD n = 0;
    (void)WSAIoctl(s, _WSAIOW(IOC_VENDOR, 12), &off, sizeof off, NULL, 0, &n, NULL, NULL);
}

int
xipc__os_udp_open(const xipc_sockaddr *addr, struct xipc__os_dgram *d)
{
    u_long on = 1;
    int rc = xipc__win32_winsock(), family = sa_of(addr)->sa_family;
    if (rc != 0)
        return rc;
    SOCKET s = WSASocketW(
        family, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET)
        return XIPC__OS_FAIL(WSAGetLastError(), "WSASocketW", NULL);
    if (ioctlsocket(s, FIONBIO, &on) != 0)
        rc = XIPC__OS_FAIL(WSAGetLastError(), "ioctlsocket", "FIONBIO");
    if (rc == 0)
        rc = listen_options(s, family);
    if (rc == 0 && bind(s, sa_of(addr), (int)addr->len) != 0)
        rc = bind_failure(WSAGetLastError());
    if (rc == 0)
        rc = share_open(s, (HANDLE *)&d->share);
    if (rc == 0 && (d->read_event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL)
        rc = XIPC__OS_FAIL(GetLastError(), "CreateEventW", NULL);
    if (rc != 0) {
        if (d->share != NULL)
            share_unregister(d->share);
        d->share = NULL;
        (void)closesocket(s);
        return rc;
    }
    udp_connreset_off(s);
    d->sock = (uintptr_t)s;
    return 0;
}

int
xipc__os_dgram_send(struct xipc__os_dgram *d, const void *buf, size_t len, const xipc_sockaddr *to,
    xipc__deadline dl)
{
    SOCKET s = (SOCKET)d->sock;
    for (;;) {
        int n =
            to ? sendto(s, buf, (int)len, 0, sa_of(to), (int)to->len) : send(s, buf, (int)len, 0);
        if (n >= 0)
            return 0; /* a datagram goes whole or not at all */
        int werr = WSAGetLastError();
        if (werr == WSAECONNRESET) /* an ICMP error for an earlier datagram: see above */
            continue;
        if (werr != WSAEWOULDBLOCK)
            return XIPC__OS_FAIL(werr, to ? "sendto" : "send", NULL);
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
        int rc = poll_socket(s, POLLWRNORM, dl);
        if (rc != 0)
            return rc;
    }
}

/* One overlapped WSARecvFrom into bufs, waited for on the endpoint's event until dl and
 * cancelled there: a wait costs what a blocking receive costs, where a try, WSAPoll and a second
 * try cost three calls (measured under Wine: 1.45x raw per round trip). 0 with *n; a datagram
 * that completed while being cancelled is kept; XIPC_ETIMEDOUT; or the failure's WSA code in
 * *werr (rc -1). from and *from_len stay in use until the receive is over for good, which this
 * waits for. */
static int
recv_overlapped(struct xipc__os_dgram *d, WSABUF *bufs, DWORD *n, struct sockaddr *from,
    INT *from_len, xipc__deadline dl, int *werr)
{
    SOCKET s = (SOCKET)d->sock;
    OVERLAPPED ov;
    DWORD flags = 0, wait = WAIT_OBJECT_0;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = d->read_event;
    *werr = 0;
    if (WSARecvFrom(s, bufs, 2, NULL, &flags, from, from_len, &ov, NULL) != 0)
        *werr = WSAGetLastError();
    if (*werr != 0 && *werr != WSA_IO_PENDING)
        return -1;
    if (*werr == WSA_IO_PENDING && (wait = xipc__win32_wait(ov.hEvent, dl)) != WAIT_OBJECT_0)
        (void)CancelIoEx((HANDLE)s, &ov);
    if (WSAGetOverlappedResult(s, &ov, n, TRUE, &flags))
        return 0;
    *werr = WSAGetLastError();
    if (wait == WAIT_TIMEOUT &&
        (*werr == WSA_OPERATION_ABORTED || *werr == ERROR_OPERATION_ABORTED))
        return XIPC_ETIMEDOUT;
    if (wait == WAIT_FAILED)
        *werr = (int)GetLastError();
    return -1;
}

int
xipc__os_dgram_recv(struct xipc__os_dgram *d, void *buf, size_t cap, void *spill, size_t spill_cap,
    size_t *len, xipc_sockaddr *from, xipc__deadline dl)
{
    SOCKET s = (SOCKET)d->sock;
    WSABUF bufs[2] = { { (ULONG)cap, buf }, { (ULONG)spill_cap, spill } };
    while (xipc__deadline_left_ms(dl) != 0) {
        DWORD n = 0;
        int werr = 0;
        INT from_len = (INT)sizeof from->storage;
        int rc = recv_overlapped(
            d, bufs, &n, (struct sockaddr *)(void *)from->storage, &from_len, dl, &werr);
        if (rc == 0) {
            *len = n;
            from->len = (uint32_t)from_len;
            return 0;
        }
        if (rc == XIPC_ETIMEDOUT)
            return rc;
        if (werr != WSAECONNRESET) /* see udp_connreset_off */
            return XIPC__OS_FAIL(werr, "WSARecvFrom", NULL);
    }
    /* A call that must not wait: a non-blocking try (an overlapped one would have to be
     * cancelled: two calls more). */
    for (;;) {
        DWORD n = 0, flags = 0;
        INT from_len = (INT)sizeof from->storage;
        if (WSARecvFrom(s, bufs, 2, &n, &flags, (struct sockaddr *)(void *)from->storage, &from_len,
                NULL, NULL) == 0) {
            *len = n;
            from->len = (uint32_t)from_len;
            return 0;
        }
        int werr = WSAGetLastError();
        if (werr == WSAEWOULDBLOCK)
            return XIPC_ETIMEDOUT;
        if (werr != WSAECONNRESET) /* see udp_connreset_off */
            return XIPC__OS_FAIL(werr, "WSARecvFrom", NULL);
    }
}

int
xipc__os_dgram_connect(struct xipc__os_dgram *d, const xipc_sockaddr *peer)
{
    if (connect((SOCKET)d->sock, sa_of(peer), (int)peer->len) != 0)
        return XIPC__OS_FAIL(WSAGetLastError(), "connect", NULL);
    return 0;
}

int
xipc__os_dgram_addr(const struct xipc__os_dgram *d, xipc_sockaddr *out)
{
    return socket_address((SOCKET)d->sock, false, out);
}

void
xipc__os_dgram_close(struct xipc__os_dgram *d)
{
    if (d->share != NULL)
        share_unregister(d->share);
    d->share = NULL;
    if (d->read_event != NULL)
        (void)CloseHandle(d->read_event);
    d->read_event = NULL;
    if (d->sock != 0)
        (void)closesocket((SOCKET)d->sock);
    d->sock = 0;
}

bool
xipc__os_dgram_holds(const struct xipc__os_dgram *d, intptr_t native)
{
    return native != 0 && ((uintptr_t)native == d->sock || (void *)native == d->share);
}

void
xipc__os_dgram_waitable(const struct xipc__os_dgram *d, struct xipc__wait *w)
{
    w->how = XIPC__WAIT_FD; /* as a listener's */
    w->native = (intptr_t)d->sock;
}

/* ---- Transfers (win32_stream.c dispatches here) --------------------------------------------- */

/* Reads are one overlapped WSARecv, waited for on the stream's event until the deadline and
 * cancelled there (CancelIoEx): a wait costs what a blocking recv costs, where a non-blocking
 * try, WSAPoll and a second recv cost three calls (measured under Wine: 1.14x raw per round
 * trip). An overlapped receive is not subject to the socket's non-blocking mode (WSARecv's
 * documentation: WSAEWOULDBLOCK only for nonoverlapped sockets). A receive that completed
 * while being cancelled keeps its bytes (WSAGetOverlappedResult). */
int
xipc__win32_sock_read(
    struct xipc__os_stream *s, void *buf, size_t cap, size_t *got, xipc__deadline dl)
{
    SOCKET sock = (SOCKET)s->handle;
    WSABUF wb = { cap > 0x7fffffff ? 0x7fffffffu : (ULONG)cap, buf };
    OVERLAPPED ov;
    DWORD n = 0, flags = 0, werr = 0, wait = WAIT_OBJECT_0;
    memset(&ov, 0, sizeof ov);
    int rc = xipc__win32_stream_event(s, false, &ov.hEvent);
    if (rc != 0)
        return rc;
    if (WSARecv(sock, &wb, 1, NULL, &flags, &ov, NULL) != 0)
        werr = (DWORD)WSAGetLastError();
    if (werr != 0 && werr != WSA_IO_PENDING)
        return (werr == WSAECONNRESET || werr == WSAECONNABORTED)
            ? 0
            : XIPC__OS_FAIL(werr, "WSARecv", NULL);
    if (werr == WSA_IO_PENDING && (wait = xipc__win32_wait(ov.hEvent, dl)) != WAIT_OBJECT_0)
        (void)CancelIoEx((HANDLE)sock, &ov);
    /* Wait (TRUE) until the receive is over for good: ov lives on this stack. */
    if (WSAGetOverlappedResult(sock, &ov, &n, TRUE, &flags)) {
        *got = n; /* 0: the peer closed its side */
        return 0;
    }
    werr = (DWORD)WSAGetLastError();
    /* A peer that reset or aborted the connection: the end of the stream, as on POSIX. */
    if (werr == WSAECONNRESET || werr == WSAECONNABORTED)
        return 0;
    if (wait == WAIT_TIMEOUT && (werr == WSA_OPERATION_ABORTED || werr == ERROR_OPERATION_ABORTED))
        return XIPC_ETIMEDOUT;
    return XIPC__OS_FAIL(wait == WAIT_FAILED ? GetLastError() : werr, "WSARecv", NULL);
}

int
xipc__win32_sock_write_some(
    struct xipc__os_stream *s, const void *buf, size_t len, size_t *put, xipc__deadline dl)
{
    SOCKET sock = (SOCKET)s->handle;
    int want = len > INT_MAX ? INT_MAX : (int)len;
    for (;;) {
        int n = send(sock, buf, want, 0);
        if (n > 0) {
            *put = (size_t)n;
            return 0;
        }
        int werr = n == 0 ? WSAEWOULDBLOCK : WSAGetLastError();
        /* The peer is gone, or this end was shut for writing: what POSIX calls EPIPE. */
        if (werr == WSAECONNRESET || werr == WSAECONNABORTED || werr == WSAESHUTDOWN)
            return XIPC_EPIPE;
        if (werr != WSAEWOULDBLOCK)
            return XIPC__OS_FAIL(werr, "send", NULL);
        if (xipc__deadline_left_ms(dl) == 0)
            return XIPC_ETIMEDOUT;
        int rc = poll_socket(sock, POLLWRNORM, dl);
        if (rc != 0)
            return rc;
    }
}

void
xipc__win32_sock_close(struct xipc__os_stream *s)
{
    if (s->share != NULL)
        share_unregister(s->share);
    if (s->handle != NULL)
        (void)closesocket((SOCKET)s->handle);
    if (s->read_event != NULL)
        (void)CloseHandle(s->read_event);
    memset(s, 0, sizeof *s);
}

/* The socket a share section carries for this process (its slot: see share_take), made
 * non-blocking; INVALID_SOCKET with *rc set otherwise (XIPC_EINVAL: no share, or not for us). */
static SOCKET
share_socket(HANDLE section, WSAPROTOCOL_INFOW *info, int *rc)
{
    u_long on = 1;
    const struct share_page *page = MapViewOfFile(section, FILE_MAP_READ, 0, 0, sizeof *page);
    if (page == NULL) {
        (void)XIPC__OS_FAIL(GetLastError(), "MapViewOfFile", "inherited handle");
        *rc = XIPC_EINVAL; /* not a section at all: neither a pipe nor a socket's share */
        return INVALID_SOCKET;
    }
    *rc = share_take(page, info);
    (void)UnmapViewOfFile(page);
    if (*rc == 0)
        *rc = xipc__win32_winsock();
    if (*rc != 0)
        return INVALID_SOCKET;
    SOCKET sock = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, info, 0,
        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (sock == INVALID_SOCKET) {
        *rc = XIPC__OS_FAIL(WSAGetLastError(), "WSASocketW", "passed socket");
        return sock;
    }
    if (ioctlsocket(sock, FIONBIO, &on) != 0) {
        *rc = XIPC__OS_FAIL(WSAGetLastError(), "ioctlsocket", "FIONBIO");
        (void)closesocket(sock);
        return INVALID_SOCKET;
    }
    return sock;
}

int
xipc__win32_sock_adopt(HANDLE section, struct xipc__os_stream *s)
{
    WSAPROTOCOL_INFOW info;
    int rc;
    SOCKET sock = share_socket(section, &info, &rc);
    if (sock == INVALID_SOCKET)
        return rc;
    if (info.iSocketType != SOCK_STREAM) {
        (void)closesocket(sock);
        return XIPC__FAIL(XIPC_EINVAL, "text: a socket of another kind");
    }
    if ((rc = sock_stream(sock, info.iAddressFamily != AF_UNIX, s)) == 0)
        (void)CloseHandle(section); /* its work is done: the stream has the socket */
    return rc;
}

/* ---- Passing listeners and datagram endpoints to a child ------------------------------------ */

intptr_t
xipc__os_listener_native(const struct xipc__os_listener *l)
{
    return (intptr_t)l->share;
}

intptr_t
xipc__os_dgram_native(const struct xipc__os_dgram *d)
{
    return (intptr_t)d->share;
}

/* The checks every import makes first: open, and not an xipc handle's here. */
static int
check_native(intptr_t native)
{
    DWORD flags;
    if (!xipc__win32_is_handle_value(native) || !GetHandleInformation((HANDLE)native, &flags))
        return XIPC_EBADF;
    return xipc__handle_owns_native(native) ? XIPC_EEXIST : 0;
}

/* The socket of type behind an inherited share, with a share of its own for this process. */
static int
adopt_shared(intptr_t native, int type, SOCKET *sock, HANDLE *share, int *family)
{
    WSAPROTOCOL_INFOW info;
    int rc = check_native(native);
    if (rc != 0 || (*sock = share_socket((HANDLE)native, &info, &rc)) == INVALID_SOCKET)
        return rc;
    if (info.iSocketType != type)
        rc = XIPC__FAIL(XIPC_EINVAL, "text: a socket of another kind");
    if (rc == 0)
        rc = share_open(*sock, share);
    if (rc != 0) {
        (void)closesocket(*sock);
        return rc;
    }
    *family = info.iAddressFamily;
    (void)CloseHandle((HANDLE)native);
    return 0;
}

int
xipc__os_listener_adopt(intptr_t native, struct xipc__os_listener *l)
{
    SOCKET sock = INVALID_SOCKET;
    HANDLE share = NULL;
    int family = 0, rc = adopt_shared(native, SOCK_STREAM, &sock, &share, &family);
    if (rc != 0)
        return rc;
    memset(l, 0, sizeof *l);
    l->sock = (uintptr_t)sock;
    l->share = share;
    l->is_unix = family == AF_UNIX; /* path stays empty: the listening process removes it */
    return 0;
}

int
xipc__os_dgram_adopt(intptr_t native, struct xipc__os_dgram *d, int *family)
{
    SOCKET sock = INVALID_SOCKET;
    HANDLE share = NULL;
    int rc = adopt_shared(native, SOCK_DGRAM, &sock, &share, family);
    if (rc != 0)
        return rc;
    memset(d, 0, sizeof *d);
    d->sock = (uintptr_t)sock;
    d->share = share;
    if ((d->read_event = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
        rc = XIPC__OS_FAIL(GetLastError(), "CreateEventW", NULL);
        xipc__os_dgram_close(d);
        return rc;
    }
    return 0;
}

/* ---- Socket calls on streams ---------------------------------------------------------------- */

int
xipc__os_stream_shutdown(struct xipc__os_stream *s)
{
    int rc = xipc__win32_stream_classify(s); /* a passed duplex end is known at its first use */
    if (rc != 0)
        return rc;
    if (s->kind == XIPC__WIN32_STREAM_DUPLEX)
        return xipc__win32_duplex_shutdown(s);
    if (s->kind != XIPC__WIN32_STREAM_SOCKET)
        return XIPC__FAIL(XIPC_ENOTSUP, "s: not a stream socket or duplex pipe end");
    /* WSAENOTCONN: the peer reset the connection already; nothing is left to shut. */
    if (shutdown((SOCKET)s->handle, SD_SEND) != 0 && WSAGetLastError() != WSAENOTCONN)
        return XIPC__OS_FAIL(WSAGetLastError(), "shutdown", NULL);
    return 0;
}

int
xipc__os_stream_sockaddr(const struct xipc__os_stream *s, bool peer, xipc_sockaddr *out)
{
    if (s->kind != XIPC__WIN32_STREAM_SOCKET)
        return XIPC__FAIL(XIPC_ENOTSUP, "s: not a TCP connection");
    return socket_address((SOCKET)s->handle, peer, out);
}
