/* tests/test_names.c: the caller's named objects as `xipc ls` and `xipc rm` find them
 * (common/names.h, posix/posix_names.c, win32/win32_names.c): live while a process holds them;
 * once the holder is killed, stale where the OS keeps names (POSIX) or gone (Windows), never
 * live; removed by xipc__names_remove_stale only when stale. */
#include "xt.h"

#include "names.h"

#include <string.h>

/* The named families and the suffix each object of a test gets. */
static const struct {
    enum xipc_kind kind;
    const char *suffix;
} families[] = {
    { XIPC_KIND_EVENT, "-ev" },
    { XIPC_KIND_SEM, "-sem" },
    { XIPC_KIND_MUTEX, "-mx" },
    { XIPC_KIND_NPIPE, "-np" },
    { XIPC_KIND_SHM, "-shm" },
    { XIPC_KIND_MQ, "-mq" },
};
#define FAMILIES (sizeof families / sizeof families[0])

struct found {
    char names[FAMILIES][XIPC_NAME_MAX + 1];
    int live[FAMILIES], stale[FAMILIES], wrong_kind;
};

static void
object_name(const char *prefix, size_t family, char name[XIPC_NAME_MAX + 1])
{
    int n = snprintf(name, XIPC_NAME_MAX + 1, "%s%s", prefix, families[family].suffix);
    CHECK(n > 0 && n <= XIPC_NAME_MAX);
}

static int
note_entry(const struct xipc__name_entry *entry, void *ctx)
{
    struct found *f = ctx;
    for (size_t i = 0; i < FAMILIES; i++) {
        if (strcmp(entry->name, f->names[i]) != 0)
            continue;
        if (entry->kind != families[i].kind)
            f->wrong_kind++;
        else if (entry->live)
            f->live[i]++;
        else
            f->stale[i]++;
    }
    return 0;
}

static struct found
list_names(const char *prefix)
{
    struct found f;
    memset(&f, 0, sizeof f);
    for (size_t i = 0; i < FAMILIES; i++)
        object_name(prefix, i, f.names[i]);
    CHECK_OK(xipc__os_names_list(note_entry, &f));
    CHECK_EQ(f.wrong_kind, 0);
    return f;
}

/* argv: prefix, channel. Makes one object of each family, says 'c', and waits to be killed. */
int
xt_child_names_holder(int argc, char **argv)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_event *ev = NULL;
    xipc_sem *sem = NULL;
    xipc_mutex *mx = NULL;
    xipc_npipe *srv = NULL;
    xipc_shm *shm = NULL;
    xipc_mq *mq = NULL;
    xipc_mq_attr attr = { 4, 64 };
    xipc_stream *ch = xt_import(argv[2]);
    (void)argc;
    object_name(argv[1], 0, name);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE, &ev));
    object_name(argv[1], 1, name);
    CHECK_OK(xipc_sem_open(name, XIPC_CREATE, 0, &sem));
    object_name(argv[1], 2, name);
    CHECK_OK(xipc_mutex_open(name, XIPC_CREATE, &mx));
    object_name(argv[1], 3, name);
    CHECK_OK(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv));
    object_name(argv[1], 4, name);
    CHECK_OK(xipc_shm_open(name, XIPC_CREATE, 4096, &shm));
    object_name(argv[1], 5, name);
    CHECK_OK(xipc_mq_open(name, XIPC_CREATE, &attr, &mq));
    xt_write_all(ch, "c", 1, XT_CHILD_TIMEOUT_MS);
    for (;;)
        xt_os_sleep_ms(1000);
}

void
xt_test_names_live_then_stale_then_removed(void)
{
    char prefix[XIPC_NAME_MAX + 1], text[XIPC_HANDLE_TEXT_MAX], name[XIPC_NAME_MAX + 1], c;
    xipc_stream *rd, *wr;
    xipc_exit_status status;
    struct found f;
    int removed;
    xt_name("names", prefix);

    CHECK_OK(xipc_pipe(0, &rd, &wr));
    xt_export(wr, text);
    const char *args[] = { prefix, text, NULL };
    xipc_handle *pass[] = { xipc_stream_handle(wr) };
    xipc_proc *p = xt_spawn_child("names_holder", args, NULL, pass, 1);
    xipc_stream_close(wr);
    xt_read_exact(rd, &c, 1, XT_CHILD_TIMEOUT_MS);

    /* Held: live, and left alone by rm. */
    f = list_names(prefix);
    for (size_t i = 0; i < FAMILIES; i++) {
        CHECK_EQ(f.live[i], 1);
        CHECK_EQ(f.stale[i], 0);
        CHECK_RC(xipc__names_remove_stale(f.names[i], &removed), XIPC_EBUSY);
        CHECK_EQ(removed, 0);
    }

    /* The holder killed: never live again; POSIX keeps the names, stale, until rm removes them;
     * Windows drops them with the holder's handles. */
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &status, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    f = list_names(prefix);
    for (size_t i = 0; i < FAMILIES; i++) {
        CHECK_EQ(f.live[i], 0);
        int rc = xipc__names_remove_stale(f.names[i], &removed);
        CHECK_RC(rc, f.stale[i] ? 0 : XIPC_ENOENT);
        CHECK_EQ(removed, f.stale[i]);
    }
    f = list_names(prefix);
    for (size_t i = 0; i < FAMILIES; i++)
        CHECK_EQ(f.live[i] + f.stale[i], 0);

    /* Removed for good: the names can be created again, exclusively. */
    xipc_event *ev = NULL;
    object_name(prefix, 0, name);
    CHECK_OK(xipc_event_open(name, XIPC_CREATE, &ev));
    f = list_names(prefix);
    CHECK_EQ(f.live[0], 1); /* held by this process */
    xipc_event_close(ev); /* the creator's close removes the name */
    f = list_names(prefix);
    CHECK_EQ(f.live[0] + f.stale[0], 0);
    xipc_stream_close(rd);
}

void
xt_test_names_rm_refuses_bad_and_missing_names(void)
{
    char name[XIPC_NAME_MAX + 1];
    int removed = -1;
    xt_name("nobody", name);
    CHECK_RC(xipc__names_remove_stale(name, &removed), XIPC_ENOENT);
    CHECK_EQ(removed, 0);
    CHECK_RC(xipc__names_remove_stale("a/b", NULL), XIPC_EINVAL);
    CHECK_RC(xipc__names_remove_stale(".hidden", NULL), XIPC_EINVAL);
}
