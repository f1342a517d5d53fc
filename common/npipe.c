/* common/npipe.c: named pipes (xipc/npipe.h): argument checks and handle lifetime for servers,
 * byte-mode connections (xipc_stream) and message-mode connections (xipc_msgpipe); and how a
 * connect tells a busy server from none, which both platforms share (struct
 * xipc__npipe_patience, common/platform.h). */
#include "handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Servers -------------------------------------------------------------------------------- */

int
xipc_npipe_listen(const char *name, unsigned flags, xipc_npipe **out)
{
    int rc;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (flags != XIPC_NPIPE_BYTE && flags != XIPC_NPIPE_MESSAGE)
        return XIPC__FAIL(XIPC_EINVAL, "flags: neither XIPC_NPIPE_BYTE nor XIPC_NPIPE_MESSAGE");
    if ((rc = xipc_name_check(name)) != 0)
        return rc;
    struct xipc_npipe *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return XIPC_ENOMEM;
    srv->mode = flags;
    char os_name[XIPC_NAME_MAX + 1];
    xipc__npipe_name(name, os_name);
    if ((rc = xipc__os_npipe_listen(os_name, flags, &srv->os)) != 0) {
        free(srv);
        return rc;
    }
    if ((rc = xipc__handle_register(&srv->handle, XIPC_KIND_NPIPE)) != 0) {
        xipc__os_npipe_close(&srv->os);
        free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

void
xipc_npipe_close(xipc_npipe *srv)
{
    xipc__handle_close(srv, XIPC_KIND_NPIPE);
}

xipc_handle *
xipc_npipe_handle(xipc_npipe *srv)
{
    return srv ? &srv->handle : NULL;
}

/* Accepts one connection of the given mode into *os. */
static int
accept_os(xipc_npipe *srv, unsigned mode, int timeout_ms, struct xipc__os_stream *os)
{
    int rc = xipc__handle_check(srv, XIPC_KIND_NPIPE);
    if (rc != 0)
        return rc;
    if (srv->mode != mode)
        return XIPC__FAIL(XIPC_EINVAL,
            mode == XIPC_NPIPE_BYTE ? "srv: a message-mode server (accept message pipes from it)"
                                    : "srv: a byte-mode server (accept streams from it)");
    if ((rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    return xipc__os_npipe_accept(&srv->os, os, xipc__deadline_in(timeout_ms));
}

int
xipc_npipe_accept(xipc_npipe *srv, xipc_stream **out, int timeout_ms)
{
    struct xipc__os_stream os = { 0 };
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = accept_os(srv, XIPC_NPIPE_BYTE, timeout_ms, &os);
    return rc != 0 ? rc : xipc__stream_wrap(&os, XIPC__STREAM_READ | XIPC__STREAM_WRITE, out);
}

/* ---- Connecting ----------------------------------------------------------------------------- */

void
xipc__npipe_saw_busy(struct xipc__npipe_patience *p)
{
    p->seen_busy = true;
    p->missing = false;
}

int
xipc__npipe_after_missing(struct xipc__npipe_patience *p, xipc__deadline dl)
{
    if (p->wait_server) {
        /* The caller's deadline alone ends the wait for a server that has not started yet. */
        if (p->pause_ms == 0)
            p->pause_ms = 1;
        return xipc__pause_before_retry(dl, &p->pause_ms, 20);
    }
    if (!p->seen_busy)
        return XIPC_ENOENT;
    if (!p->missing) {
        p->missing = true;
        p->gap_end = xipc__deadline_in(XIPC__NPIPE_GAP_MS);
        p->pause_ms = 1;
    }
    /* Short, growing pauses until the caller's deadline or the end of the gap, the earlier. */
    bool gap_first = p->gap_end < dl;
    if (xipc__pause_before_retry(gap_first ? p->gap_end : dl, &p->pause_ms, 20) != 0)
        return gap_first ? XIPC_ENOENT : XIPC_ETIMEDOUT;
    return 0;
}

static int
connect_os(
    const char *name, unsigned mode, unsigned flags, int timeout_ms, struct xipc__os_stream *os)
{
    int rc = xipc_name_check(name);
    if (rc != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    if ((flags & ~XIPC_NPIPE_WAIT_SERVER) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: neither 0 nor XIPC_NPIPE_WAIT_SERVER");
    char os_name[XIPC_NAME_MAX + 1];
    xipc__npipe_name(name, os_name);
    return xipc__os_npipe_connect(os_name, mode, flags, os, xipc__deadline_in(timeout_ms));
}

int
xipc_npipe_connect(const char *name, unsigned flags, xipc_stream **out, int timeout_ms)
{
    struct xipc__os_stream os = { 0 };
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = connect_os(name, XIPC_NPIPE_BYTE, flags, timeout_ms, &os);
    return rc != 0 ? rc : xipc__stream_wrap(&os, XIPC__STREAM_READ | XIPC__STREAM_WRITE, out);
}

/* ---- Message pipes -------------------------------------------------------------------------- */

/* Wraps an open message-mode connection; on failure closes it. */
static int
msgpipe_wrap(struct xipc__os_stream *os, xipc_msgpipe **out)
{
    struct xipc_msgpipe *c = calloc(1, sizeof *c);
    int rc = c ? xipc__handle_register(&c->handle, XIPC_KIND_MSGPIPE) : XIPC_ENOMEM;
    if (rc != 0) {
        xipc__os_stream_close(os);
        free(c);
        return rc;
    }
    c->os = *os;
    *out = c;
    return 0;
}

int
xipc_msgpipe_accept(xipc_npipe *srv, xipc_msgpipe **out, int timeout_ms)
{
    struct xipc__os_stream os = { 0 };
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = accept_os(srv, XIPC_NPIPE_MESSAGE, timeout_ms, &os);
    return rc != 0 ? rc : msgpipe_wrap(&os, out);
}

int
xipc_msgpipe_connect(const char *name, unsigned flags, xipc_msgpipe **out, int timeout_ms)
{
    struct xipc__os_stream os = { 0 };
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = connect_os(name, XIPC_NPIPE_MESSAGE, flags, timeout_ms, &os);
    return rc != 0 ? rc : msgpipe_wrap(&os, out);
}

int
xipc_msgpipe_send(xipc_msgpipe *m, const void *buf, size_t len, int timeout_ms)
{
    xipc__error_clear();
    int rc = xipc__handle_check(m, XIPC_KIND_MSGPIPE);
    if (rc != 0)
        return rc;
    if (buf == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL");
    if (len == 0)
        return XIPC__FAIL(XIPC_EINVAL, "len: 0 (an empty message is the end of a connection)");
    if ((rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    if (len > XIPC_MSGPIPE_MAX)
        return XIPC__FAIL(XIPC_EMSGSIZE, "len: more than XIPC_MSGPIPE_MAX");
    return xipc__os_msg_send(&m->os, buf, len, xipc__deadline_in(timeout_ms));
}

int
xipc_msgpipe_recv(xipc_msgpipe *m, void *buf, size_t cap, size_t *len, int timeout_ms)
{
    size_t n = 0;
    xipc__error_clear();
    int rc = xipc__handle_check(m, XIPC_KIND_MSGPIPE);
    if (len != NULL)
        *len = 0;
    if (rc != 0)
        return rc;
    if (buf == NULL || cap == 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL, or cap: 0");
    if (len == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "len: NULL");
    if ((rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    rc = xipc__os_msg_recv(&m->os, buf, cap, &n, xipc__deadline_in(timeout_ms));
    *len = n;
    return rc;
}

/* ---- Passing message pipes to a child ------------------------------------------------------- */

/* The message pipe behind an export text "msgpipe:<native>" (text checked by the caller not to be
 * NULL): the platform checks the native (xipc__os_msgpipe_adopt) before it changes anything. */
static int
msgpipe_import(const char *text, xipc_msgpipe **out)
{
    const char *value = xipc__handle_text_value(text, XIPC_KIND_MSGPIPE);
    intptr_t native = 0;
    if (value == NULL || xipc__parse_native(value, NULL, &native) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a message pipe's export text");
    struct xipc_msgpipe *m = calloc(1, sizeof *m);
    if (m == NULL)
        return XIPC_ENOMEM;
    int rc = xipc__os_msgpipe_adopt(native, &m->os);
    if (rc != 0) {
        free(m);
        return rc;
    }
    if ((rc = xipc__handle_register(&m->handle, XIPC_KIND_MSGPIPE)) != 0) {
        xipc__os_stream_close(&m->os);
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int
xipc_msgpipe_import(const char *text, xipc_msgpipe **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (text == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "text: NULL");
    return msgpipe_import(text, out);
}

int
xipc_msgpipe_inherited(size_t index, xipc_msgpipe **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__inherited_text(index, XIPC_KIND_MSGPIPE, text);
    return rc != 0 ? rc : msgpipe_import(text, out);
}

void
xipc_msgpipe_close(xipc_msgpipe *m)
{
    xipc__handle_close(m, XIPC_KIND_MSGPIPE);
}

xipc_handle *
xipc_msgpipe_handle(xipc_msgpipe *m)
{
    return m ? &m->handle : NULL;
}

int
xipc_msgpipe_peer_pid(const xipc_msgpipe *m, uint64_t *pid)
{
    xipc__error_clear();
    int rc = xipc__handle_check(m, XIPC_KIND_MSGPIPE);
    if (rc != 0)
        return rc;
    return pid ? xipc__os_stream_peer_pid(&m->os, pid) : XIPC__FAIL(XIPC_EINVAL, "pid: NULL");
}

/* ---- Passing servers to a child ------------------------------------------------------------ */

/* A server's export value is "<mode>:<native>:<native>:<name>": mode 'b' or 'm', the two natives
 * the child inherits (xipc__os_npipe_natives), then the name. The parts, or XIPC_EINVAL. */
static int
parse_server_value(const char *value, unsigned *mode, intptr_t natives[2], const char **name)
{
    const char *first = value + 2, *second, *last;
    if ((value[0] != 'b' && value[0] != 'm') || value[1] != ':' ||
        (second = strchr(first, ':')) == NULL || (last = strchr(second + 1, ':')) == NULL ||
        xipc__parse_native(first, second, &natives[0]) != 0 ||
        xipc__parse_native(second + 1, last, &natives[1]) != 0)
        return XIPC_EINVAL;
    *mode = value[0] == 'b' ? XIPC_NPIPE_BYTE : XIPC_NPIPE_MESSAGE;
    *name = last + 1;
    return 0;
}

static int
npipe_import(const char *text, xipc_npipe **out)
{
    const char *value = xipc__handle_text_value(text, XIPC_KIND_NPIPE), *name = NULL;
    intptr_t natives[2];
    unsigned mode = 0;
    if (value == NULL || parse_server_value(value, &mode, natives, &name) != 0 ||
        xipc_name_check(name) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a named-pipe server's export text");
    struct xipc_npipe *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return XIPC_ENOMEM;
    srv->mode = mode;
    char os_name[XIPC_NAME_MAX + 1];
    xipc__npipe_name(name, os_name); /* as listen made it, whoever wrote the text */
    int rc = xipc__os_npipe_adopt(os_name, mode, natives, &srv->os);
    if (rc != 0) {
        free(srv);
        return rc;
    }
    if ((rc = xipc__handle_register(&srv->handle, XIPC_KIND_NPIPE)) != 0) {
        xipc__os_npipe_close(&srv->os);
        free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

int
xipc_npipe_import(const char *text, xipc_npipe **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (text == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "text: NULL");
    return npipe_import(text, out);
}

int
xipc_npipe_inherited(size_t index, xipc_npipe **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__inherited_text(index, XIPC_KIND_NPIPE, text);
    return rc != 0 ? rc : npipe_import(text, out);
}

/* ---- The kind table's rows (common/kinds.h) ------------------------------------------------ */

int
xipc__npipe_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    const struct xipc_npipe *srv = (const struct xipc_npipe *)h;
    xipc__os_npipe_natives(&srv->os, natives);
    *count = 2;
    int n = snprintf(value, cap, "%c:%" PRIdPTR ":%" PRIdPTR ":%s",
        srv->mode == XIPC_NPIPE_BYTE ? 'b' : 'm', natives[0], natives[1],
        xipc__os_npipe_name(&srv->os));
    if (n < 0 || (size_t)n >= cap)
        return XIPC__FAIL(XIPC_ENAMETOOLONG, "h: the server's export text is too long");
    return 0;
}

void
xipc__npipe_release(struct xipc_handle *h)
{
    struct xipc_npipe *srv = (struct xipc_npipe *)h;
    xipc__os_npipe_close(&srv->os);
    free(srv);
}

bool
xipc__npipe_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_npipe_holds(&((const struct xipc_npipe *)h)->os, native);
}

void
xipc__npipe_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    xipc__os_npipe_waitable(&((const struct xipc_npipe *)h)->os, w);
}

void
xipc__msgpipe_release(struct xipc_handle *h)
{
    struct xipc_msgpipe *m = (struct xipc_msgpipe *)h;
    xipc__os_stream_close(&m->os);
    free(m);
}

/* The export value is "<native>": the connection's one descriptor or HANDLE. */
int
xipc__msgpipe_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    /* As xipc__stream_pass: sharing changes how this process's transfers are made. */
    struct xipc_msgpipe *m = (struct xipc_msgpipe *)(uintptr_t)h;
    if (xipc__os_msg_held(&m->os))
        return XIPC__FAIL(XIPC_ENOTSUP,
            "h: a message pipe holding a message in this process (after XIPC_EMSGSIZE): "
            "receive it first");
    int rc = xipc__os_stream_share(&m->os);
    if (rc != 0)
        return rc;
    natives[0] = xipc__os_stream_native(&m->os);
    *count = 1;
    int n = snprintf(value, cap, "%" PRIdPTR, natives[0]);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

bool
xipc__msgpipe_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_stream_holds(&((const struct xipc_msgpipe *)h)->os, native);
}

void
xipc__msgpipe_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    xipc__os_stream_waitable(&((const struct xipc_msgpipe *)h)->os, w);
}
