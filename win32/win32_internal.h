/* win32/win32_internal.h: helpers the Win32 files share. Not part of the contract. */
#ifndef XIPC_WIN32_INTERNAL_H
#define XIPC_WIN32_INTERNAL_H

#include <windows.h>

#include "platform.h"

/* The exit code xipc__os_proc_kill passes to TerminateProcess: "XIPC" in ASCII. It is neither a
 * common exit code nor an NTSTATUS error (0xC...), so a child that ends with it on its own is
 * unlikely, and xipc__os_proc_wait reports XIPC_EXIT_KILLED only when xipc also asked for it. */
#define XIPC__WIN32_KILL_CODE 0x58495043u

/* ---- Waiting (win32_clock.c) ---------------------------------------------------------------- */

/* Waits for h until dl. Returns WAIT_OBJECT_0 when h is signaled, WAIT_ABANDONED when h is a
 * mutex whose owner ended holding it (the caller now owns it), WAIT_TIMEOUT once dl has passed
 * (a deadline already passed polls once), or WAIT_FAILED with GetLastError() set. A wait that
 * returns before dl (timer granularity) is resumed with the time left. */
DWORD xipc__win32_wait(HANDLE h, xipc__deadline dl);

/* ---- UTF-8 and UTF-16 (win32_utf8.c) -------------------------------------------------------- */

/* Converts NUL-terminated UTF-8 into a malloc'd, NUL-terminated UTF-16 string.
 * Returns 0; XIPC_EINVAL for invalid UTF-8; XIPC_ENOMEM. */
int xipc__win32_utf8_to_wide(const char *s, wchar_t **out);

/* Bytes the UTF-8 form of wlen UTF-16 units at w needs (wlen -1: up to and including the NUL);
 * 0 for an empty input. Unpaired surrogates become U+FFFD, as WideCharToMultiByte does. */
size_t xipc__win32_utf8_size(const wchar_t *w, int wlen);

/* Writes that UTF-8 form into buf, which holds cap bytes (at least xipc__win32_utf8_size).
 * Returns the bytes written, 0 when it does not fit. */
size_t xipc__win32_to_utf8(const wchar_t *w, int wlen, char *buf, size_t cap);

/* ---- Security (win32_security.c) ------------------------------------------------------------ */

/* Fills *sa with a non-inheritable, owner-only security descriptor (full access for the
 * process's user and SYSTEM, protected from inheritance), built once per process and never
 * freed. Returns 0 or the failure of the token or SDDL call. */
int xipc__win32_owner_only_sa(SECURITY_ATTRIBUTES *sa);

#endif /* XIPC_WIN32_INTERNAL_H */
