/* common/name.c: the one check every object name passes before it reaches the OS (DESIGN.md,
 * "Names of named objects"). */
#include "platform.h"

#include <string.h>

static int
name_char_ok(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '-';
}

int
xipc_name_check_len(const char *name, size_t len)
{
    if (name == NULL)
        return XIPC_EINVAL;
    if (len > 0 && name[0] == '/') {
        name++;
        len--;
    }
    /* A leading '.' would allow "." and "..", and hidden files on POSIX. */
    if (len == 0 || len > XIPC_NAME_MAX || name[0] == '.')
        return XIPC_EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (!name_char_ok((unsigned char)name[i]))
            return XIPC_EINVAL;
    }
    return 0;
}

int
xipc_name_check(const char *name)
{
    if (name == NULL)
        return XIPC_EINVAL;
    /* Look one byte past the limit (plus the optional '/') without reading past the NUL. */
    size_t len = strnlen(name, XIPC_NAME_MAX + 2);
    return xipc_name_check_len(name, len);
}
