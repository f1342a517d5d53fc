/* common/stream.c: xipc_stream (xipc/stream.h) and xipc_pipe: argument checks, handle lifetime,
 * export and import. The transfers themselves are the platform's (common/platform.h,
 * "Streams"). */
#include "handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
stream_new(unsigned caps, struct xipc_stream **out)
{
    struct xipc_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return XIPC_ENOMEM;
    s->caps = caps;
    *out = s;
    return 0;
}

/* Closes and frees a stream that was never registered. */
static void
stream_discard(struct xipc_stream *s)
{
    xipc__os_stream_close(&s->os);
    free(s);
}

int
xipc__stream_wrap(struct xipc__os_stream *os, unsigned caps, struct xipc_stream **out)
{
    struct xipc_stream *s = NULL;
    int rc = stream_new(caps, &s);
    if (rc != 0) {
        xipc__os_stream_close(os);
        return rc;
    }
    s->os = *os;
    if ((rc = xipc__handle_register(&s->handle, XIPC_KIND_STREAM)) != 0) {
        stream_discard(s);
        return rc;
    }
    *out = s;
    return 0;
}

int
xipc_pipe(unsigned flags, xipc_stream **rd, xipc_stream **wr)
{
    struct xipc_stream *r = NULL, *w = NULL;
    int rc;
    xipc__error_clear();
    if (rd == NULL || wr == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "rd or wr: NULL");
    *rd = NULL;
    *wr = NULL;
    if (flags != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: not 0");
    if ((rc = stream_new(XIPC__STREAM_READ, &r)) != 0)
        return rc;
    if ((rc = stream_new(XIPC__STREAM_WRITE, &w)) != 0)
        goto out_free_r;
    if ((rc = xipc__os_pipe(&r->os, &w->os)) != 0)
        goto out_free_w;
    if ((rc = xipc__handle_register(&r->handle, XIPC_KIND_STREAM)) != 0)
        goto out_discard_both;
    if ((rc = xipc__handle_register(&w->handle, XIPC_KIND_STREAM)) != 0) {
        xipc_stream_close(r);
        stream_discard(w);
        return rc;
    }
    *rd = r;
    *wr = w;
    return 0;

out_discard_both:
    stream_discard(r);
    stream_discard(w);
    return rc;
out_free_w:
    free(w);
out_free_r:
    free(r);
    return rc;
}

int
xipc_stream_stdio(int which, xipc_stream **out)
{
    struct xipc__os_stream os;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (which < 0 || which > 2)
        return XIPC__FAIL(XIPC_EINVAL, "which: not 0, 1 or 2");
    int rc = xipc__os_stream_stdio(which, &os);
    if (rc != 0)
        return rc;
    /* stdin reads; stdout and stderr write. */
    return xipc__stream_wrap(&os, which == 0 ? XIPC__STREAM_READ : XIPC__STREAM_WRITE, out);
}

/* Common checks of a stream call: a live stream that can do what is asked, a valid timeout. */
static int
stream_check(const xipc_stream *s, unsigned need, int timeout_ms)
{
    int rc = xipc__handle_check(s, XIPC_KIND_STREAM);
    if (rc != 0)
        return rc;
    if ((s->caps & need) != need)
        return XIPC__FAIL(XIPC_EINVAL,
            need == XIPC__STREAM_READ ? "s: a write end, which cannot read"
                                      : "s: a read end, which cannot write");
    return xipc__timeout_check(timeout_ms);
}

/* Both transfers end in a tail call to the platform: see "Streams" in common/platform.h. */

int
xipc_stream_read(xipc_stream *s, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    xipc__error_clear();
    if (got != NULL)
        *got = 0;
    int rc = stream_check(s, XIPC__STREAM_READ, timeout_ms);
    if (rc != 0)
        return rc;
    if (buf == NULL || cap == 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL, or cap: 0");
    if (got == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "got: NULL");
    return xipc__os_stream_read(&s->os, buf, cap, got, timeout_ms);
}

int
xipc_stream_write(xipc_stream *s, const void *buf, size_t len, size_t *put, int timeout_ms)
{
    xipc__error_clear();
    if (put != NULL)
        *put = 0;
    int rc = stream_check(s, XIPC__STREAM_WRITE, timeout_ms);
    if (rc != 0)
        return rc;
    if (buf == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL");
    if (put == NULL) {
        size_t ignored = 0;
        return xipc__os_stream_write(&s->os, buf, len, &ignored, timeout_ms);
    }
    return xipc__os_stream_write(&s->os, buf, len, put, timeout_ms);
}

/* One deadline for the whole read; each OS read waits for what is left of it. A timeout of 0
 * keeps reading while bytes are there, and stops at the first read that would wait. */
static int
read_until_full(
    struct xipc__os_stream *os, unsigned char *buf, size_t len, size_t *done, int timeout_ms)
{
    xipc__deadline dl = xipc__deadline_in(timeout_ms);
    while (*done < len) {
        size_t n = 0;
        int rc = xipc__os_stream_read(os, buf + *done, len - *done, &n, xipc__deadline_left_ms(dl));
        if (rc != 0)
            return rc;
        if (n == 0)
            return XIPC_ECLOSED;
        *done += n;
    }
    return 0;
}

int
xipc_stream_read_exact(xipc_stream *s, void *buf, size_t len, size_t *got, int timeout_ms)
{
    size_t done = 0;
    xipc__error_clear();
    if (got != NULL)
        *got = 0;
    int rc = stream_check(s, XIPC__STREAM_READ, timeout_ms);
    if (rc != 0)
        return rc;
    if (buf == NULL && len > 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL");
    rc = read_until_full(&s->os, buf, len, &done, timeout_ms);
    if (got != NULL)
        *got = done;
    return rc;
}

int
xipc_stream_peer_pid(const xipc_stream *s, uint64_t *pid)
{
    xipc__error_clear();
    int rc = xipc__handle_check(s, XIPC_KIND_STREAM);
    if (rc != 0)
        return rc;
    return pid ? xipc__os_stream_peer_pid(&s->os, pid) : XIPC__FAIL(XIPC_EINVAL, "pid: NULL");
}

int
xipc_sigpipe_ignore(void)
{
    xipc__error_clear();
    return xipc__os_sigpipe_ignore();
}

void
xipc_stream_close(xipc_stream *s)
{
    xipc__handle_close(s, XIPC_KIND_STREAM);
}

xipc_handle *
xipc_stream_handle(xipc_stream *s)
{
    return s ? &s->handle : NULL;
}

/* A stream's export value: "<r|w|rw>:<native>". */
static const char *
caps_text(unsigned caps)
{
    if (caps == (XIPC__STREAM_READ | XIPC__STREAM_WRITE))
        return "rw";
    return caps == XIPC__STREAM_READ ? "r" : "w";
}

static int
parse_stream_value(const char *value, unsigned *caps, intptr_t *native)
{
    const char *colon = value ? strchr(value, ':') : NULL;
    size_t n = colon ? (size_t)(colon - value) : 0;
    if (n == 2 && strncmp(value, "rw", 2) == 0)
        *caps = XIPC__STREAM_READ | XIPC__STREAM_WRITE;
    else if (n == 1 && value[0] == 'r')
        *caps = XIPC__STREAM_READ;
    else if (n == 1 && value[0] == 'w')
        *caps = XIPC__STREAM_WRITE;
    else
        return XIPC__FAIL(XIPC_EINVAL, "text: not a stream's export text");
    if (xipc__parse_native(colon + 1, NULL, native) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "text: not a stream's export text");
    return 0;
}

/* A stream over native, which this process owns: the platform checks it (xipc__os_stream_adopt,
 * or _adopt_passed for one a peer just passed) before it changes anything about it. */
static int
stream_adopt(intptr_t native, unsigned caps, bool passed, xipc_stream **out)
{
    struct xipc_stream *s = NULL;
    int rc = stream_new(caps, &s);
    if (rc != 0)
        return rc;
    rc = passed ? xipc__os_stream_adopt_passed(native, &s->os)
                : xipc__os_stream_adopt(native, &s->os);
    if (rc != 0) {
        free(s);
        return rc;
    }
    if ((rc = xipc__handle_register(&s->handle, XIPC_KIND_STREAM)) != 0) {
        stream_discard(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* The stream behind an export text (checked by the caller not to be NULL). */
static int
stream_import(const char *text, bool passed, xipc_stream **out)
{
    unsigned caps = 0;
    intptr_t native = 0;
    int rc = parse_stream_value(xipc__handle_text_value(text, XIPC_KIND_STREAM), &caps, &native);
    return rc != 0 ? rc : stream_adopt(native, caps, passed, out);
}

int
xipc__stream_import_passed(const char *text, xipc_stream **out)
{
    return stream_import(text, true, out);
}

int
xipc_stream_import(const char *text, xipc_stream **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (text == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "text: NULL");
    return stream_import(text, false, out);
}

int
xipc_stream_inherited(size_t index, xipc_stream **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__inherited_text(index, XIPC_KIND_STREAM, text);
    return rc != 0 ? rc : stream_import(text, false, out);
}

int
xipc_stream_adopt_native(intptr_t native, unsigned flags, xipc_stream **out)
{
    const unsigned both = XIPC_STREAM_READ | XIPC_STREAM_WRITE;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    if (flags == 0 || (flags & ~both) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: not XIPC_STREAM_READ and/or XIPC_STREAM_WRITE");
    unsigned caps = ((flags & XIPC_STREAM_READ) ? XIPC__STREAM_READ : 0) |
        ((flags & XIPC_STREAM_WRITE) ? XIPC__STREAM_WRITE : 0);
    return stream_adopt(native, caps, false, out);
}

/* ---- The kind table's row (common/kinds.h) ------------------------------------------------- */

void
xipc__stream_release(struct xipc_handle *h)
{
    struct xipc_stream *s = (struct xipc_stream *)h;
    /* A FIFO's creator removes it, before it closes, as the sync families do (common/sync.c),
     * and only in its own process: a child forked without exec leaves it to its parent. */
    if (s->fifo_path != NULL && s->creator_pid == xipc__os_self_pid())
        (void)xipc__os_fifo_remove(s->fifo_path);
    free(s->fifo_path);
    xipc__os_stream_close(&s->os);
    free(s);
}

/* The export value is "<r|w|rw>:<native>". */
int
xipc__stream_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    /* The table's pass sees a const handle; sharing changes how this process's transfers are
     * made, which is the stream's own business, and the handle itself is never const. */
    struct xipc_stream *s = (struct xipc_stream *)(uintptr_t)h;
    int rc = xipc__os_stream_share(&s->os);
    if (rc == XIPC_ENOTSUP)
        return XIPC__FAIL(XIPC_ENOTSUP,
            "h: a stream that cannot be passed on (a standard stream's copy, a Windows FIFO "
            "reader)");
    if (rc != 0)
        return rc;
    natives[0] = xipc__os_stream_native(&s->os);
    *count = 1;
    int n = snprintf(value, cap, "%s:%" PRIdPTR, caps_text(s->caps), natives[0]);
    return (n < 0 || (size_t)n >= cap) ? XIPC_ENAMETOOLONG : 0;
}

bool
xipc__stream_holds(const struct xipc_handle *h, intptr_t native)
{
    return xipc__os_stream_holds(&((const struct xipc_stream *)h)->os, native);
}

void
xipc__stream_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    xipc__os_stream_waitable(&((const struct xipc_stream *)h)->os, w);
}
