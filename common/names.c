/* common/names.c: removing stale names, and the kinds' words, for the xipc command
 * (common/names.h). The listing itself is each platform's (xipc__os_names_list). */
#include "names.h"

#include "kinds.h"
#include "platform.h"
#include "xipc/mq.h"
#include "xipc/npipe.h"
#include "xipc/shm.h"
#include "xipc/sync.h"

#include <string.h>

#define WORD_ROW(KIND, text, release, pass, holds, waitable) [XIPC_KIND_##KIND] = text,
static const char *const kind_words[] = { XIPC__KIND_MAP(WORD_ROW) };
#undef WORD_ROW

const char *
xipc__kind_word(enum xipc_kind kind)
{
    size_t k = (size_t)kind;
    if (kind == XIPC__KIND_UNKNOWN)
        return "unfinished";
    return k < sizeof kind_words / sizeof kind_words[0] && kind_words[k] ? kind_words[k] : "?";
}

/* A stale named-pipe name is removed the way a new server takes it over: listen finds the dead
 * server's socket, removes it and claims the name; close then removes both files. A live server
 * keeps its name (XIPC_EADDRINUSE). */
static int
remove_npipe(const char *name)
{
    xipc_npipe *srv;
    int rc = xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv);
    if (rc == XIPC_EADDRINUSE)
        return XIPC_EBUSY;
    xipc_npipe_close(srv);
    return rc;
}

static int
remove_mq(const char *name)
{
    return xipc_mq_unlink(name, 0);
}

/* How each kind's name is removed: the family's _unlink, or what stands for it. A family with
 * names adds its row. */
static const struct {
    enum xipc_kind kind;
    int (*remove)(const char *name);
} removals[] = {
    { XIPC_KIND_NPIPE, remove_npipe },
    { XIPC_KIND_EVENT, xipc_event_unlink },
    { XIPC_KIND_SEM, xipc_sem_unlink },
    { XIPC_KIND_MUTEX, xipc_mutex_unlink },
    { XIPC_KIND_SHM, xipc_shm_unlink },
    { XIPC_KIND_MQ, remove_mq },
    /* POSIX: an event or mutex whose creator died before its header was whole; the unlink of
     * either kind removes it. */
    { XIPC__KIND_UNKNOWN, xipc_event_unlink },
};

struct removal {
    const char *name;
    char npipe_name[XIPC_NAME_MAX + 1]; /* named-pipe names are case-insensitive: folded */
    int found, live, removed, rc;
};

static int
remove_if_stale(const struct xipc__name_entry *entry, void *ctx)
{
    struct removal *r = ctx;
    const char *wanted = entry->kind == XIPC_KIND_NPIPE ? r->npipe_name : r->name;
    if (strcmp(entry->name, wanted) != 0)
        return 0;
    r->found++;
    if (entry->live) {
        r->live++;
        return 0;
    }
    for (size_t i = 0; i < sizeof removals / sizeof removals[0]; i++) {
        if (removals[i].kind != entry->kind)
            continue;
        int rc = removals[i].remove(entry->name);
        if (rc == 0)
            r->removed++;
        else if (r->rc == 0)
            r->rc = rc;
    }
    return 0;
}

int
xipc__names_remove_stale(const char *name, int *removed)
{
    struct removal r = { 0 };
    if (removed != NULL)
        *removed = 0;
    if (xipc_name_check(name) != 0)
        return XIPC__FAIL(XIPC_EINVAL, "name: not a valid xipc name");
    r.name = name[0] == '/' ? name + 1 : name;
    xipc__npipe_name(name, r.npipe_name);
    int rc = xipc__os_names_list(remove_if_stale, &r);
    if (removed != NULL)
        *removed = r.removed;
    if (rc != 0)
        return rc;
    if (r.rc != 0)
        return r.rc;
    if (r.live > 0)
        return XIPC__FAIL(XIPC_EBUSY, "name: a live object holds it");
    return r.found == 0 ? XIPC_ENOENT : 0;
}
