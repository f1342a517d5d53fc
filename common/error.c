/* common/error.c: the error table's names and texts, and the per-thread record of the last failed
 * OS call behind xipc_last_os_error(). */
#include "platform.h"

#include <stdio.h>
#include <string.h>

const char *
xipc_errname(int err)
{
    switch (err) {
#define XIPC__ERRNAME_CASE(name, value, text) \
    case XIPC_##name:                         \
        return "XIPC_" #name;
        XIPC_ERRNO_MAP(XIPC__ERRNAME_CASE)
#undef XIPC__ERRNAME_CASE
    case 0:
        return "OK";
    }
    return "XIPC_UNKNOWN";
}

const char *
xipc_strerror(int err)
{
    switch (err) {
#define XIPC__STRERROR_CASE(name, value, text) \
    case XIPC_##name:                          \
        return text;
        XIPC_ERRNO_MAP(XIPC__STRERROR_CASE)
#undef XIPC__STRERROR_CASE
    case 0:
        return "success";
    }
    return "unknown error";
}

/* The last failed OS call on this thread. call and file are string literals; object is copied
 * because it may name something the caller frees. */
struct os_failure {
    long code;
    const char *call;
    const char *file;
    int line;
    char object[96];
};

static _Thread_local struct os_failure last_failure;

int
xipc__os_fail(long os_code, const char *call, const char *object, const char *file, int line)
{
    struct os_failure *f = &last_failure;
    const char *base = strrchr(file, '/');
    f->code = os_code;
    f->call = call;
    f->file = base ? base + 1 : file;
    f->line = line;
    snprintf(f->object, sizeof f->object, "%s", object ? object : "");
    return xipc__os_error_map(os_code);
}

long
xipc_last_os_error(void)
{
    return last_failure.code;
}

int
xipc_last_os_error_describe(char *buf, size_t cap)
{
    const struct os_failure *f = &last_failure;
    char text[160];
    if (buf == NULL || cap == 0)
        return XIPC_EINVAL;
    if (f->call == NULL) {
        buf[0] = '\0';
        return 0;
    }
    xipc__os_error_text(f->code, text, sizeof text);
    snprintf(buf, cap, "%s(%s): error %ld: %s [%s:%d]", f->call, f->object, f->code, text, f->file,
        f->line);
    return 0;
}
