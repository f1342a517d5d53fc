/* posix/posix_names.c: the caller's named objects and the platform's description, for the xipc
 * command (common/names.h). Linux with glibc: it reads glibc's shm directory, /dev/shm, where
 * shm_open and sem_open keep their names, and Linux's /proc, to learn who holds them; a port
 * to another Unix replaces this file.
 *   named-pipe servers  <runtime dir>/NAME sockets; live while the lock on .lock-NAME is held
 *                       (the flock the server takes, seen in /proc/locks without touching it)
 *   events, mutexes     /dev/shm/xipc:NAME; semaphores /dev/shm/sem.NAME (glibc's sem_open
 *                       file); live while some process has the file open or mapped (/proc/PID/fd,
 *                       /proc/PID/maps), which the creator does until its close removes it
 *   message queues      /dev/shm/xipc-mq:NAME (posix_mq.c), the same
 *   shared memory       /dev/shm/NAME (shm_open("/NAME")), the same: any other program's
 *                       section with a valid name is listed too, as nothing marks xipc's
 * Only the user's own files are listed. A family with names in /dev/shm adds a row to
 * shm_prefixes. */
#include "names.h"
#include "posix_internal.h"
#include "posix_sync.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SHM_DIR "/dev/shm"

/* The identities (device, inode) of files someone holds: a growing array. */
struct held {
    struct file_id {
        dev_t dev;
        ino_t ino;
    } *ids;
    size_t count, cap;
};

static int
held_add(struct held *h, dev_t dev, ino_t ino)
{
    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct file_id *ids = realloc(h->ids, cap * sizeof *ids);
        if (ids == NULL)
            return XIPC_ENOMEM;
        h->ids = ids;
        h->cap = cap;
    }
    h->ids[h->count].dev = dev;
    h->ids[h->count++].ino = ino;
    return 0;
}

static bool
held_has(const struct held *h, const struct stat *st)
{
    for (size_t i = 0; i < h->count; i++)
        if (h->ids[i].dev == st->st_dev && h->ids[i].ino == st->st_ino)
            return true;
    return false;
}

/* "MAJ:MIN:INODE" (/proc/locks: hex, hex, decimal) or "MAJ:MIN INODE" (/proc/PID/maps). */
static int
add_id_text(struct held *h, const char *dev_text, const char *ino_text)
{
    unsigned maj, min;
    unsigned long long ino;
    if (sscanf(dev_text, "%x:%x", &maj, &min) != 2 || sscanf(ino_text, "%llu", &ino) != 1)
        return 0;
    return held_add(h, makedev(maj, min), (ino_t)ino);
}

/* The files with a flock on them: "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF". */
static int
read_flocks(struct held *h)
{
    char line[256], type[16], id[64];
    int rc = 0;
    FILE *f = fopen("/proc/locks", "re");
    if (f == NULL)
        return XIPC__OS_FAIL(errno, "fopen", "/proc/locks");
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%*s %15s %*s %*s %*s %63s", type, id) != 2 || strcmp(type, "FLOCK") != 0)
            continue;
        char *ino = strrchr(id, ':');
        if (ino != NULL) {
            *ino = '\0';
            rc = add_id_text(h, id, ino + 1);
        }
    }
    fclose(f);
    return rc;
}

/* The shm files process pid has mapped: "addr perms offset MAJ:MIN INODE /dev/shm/...". */
static int
read_maps(const char *pid, struct held *h)
{
    char path[64], line[512], dev[32], ino[32], file[256];
    int rc = 0;
    snprintf(path, sizeof path, "/proc/%s/maps", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0; /* gone, or another user's */
    while (rc == 0 && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "%*s %*s %*s %31s %31s %255s", dev, ino, file) == 3 &&
            strncmp(file, SHM_DIR "/", sizeof SHM_DIR) == 0)
            rc = add_id_text(h, dev, ino);
    fclose(f);
    return rc;
}

/* The files process pid has open, as its /proc/PID/fd links lead to them. */
static int
read_fds(const char *pid, struct held *h)
{
    char path[300];
    struct dirent *e;
    struct stat st;
    int rc = 0;
    snprintf(path, sizeof path, "/proc/%s/fd", pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "/proc/%s/fd/%s", pid, e->d_name);
        if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = held_add(h, st.st_dev, st.st_ino);
    }
    closedir(d);
    return rc;
}

/* Every file some process of this user holds open or mapped, and every flocked one. */
static int
read_holders(struct held *h)
{
    struct dirent *e;
    int rc = read_flocks(h);
    DIR *proc = opendir("/proc");
    if (proc == NULL)
        return XIPC__OS_FAIL(errno, "opendir", "/proc");
    while (rc == 0 && (e = readdir(proc)) != NULL)
        if (isdigit((unsigned char)e->d_name[0]) && (rc = read_maps(e->d_name, h)) == 0)
            rc = read_fds(e->d_name, h);
    closedir(proc);
    return rc;
}

/* A file of this user's at dir/file: its identity in *st. */
static bool
own_file(const char *dir, const char *file, struct stat *st)
{
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/%s", dir, file);
    return n > 0 && (size_t)n < sizeof path && lstat(path, st) == 0 && st->st_uid == geteuid();
}

static int
visit_entry(xipc__name_visit visit, void *ctx, enum xipc_kind kind, const char *name, bool live)
{
    struct xipc__name_entry entry = { kind, { 0 }, live };
    if (xipc_name_check(name) != 0)
        return 0;
    snprintf(entry.name, sizeof entry.name, "%s", name);
    return visit(&entry, ctx);
}

/* Named-pipe servers: the sockets in the runtime directory, live while their lock is held. */
static int
list_npipes(const struct held *h, xipc__name_visit visit, void *ctx)
{
    struct dirent *e;
    char dir[4096], lock[sizeof e->d_name + 8];
    struct stat st, lock_st;
    int rc = xipc__posix_runtime_dir(dir, sizeof dir);
    DIR *d = rc == 0 ? opendir(dir) : NULL;
    if (rc == 0 && d == NULL)
        rc = XIPC__OS_FAIL(errno, "opendir", dir);
    while (rc == 0 && d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !own_file(dir, e->d_name, &st) || !S_ISSOCK(st.st_mode))
            continue;
        snprintf(lock, sizeof lock, ".lock-%s", e->d_name);
        bool live = own_file(dir, lock, &lock_st) && held_has(h, &lock_st);
        rc = visit_entry(visit, ctx, XIPC_KIND_NPIPE, e->d_name, live);
    }
    if (d != NULL)
        closedir(d);
    return rc;
}

/* What a /dev/shm file of an xipc name is: events and mutexes tell from their header. */
static enum xipc_kind
kind_in_header(const char *name)
{
    uint32_t kind = 0;
    return xipc__posix_sync_shm_inspect(name, &kind) == 0 ? (enum xipc_kind)kind
                                                            : XIPC__KIND_UNKNOWN;
}

static enum xipc_kind
kind_semaphore(const char *name)
{
    (void)name;
    return XIPC_KIND_SEM;
}

static enum xipc_kind
kind_queue(const char *name)
{
    (void)name;
    return XIPC_KIND_MQ;
}

static enum xipc_kind
kind_section(const char *name)
{
    (void)name;
    return XIPC_KIND_SHM;
}

/* The first row whose prefix a file's name starts with says what it is. */
static const struct {
    const char *prefix;
    enum xipc_kind (*kind)(const char *name);
} shm_prefixes[] = {
    { "xipc:", kind_in_header },
    { "sem.", kind_semaphore },
    { "xipc-mq:", kind_queue },
    { "", kind_section }, /* last: every other name */
};

/* The row of shm_prefixes that a /dev/shm file's name belongs to; *len gets its prefix's length. */
static size_t
prefix_row(const char *file, size_t *len)
{
    size_t i = 0;
    while (strncmp(file, shm_prefixes[i].prefix, *len = strlen(shm_prefixes[i].prefix)) != 0)
        i++; /* the last row's "" always matches */
    return i;
}

static int
list_shm(const struct held *h, xipc__name_visit visit, void *ctx)
{
    struct dirent *e;
    struct stat st;
    int rc = 0;
    DIR *d = opendir(SHM_DIR);
    if (d == NULL)
        return XIPC__OS_FAIL(errno, "opendir", SHM_DIR);
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len, i = prefix_row(e->d_name, &len);
        const char *name = e->d_name + len;
        if (own_file(SHM_DIR, e->d_name, &st) && S_ISREG(st.st_mode))
            rc = visit_entry(visit, ctx, shm_prefixes[i].kind(name), name, held_has(h, &st));
    }
    closedir(d);
    return rc;
}

int
xipc__os_names_list(xipc__name_visit visit, void *ctx)
{
    struct held h = { 0 };
    int rc = read_holders(&h);
    if (rc == 0)
        rc = list_npipes(&h, visit, ctx);
    if (rc == 0)
        rc = list_shm(&h, visit, ctx);
    free(h.ids);
    return rc;
}

void
xipc__os_platform_describe(char *buf, size_t cap)
{
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(buf, cap, "%s %s %s", u.sysname, u.release, u.machine);
    else
        snprintf(buf, cap, "POSIX");
}

int
xipc__os_namespace_describe(char *buf, size_t cap)
{
    char dir[4096];
    int rc = xipc__posix_runtime_dir(dir, sizeof dir);
    snprintf(buf, cap,
        "named pipes: %s/NAME (AF_UNIX sockets; a server's lock: .lock-NAME)\n"
        "events, mutexes: " SHM_DIR "/xipc:NAME (shm_open)\n"
        "semaphores: " SHM_DIR "/sem.NAME (sem_open)\n"
        "shared memory: " SHM_DIR "/NAME (shm_open)\n"
        "message queues: " SHM_DIR "/xipc-mq:NAME (shm_open)\n"
        "FIFOs: the path given",
        rc == 0 ? dir : xipc_strerror(rc));
    return rc;
}
