/* common/mq.c: message queues (xipc/mq.h): argument checks, opening and checking the shared
 * layout, handle lifetime, the creator's ownership of the name, export/import, and the kind
 * table's row. The layout at work is common/mq_core.c; the section and the sleeping are the
 * platform's (xipc__os_mq_*, common/mq.h). */
#include "mq.h"

#include <stdlib.h>

/* ---- Opening -------------------------------------------------------------------------------- */

/* The sizes an open asks for: both 0 when the caller leaves them to the queue. */
struct sizes {
    size_t capacity, msg_max;
};

static int
check_sizes(const struct sizes *z, bool may_create)
{
    if (may_create && (z->capacity == 0 || z->msg_max == 0))
        return XIPC__FAIL(
            XIPC_EINVAL, "attr: no capacity or msg_max for a queue this call may create");
    if (z->capacity > XIPC_MQ_CAPACITY_MAX || z->msg_max > XIPC_MQ_MSG_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "attr: capacity or msg_max above its maximum");
    if (z->capacity > 0 && z->msg_max > XIPC_MQ_BYTES_MAX / z->capacity)
        return XIPC__FAIL(XIPC_EINVAL, "attr: capacity * msg_max above XIPC_MQ_BYTES_MAX");
    return 0;
}

static int
check_open_args(const char *name, unsigned flags, const xipc_mq_attr *attr, struct sizes *z)
{
    int rc = xipc__named_open_check(name, flags, XIPC_MQ_POSIX);
    if (rc != 0)
        return rc;
    if ((flags & XIPC_MQ_POSIX) && name == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "name: NULL, and XIPC_MQ_POSIX queues have names");
    z->capacity = attr ? attr->capacity : 0;
    z->msg_max = attr ? attr->msg_max : 0;
    return check_sizes(z, name == NULL || (flags & XIPC_CREATE));
}

/* An existing queue must have the sizes the opener asked for (those it gave). */
static int
check_match(const struct xipc_mq *q, const struct sizes *z)
{
    if ((z->capacity != 0 && z->capacity != q->capacity) ||
        (z->msg_max != 0 && z->msg_max != q->msg_max))
        return XIPC__FAIL(XIPC_EINVAL, "attr: the existing queue has other sizes");
    return 0;
}

/* Sets up the layout (a new section) or checks it (an existing one), then the wake objects and our
 * user entry. On failure nothing of it stays but the section. */
static int
attach(struct xipc_mq *q, bool fresh, const struct sizes *z)
{
    int rc = 0;
    if (fresh)
        xipc__mq_layout_init(q, (uint32_t)z->capacity, (uint32_t)z->msg_max);
    else if ((rc = xipc__mq_layout_attach(q)) == 0)
        rc = check_match(q, z);
    if (rc != 0 || (rc = xipc__os_mq_wake_open(q)) != 0)
        return rc;
    if ((rc = xipc__mq_register(q)) != 0)
        xipc__os_mq_wake_close(q);
    return rc;
}

static void
detach(struct xipc_mq *q)
{
    xipc__mq_unregister(q);
    xipc__os_mq_wake_close(q);
}

/* Registers the handle; on failure undoes the open (and removes a name it made). */
static int
wrap(struct xipc_mq *q, const char *created_name)
{
    int rc = xipc__handle_register(&q->handle, XIPC_KIND_MQ);
    if (rc != 0) {
        detach(q);
        if (created_name != NULL)
            xipc__os_mq_drop_name(&q->shm, created_name);
        xipc__os_shm_close(&q->shm);
        return rc;
    }
    if (created_name != NULL)
        xipc__owned_name_take(&q->owner, created_name);
    return 0;
}

/* A kernel queue (XIPC_MQ_POSIX). */
static int
posix_open(const char *name, unsigned flags, const struct sizes *z, struct xipc_mq *q)
{
    bool created = false;
    int rc = xipc__os_mq_posix_open(name, flags, z->capacity, z->msg_max, q, &created);
    if (rc == 0 && (rc = check_match(q, z)) == 0 &&
        (rc = xipc__handle_register(&q->handle, XIPC_KIND_MQ)) == 0) {
        if (created)
            xipc__owned_name_take(&q->owner, name);
        return 0;
    }
    if (created)
        (void)xipc__os_mq_posix_unlink(name);
    xipc__os_mq_posix_close(q);
    return rc;
}

static int
mq_open(const char *name, unsigned flags, const struct sizes *z, struct xipc_mq *q)
{
    bool created = false;
    if (flags & XIPC_MQ_POSIX)
        return posix_open(name, flags, z, q);
    size_t record, size = 0;
    if (z->capacity != 0 && z->msg_max != 0)
        size = xipc__mq_layout_size((uint32_t)z->capacity, (uint32_t)z->msg_max, &record);
    if (name != NULL && !(flags & XIPC_CREATE))
        size = 0; /* open-only: any size, checked against the header */
    int rc = xipc__os_mq_section_open(name, flags, size, &q->shm, &created);
    if (rc != 0)
        return rc;
    if ((rc = attach(q, created || name == NULL, z)) != 0) {
        if (created)
            xipc__os_mq_drop_name(&q->shm, name);
        xipc__os_shm_close(&q->shm);
        return rc;
    }
    return wrap(q, created ? name : NULL);
}

int
xipc_mq_open(const char *name, unsigned flags, const xipc_mq_attr *attr, xipc_mq **out)
{
    struct sizes z;
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = check_open_args(name, flags, attr, &z);
    if (rc != 0)
        return rc;
    struct xipc_mq *q = calloc(1, sizeof *q);
    if (q == NULL)
        return XIPC_ENOMEM;
    if ((rc = mq_open(xipc__bare_name(name), flags, &z, q)) != 0) {
        free(q);
        return rc;
    }
    *out = q;
    return 0;
}

/* ---- Calls on a queue ----------------------------------------------------------------------- */

static int
mq_check(const xipc_mq *mq)
{
    return xipc__handle_check(mq, XIPC_KIND_MQ);
}

int
xipc_mq_send(xipc_mq *mq, const void *buf, size_t len, unsigned key, int timeout_ms)
{
    xipc__error_clear();
    int rc = mq_check(mq);
    if (rc != 0)
        return rc;
    if (buf == NULL && len > 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL with len > 0");
    if ((rc = xipc__timeout_check(timeout_ms)) != 0)
        return rc;
    if (len > mq->msg_max)
        return XIPC__FAIL(XIPC_EMSGSIZE, "len: more than the queue's msg_max");
    if (mq->posix_plus1 != 0)
        return xipc__os_mq_posix_send(mq, buf, len, key, timeout_ms);
    return xipc__mq_send(mq, buf, len, key, timeout_ms);
}

static int
check_recv_args(const void *buf, size_t cap, const size_t *len, int timeout_ms)
{
    if (len == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "len: NULL");
    if (buf == NULL && cap > 0)
        return XIPC__FAIL(XIPC_EINVAL, "buf: NULL with cap > 0");
    return xipc__timeout_check(timeout_ms);
}

int
xipc_mq_recv(xipc_mq *mq, void *buf, size_t cap, size_t *len, unsigned *key, int timeout_ms)
{
    xipc__error_clear();
    int rc = mq_check(mq);
    if (rc != 0 || (rc = check_recv_args(buf, cap, len, timeout_ms)) != 0)
        return rc;
    if (mq->posix_plus1 != 0)
        return xipc__os_mq_posix_recv(mq, buf, cap, len, key, timeout_ms);
    return xipc__mq_recv(mq, XIPC__MQ_PRIORITY, 0, buf, cap, len, key, timeout_ms);
}

int
xipc_mq_recv_typed(xipc_mq *mq, int64_t selector, unsigned flags, void *buf, size_t cap,
    size_t *len, unsigned *key, int timeout_ms)
{
    xipc__error_clear();
    int rc = mq_check(mq);
    if (rc != 0 || (rc = check_recv_args(buf, cap, len, timeout_ms)) != 0)
        return rc;
    if (flags & ~XIPC_MQ_TRUNCATE)
        return XIPC__FAIL(XIPC_EINVAL, "flags: only XIPC_MQ_TRUNCATE");
    if (selector > (int64_t)UINT32_MAX || selector < -(int64_t)UINT32_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "selector: outside -UINT32_MAX..UINT32_MAX");
    if (mq->posix_plus1 != 0)
        return XIPC__FAIL(XIPC_ENOTSUP, "mq: an XIPC_MQ_POSIX queue has priority order only");
    return xipc__mq_recv(mq, selector, flags, buf, cap, len, key, timeout_ms);
}

int
xipc_mq_stat(xipc_mq *mq, xipc_mq_info *info)
{
    xipc__error_clear();
    int rc = mq_check(mq);
    if (rc != 0)
        return rc;
    if (info == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "info: NULL");
    if (mq->posix_plus1 == 0)
        return xipc__mq_stat(mq, info);
    info->capacity = mq->capacity;
    info->msg_max = mq->msg_max;
    return xipc__os_mq_posix_count(mq, &info->count);
}

void
xipc_mq_close(xipc_mq *mq)
{
    xipc__handle_close(mq, XIPC_KIND_MQ);
}

int
xipc_mq_unlink(const char *name, unsigned flags)
{
    xipc__error_clear();
    int rc = xipc_name_check(name);
    if (rc != 0)
        return rc;
    if (flags & ~XIPC_MQ_POSIX)
        return XIPC__FAIL(XIPC_EINVAL, "flags: only XIPC_MQ_POSIX");
    if (flags & XIPC_MQ_POSIX)
        return xipc__os_mq_posix_unlink(xipc__bare_name(name));
    return xipc__os_mq_unlink(xipc__bare_name(name));
}

xipc_handle *
xipc_mq_handle(xipc_mq *mq)
{
    return mq ? &mq->handle : NULL;
}

/* ---- Passing on ----------------------------------------------------------------------------- */

int
xipc_mq_import(const char *text, xipc_mq **out)
{
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    const char *value = text ? xipc__handle_text_value(text, XIPC_KIND_MQ) : NULL;
    if (value == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "text: NULL, or no export text of a queue");
    struct xipc_mq *q = calloc(1, sizeof *q);
    if (q == NULL)
        return XIPC_ENOMEM;
    struct sizes any = { 0, 0 };
    int rc = xipc__os_shm_import(value, &q->shm);
    if (rc == 0 && (rc = attach(q, false, &any)) != 0) {
        xipc__os_shm_close(&q->shm);
    }
    if (rc == 0)
        rc = wrap(q, NULL);
    if (rc != 0) {
        free(q);
        return rc;
    }
    *out = q;
    return 0;
}

int
xipc_mq_inherited(size_t index, xipc_mq **out)
{
    char text[XIPC_HANDLE_TEXT_MAX];
    xipc__error_clear();
    if (out == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "out: NULL");
    *out = NULL;
    int rc = xipc__inherited_text(index, XIPC_KIND_MQ, text);
    return rc != 0 ? rc : xipc_mq_import(text, out);
}

/* ---- The kind table's row (common/kinds.h) -------------------------------------------------- */

void
xipc__mq_release(struct xipc_handle *h)
{
    struct xipc_mq *q = (struct xipc_mq *)h;
    if (q->posix_plus1 != 0) {
        if (xipc__owned_name_due(&q->owner))
            (void)xipc__os_mq_posix_unlink(q->owner.name);
        xipc__os_mq_posix_close(q);
        free(q);
        return;
    }
    detach(q);
    /* Unlink before close, and only in the creating process (see xipc__sync_release). */
    if (xipc__owned_name_due(&q->owner))
        xipc__os_mq_drop_name(&q->shm, q->owner.name);
    xipc__os_shm_close(&q->shm);
    free(q);
}

int
xipc__mq_pass(const struct xipc_handle *h, char *value, size_t cap,
    intptr_t natives[XIPC__NATIVES_MAX], size_t *count)
{
    const struct xipc_mq *q = (const struct xipc_mq *)h;
    if (q->posix_plus1 != 0)
        return XIPC__FAIL(XIPC_ENOTSUP, "h: an XIPC_MQ_POSIX queue: the child opens it by name");
    *count = xipc__os_shm_natives(&q->shm, natives);
    return xipc__os_shm_export(&q->shm, value, cap);
}

bool
xipc__mq_holds(const struct xipc_handle *h, intptr_t native)
{
    const struct xipc_mq *q = (const struct xipc_mq *)h;
    if (q->posix_plus1 != 0)
        return native == q->posix_plus1 - 1;
    return xipc__os_shm_holds(&q->shm, native) ||
        (native != 0 && (native == q->wake[0] || native == q->wake[1]));
}

/* No OS handle tells a queue's readiness: a wait set looks at it (xipc__mq_ready). An
 * XIPC_MQ_POSIX queue has no wait (xipc/mq.h). */
void
xipc__mq_waitable(const struct xipc_handle *h, struct xipc__wait *w)
{
    w->how = ((const struct xipc_mq *)h)->posix_plus1 != 0 ? XIPC__WAIT_NONE : XIPC__WAIT_HELPER;
}
