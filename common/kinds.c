/* common/kinds.c: the handle layer on the kind table (common/kinds.h): the calls that take any
 * xipc_handle (export, kind, native) and the generic close, natives, holds and waitability, each a
 * lookup in the table. The registry of live handles is common/handle.c. */
#include "handle.h"

#include <stdio.h>
#include <string.h>

struct kind_row {
    const char *text;
    void (*release)(struct xipc_handle *h);
    int (*pass)(const struct xipc_handle *h, char *value, size_t cap,
        intptr_t natives[XIPC__NATIVES_MAX], size_t *count);
    bool (*holds)(const struct xipc_handle *h, intptr_t native);
    void (*waitable)(const struct xipc_handle *h, struct xipc__wait *w);
};

#define KIND_ROW(KIND, text, release, pass, holds, waitable) \
    [XIPC_KIND_##KIND] = { text, release, pass, holds, waitable },
static const struct kind_row kinds[] = { XIPC__KIND_MAP(KIND_ROW) };
#undef KIND_ROW

/* Every value of enum xipc_kind has a row, and no row is left out of the enum: the values run
 * from 1 without a gap. */
#define KIND_COUNT(KIND, text, release, pass, holds, waitable) +1
_Static_assert(sizeof kinds / sizeof kinds[0] == 1 XIPC__KIND_MAP(KIND_COUNT),
    "enum xipc_kind and the kind table disagree");
#undef KIND_COUNT

/* The row of a kind that the registry gave, so always one of the table's. */
static const struct kind_row *
row_of(enum xipc_kind kind)
{
    return &kinds[kind];
}

void
xipc__handle_close(void *obj, enum xipc_kind kind)
{
    struct xipc_handle *h = obj;
    if (h == NULL || xipc__handle_check(h, kind) != 0)
        return;
    xipc__waitset_forget(h); /* before its OS handles close: no wait may use them after */
    xipc__handle_unregister(h);
    row_of(kind)->release(h);
}

bool
xipc__handle_holds(const struct xipc_handle *h, intptr_t native)
{
    return row_of(h->kind)->holds(h, native);
}

void
xipc__handle_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    memset(w, 0, sizeof *w);
    row_of(h->kind)->waitable(h, w);
}

int
xipc__kind_not_passable(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    (void)h;
    (void)value;
    (void)cap;
    (void)natives;
    (void)count;
    return XIPC__FAIL(XIPC_ENOTSUP, "h: a kind that cannot be passed to a child");
}

/* ---- Export texts --------------------------------------------------------------------------- */

/* Compared piece by piece, not formatted: every passed handle's receive asks twice. */
const char *
xipc__handle_text_value(const char *text, enum xipc_kind kind)
{
    static const char version[] = "xipc1:";
    const char *word = row_of(kind)->text;
    size_t version_len = sizeof version - 1, word_len = strlen(word);
    if (strncmp(text, version, version_len) != 0)
        return NULL;
    text += version_len;
    if (strncmp(text, word, word_len) != 0 || text[word_len] != ':')
        return NULL;
    return text + word_len + 1;
}

int
xipc__handle_pass(const struct xipc_handle *h, char *text, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    char value[XIPC_HANDLE_TEXT_MAX];
    *count = 0;
    text[0] = '\0';
    int rc = row_of(h->kind)->pass(h, value, sizeof value, natives, count);
    if (rc != 0)
        return rc;
    int n = snprintf(text, cap, "xipc1:%s:%s", row_of(h->kind)->text, value);
    if (n < 0 || (size_t)n >= cap) {
        text[0] = '\0';
        return XIPC__FAIL(XIPC_ENAMETOOLONG, "cap: too small (XIPC_HANDLE_TEXT_MAX always fits)");
    }
    return 0;
}

int
xipc__parse_native(const char *p, const char *end, intptr_t *out)
{
    intptr_t v = 0;
    if (end == NULL)
        end = p + strlen(p);
    if (p == end || (p[0] == '0' && end - p > 1))
        return XIPC_EINVAL;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9' || v > (INTPTR_MAX - 9) / 10)
            return XIPC_EINVAL;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

int
xipc_handle_export(const xipc_handle *h, char *buf, size_t cap)
{
    intptr_t natives[XIPC__NATIVES_MAX];
    size_t count = 0;
    int rc;
    xipc__error_clear();
    if (h == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "h: NULL");
    if (buf == NULL || cap == 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL, or cap: 0");
    buf[0] = '\0';
    if ((rc = xipc__handle_check(h, 0)) != 0)
        return rc;
    return xipc__handle_pass(h, buf, cap, natives, &count);
}

/* ---- What any handle answers ---------------------------------------------------------------- */

int
xipc_handle_kind(const xipc_handle *h)
{
    xipc__error_clear();
    int rc = xipc__handle_check(h, 0);
    return rc != 0 ? rc : (int)h->kind;
}

int
xipc_handle_native(const xipc_handle *h, intptr_t *native)
{
    struct xipc__wait w;
    xipc__error_clear();
    int rc = xipc__handle_check(h, 0);
    if (rc != 0)
        return rc;
    if (native == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "native: NULL");
    xipc__handle_waitable(h, &w);
    switch (w.how) {
    case XIPC__WAIT_FD:
    case XIPC__WAIT_SIGNALLED:
    case XIPC__WAIT_ARMED:
        *native = w.native;
        return 0;
    case XIPC__WAIT_NONE:
    case XIPC__WAIT_HELPER:
        break;
    }
    return XIPC__FAIL(
        XIPC_ENOTSUP, "h: no OS handle a wait could use (a futex, or data xipc holds)");
}
