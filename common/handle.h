/* common/handle.h: the header every xipc object starts with, and the registry of live handles
 * that lets a call on a closed handle fail with XIPC_EBADF instead of touching freed memory. */
#ifndef XIPC_COMMON_HANDLE_H
#define XIPC_COMMON_HANDLE_H

#include "platform.h"
#include "xipc/pipe.h"
#include "xipc/proc.h"

enum xipc__kind {
    XIPC__KIND_STREAM = 1,
    XIPC__KIND_PROC = 2,
};

/* First member of every object, so that a pointer to the object is a pointer to its handle. */
struct xipc_handle {
    enum xipc__kind kind;
};

/* What a stream end may do. */
#define XIPC__STREAM_READ  0x1u
#define XIPC__STREAM_WRITE 0x2u

struct xipc_stream {
    struct xipc_handle handle;
    unsigned caps; /* XIPC__STREAM_* */
    struct xipc__os_stream os;
};

struct xipc_proc {
    struct xipc_handle handle;
    struct xipc__os_proc os;
};

/* Adds a new object to the registry. XIPC_ENOMEM if the registry cannot grow. */
int xipc__handle_register(struct xipc_handle *h, enum xipc__kind kind);

/* Removes it; after this, xipc__handle_check() on the pointer gives XIPC_EBADF. */
void xipc__handle_unregister(struct xipc_handle *h);

/* 0 if h is a live handle of the given kind; XIPC_EINVAL for NULL or another kind; XIPC_EBADF
 * for a pointer that is not (or no longer) a live handle. Never dereferences a pointer it does
 * not find in the registry. Pass kind 0 to accept any kind. */
int xipc__handle_check(const void *h, enum xipc__kind kind);

/* Export text "xipc1:<kind>:<caps>:<native>" (decimal native value), and its parser. */
int xipc__handle_text_format(
    enum xipc__kind kind, unsigned caps, intptr_t native, char *buf, size_t cap);
int xipc__handle_text_parse(
    const char *text, enum xipc__kind kind, unsigned *caps, intptr_t *native);

#endif /* XIPC_COMMON_HANDLE_H */
