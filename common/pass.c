/* common/pass.c: passing handles between running processes over a connection (xipc/sock.h,
 * "Passing handles"): xipc_handle_send and the xipc_<type>_receive calls. A handle travels as a
 * fixed-size record holding its export text (the one a spawned child would get), and the OS
 * moves its native handles (common/platform.h, "Passing handles"): POSIX SCM_RIGHTS beside the
 * record, Windows DuplicateHandle into the peer before the record goes, whose values the text
 * then names. */
#include "handle.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One record: a mark, then the export text, NUL-padded. Its size never changes: a receiver
 * reads exactly this many bytes from a byte stream. */
struct pass_record {
    char magic[4];
    char text[XIPC_HANDLE_TEXT_MAX];
};
static const char pass_magic[4] = { 'x', 'h', 'p', '1' };

/* The connection under conn: a byte stream or a message pipe. */
static int
conn_of(xipc_handle *conn, struct xipc__os_stream **os, bool *message)
{
    int rc = xipc__handle_check(conn, 0);
    if (rc != 0)
        return rc;
    if (conn->kind == XIPC_KIND_STREAM) {
        *os = &((struct xipc_stream *)conn)->os;
        *message = false;
        return 0;
    }
    if (conn->kind == XIPC_KIND_MSGPIPE) {
        *os = &((struct xipc_msgpipe *)conn)->os;
        *message = true;
        return 0;
    }
    return XIPC__FAIL(XIPC_EINVAL, "conn: neither a stream nor a message pipe");
}

/* native in decimal at out (room for any intptr_t's digits), without a NUL: its length. The
 * text's numbers are never negative (xipc__parse_native reads only digits). */
static size_t
format_native(char *out, intptr_t native)
{
    char digits[24];
    size_t n = 0;
    uintptr_t v = (uintptr_t)native;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    return n;
}

/* The numbers in an export text's value (after "xipc1:<kind>:"), in order: each native a pass
 * names appears there as one decimal token between ':' or ','. With replace, the i-th token is
 * rewritten as values[i] (of which there are have: a text naming more is refused); without it,
 * values gets the tokens. *count: how many tokens. Called
 * twice per pass, so it copies and formats by hand: snprintf per token cost more than the rest
 * of the record's handling together. */
static int
value_numbers(
    char *text, intptr_t values[XIPC__NATIVES_MAX], size_t have, size_t *count, bool replace)
{
    char out[XIPC_HANDLE_TEXT_MAX + 24], *p = strchr(text, ':');
    p = p ? strchr(p + 1, ':') : NULL;
    if (p == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "conn: a record that holds no export text");
    size_t len = (size_t)(p + 1 - text), n = 0;
    memcpy(out, text, len);
    for (char *tok = p + 1; *tok != '\0';) {
        size_t span = strcspn(tok, ":,");
        intptr_t v = 0;
        bool number = xipc__parse_native(tok, tok + span, &v) == 0;
        if (number && n == XIPC__NATIVES_MAX)
            return XIPC__FAIL(XIPC_EINVAL, "conn: a record naming too many handles");
        if (number && replace && n == have)
            return XIPC__FAIL(XIPC_EINVAL, "conn: a record whose handles did not all come");
        if (number && !replace)
            values[n] = v;
        if (!(number && replace) && span >= XIPC_HANDLE_TEXT_MAX - len)
            return XIPC_ENAMETOOLONG;
        if (number && replace) {
            len += format_native(out + len, values[n]); /* out has room past the limit */
        } else {
            memcpy(out + len, tok, span);
            len += span;
        }
        if (len >= XIPC_HANDLE_TEXT_MAX)
            return XIPC_ENAMETOOLONG;
        n += number;
        tok += span;
        if (*tok != '\0')
            out[len++] = *tok++;
    }
    out[len] = '\0';
    *count = n;
    if (replace)
        memcpy(text, out, len + 1);
    return 0;
}

int
xipc_handle_send(xipc_handle *conn, xipc_handle *h, int timeout_ms)
{
    struct xipc__os_stream *os = NULL;
    struct pass_record rec;
    intptr_t natives[XIPC__NATIVES_MAX], remote[XIPC__NATIVES_MAX], peer = 0;
    size_t count = 0, tokens = 0;
    bool message = false;
    struct xipc__lazy_deadline ld = xipc__lazy_deadline_in(timeout_ms);
    xipc__error_clear();
    int rc = conn_of(conn, &os, &message);
    if (rc != 0 || (rc = xipc__handle_check(h, 0)) != 0 || (rc = xipc__timeout_check(timeout_ms)))
        return rc;
    if (h == conn)
        return XIPC__FAIL(XIPC_EINVAL, "h: the connection itself");
    memset(&rec, 0, sizeof rec);
    memcpy(rec.magic, pass_magic, sizeof rec.magic);
    if ((rc = xipc__handle_pass(h, rec.text, sizeof rec.text, natives, &count)) != 0)
        return rc;
    if ((rc = xipc__os_pass_prepare(os, natives, count, remote, &peer)) != 0)
        return rc;
    /* Windows: the text names the duplicates the peer now holds; POSIX: unchanged. */
    if ((rc = value_numbers(rec.text, remote, count, &tokens, true)) == 0 && tokens != count)
        rc = XIPC__FAIL(XIPC_ENOTSUP, "h: a kind whose text does not name its handles");
    if (rc == 0)
        rc = xipc__os_pass_send(os, message, &rec, sizeof rec, natives, count, &ld);
    xipc__os_pass_finish(peer, remote, count, rc == 0);
    return rc;
}

/* Receives one record of kind over conn into text, its natives open in this process. */
static int
receive_text(xipc_handle *conn, enum xipc_kind kind, char text[XIPC_HANDLE_TEXT_MAX],
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count, int timeout_ms)
{
    struct xipc__os_stream *os = NULL;
    struct pass_record rec;
    size_t got = 0, tokens = 0;
    bool message = false;
    int rc = conn_of(conn, &os, &message);
    if (rc != 0 || (rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    struct xipc__lazy_deadline ld = xipc__lazy_deadline_in(timeout_ms);
    rc = xipc__os_pass_recv(os, message, &rec, sizeof rec, natives, &got, &ld);
    if (rc != 0)
        return rc;
    *count = got;
    if (memcmp(rec.magic, pass_magic, sizeof rec.magic) != 0 ||
        rec.text[sizeof rec.text - 1] != '\0')
        return XIPC__FAIL(XIPC_EINVAL, "conn: what came is no handle xipc_handle_send sent");
    memcpy(text, rec.text, sizeof rec.text);
    /* POSIX: the descriptors that came replace the sender's numbers, and a record without them
     * names nothing of ours (its numbers are not to be adopted, nor closed); Windows: the text
     * names the duplicates already, which are ours to close on failure. */
    if (xipc__os_pass_natives_beside)
        rc = value_numbers(text, natives, got, &tokens, true);
    else if ((rc = value_numbers(text, natives, 0, &tokens, false)) == 0)
        *count = got = tokens;
    if (rc == 0 && tokens != got)
        rc = XIPC__FAIL(XIPC_EINVAL, "conn: a record whose handles did not all come");
    if (rc == 0 && xipc__handle_text_value(text, kind) == NULL)
        rc = XIPC__FAIL(XIPC_EINVAL, "out: a handle of another kind came (closed)");
    return rc;
}

/* What an import's failure means for a receive: a record naming a handle that an xipc object of
 * this process holds (Windows, where the text names the handles) is no handle the peer sent. */
static int
import_failure(int rc)
{
    if (rc == XIPC_EEXIST)
        return XIPC__FAIL(XIPC_EINVAL, "conn: a record naming a handle this process holds");
    return rc;
}

/* The receive of every kind: the record, then the family's import of its text (a stream's knows
 * that its handle came from a peer, non-inheritable). */
#define XIPC__RECEIVE(type, KIND, import)                                                 \
    int xipc_##type##_receive(xipc_handle *conn, xipc_##type **out, int timeout_ms)       \
    {                                                                                     \
        char text[XIPC_HANDLE_TEXT_MAX];                                                  \
        intptr_t natives[XIPC__NATIVES_MAX];                                              \
        size_t count = 0;                                                                 \
        xipc__error_clear();                                                              \
        if (out == NULL)                                                                  \
            return XIPC__FAIL(XIPC_EINVAL, "out: NULL");                                  \
        *out = NULL;                                                                      \
        int rc = receive_text(conn, XIPC_KIND_##KIND, text, natives, &count, timeout_ms); \
        if (rc == 0)                                                                      \
            rc = import_failure(import(text, out));                                       \
        if (rc != 0)                                                                      \
            xipc__os_pass_discard(natives, count);                                        \
        return rc;                                                                        \
    }

XIPC__RECEIVE(stream, STREAM, xipc__stream_import_passed)
XIPC__RECEIVE(msgpipe, MSGPIPE, xipc_msgpipe_import)
XIPC__RECEIVE(event, EVENT, xipc_event_import)
XIPC__RECEIVE(sem, SEM, xipc_sem_import)
XIPC__RECEIVE(mutex, MUTEX, xipc_mutex_import)
XIPC__RECEIVE(listener, LISTENER, xipc_listener_import)
XIPC__RECEIVE(dgram, DGRAM, xipc_dgram_import)
