/* win32/win32_names.c: the caller's named objects and the platform's description, for the xipc
 * command (common/names.h). xipc's Local\ names live in the session's object directory,
 * \Sessions\<id>\BaseNamedObjects (\BaseNamedObjects in session 0), read with
 * NtOpenDirectoryObject and NtQueryDirectoryObject (ntdll; documented on MSDN, with no import
 * library: found with GetProcAddress). In it:
 *   named-pipe servers  the claim event "xipc-npipe#NAME" a live server holds (win32_npipe.c)
 *   mutexes             the recovery section "NAME#xipc-mutex" beside each (win32_sync.c)
 *   events, semaphores, "NAME" itself: these carry no mark of xipc's, so every event,
 *   shared memory       semaphore and section of the session with a valid xipc name is listed
 * Windows removes a kernel object with its last handle: every name found is live. A family
 * with names adds a row to the rules below. */
#include "win32_internal.h"

#include "names.h"

#include <stdio.h>
#include <string.h>
#include <winternl.h>

#define DIRECTORY_QUERY_RIGHT 0x0001 /* DIRECTORY_QUERY (wdm.h) */
#define LISTING_BUFFER (64 * 1024)

typedef NTSTATUS(NTAPI *open_directory_fn)(HANDLE *dir, ACCESS_MASK access, OBJECT_ATTRIBUTES *oa);
typedef NTSTATUS(NTAPI *query_directory_fn)(HANDLE dir, void *buf, ULONG len, BOOLEAN single,
    BOOLEAN restart, ULONG *context, ULONG *got);
typedef NTSTATUS(NTAPI *get_version_fn)(OSVERSIONINFOW *info);
typedef const char *(CDECL *wine_version_fn)(void);

/* OBJECT_DIRECTORY_INFORMATION (MSDN, NtQueryDirectoryObject). */
struct directory_entry {
    UNICODE_STRING name;
    UNICODE_STRING type;
};

typedef void (*any_fn)(void);

static any_fn
ntdll_proc(const char *name)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != NULL ? (any_fn)GetProcAddress(ntdll, name) : NULL;
}

/* One rule per kind: an object of type `type` named prefix + NAME + suffix is NAME of kind. */
static const struct {
    const char *type, *prefix, *suffix;
    enum xipc_kind kind;
} rules[] = {
    { "Event", "xipc-npipe#", "", XIPC_KIND_NPIPE },
    { "Section", "", "#xipc-mutex", XIPC_KIND_MUTEX },
    { "Event", "", "", XIPC_KIND_EVENT },
    { "Semaphore", "", "", XIPC_KIND_SEM },
    { "Section", "", "", XIPC_KIND_SHM },
};

/* The UTF-16 text as ASCII into out (cap bytes); false when it is not all printable ASCII. */
static bool
ascii_of(const UNICODE_STRING *s, char *out, size_t cap)
{
    size_t n = s->Length / sizeof(WCHAR);
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s->Buffer[i] < 0x20 || s->Buffer[i] > 0x7e)
            return false;
        out[i] = (char)s->Buffer[i];
    }
    out[n] = '\0';
    return true;
}

/* Visits the entry if a rule makes an xipc name of it (the rules' names hold no '#' but theirs). */
static int
visit_directory_entry(const struct directory_entry *e, xipc__name_visit visit, void *ctx)
{
    char name[128], type[32];
    if (!ascii_of(&e->name, name, sizeof name) || !ascii_of(&e->type, type, sizeof type))
        return 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        size_t plen = strlen(rules[i].prefix), slen = strlen(rules[i].suffix), len = strlen(name);
        if (strcmp(type, rules[i].type) != 0 || len < plen + slen ||
            strncmp(name, rules[i].prefix, plen) != 0 || strcmp(name + len - slen, rules[i].suffix) != 0)
            continue;
        struct xipc__name_entry entry = { rules[i].kind, { 0 }, true };
        if (len - plen - slen > XIPC_NAME_MAX)
            return 0;
        memcpy(entry.name, name + plen, len - plen - slen);
        /* A name with '#' is one of xipc's helpers (a pipe's mode event, a FIFO's claim). */
        if (xipc_name_check(entry.name) != 0)
            continue;
        /* A message queue is a section too: its header tells (win32_mq.c). */
        if (entry.kind == XIPC_KIND_SHM && xipc__win32_section_is_mq(entry.name))
            entry.kind = XIPC_KIND_MQ;
        return visit(&entry, ctx);
    }
    return 0;
}

static NTSTATUS
open_session_directory(HANDLE *dir)
{
    open_directory_fn open_directory = (open_directory_fn)ntdll_proc("NtOpenDirectoryObject");
    wchar_t path[64];
    DWORD session = 0;
    UNICODE_STRING upath;
    OBJECT_ATTRIBUTES oa;
    if (open_directory == NULL)
        return (NTSTATUS)0xC0000002L; /* STATUS_NOT_IMPLEMENTED */
    if (!ProcessIdToSessionId(GetCurrentProcessId(), &session) || session == 0)
        wcscpy(path, L"\\BaseNamedObjects");
    else
        swprintf(path, sizeof path / sizeof path[0], L"\\Sessions\\%lu\\BaseNamedObjects",
            (unsigned long)session);
    upath.Buffer = path;
    upath.Length = (USHORT)(wcslen(path) * sizeof(WCHAR));
    upath.MaximumLength = (USHORT)(upath.Length + sizeof(WCHAR));
    InitializeObjectAttributes(&oa, &upath, 0, NULL, NULL);
    return open_directory(dir, DIRECTORY_QUERY_RIGHT, &oa);
}

/* Reads the directory one entry per call. MSDN documents a buffer of many entries too
 * (ReturnSingleEntry FALSE), but Wine 8 answers that with STATUS_NOT_IMPLEMENTED; one entry per
 * call works on both. The listing ends with STATUS_NO_MORE_ENTRIES, or any other failure. */
static int
list_directory(HANDLE dir, void *buf, xipc__name_visit visit, void *ctx)
{
    query_directory_fn query = (query_directory_fn)ntdll_proc("NtQueryDirectoryObject");
    ULONG context = 0, got = 0;
    int rc = 0;
    if (query == NULL)
        return XIPC__FAIL(XIPC_ENOTSUP, "NtQueryDirectoryObject is missing");
    for (BOOLEAN restart = TRUE; rc == 0; restart = FALSE) {
        if (query(dir, buf, LISTING_BUFFER, TRUE, restart, &context, &got) != 0)
            break;
        rc = visit_directory_entry(buf, visit, ctx);
    }
    return rc;
}

int
xipc__os_names_list(xipc__name_visit visit, void *ctx)
{
    HANDLE dir = NULL;
    NTSTATUS status = open_session_directory(&dir);
    if (status != 0)
        return XIPC__FAIL(XIPC_ENOTSUP, "the session's object directory cannot be opened");
    void *buf = HeapAlloc(GetProcessHeap(), 0, LISTING_BUFFER);
    int rc = buf != NULL ? list_directory(dir, buf, visit, ctx) : XIPC_ENOMEM;
    if (buf != NULL)
        HeapFree(GetProcessHeap(), 0, buf);
    CloseHandle(dir);
    return rc;
}

void
xipc__os_platform_describe(char *buf, size_t cap)
{
    get_version_fn get_version = (get_version_fn)ntdll_proc("RtlGetVersion");
    wine_version_fn wine_version = (wine_version_fn)ntdll_proc("wine_get_version");
    OSVERSIONINFOW v;
    int n = 0;
    memset(&v, 0, sizeof v);
    v.dwOSVersionInfoSize = sizeof v;
    /* RtlGetVersion tells the truth; GetVersionExW answers as the manifest allows. */
    if (get_version != NULL && get_version(&v) == 0)
        n = snprintf(buf, cap, "Windows %lu.%lu.%lu", (unsigned long)v.dwMajorVersion,
            (unsigned long)v.dwMinorVersion, (unsigned long)v.dwBuildNumber);
    else
        n = snprintf(buf, cap, "Windows");
    if (wine_version != NULL && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " (Wine %s)", wine_version());
}

int
xipc__os_namespace_describe(char *buf, size_t cap)
{
    DWORD session = 0;
    (void)ProcessIdToSessionId(GetCurrentProcessId(), &session);
    snprintf(buf, cap,
        "named pipes: \\\\.\\pipe\\NAME (folded to lower case; claimed by Local\\xipc-npipe#NAME)\n"
        "events, semaphores, mutexes, shared memory, message queues: Local\\NAME (session %lu; "
        "a mutex's state: "
        "Local\\NAME#xipc-mutex)\n"
        "FIFOs: a marker file at the path given, and a pipe named from it",
        (unsigned long)session);
    return 0;
}
