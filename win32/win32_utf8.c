/* win32/win32_utf8.c: UTF-8 (xipc's strings) to UTF-16 (the ...W APIs) and back. */
#include "win32_internal.h"

#include <limits.h>
#include <stdlib.h>

/* The failure of a MultiByteToWideChar call that returned 0. */
static int
conversion_failure(const char *s)
{
    DWORD werr = GetLastError();
    if (werr == ERROR_NO_UNICODE_TRANSLATION)
        return XIPC_EINVAL;
    return XIPC__OS_FAIL(werr, "MultiByteToWideChar", s);
}

int
xipc__win32_utf8_to_wide(const char *s, wchar_t **out)
{
    *out = NULL;
    /* MB_ERR_INVALID_CHARS: refuse malformed input instead of turning it into U+FFFD, so that
     * two different byte strings never name the same file or object. */
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0)
        return conversion_failure(s);
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w == NULL)
        return XIPC_ENOMEM;
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        int rc = conversion_failure(s);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

size_t
xipc__win32_utf8_size(const wchar_t *w, int wlen)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, NULL, 0, NULL, NULL);
    return n > 0 ? (size_t)n : 0;
}

size_t
xipc__win32_to_utf8(const wchar_t *w, int wlen, char *buf, size_t cap)
{
    int limit = cap > INT_MAX ? INT_MAX : (int)cap;
    if (limit == 0)
        return 0; /* WideCharToMultiByte would return the size needed, not write */
    int n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, buf, limit, NULL, NULL);
    return n > 0 ? (size_t)n : 0;
}
