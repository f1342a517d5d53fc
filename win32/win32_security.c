/* win32/win32_security.c: the owner-only security descriptor (docs/design.md, "Security") that xipc
 * gives the objects another process could open by name: pipes (win32_stream.c) and events,
 * semaphores, mutexes and their sections (win32_sync.c). Its owner is the process's user, full
 * access for that user and SYSTEM, none for anyone else. Also the checks that go with it: whose
 * a pipe or file is (the owner a client compares), and whether this process is sandboxed in an
 * AppContainer. */
#include "win32_internal.h"

#include <aclapi.h>
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

/* Writes "O:<sid>D:P(A;;GA;;;<sid>)(A;;GA;;;SY)" into sddl (cap units): the user as owner, and a
 * protected DACL giving the user and SYSTEM full access and nobody else any. FALSE when it does
 * not fit. The owner is explicit because the default one is the token's TokenOwner, which for an
 * elevated administrator is BUILTIN\Administrators ("Default owner", SID ownership rules): a
 * client compares a pipe's owner with its user (xipc__win32_check_pipe_owner), and the user's
 * own SID is always one its token may assign. */
static BOOL
compose_sddl(const wchar_t *sid, wchar_t *sddl, size_t cap)
{
    static const wchar_t tail[] = L")(A;;GA;;;SY)";
    size_t sid_len = wcslen(sid);
    if (2 + sid_len + 12 + sid_len + sizeof tail / sizeof tail[0] > cap)
        return FALSE;
    wchar_t *p = sddl;
    memcpy(p, L"O:", 2 * sizeof *p);
    memcpy(p += 2, sid, sid_len * sizeof *p);
    memcpy(p += sid_len, L"D:P(A;;GA;;;", 12 * sizeof *p);
    memcpy(p += 12, sid, sid_len * sizeof *p);
    memcpy(p + sid_len, tail, sizeof tail); /* with its NUL */
    return TRUE;
}

/* INIT_ONCE callback: the owner-only security descriptor, kept for the life of the process. */
static BOOL CALLBACK
build_owner_only_sd(PINIT_ONCE once, PVOID param, PVOID *context)
{
    struct sd_failure *f = param;
    wchar_t *sid_text = NULL;
    wchar_t sddl[384];
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

/* ---- Owners --------------------------------------------------------------------------------- */

/* Whether sid is this process's user, or the owner its token gives what it creates (TokenOwner:
 * an elevated administrator's objects belong to BUILTIN\Administrators, whose members can take
 * any object anyway): 0, XIPC_EACCES, or the failure. what names the object in reports. */
int
xipc__win32_owner_is_ours(PSID sid, const char *what)
{
    union {
        TOKEN_USER user;
        TOKEN_OWNER owner;
        BYTE bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } info;
    HANDLE token;
    DWORD len, werr = ERROR_SUCCESS;
    int rc = XIPC_EACCES;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return XIPC__OS_FAIL(GetLastError(), "OpenProcessToken", what);
    if (!GetTokenInformation(token, TokenUser, &info, sizeof info, &len))
        werr = GetLastError();
    else if (EqualSid(sid, info.user.User.Sid))
        rc = 0;
    else if (!GetTokenInformation(token, TokenOwner, &info, sizeof info, &len))
        werr = GetLastError();
    else if (EqualSid(sid, info.owner.Owner))
        rc = 0;
    (void)CloseHandle(token);
    return werr != ERROR_SUCCESS ? XIPC__OS_FAIL(werr, "GetTokenInformation", what) : rc;
}

/* Whether the owner of what h is open on (type: SE_FILE_OBJECT, SE_KERNEL_OBJECT) is ours. A
 * descriptor with no owner counts as ours: Windows gives every kernel object and every NTFS or
 * ReFS file an owner (the creator's TokenOwner when its descriptor names none), so none is seen
 * only where the file system keeps no security at all (FAT: anyone may open anything there) and
 * under Wine 8, which keeps no owner for a pipe made without one (measured: GetSecurityInfo
 * succeeds with a NULL owner; every Wine process is the same user anyway). */
static int
check_owner(HANDLE h, SE_OBJECT_TYPE type, const char *what)
{
    PSID owner = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    DWORD werr =
        GetSecurityInfo(h, type, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL, NULL, &sd);
    if (werr != ERROR_SUCCESS)
        return XIPC__OS_FAIL(werr, "GetSecurityInfo", what);
    int rc = owner != NULL ? xipc__win32_owner_is_ours(owner, what) : 0;
    (void)LocalFree(sd);
    return rc;
}

int
xipc__win32_check_file_owner(HANDLE h, const char *path)
{
    return check_owner(h, SE_FILE_OBJECT, path);
}

int
xipc__win32_check_object_owner(HANDLE h, const char *what)
{
    return check_owner(h, SE_KERNEL_OBJECT, what);
}

int
xipc__win32_check_pipe_owner(HANDLE h, const char *name)
{
    /* The client end's handle reads the pipe's descriptor, which its first instance fixed. A
     * client opened with GENERIC_READ or GENERIC_WRITE may: both include READ_CONTROL. */
    int rc = check_owner(h, SE_KERNEL_OBJECT, name);
    if (rc == XIPC_EACCES)
        return XIPC__FAIL(XIPC_EACCES, "the pipe belongs to another user, who made it first");
    return rc;
}

/* ---- AppContainers -------------------------------------------------------------------------- */

/* INIT_ONCE callback: *context is (void *)4 inside an AppContainer, (void *)0 outside (or where
 * the token cannot tell: before Windows 8 there are no AppContainers). INIT_ONCE keeps the low
 * bits of the context clear, hence 4 rather than 1. */
static BOOL CALLBACK
read_app_container(PINIT_ONCE once, PVOID param, PVOID *context)
{
    HANDLE token;
    DWORD is_container = 0, len;
    (void)once;
    (void)param;
    *context = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return TRUE;
    if (GetTokenInformation(token, TokenIsAppContainer, &is_container, sizeof is_container, &len) &&
        is_container != 0)
        *context = (PVOID)(ULONG_PTR)4;
    (void)CloseHandle(token);
    return TRUE;
}

int
xipc__win32_check_not_sandboxed(void)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    PVOID in_container = NULL;
    if (!InitOnceExecuteOnce(&once, read_app_container, NULL, &in_container))
        in_container = NULL;
    if (in_container == NULL)
        return 0;
    return XIPC__FAIL(XIPC_ENOTSUP,
        "sandboxed: an AppContainer may make pipes only under "
        "\\\\.\\pipe\\LOCAL\\, which no process outside it sees");
}
