/* common/name.c: the one check every object name passes before it reaches the OS (docs/design.md,
 * "The rules every family follows"). */
#include "handle.h"

#include <string.h>

static int
name_char_ok(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '-';
}

/* Each failure records its own reason, so these checks need no xipc__error_clear(): other calls
 * use them inside (common/platform.h, "Errors"). */
int
xipc_name_check_len(const char *name, size_t len)
{
    if (name == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "name: NULL");
    if (len > 0 && name[0] == '/') {
        name++;
        len--;
    }
    if (len == 0)
        return XIPC__FAIL(XIPC_EINVAL, "name: empty");
    if (len > XIPC_NAME_MAX)
        return XIPC__FAIL(XIPC_EINVAL, "name: longer than XIPC_NAME_MAX characters");
    /* A leading '.' would allow "." and "..", and hidden files on POSIX. */
    if (name[0] == '.')
        return XIPC__FAIL(XIPC_EINVAL, "name: starts with '.'");
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '/')
            return XIPC__FAIL(XIPC_EINVAL, "name: a '/' after the start (only one may lead)");
        if (!name_char_ok((unsigned char)name[i]))
            return XIPC__FAIL(XIPC_EINVAL, "name: a character outside [A-Za-z0-9._-]");
    }
    return 0;
}

int
xipc_name_check(const char *name)
{
    if (name == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "name: NULL");
    /* Look one byte past the limit (plus the optional '/') without reading past the NUL. */
    size_t len = strnlen(name, XIPC_NAME_MAX + 2);
    return xipc_name_check_len(name, len);
}

void
xipc__npipe_name(const char *name, char out[XIPC_NAME_MAX + 1])
{
    size_t i = 0;
    if (name[0] == '/')
        name++;
    /* The name alphabet is ASCII, so folding its letters folds the name. */
    for (; name[i] != '\0' && i < XIPC_NAME_MAX; i++)
        out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
    out[i] = '\0';
}

/* ---- What every named family shares (common/handle.h) ------------------------------------- */

const char *
xipc__bare_name(const char *name)
{
    return (name != NULL && name[0] == '/') ? name + 1 : name;
}

int
xipc__named_open_check(const char *name, unsigned flags, unsigned own_flags)
{
    unsigned how = flags & (XIPC_CREATE | XIPC_OPEN);
    if (flags & ~(XIPC_CREATE | XIPC_OPEN | own_flags))
        return XIPC__FAIL(XIPC_EINVAL, "flags: a flag this kind does not take");
    if (name == NULL && how == XIPC_OPEN)
        return XIPC__FAIL(XIPC_EINVAL, "name: NULL, with which XIPC_OPEN finds nothing");
    if (name == NULL)
        return 0;
    if (how == 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: neither XIPC_CREATE nor XIPC_OPEN");
    return xipc_name_check(name);
}

void
xipc__owned_name_take(struct xipc__owned_name *o, const char *name)
{
    o->owns = true;
    o->creator_pid = xipc__os_self_pid();
    memcpy(o->name, name, strlen(name) + 1);
}

bool
xipc__owned_name_due(const struct xipc__owned_name *o)
{
    return o->owns && o->creator_pid == xipc__os_self_pid();
}
