/* win32/win32_env.c: the environment for spawn (common/platform.h, "Processes"). */
#include "win32_internal.h"

#include <stdlib.h>
#include <wchar.h>

/* Counts the entries of a GetEnvironmentStringsW block and the UTF-8 bytes they need, NULs
 * included. */
static void
measure_block(const wchar_t *block, size_t *count, size_t *bytes)
{
    *count = 0;
    *bytes = 0;
    for (const wchar_t *e = block; *e != L'\0'; e += wcslen(e) + 1) {
        *bytes += xipc__win32_utf8_size(e, -1);
        (*count)++;
    }
}

int
xipc__os_env_snapshot(char ***out)
{
    size_t count, bytes;
    wchar_t *block = GetEnvironmentStringsW();
    if (block == NULL)
        return XIPC__OS_FAIL(GetLastError(), "GetEnvironmentStringsW", NULL);
    measure_block(block, &count, &bytes);
    /* One block, as on POSIX: the pointer array, then the strings it points into. Entries such
     * as "=C:=C:\dir" (per-drive directories) are kept: common/proc.c treats the leading '='
     * as part of the key, and a child started with the parent's environment gets them too. */
    char **copy = malloc((count + 1) * sizeof *copy + bytes);
    if (copy == NULL) {
        (void)FreeEnvironmentStringsW(block);
        return XIPC_ENOMEM;
    }
    char *text = (char *)(copy + count + 1);
    size_t i = 0;
    for (const wchar_t *e = block; *e != L'\0'; e += wcslen(e) + 1) {
        size_t n = xipc__win32_to_utf8(e, -1, text, bytes);
        if (n == 0)
            continue; /* measured as 0 bytes too: nothing was reserved for it */
        copy[i++] = text;
        text += n;
        bytes -= n;
    }
    copy[i] = NULL;
    (void)FreeEnvironmentStringsW(block);
    *out = copy;
    return 0;
}

bool
xipc__os_env_keys_fold_case(void)
{
    return true;
}
