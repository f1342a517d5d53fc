/* win32/win32_security.c: the owner-only security descriptor (DESIGN.md, "Security") that xipc
 * gives the objects another process could open by name: pipes (win32_stream.c) and events,
 * semaphores, mutexes and their sections (win32_sync.c). Full access for the process's user and
 * SYSTEM, none for anyone else. */
#include "win32_internal.h"

#include <sddl.h>
#include <string.h>

struct sd_failure {
    DWORD werr;
    const char *call;
};

static BOOL
sd_fail(struct sd_failure *f, const char *call)
{
    f->werr = GetLastError();
    f->call = call;
    return FALSE;
}

/* Converts the user SID of this process's token to its string form ("S-1-5-21-..."). */
static BOOL
token_user_sid(wchar_t **sid_text, struct sd_failure *f)
{
    union {
        TOKEN_USER user;
        BYTE bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } info;
    HANDLE token;
    DWORD len;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return sd_fail(f, "OpenProcessToken");
    BOOL ok = GetTokenInformation(token, TokenUser, &info, sizeof info, &len);
    if (!ok)
        (void)sd_fail(f, "GetTokenInformation");
    (void)CloseHandle(token);
    if (ok && !ConvertSidToStringSidW(info.user.User.Sid, sid_text))
        return sd_fail(f, "ConvertSidToStringSidW");
    return ok;
}

/* Writes "D:P(A;;GA;;;<sid>)(A;;GA;;;SY)" into sddl (cap units): a protected DACL giving the user
 * and SYSTEM full access and nobody else any. FALSE when it does not fit. */
static BOOL
compose_sddl(const wchar_t *sid, wchar_t *sddl, size_t cap)
{
    static const wchar_t head[] = L"D:P(A;;GA;;;", tail[] = L")(A;;GA;;;SY)";
    size_t head_len = sizeof head / sizeof head[0] - 1, sid_len = wcslen(sid);
    if (head_len + sid_len + sizeof tail / sizeof tail[0] > cap)
        return FALSE;
    memcpy(sddl, head, head_len * sizeof *sddl);
    memcpy(sddl + head_len, sid, sid_len * sizeof *sddl);
    memcpy(sddl + head_len + sid_len, tail, sizeof tail); /* with its NUL */
    return TRUE;
}

/* INIT_ONCE callback: the owner-only security descriptor, kept for the life of the process. */
static BOOL CALLBACK
build_owner_only_sd(PINIT_ONCE once, PVOID param, PVOID *context)
{
    struct sd_failure *f = param;
    wchar_t *sid_text = NULL;
    wchar_t sddl[256];
    PSECURITY_DESCRIPTOR sd = NULL;
    (void)once;
    if (!token_user_sid(&sid_text, f))
        return FALSE;
    BOOL fits = compose_sddl(sid_text, sddl, sizeof sddl / sizeof sddl[0]);
    (void)LocalFree(sid_text);
    if (!fits) {
        f->werr = ERROR_INSUFFICIENT_BUFFER;
        f->call = "ConvertSidToStringSidW";
        return FALSE;
    }
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, NULL))
        return sd_fail(f, "ConvertStringSecurityDescriptorToSecurityDescriptorW");
    *context = sd; /* LocalAlloc'd, so aligned: the low bits INIT_ONCE keeps are zero */
    return TRUE;
}

int
xipc__win32_owner_only_sa(SECURITY_ATTRIBUTES *sa)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    struct sd_failure f = { ERROR_SUCCESS, "InitOnceExecuteOnce" };
    PVOID sd = NULL;
    /* A failed initialisation is not recorded as done: the next call tries again. */
    if (!InitOnceExecuteOnce(&once, build_owner_only_sd, &f, &sd))
        return XIPC__OS_FAIL(f.werr != ERROR_SUCCESS ? f.werr : GetLastError(), f.call, NULL);
    sa->nLength = sizeof *sa;
    sa->lpSecurityDescriptor = sd;
    sa->bInheritHandle = FALSE;
    return 0;
}
