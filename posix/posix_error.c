/* posix/posix_error.c: errno to XIPC_E* by table (common/platform.h, "Errors"). An errno that is
 * not listed becomes XIPC_EOS; the raw value stays available through xipc_last_os_error(). */
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
    char tmp[128];
    /* _GNU_SOURCE gives the GNU strerror_r, which returns the text (not always in tmp). */
    const char *text = strerror_r((int)os_code, tmp, sizeof tmp);
    snprintf(buf, cap, "%s", text);
}
