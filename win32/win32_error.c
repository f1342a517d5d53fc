/* win32/win32_error.c: GetLastError() and WSAGetLastError() codes to XIPC_E* by table, and their
 * system texts (common/platform.h, "Errors"). A code that is not listed becomes XIPC_EOS; the raw
 * value stays available through xipc_last_os_error(). */
#include "win32_internal.h"

#include <stdio.h>
#include <string.h>

/* CreateProcessW of a program whose manifest asks for elevation; missing from mingw-w64's
 * winerror.h. */
#ifndef ERROR_ELEVATION_REQUIRED
#define ERROR_ELEVATION_REQUIRED 740L
#endif

/* Rows follow the POSIX table's choices where a POSIX twin exists (ENOEXEC -> EACCES, ELOOP ->
 * ENOENT, E2BIG -> ELIMIT), so that the same failure gives the same code on both. */
static const struct {
    DWORD os;
    int xipc;
} error_table[] = {
    { ERROR_FILE_NOT_FOUND, XIPC_ENOENT },
    { ERROR_PATH_NOT_FOUND, XIPC_ENOENT },
    { ERROR_INVALID_DRIVE, XIPC_ENOENT },
    { ERROR_BAD_NETPATH, XIPC_ENOENT },
    { ERROR_BAD_PATHNAME, XIPC_ENOENT },
    /* A path the file system cannot even parse names nothing that exists. */
    { ERROR_INVALID_NAME, XIPC_ENOENT },
    { ERROR_ENVVAR_NOT_FOUND, XIPC_ENOENT },
    { ERROR_CANT_RESOLVE_FILENAME, XIPC_ENOENT },
    { ERROR_TOO_MANY_OPEN_FILES, XIPC_EMFILE },
    { ERROR_ACCESS_DENIED, XIPC_EACCES },
    { ERROR_ELEVATION_REQUIRED, XIPC_EACCES },
    { ERROR_BAD_EXE_FORMAT, XIPC_EACCES },
    { ERROR_EXE_MACHINE_TYPE_MISMATCH, XIPC_EACCES },
    { ERROR_INVALID_HANDLE, XIPC_EBADF },
    { ERROR_NOT_ENOUGH_MEMORY, XIPC_ENOMEM },
    { ERROR_OUTOFMEMORY, XIPC_ENOMEM },
    { ERROR_NO_SYSTEM_RESOURCES, XIPC_ENOMEM },
    { ERROR_COMMITMENT_LIMIT, XIPC_ENOMEM },
    { ERROR_SHARING_VIOLATION, XIPC_EBUSY },
    { ERROR_LOCK_VIOLATION, XIPC_EBUSY },
    { ERROR_BUSY, XIPC_EBUSY },
    { ERROR_PIPE_BUSY, XIPC_EBUSY },
    { ERROR_NOT_SUPPORTED, XIPC_ENOTSUP },
    { ERROR_CALL_NOT_IMPLEMENTED, XIPC_ENOTSUP },
    { ERROR_FILE_EXISTS, XIPC_EEXIST },
    { ERROR_ALREADY_EXISTS, XIPC_EEXIST },
    { ERROR_INVALID_PARAMETER, XIPC_EINVAL },
    { ERROR_NO_UNICODE_TRANSLATION, XIPC_EINVAL },
    { ERROR_BROKEN_PIPE, XIPC_EPIPE },
    { ERROR_NO_DATA, XIPC_EPIPE },
    { ERROR_PIPE_NOT_CONNECTED, XIPC_EPIPE },
    { ERROR_DISK_FULL, XIPC_ENOSPC },
    { ERROR_HANDLE_DISK_FULL, XIPC_ENOSPC },
    { ERROR_SEM_TIMEOUT, XIPC_ETIMEDOUT },
    { WAIT_TIMEOUT, XIPC_ETIMEDOUT },
    { ERROR_TIMEOUT, XIPC_ETIMEDOUT },
    { ERROR_FILENAME_EXCED_RANGE, XIPC_ENAMETOOLONG },
    /* "The directory name is invalid": the name is not a directory (RemoveDirectoryW on a
     * file). xipc__os_spawn reports it as XIPC_ENOENT for a cwd that vanished. */
    { ERROR_DIRECTORY, XIPC_ENOTDIR },
    { ERROR_MORE_DATA, XIPC_EMSGSIZE },
    { ERROR_INSUFFICIENT_BUFFER, XIPC_EMSGSIZE },
    { ERROR_NOT_OWNER, XIPC_EPERM },
    { ERROR_PRIVILEGE_NOT_HELD, XIPC_EPERM },
    { ERROR_TOO_MANY_POSTS, XIPC_ELIMIT },
    { ERROR_WAIT_NO_CHILDREN, XIPC_ECHILD },
    { WSAEBADF, XIPC_EBADF },
    { WSAENOTSOCK, XIPC_EBADF },
    { WSAEACCES, XIPC_EACCES },
    { WSAEFAULT, XIPC_EINVAL },
    { WSAEINVAL, XIPC_EINVAL },
    { WSAEMFILE, XIPC_EMFILE },
    { WSAEMSGSIZE, XIPC_EMSGSIZE },
    { WSAEPROTONOSUPPORT, XIPC_ENOTSUP },
    { WSAEOPNOTSUPP, XIPC_ENOTSUP },
    { WSAEPFNOSUPPORT, XIPC_ENOTSUP },
    /* Wine 8 has no AF_UNIX: socket() fails with this (docs/wine.md). */
    { WSAEAFNOSUPPORT, XIPC_ENOTSUP },
    { WSASYSNOTREADY, XIPC_ENOTSUP },
    { WSAVERNOTSUPPORTED, XIPC_ENOTSUP },
    { WSAEADDRINUSE, XIPC_EADDRINUSE },
    { WSAECONNABORTED, XIPC_ECONNRESET },
    { WSAECONNRESET, XIPC_ECONNRESET },
    { WSAENOBUFS, XIPC_ENOMEM },
    /* send() after shutdown(SD_SEND): POSIX says EPIPE. */
    { WSAESHUTDOWN, XIPC_EPIPE },
    { WSAETIMEDOUT, XIPC_ETIMEDOUT },
    { WSAECONNREFUSED, XIPC_ECONNREFUSED },
    { WSAENAMETOOLONG, XIPC_ENAMETOOLONG },
};

int
xipc__os_error_map(long os_code)
{
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++) {
        if ((long)error_table[i].os == os_code)
            return error_table[i].xipc;
    }
    return XIPC_EOS;
}

/* Copies text into buf, cutting it at a character boundary if it does not fit. */
static void
copy_utf8_cut(char *buf, size_t cap, const char *text, size_t len)
{
    if (len >= cap) {
        len = cap - 1;
        /* Back off over continuation bytes (10xxxxxx) to the start of the cut character. */
        while (len > 0 && ((unsigned char)text[len] & 0xC0u) == 0x80u)
            len--;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
}

void
xipc__os_error_text(long os_code, char *buf, size_t cap)
{
    wchar_t wide[512];
    char text[3 * 512]; /* each UTF-16 unit needs at most 3 UTF-8 bytes */
    if (cap == 0)
        return;
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
        (DWORD)os_code, 0, wide, (DWORD)(sizeof wide / sizeof wide[0]), NULL);
    /* System messages end in ".\r\n"; the caller adds its own punctuation. */
    while (n > 0 && (wide[n - 1] == L'\r' || wide[n - 1] == L'\n' || wide[n - 1] == L' '))
        n--;
    size_t len = n ? xipc__win32_to_utf8(wide, (int)n, text, sizeof text) : 0;
    if (len == 0) {
        snprintf(buf, cap, "unknown error");
        return;
    }
    copy_utf8_cut(buf, cap, text, len);
}
