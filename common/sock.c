/* common/sock.c: sockets (xipc/sock.h): argument checks, handle lifetime of listeners, and the
 * socket calls on streams (half-close, addresses). The sockets themselves are the platform's
 * (common/platform.h, "Sockets"). */
#include "handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOCK_FAMILIES (XIPC_SOCK_IPV4 | XIPC_SOCK_IPV6)

/* AF_UNIX: 1 on every platform xipc runs on (POSIX requires no value; Linux, the BSDs, macOS and
 * Windows' afunix.h all use 1). */
#define XIPC__AF_UNIX 1

/* The family of an address: sa_family, first in every sockaddr on Linux and Windows (a BSD port,
 * whose sockaddr starts with sa_len, reads the second byte). */
static int
family_of(const xipc_sockaddr *a)
{
    uint16_t family;
    memcpy(&family, a->storage, sizeof family); /* sa_family, first in every sockaddr here */
    return family;
}

/* ---- Addresses ------------------------------------------------------------------------------ */

static int
check_host_port(const char *host, int port, unsigned flags)
{
    if (host != NULL && host[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "host: empty (NULL is loopback)");
    if (port < 0 || port > 65535)
        return XIPC__FAIL(XIPC_EINVAL, "port: not in 0..65535");
    if ((flags & ~SOCK_FAMILIES) != 0 || flags == SOCK_FAMILIES)
        return XIPC__FAIL(XIPC_EINVAL, "flags: unknown, or both XIPC_SOCK_IPV4 and _IPV6");
    return 0;
}

int
xipc_sockaddr_resolve(const char *host, int port, unsigned flags, xipc_sockaddr *out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    memset(out, 0, sizeof *out);
    int rc = check_host_port(host, port, flags);
    return rc != 0 ? rc : xipc__os_sockaddr_resolve(host, port, flags, out);
}

int
xipc_sockaddr_format(const xipc_sockaddr *a, char *buf, size_t cap)
{
    xipc__error_clear();
    if (buf == NULL || cap == 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL, or cap: 0");
    buf[0] = '\0';
    if (a == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "a: NULL");
    int rc = xipc__os_sockaddr_format(a, buf, cap);
    if (rc != 0)
        buf[0] = '\0';
    return rc;
}

int
xipc_sockaddr_port(const xipc_sockaddr *a, int *port)
{
    xipc__error_clear();
    if (a == NULL || port == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "a or port: NULL");
    return xipc__os_sockaddr_port(a, port);
}

static int
unix_addr(const char *path, xipc_sockaddr *out)
{
    memset(out, 0, sizeof *out);
    if (path == NULL || path[0] == '\0')
        return XIPC__FAIL(XIPC_EINVAL, "path: NULL or empty");
    return xipc__os_sockaddr_unix(path, out);
}

int
xipc_sockaddr_unix(const char *path, xipc_sockaddr *out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    return unix_addr(path, out);
}

/* ---- Listeners ------------------------------------------------------------------------------ */

struct xipc_listener {
    struct xipc_handle handle;
    struct xipc__os_listener os;
};

/* A listener on addr, TCP or AF_UNIX by its family. */
static int
listener_open(const xipc_sockaddr *addr, bool unix_path, xipc_listener **out)
{
    int rc;
    struct xipc_listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        return XIPC_ENOMEM;
    rc = unix_path ? xipc__os_unix_listen(addr, &l->os) : xipc__os_tcp_listen(addr, &l->os);
    if (rc != 0)
        goto out_free;
    if ((rc = xipc__handle_register(&l->handle, XIPC_KIND_LISTENER)) != 0)
        goto out_close;
    *out = l;
    return 0;

out_close:
    xipc__os_listener_close(&l->os);
out_free:
    free(l);
    return rc;
}

int
xipc_tcp_listen(const char *host, int port, unsigned flags, xipc_listener **out)
{
    xipc_sockaddr addr;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = check_host_port(host, port, flags);
    if (rc != 0 || (rc = xipc__os_sockaddr_resolve(host, port, flags, &addr)) != 0)
        return rc;
    return listener_open(&addr, false, out);
}

int
xipc_unix_listen(const char *path, unsigned flags, xipc_listener **out)
{
    xipc_sockaddr addr;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (flags != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: not 0");
    int rc = unix_addr(path, &addr);
    return rc != 0 ? rc : listener_open(&addr, true, out);
}

int
xipc_unix_connect(const char *path, xipc_stream **out, int timeout_ms)
{
    xipc_sockaddr addr;
    struct xipc__os_stream os;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__timeout_check(timeout_ms);
    if (rc != 0 || (rc = unix_addr(path, &addr)) != 0)
        return rc;
    memset(&os, 0, sizeof os);
    if ((rc = xipc__os_unix_connect(&addr, &os, xipc__deadline_in(timeout_ms))) != 0)
        return rc;
    return xipc__stream_wrap(&os, XIPC__STREAM_READ | XIPC__STREAM_WRITE, out);
}

int
xipc_listener_accept(xipc_listener *l, xipc_stream **out, int timeout_ms)
{
    struct xipc__os_stream os;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__handle_check(l, XIPC_KIND_LISTENER);
    if (rc != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    memset(&os, 0, sizeof os);
    if ((rc = xipc__os_listener_accept(&l->os, &os, xipc__deadline_in(timeout_ms))) != 0)
        return rc;
    return xipc__stream_wrap(&os, XIPC__STREAM_READ | XIPC__STREAM_WRITE, out);
}

int
xipc_listener_addr(const xipc_listener *l, xipc_sockaddr *out)
{
    xipc__error_clear();
    int rc = xipc__handle_check(l, XIPC_KIND_LISTENER);
    if (rc != 0)
        return rc;
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    memset(out, 0, sizeof *out);
    return xipc__os_listener_addr(&l->os, out);
}

int
xipc_listener_port(const xipc_listener *l, int *port)
{
    xipc_sockaddr addr;
    if (port == NULL) {
        xipc__error_clear();
        return XIPC__FAIL(XIPC_EINVAL, "port: NULL");
    }
    *port = 0;
    int rc = xipc_listener_addr(l, &addr);
    return rc != 0 ? rc : xipc__os_sockaddr_port(&addr, port);
}

void
xipc_listener_close(xipc_listener *l)
{
    xipc__handle_close(l, XIPC_KIND_LISTENER);
}

xipc_handle *
xipc_listener_handle(xipc_listener *l)
{
    return l ? &l->handle : NULL;
}

void
xipc__listener_release(struct xipc_handle *h)
{
    struct xipc_listener *l = (struct xipc_listener *)h;
    xipc__os_listener_close(&l->os);
    free(l);
}

bool
xipc__listener_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_listener_holds(&((const struct xipc_listener *)h)->os, native);
}

void
xipc__listener_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    xipc__os_listener_waitable(&((const struct xipc_listener *)h)->os, w);
}

/* ---- Connections ---------------------------------------------------------------------------- */

int
xipc_tcp_connect_addr(const xipc_sockaddr *addr, xipc_stream **out, int timeout_ms)
{
    struct xipc__os_stream os;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (addr == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "addr: NULL");
    int rc = xipc__timeout_check(timeout_ms), port = 0;
    if (rc != 0 || (rc = xipc__os_sockaddr_port(addr, &port)) != 0)
        return rc;
    if (port == 0)
        return XIPC__FAIL(XIPC_EINVAL, "port: 0, which no listener has");
    memset(&os, 0, sizeof os);
    if ((rc = xipc__os_tcp_connect(addr, &os, xipc__deadline_in(timeout_ms))) != 0)
        return rc;
    return xipc__stream_wrap(&os, XIPC__STREAM_READ | XIPC__STREAM_WRITE, out);
}

int
xipc_tcp_connect(const char *host, int port, unsigned flags, xipc_stream **out, int timeout_ms)
{
    xipc_sockaddr addr;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = check_host_port(host, port, flags);
    if (rc != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    /* The resolver's time is not counted against timeout_ms: it offers no deadline. */
    if ((rc = xipc__os_sockaddr_resolve(host, port, flags, &addr)) != 0)
        return rc;
    return xipc_tcp_connect_addr(&addr, out, timeout_ms);
}

/* ---- Socket calls on streams ---------------------------------------------------------------- */

int
xipc_stream_shutdown(xipc_stream *s)
{
    xipc__error_clear();
    int rc = xipc__handle_check(s, XIPC_KIND_STREAM);
    if (rc != 0)
        return rc;
    if (s->caps != (XIPC__STREAM_READ | XIPC__STREAM_WRITE))
        return XIPC__FAIL(XIPC_ENOTSUP, "s: a stream of one direction, which close ends");
    return xipc__os_stream_shutdown(&s->os);
}

static int
stream_sockaddr(const xipc_stream *s, bool peer, xipc_sockaddr *out)
{
    xipc__error_clear();
    int rc = xipc__handle_check(s, XIPC_KIND_STREAM);
    if (rc != 0)
        return rc;
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    memset(out, 0, sizeof *out);
    return xipc__os_stream_sockaddr(&s->os, peer, out);
}

int
xipc_stream_local_addr(const xipc_stream *s, xipc_sockaddr *out)
{
    return stream_sockaddr(s, false, out);
}

int
xipc_stream_peer_addr(const xipc_stream *s, xipc_sockaddr *out)
{
    return stream_sockaddr(s, true, out);
}

/* ---- Datagrams ------------------------------------------------------------------------------ */

/* Room for the rest of a datagram that does not fit the caller's buffer: the largest one. */
#define SPILL_SIZE 65536

struct xipc_dgram {
    struct xipc_handle handle;
    struct xipc__os_dgram os;
    int family; /* the bound address's (sa_family, as the platform stores it) */
    bool connected;
    /* What does not fit the caller's buffer lands here (xipc__os_dgram_recv). After a receive
     * into too small a buffer, the whole datagram is kept here, held_len bytes from held_from,
     * for the next receive (held_len 0 and held false: none). */
    unsigned char *spill;
    bool held;
    size_t held_len;
    xipc_sockaddr held_from;
};

/* A datagram endpoint of family, bound to addr (NULL: AF_UNIX unbound). */
static int
dgram_open(const xipc_sockaddr *addr, int family, xipc_dgram **out)
{
    int rc;
    struct xipc_dgram *d = calloc(1, sizeof *d);
    if (d == NULL || (d->spill = malloc(SPILL_SIZE)) == NULL) {
        free(d);
        return XIPC_ENOMEM;
    }
    d->family = family;
    if (addr == NULL || d->family == XIPC__AF_UNIX)
        rc = xipc__os_unix_dgram_open(addr, &d->os);
    else
        rc = xipc__os_udp_open(addr, &d->os);
    if (rc != 0)
        goto out_free;
    if ((rc = xipc__handle_register(&d->handle, XIPC_KIND_DGRAM)) != 0)
        goto out_close;
    *out = d;
    return 0;

out_close:
    xipc__os_dgram_close(&d->os);
out_free:
    free(d->spill);
    free(d);
    return rc;
}

int
xipc_udp_open(const char *host, int port, unsigned flags, xipc_dgram **out)
{
    xipc_sockaddr addr;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = check_host_port(host, port, flags);
    if (rc != 0 || (rc = xipc__os_sockaddr_resolve(host, port, flags, &addr)) != 0)
        return rc;
    return dgram_open(&addr, family_of(&addr), out);
}

int
xipc_unix_dgram_open(const char *path, unsigned flags, xipc_dgram **out)
{
    xipc_sockaddr addr;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (flags != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: not 0");
    if (path == NULL)
        return dgram_open(NULL, XIPC__AF_UNIX, out);
    int rc = unix_addr(path, &addr);
    return rc != 0 ? rc : dgram_open(&addr, XIPC__AF_UNIX, out);
}

static int
dgram_send(xipc_dgram *d, const void *buf, size_t len, const xipc_sockaddr *to, int timeout_ms)
{
    int rc = xipc__handle_check(d, XIPC_KIND_DGRAM);
    if (rc != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    if (buf == NULL && len > 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL");
    if (len > XIPC_DGRAM_MAX)
        return XIPC__FAIL(XIPC_EMSGSIZE, "len: over XIPC_DGRAM_MAX");
    if (to == NULL && !d->connected)
        return XIPC__FAIL(XIPC_EINVAL, "d: not connected (xipc_dgram_connect)");
    if (to != NULL && (to->len == 0 || family_of(to) != d->family))
        return XIPC__FAIL(XIPC_EINVAL, "to: not an address of the endpoint's family");
    return xipc__os_dgram_send(&d->os, buf ? buf : "", len, to, xipc__deadline_in(timeout_ms));
}

int
xipc_dgram_send_to(
    xipc_dgram *d, const void *buf, size_t len, const xipc_sockaddr *to, int timeout_ms)
{
    xipc__error_clear();
    if (to == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "to: NULL");
    return dgram_send(d, buf, len, to, timeout_ms);
}

int
xipc_dgram_send(xipc_dgram *d, const void *buf, size_t len, int timeout_ms)
{
    xipc__error_clear();
    return dgram_send(d, buf, len, NULL, timeout_ms);
}

/* The datagram kept from an earlier receive: into buf if it fits, else XIPC_EMSGSIZE again. */
static int
take_held(xipc_dgram *d, void *buf, size_t cap, size_t *len, xipc_sockaddr *from)
{
    *len = d->held_len;
    if (d->held_len > cap)
        return XIPC__FAIL(
            XIPC_EMSGSIZE, "cap: smaller than the datagram (kept for the next receive)");
    if (d->held_len > 0)
        memcpy(buf, d->spill, d->held_len);
    if (from != NULL)
        *from = d->held_from;
    d->held = false;
    d->held_len = 0;
    return 0;
}

/* Keeps a datagram of n bytes that came cut in two, cap bytes in buf and the rest in the
 * spill, whole in the spill for the next receive. */
static int
hold(xipc_dgram *d, const void *buf, size_t cap, size_t n, const xipc_sockaddr *from)
{
    memmove(d->spill + cap, d->spill, n - cap);
    memcpy(d->spill, buf, cap);
    d->held = true;
    d->held_len = n;
    d->held_from = *from;
    return XIPC__FAIL(XIPC_EMSGSIZE, "cap: smaller than the datagram (kept for the next receive)");
}

static int
dgram_recv(xipc_dgram *d, void *buf, size_t cap, size_t *len, xipc_sockaddr *from, int timeout_ms)
{
    xipc_sockaddr sender;
    if (len != NULL)
        *len = 0;
    int rc = xipc__handle_check(d, XIPC_KIND_DGRAM);
    if (rc != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    if (buf == NULL || len == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "buf or len: NULL");
    if (d->held)
        return take_held(d, buf, cap, len, from);
    size_t room = cap < SPILL_SIZE ? cap : SPILL_SIZE;
    memset(&sender, 0, sizeof sender);
    rc = xipc__os_dgram_recv(
        &d->os, buf, room, d->spill, SPILL_SIZE, len, &sender, xipc__deadline_in(timeout_ms));
    if (rc != 0)
        return rc;
    if (*len > room)
        return hold(d, buf, room, *len, &sender);
    if (from != NULL)
        *from = sender;
    return 0;
}

int
xipc_dgram_recv_from(
    xipc_dgram *d, void *buf, size_t cap, size_t *len, xipc_sockaddr *from, int timeout_ms)
{
    xipc__error_clear();
    return dgram_recv(d, buf, cap, len, from, timeout_ms);
}

int
xipc_dgram_recv(xipc_dgram *d, void *buf, size_t cap, size_t *len, int timeout_ms)
{
    xipc__error_clear();
    int rc = xipc__handle_check(d, XIPC_KIND_DGRAM);
    if (rc == 0 && !d->connected)
        return XIPC__FAIL(XIPC_EINVAL, "d: not connected (xipc_dgram_connect)");
    return dgram_recv(d, buf, cap, len, NULL, timeout_ms);
}

int
xipc_dgram_connect(xipc_dgram *d, const xipc_sockaddr *peer)
{
    xipc__error_clear();
    int rc = xipc__handle_check(d, XIPC_KIND_DGRAM);
    if (rc != 0)
        return rc;
    if (peer == NULL || peer->len == 0 || family_of(peer) != d->family)
        return XIPC__FAIL(XIPC_EINVAL, "peer: NULL, or not an address of the endpoint's family");
    if ((rc = xipc__os_dgram_connect(&d->os, peer)) == 0)
        d->connected = true;
    return rc;
}

int
xipc_dgram_addr(const xipc_dgram *d, xipc_sockaddr *out)
{
    xipc__error_clear();
    int rc = xipc__handle_check(d, XIPC_KIND_DGRAM);
    if (rc != 0)
        return rc;
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    memset(out, 0, sizeof *out);
    return xipc__os_dgram_addr(&d->os, out);
}

void
xipc_dgram_close(xipc_dgram *d)
{
    xipc__handle_close(d, XIPC_KIND_DGRAM);
}

xipc_handle *
xipc_dgram_handle(xipc_dgram *d)
{
    return d ? &d->handle : NULL;
}

void
xipc__dgram_release(struct xipc_handle *h)
{
    struct xipc_dgram *d = (struct xipc_dgram *)h;
    xipc__os_dgram_close(&d->os);
    free(d->spill);
    free(d);
}

bool
xipc__dgram_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_dgram_holds(&((const struct xipc_dgram *)h)->os, native);
}

void
xipc__dgram_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    const struct xipc_dgram *d = (const struct xipc_dgram *)h;
    xipc__os_dgram_waitable(&d->os, w);
    w->held = d->held;
}

/* ---- Passing listeners and datagram endpoints to a child ------------------------------------ */

/* The export value of both is "<native>". */
static int
pass_one(
    intptr_t native, char *value, size_t cap, intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    natives[0] = native;
    *count = 1;
    int n = snprintf(value, cap, "%" PRIdPTR, native);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

static int
native_of_text(const char *text, enum xipc_kind kind, intptr_t *native)
{
    const char *value = text ? xipc__handle_text_value(text, kind) : NULL;
    if (value == NULL || xipc__parse_native(value, NULL, native) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not an export text of this kind");
    return 0;
}

int
xipc__listener_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    const struct xipc_listener *l = (const struct xipc_listener *)h;
    return pass_one(xipc__os_listener_native(&l->os), value, cap, natives, count);
}

static int
listener_import(const char *text, xipc_listener **out)
{
    intptr_t native = 0;
    int rc = native_of_text(text, XIPC_KIND_LISTENER, &native);
    if (rc != 0)
        return rc;
    struct xipc_listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        return XIPC_ENOMEM;
    if ((rc = xipc__os_listener_adopt(native, &l->os)) != 0) {
        free(l);
        return rc;
    }
    if ((rc = xipc__handle_register(&l->handle, XIPC_KIND_LISTENER)) != 0) {
        xipc__os_listener_close(&l->os);
        free(l);
        return rc;
    }
    *out = l;
    return 0;
}

int
xipc_listener_import(const char *text, xipc_listener **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    return listener_import(text, out);
}

int
xipc_listener_inherited(size_t index, xipc_listener **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__inherited_text(index, XIPC_KIND_LISTENER, text);
    return rc != 0 ? rc : listener_import(text, out);
}

int
xipc__dgram_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    const struct xipc_dgram *d = (const struct xipc_dgram *)h;
    return pass_one(xipc__os_dgram_native(&d->os), value, cap, natives, count);
}

static int
dgram_import(const char *text, xipc_dgram **out)
{
    intptr_t native = 0;
    int rc = native_of_text(text, XIPC_KIND_DGRAM, &native);
    if (rc != 0)
        return rc;
    struct xipc_dgram *d = calloc(1, sizeof *d);
    if (d == NULL || (d->spill = malloc(SPILL_SIZE)) == NULL) {
        free(d);
        return XIPC_ENOMEM;
    }
    if ((rc = xipc__os_dgram_adopt(native, &d->os, &d->family)) != 0)
        goto out_free;
    if ((rc = xipc__handle_register(&d->handle, XIPC_KIND_DGRAM)) != 0) {
        xipc__os_dgram_close(&d->os);
        goto out_free;
    }
    *out = d;
    return 0;

out_free:
    free(d->spill);
    free(d);
    return rc;
}

int
xipc_dgram_import(const char *text, xipc_dgram **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    return dgram_import(text, out);
}

int
xipc_dgram_inherited(size_t index, xipc_dgram **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__inherited_text(index, XIPC_KIND_DGRAM, text);
    return rc != 0 ? rc : dgram_import(text, out);
}
