/* posix/posix_error.c: errno to XIPC_E* by table (common/platform.h, "Errors"). An errno that is
 * not listed becomes XIPC_EOS; the raw value stays available through xipc_last_os_error().
 *
 * POSIX's strerror_r (int, text in the caller's buffer), which every Unix C library has: the
 * build's _GNU_SOURCE would give glibc's own, which returns a pointer and exists nowhere else. */
#undef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L

#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int os;
    int xipc;
} errno_table[] = {
    { EPERM, XIPC_EPERM },
    { ENOENT, XIPC_ENOENT },
    { EIO, XIPC_EIO },
    { EBADF, XIPC_EBADF },
    { ECHILD, XIPC_ECHILD },
    { ENOMEM, XIPC_ENOMEM },
    { EACCES, XIPC_EACCES },
    { EBUSY, XIPC_EBUSY },
    { EEXIST, XIPC_EEXIST },
    { ENOTDIR, XIPC_ENOTDIR },
    { EISDIR, XIPC_EISDIR },
    { EINVAL, XIPC_EINVAL },
    { ENFILE, XIPC_ENFILE },
    { EMFILE, XIPC_EMFILE },
    { ENOSPC, XIPC_ENOSPC },
    { EPIPE, XIPC_EPIPE },
    { ENAMETOOLONG, XIPC_ENAMETOOLONG },
    { EMSGSIZE, XIPC_EMSGSIZE },
    { ENOTSUP, XIPC_ENOTSUP },
    { ENOSYS, XIPC_ENOTSUP },
    { EADDRINUSE, XIPC_EADDRINUSE },
    { ECONNRESET, XIPC_ECONNRESET },
    { ETIMEDOUT, XIPC_ETIMEDOUT },
    { ECONNREFUSED, XIPC_ECONNREFUSED },
    { EOWNERDEAD, XIPC_EOWNERDEAD },
    { ENOTRECOVERABLE, XIPC_ENOTRECOVERABLE },
    { ELOOP, XIPC_ENOENT },
    { ENOEXEC, XIPC_EACCES },
    { ETXTBSY, XIPC_EBUSY },
    { E2BIG, XIPC_ELIMIT },
};

int
xipc__os_error_map(long os_code)
{
    for (size_t i = 0; i < sizeof errno_table / sizeof errno_table[0]; i++) {
        if (errno_table[i].os == os_code)
            return errno_table[i].xipc;
    }
    return XIPC_EOS;
}

void
xipc__os_error_text(long os_code, char *buf, size_t cap)
{
    char text[128] = "";
    /* glibc writes "Unknown error N" for a code it does not know; a C library that writes
     * nothing gets the number. */
    if (strerror_r((int)os_code, text, sizeof text) != 0 && text[0] == '\0')
        snprintf(text, sizeof text, "unknown error %ld", os_code);
    snprintf(buf, cap, "%s", text);
}
