/* common/error.c: the error table's names and texts, and the per-thread record of the last
 * failure behind xipc_last_os_error() and xipc_last_os_error_describe(). */
#include "platform.h"

#include <stdio.h>

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

/* The failure of the last call on this thread that failed and said why (common/platform.h,
 * "Errors"). why, call and file are string literals; object is copied because it may name
 * something the caller frees. */
struct failure {
    bool recorded; /* false: nothing since the last xipc__error_clear */
    int code; /* the XIPC_E* code the failure was reported as */
    const char *why; /* what was wrong, or NULL */
    long os_code; /* 0: no OS call failed */
    const char *call; /* the failed OS call, or NULL */
    const char *file;
    int line;
    char object[96];
};

static XIPC__THREAD_LOCAL struct failure last_failure;

void
xipc__error_clear(void)
{
    last_failure.recorded = false;
}

int
xipc__fail(int code, const char *why, const char *file, int line)
{
    struct failure *f = &last_failure;
    f->recorded = true;
    f->code = code;
    f->why = why;
    f->os_code = 0;
    f->call = NULL;
    f->file = file;
    f->line = line;
    f->object[0] = '\0';
    return code;
}

int
xipc__os_fail(long os_code, const char *call, const char *object, const char *file, int line)
{
    struct failure *f = &last_failure;
    f->recorded = true;
    f->code = xipc__os_error_map(os_code);
    f->why = NULL;
    f->os_code = os_code;
    f->call = call;
    f->file = file;
    f->line = line;
    snprintf(f->object, sizeof f->object, "%s", object ? object : "");
    return f->code;
}

long
xipc_last_os_error(void)
{
    return last_failure.recorded ? last_failure.os_code : 0;
}

/* The file name of a __FILE__, whichever separator the compiler wrote. */
static const char *
base_name(const char *path)
{
    const char *name = path;
    for (const char *c = path; *c != '\0'; c++) {
        if (*c == '/' || *c == '\\')
            name = c + 1;
    }
    return name;
}

int
xipc_last_os_error_describe(char *buf, size_t cap)
{
    const struct failure *f = &last_failure;
    char text[160];
    if (buf == NULL || cap == 0)
        return XIPC_EINVAL;
    if (!f->recorded) {
        buf[0] = '\0';
        return 0;
    }
    const char *file = base_name(f->file);
    if (f->call == NULL) {
        const char *why = f->why ? f->why : xipc_strerror(f->code);
        snprintf(buf, cap, "%s: %s [%s:%d]", xipc_errname(f->code), why, file, f->line);
        return 0;
    }
    xipc__os_error_text(f->os_code, text, sizeof text);
    snprintf(buf, cap, "%s(%s): error %ld: %s [%s:%d]", f->call, f->object, f->os_code, text, file,
        f->line);
    return 0;
}
