/* tests/test_shm.c: shared memory sections (xipc/shm.h). */
#include "xt.h"

#include <stdatomic.h>

/* A size that is no multiple of any page size: an opener must still learn it exactly. */
#define ODD_SIZE 10007u

static void
fill_pattern(unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        p[i] = xt_pattern(i);
}

static bool
holds_pattern(const unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (p[i] != xt_pattern(i))
            return false;
    }
    return true;
}

/* ---- across processes ----------------------------------------------------------------------- */

/* argv: name, then how to get the section ("open", "readonly" or "inherited"), then what to do
 * after checking its size and pattern: "answer" writes "child-ok" at its end, "read" nothing
 * more, "write" writes through it. */
int
xt_child_shm_user(int argc, char **argv)
{
    xipc_shm *shm = NULL;
    (void)argc;
    if (strcmp(argv[2], "inherited") == 0)
        CHECK_OK(xipc_shm_inherited(0, &shm));
    else if (strcmp(argv[2], "readonly") == 0)
        CHECK_OK(xipc_shm_open(argv[1], XIPC_OPEN | XIPC_SHM_READONLY, 0, &shm));
    else
        CHECK_OK(xipc_shm_open(argv[1], XIPC_OPEN, 0, &shm));
    unsigned char *p = xipc_shm_ptr(shm);
    size_t size = xipc_shm_size(shm);
    CHECK_EQ(size, ODD_SIZE);
    CHECK(holds_pattern(p, 0, size - 8));
    if (strcmp(argv[3], "write") == 0) {
        xt_os_fault_default();
        p[0] = 1; /* faults: the section is mapped read-only */
        return 0;
    }
    if (strcmp(argv[3], "answer") == 0)
        memcpy(p + size - 8, "child-ok", 8);
    xipc_shm_close(shm);
    return 0;
}

static xipc_shm *
section_with_pattern(const char *name)
{
    xipc_shm *shm = NULL;
    CHECK_OK(xipc_shm_open(name, XIPC_CREATE, ODD_SIZE, &shm));
    CHECK_EQ(xipc_shm_size(shm), ODD_SIZE);
    unsigned char *p = xipc_shm_ptr(shm);
    CHECK(p != NULL && p[0] == 0 && p[ODD_SIZE - 1] == 0); /* new sections start zeroed */
    fill_pattern(p, 0, ODD_SIZE);
    return shm;
}

void
xt_test_shm_named_across_processes(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_shm *shm = NULL, *again = NULL;
    xt_name("shm", name);
    shm = section_with_pattern(name);
    const char *args[] = { name, "open", "answer", NULL };
    xt_expect_exit(xt_spawn_child("shm_user", args, NULL, NULL, 0), 0);
    unsigned char *p = xipc_shm_ptr(shm);
    CHECK(memcmp(p + ODD_SIZE - 8, "child-ok", 8) == 0);
    /* A second opener in this process sees the same bytes at another address. */
    CHECK_OK(xipc_shm_open(name, XIPC_OPEN, ODD_SIZE, &again));
    CHECK(xipc_shm_ptr(again) != xipc_shm_ptr(shm));
    CHECK(memcmp(xipc_shm_ptr(again), p, ODD_SIZE) == 0);
    /* The creator's close removes the name; the other mapping keeps working. */
    xipc_shm_close(shm);
    if (xt_os_names_outlive_processes())
        CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &shm), XIPC_ENOENT);
    CHECK(holds_pattern(xipc_shm_ptr(again), 0, ODD_SIZE - 8));
    xipc_shm_close(again);
    CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &shm), XIPC_ENOENT);
    CHECK(shm == NULL);
}

void
xt_test_shm_anonymous_passed_to_child(void)
{
    xipc_shm *shm = NULL;
    CHECK_OK(xipc_shm_open(NULL, 0, ODD_SIZE, &shm));
    fill_pattern(xipc_shm_ptr(shm), 0, ODD_SIZE);
    CHECK_EQ(xipc_handle_kind(xipc_shm_handle(shm)), XIPC_KIND_SHM);
    intptr_t native = 0;
    CHECK_RC(xipc_handle_native(xipc_shm_handle(shm), &native), XIPC_ENOTSUP);
    xipc_handle *h = xipc_shm_handle(shm);
    const char *args[] = { "-", "inherited", "answer", NULL };
    xt_expect_exit(xt_spawn_child("shm_user", args, NULL, &h, 1), 0);
    CHECK(memcmp((unsigned char *)xipc_shm_ptr(shm) + ODD_SIZE - 8, "child-ok", 8) == 0);
    xipc_shm_close(shm);
}

void
xt_test_shm_readonly_write_crashes(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_exit_status st = { 0, 0 };
    xipc_shm *shm = NULL;
    xt_name("shm.ro", name);
    shm = section_with_pattern(name);
    /* Reading through a read-only mapping works... */
    const char *reader[] = { name, "readonly", "read", NULL };
    xt_expect_exit(xt_spawn_child("shm_user", reader, NULL, NULL, 0), 0);
    /* ...and a write through it kills the writer. */
    xipc_stdio io[3] = { { XIPC_STDIO_NULL, NULL, NULL }, { XIPC_STDIO_NULL, NULL, NULL },
        { XIPC_STDIO_NULL, NULL, NULL } };
    const char *writer[] = { name, "readonly", "write", NULL };
    xipc_proc *p = xt_spawn_child("shm_user", writer, io, NULL, 0);
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    CHECK_EQ(st.kind, XIPC_EXIT_CRASHED);
    CHECK(st.code == 11 || st.code == 7 || st.code == 0xC0000005u); /* SIGSEGV, SIGBUS, AV */
    CHECK(holds_pattern(xipc_shm_ptr(shm), 0, ODD_SIZE));
    xipc_shm_close(shm);
}

/* ---- create-or-open races ------------------------------------------------------------------- */

#define RACERS       8
#define RACE_ROUNDS  30
#define RACE_SIZE    123457u
#define RACE_WAIT_MS 10000

/* The first words of a race's section: who writes the pattern, when it is there, and how many
 * racers have checked it. */
struct race_words {
    _Atomic uint32_t writer;
    _Atomic uint32_t ready;
    _Atomic uint32_t done;
};

static void
race_name(const char *base, int round, char name[XIPC_NAME_MAX + 1])
{
    snprintf(name, XIPC_NAME_MAX + 1, "%.40s.%d", base, round);
}

/* Waits until *word reaches want, failing the child after RACE_WAIT_MS. */
static void
await_word(_Atomic uint32_t *word, uint32_t want)
{
    uint64_t start = xt_os_now_ms();
    while (atomic_load(word) < want) {
        CHECK_LT(xt_os_now_ms() - start, RACE_WAIT_MS);
        xt_os_sleep_ms(1);
    }
}

/* One racer: each round, on "go", creates or opens the section, which must be whole at once
 * (the size its creator asked, every byte mapped); the first to claim it writes the pattern,
 * every racer checks it, and all close once all have checked. */
int
xt_child_shm_racer(int argc, char **argv)
{
    xt_channel ch;
    (void)argc;
    xt_channel_import(&ch, argv[2], argv[3]);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char name[XIPC_NAME_MAX + 1];
        xipc_shm *shm = NULL;
        race_name(argv[1], round, name);
        xt_channel_wait_go(&ch);
        CHECK_OK(xipc_shm_open(name, XIPC_CREATE | XIPC_OPEN, RACE_SIZE, &shm));
        CHECK_EQ(xipc_shm_size(shm), RACE_SIZE);
        unsigned char *p = xipc_shm_ptr(shm);
        struct race_words *w = (struct race_words *)(void *)p;
        (void)p[RACE_SIZE - 1]; /* the last byte is mapped */
        uint32_t none = 0;
        if (atomic_compare_exchange_strong(&w->writer, &none, 1u)) {
            fill_pattern(p, 64, RACE_SIZE);
            atomic_store(&w->ready, 1u);
        }
        await_word(&w->ready, 1);
        CHECK(holds_pattern(p, 64, RACE_SIZE));
        atomic_fetch_add(&w->done, 1u);
        await_word(&w->done, RACERS);
        xipc_shm_close(shm);
        xt_channel_ready(&ch);
    }
    xt_channel_close(&ch);
    return 0;
}

void
xt_test_shm_create_or_open_race_8_processes(void)
{
    char base[XIPC_NAME_MAX + 1], name[XIPC_NAME_MAX + 1];
    xt_channel ch[RACERS];
    xipc_proc *p[RACERS];
    xt_name("race", base);
    const char *args[] = { base, NULL };
    for (int i = 0; i < RACERS; i++) {
        xipc_handle *ends[2];
        xt_channel_open(&ch[i]);
        xt_channel_child_ends(&ch[i], ends);
        p[i] = xt_spawn_passing("shm_racer", args, NULL, ends, 2);
    }
    for (int round = 0; round < RACE_ROUNDS; round++) {
        for (int i = 0; i < RACERS; i++)
            xt_channel_go(&ch[i]);
        for (int i = 0; i < RACERS; i++)
            xt_channel_wait_ready(&ch[i]);
        race_name(base, round, name);
        CHECK_RC(xipc_shm_unlink(name), XIPC_ENOENT); /* the creator's close removed it */
    }
    for (int i = 0; i < RACERS; i++) {
        xt_expect_exit(p[i], 0);
        xt_channel_close(&ch[i]);
    }
}

/* ---- names, lifetime, sizes ----------------------------------------------------------------- */

int
xt_child_shm_create_and_hang(int argc, char **argv)
{
    xipc_shm *shm = NULL;
    xt_channel ch;
    (void)argc;
    xt_channel_import(&ch, argv[2], argv[3]);
    CHECK_OK(xipc_shm_open(argv[1], XIPC_CREATE, 4096, &shm));
    xt_channel_ready(&ch);
    xt_channel_wait_go(&ch); /* killed before */
    return 0;
}

void
xt_test_shm_names_and_stale_name_after_crash(void)
{
    char name[XIPC_NAME_MAX + 1], slashed[XIPC_NAME_MAX + 2];
    xipc_shm *a = NULL, *b = NULL;
    xipc_exit_status st;
    xt_channel ch;
    xipc_handle *ends[2];
    xt_name("shm.names", name);
    snprintf(slashed, sizeof slashed, "/%s", name);
    CHECK_RC(xipc_shm_unlink(name), XIPC_ENOENT);
    CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &a), XIPC_ENOENT);
    CHECK_OK(xipc_shm_open(slashed, XIPC_CREATE, 100, &a));
    CHECK_RC(xipc_shm_open(name, XIPC_CREATE, 100, &b), XIPC_EEXIST);
    CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 101, &b), XIPC_EINVAL); /* larger than it is */
    CHECK_OK(xipc_shm_open(name, XIPC_CREATE | XIPC_OPEN, 50, &b)); /* the creator's size holds */
    CHECK_EQ(xipc_shm_size(b), 100);
    xipc_shm_close(b);
    CHECK_OK(xipc_shm_unlink(name)); /* POSIX removes it; Windows: still open, nothing to do */
    xipc_shm_close(a);
    CHECK_RC(xipc_shm_unlink(name), XIPC_ENOENT);

    /* A creator that dies leaves the name on POSIX. */
    xt_channel_open(&ch);
    xt_channel_child_ends(&ch, ends);
    const char *args[] = { name, NULL };
    xipc_proc *p = xt_spawn_passing("shm_create_and_hang", args, NULL, ends, 2);
    xt_channel_wait_ready(&ch);
    CHECK_OK(xipc_proc_kill(p));
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    xt_channel_close(&ch);
    if (xt_os_names_outlive_processes()) {
        CHECK_RC(xipc_shm_open(name, XIPC_CREATE, 4096, &a), XIPC_EEXIST);
        CHECK_OK(xipc_shm_unlink(name));
    }
    CHECK_RC(xipc_shm_unlink(name), XIPC_ENOENT);
    CHECK_OK(xipc_shm_open(name, XIPC_CREATE, 4096, &a));
    xipc_shm_close(a);
}

void
xt_test_shm_sizes(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_shm *shm = NULL;
    xt_name("shm.size", name);
    CHECK_RC(xipc_shm_open(NULL, 0, 0, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open(name, XIPC_CREATE, 0, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open(name, XIPC_CREATE | XIPC_OPEN, 0, &shm), XIPC_EINVAL);
    /* Sizes the system cannot give: an error, never a crash, and no name left behind. */
    const size_t huge[] = { SIZE_MAX, SIZE_MAX / 2 + 1, (size_t)1 << 62 };
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        for (int named = 0; named < 2; named++) {
            int rc = xipc_shm_open(named ? name : NULL, XIPC_CREATE, huge[i], &shm);
            if (rc != XIPC_ENOMEM && rc != XIPC_ENOSPC)
                xt_fail(__FILE__, __LINE__, "size %zu gave %s", huge[i], xipc_errname(rc));
            CHECK(shm == NULL);
        }
        CHECK_RC(xipc_shm_unlink(name), XIPC_ENOENT);
    }
    /* Past 4 GiB: the last page is there. */
    const size_t big = ((size_t)5 << 30) + 12345;
    int rc = xipc_shm_open(name, XIPC_CREATE, big, &shm);
    if (rc == XIPC_ENOMEM || rc == XIPC_ENOSPC)
        XT_SKIP("this machine cannot give a 5 GiB section");
    CHECK_OK(rc);
    CHECK_EQ(xipc_shm_size(shm), big);
    unsigned char *p = xipc_shm_ptr(shm);
    p[big - 1] = 0x5a;
    xipc_shm *other = NULL;
    CHECK_OK(xipc_shm_open(name, XIPC_OPEN, 0, &other));
    CHECK_EQ(xipc_shm_size(other), big);
    CHECK_EQ(((unsigned char *)xipc_shm_ptr(other))[big - 1], 0x5a);
    xipc_shm_close(other);
    xipc_shm_close(shm);
}

/* ---- security ------------------------------------------------------------------------------- */

void
xt_test_shm_owner_only_permissions(void)
{
    char name[XIPC_NAME_MAX + 1], path[512];
    xipc_shm *shm = NULL, *other = NULL;
    xt_name("shm.perm", name);
    if (xt_os_shm_path(name, path, sizeof path) != 0)
        XT_SKIP("no file behind a section to inspect here (Windows kernel objects; xipc gives "
                "them an owner-only DACL, and Wine runs every process as one user)");
    CHECK_OK(xipc_shm_open(name, XIPC_CREATE, 4096, &shm));
    CHECK_EQ(xt_os_path_mode(path), 0600);
    /* Group or other access, which a program that is not xipc may have given: refused. */
    CHECK_EQ(xt_os_chmod(path, 0640), 0);
    CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &other), XIPC_EACCES);
    CHECK_RC(xipc_shm_open(name, XIPC_OPEN | XIPC_SHM_READONLY, 0, &other), XIPC_EACCES);
    CHECK_EQ(xt_os_chmod(path, 0600), 0);
    CHECK_OK(xipc_shm_open(name, XIPC_OPEN, 0, &other));
    xipc_shm_close(other);
    /* Another user's section: refused, and not ours to remove. */
    if (xt_os_chown_path(path) == 0) {
        CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &other), XIPC_EACCES);
        CHECK_RC(xipc_shm_open(name, XIPC_CREATE | XIPC_OPEN, 4096, &other), XIPC_EACCES);
        CHECK_RC(xipc_shm_unlink(name), XIPC_EACCES);
        CHECK(other == NULL);
        xipc_shm_close(shm); /* leaves it: not ours any more */
        CHECK_EQ(xt_os_path_mode(path), 0600);
        xt_os_remove_tree(path);
    } else {
        printf("note: not root, so the foreign-owner check was not exercised\n");
        xipc_shm_close(shm);
    }
}

/* What a creator that died half way, or another program, leaves at a name (POSIX, where names
 * are files): answered without blocking or following anything, and removable with unlink. */
void
xt_test_shm_half_made_and_squatted_names(void)
{
    char name[XIPC_NAME_MAX + 1], path[512], target[600];
    xipc_shm *shm = NULL;
    xipc_stream *fifo = NULL;
    xt_name("shm.squat", name);
    if (xt_os_shm_path(name, path, sizeof path) != 0)
        XT_SKIP("no file behind a section to plant anything at (Windows kernel objects)");
    /* Empty: its creator died before ftruncate. Openers wait for the size, then give up. */
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL && fclose(f) == 0);
    CHECK_EQ(xt_os_chmod(path, 0600), 0);
    uint64_t start = xt_os_now_ms();
    CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &shm), XIPC_ECORRUPT);
    CHECK_GE(xt_os_now_ms() - start, 1900);
    CHECK_RC(xipc_shm_open(name, XIPC_CREATE, 64, &shm), XIPC_EEXIST);
    CHECK_OK(xipc_shm_unlink(name));
    /* A FIFO: refused at once, never waited on. */
    CHECK_OK(xipc_fifo_open(path, XIPC_CREATE | XIPC_FIFO_READ | XIPC_FIFO_NOWAIT, &fifo, 0));
    start = xt_os_now_ms();
    CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &shm), XIPC_ECORRUPT);
    CHECK_RC(xipc_shm_open(name, XIPC_CREATE | XIPC_OPEN, 64, &shm), XIPC_ECORRUPT);
    CHECK_LT(xt_os_now_ms() - start, 1000);
    CHECK_OK(xipc_shm_unlink(name));
    xipc_stream_close(fifo);
    /* A link, even to a section of ours: refused, and left. */
    snprintf(target, sizeof target, "%s.target", path);
    f = fopen(target, "wb");
    CHECK(f != NULL && fclose(f) == 0);
    if (xt_os_symlink(target, path) == 0) {
        CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 0, &shm), XIPC_EACCES);
        CHECK_RC(xipc_shm_unlink(name), XIPC_EACCES);
        CHECK_EQ(remove(path), 0);
    }
    CHECK_EQ(remove(target), 0);
    CHECK(shm == NULL);
}

/* ---- programs that never heard of xipc ------------------------------------------------------ */

void
xt_test_shm_foreign_program_shares_it(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_shm *shm = NULL;
    xt_name("shm.foreign", name);
    shm = section_with_pattern(name);
    int rc = xt_os_foreign_shm_answer(name, ODD_SIZE);
    if (rc == 77) {
        xipc_shm_close(shm);
        XT_SKIP("python3 is missing (ci/install-deps.sh installs it)");
    }
    CHECK_EQ(rc, 0);
    unsigned char *p = xipc_shm_ptr(shm);
    CHECK(memcmp(p + ODD_SIZE - 16, XT_FOREIGN_ANSWER, 16) == 0);
    CHECK(holds_pattern(p, 0, ODD_SIZE - 16));
    xipc_shm_close(shm);
    CHECK_RC(xipc_shm_unlink(name), XIPC_ENOENT);
}

/* ---- bad input and leaks -------------------------------------------------------------------- */

void
xt_test_shm_bad_input(void)
{
    char text[XIPC_HANDLE_TEXT_MAX], too_long[XIPC_NAME_MAX + 2];
    xipc_shm *shm = NULL, *dead = NULL;
    xipc_event *ev = NULL;
    memset(too_long, 'a', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    CHECK_RC(xipc_shm_open(NULL, 0, 1, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open("bad/name", XIPC_CREATE, 1, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open("..", XIPC_CREATE, 1, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open(too_long, XIPC_CREATE, 1, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open("ok", 0, 1, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open(NULL, XIPC_OPEN, 1, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open(NULL, 0x8000, 1, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open(NULL, XIPC_SHM_READONLY, 1, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_open("ok", XIPC_CREATE | XIPC_SHM_READONLY, 1, &shm), XIPC_EINVAL);
    CHECK_RC(
        xipc_shm_open("ok", XIPC_CREATE | XIPC_OPEN | XIPC_SHM_READONLY, 1, &shm), XIPC_EINVAL);
    CHECK(shm == NULL);
    CHECK_RC(xipc_shm_unlink(NULL), XIPC_EINVAL);
    CHECK_RC(xipc_shm_unlink("bad\\name"), XIPC_EINVAL);
    /* NULL, another kind, a closed handle. */
    CHECK(xipc_shm_ptr(NULL) == NULL && xipc_shm_size(NULL) == 0 && xipc_shm_handle(NULL) == NULL);
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK(xipc_shm_ptr((xipc_shm *)(void *)ev) == NULL);
    CHECK_EQ(xipc_shm_size((xipc_shm *)(void *)ev), 0);
    xipc_shm_close((xipc_shm *)(void *)ev); /* another kind: a no-op */
    CHECK_OK(xipc_event_set(ev));
    CHECK_OK(xipc_shm_open(NULL, 0, 100, &dead));
    xipc_shm_close(dead);
    CHECK(xipc_shm_ptr(dead) == NULL && xipc_shm_size(dead) == 0);
    CHECK_RC(xipc_handle_export(xipc_shm_handle(dead), text, sizeof text), XIPC_EBADF);
    xipc_shm_close(dead);
    /* Import texts of the wrong kind or shape. */
    CHECK_OK(xipc_handle_export(xipc_event_handle(ev), text, sizeof text));
    CHECK_RC(xipc_shm_import(text, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_import("xipc1:shm:", &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_import("xipc1:shm:x", &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_import(NULL, &shm), XIPC_EINVAL);
    CHECK_RC(xipc_shm_import(text, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_shm_inherited(0, NULL), XIPC_EINVAL);
    CHECK(shm == NULL);
    /* A live section's own text: its native is held already. */
    CHECK_OK(xipc_shm_open(NULL, 0, 100, &shm));
    CHECK_OK(xipc_handle_export(xipc_shm_handle(shm), text, sizeof text));
    CHECK_RC(xipc_shm_import(text, &dead), XIPC_EEXIST);
    CHECK(dead == NULL);
    xipc_shm_close(shm);
    xipc_event_close(ev);
}

void
xt_test_shm_no_handle_leak(void)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_shm *shm = NULL, *ro = NULL, *other = NULL;
    xt_name("shm.leak", name);
    xt_warm_up();
    CHECK_OK(xipc_shm_open(name, XIPC_CREATE, 1000, &shm)); /* Wine's first named object */
    xipc_shm_close(shm);
    int before = xt_os_handle_count();
    for (int i = 0; i < 50; i++) {
        CHECK_OK(xipc_shm_open(i % 2 ? name : NULL, XIPC_CREATE, 1000 + (size_t)i, &shm));
        if (i % 2) {
            CHECK_OK(xipc_shm_open(name, XIPC_OPEN | XIPC_SHM_READONLY, 0, &ro));
            CHECK_RC(xipc_shm_open(name, XIPC_CREATE, 10, &other), XIPC_EEXIST);
            CHECK_RC(xipc_shm_open(name, XIPC_OPEN, 5000, &other), XIPC_EINVAL);
        }
        int rc = xipc_shm_open(NULL, 0, SIZE_MAX / 2 + 1, &other);
        CHECK((rc == XIPC_ENOMEM || rc == XIPC_ENOSPC) && other == NULL);
        xipc_shm_close(ro);
        xipc_shm_close(shm);
        ro = NULL;
    }
    CHECK_EQ(xt_os_handle_count(), before);
}

/* ---- file mappings -------------------------------------------------------------------------- */

/* Not a multiple of any page size or of Windows' 64 KiB allocation granularity. */
#define ODD_OFFSET 70001u
#define MAP_LEN    (3u * 4096u + 100u)

/* Writes count bytes of xt_pattern (from 0) to a new file at path with plain stdio. */
static void
write_pattern_file(const char *path, size_t count)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    for (size_t i = 0; i < count; i++)
        CHECK(fputc(xt_pattern(i), f) != EOF);
    CHECK(fclose(f) == 0);
}

/* Reads the file at path with plain stdio into a malloc'd buffer; *len gets its size. */
static unsigned char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    CHECK(buf != NULL);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            CHECK(buf != NULL);
        }
    }
    CHECK(fclose(f) == 0);
    *len = n;
    return buf;
}

/* argv: path, "check" (the pattern at ODD_OFFSET, then "child-ok" written after it) or "write"
 * (a write through a read-only mapping). */
int
xt_child_filemap_user(int argc, char **argv)
{
    xipc_filemap *map = NULL;
    bool write = strcmp(argv[2], "write") == 0;
    (void)argc;
    CHECK_OK(xipc_filemap_open(
        argv[1], XIPC_OPEN | (write ? 0 : XIPC_FILEMAP_WRITE), ODD_OFFSET, MAP_LEN, &map));
    unsigned char *p = xipc_filemap_ptr(map);
    for (size_t i = 0; i < MAP_LEN - 8; i++)
        CHECK_EQ(p[i], xt_pattern(ODD_OFFSET + i));
    if (write) {
        xt_os_fault_default();
        p[0] = 1; /* faults: mapped read-only */
        return 0;
    }
    memcpy(p + MAP_LEN - 8, "child-ok", 8);
    xipc_filemap_close(map);
    return 0;
}

void
xt_test_filemap_two_processes_see_each_others_writes(void)
{
    char path[512];
    xipc_filemap *map = NULL;
    xt_os_temp_path("filemap.share", path, sizeof path);
    (void)remove(path);
    CHECK_OK(xipc_filemap_open(path, XIPC_CREATE | XIPC_FILEMAP_WRITE, ODD_OFFSET, MAP_LEN, &map));
    CHECK_EQ(xipc_filemap_size(map), MAP_LEN);
    unsigned char *p = xipc_filemap_ptr(map);
    for (size_t i = 0; i < MAP_LEN; i++)
        p[i] = xt_pattern(ODD_OFFSET + i);
    const char *args[] = { path, "check", NULL };
    xt_expect_exit(xt_spawn_child("filemap_user", args, NULL, NULL, 0), 0);
    CHECK(memcmp(p + MAP_LEN - 8, "child-ok", 8) == 0); /* the child's write, seen here */
    xipc_filemap_close(map);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_filemap_flushed_file_holds_exactly_the_writes(void)
{
    char path[512];
    xipc_filemap *map = NULL;
    size_t len = 0;
    xt_os_temp_path("filemap.flush", path, sizeof path);
    (void)remove(path);
    /* A new file, grown to offset + len; the bytes before the offset read as zero. */
    CHECK_OK(xipc_filemap_open(
        path, XIPC_CREATE | XIPC_OPEN | XIPC_FILEMAP_WRITE, ODD_OFFSET, MAP_LEN, &map));
    unsigned char *p = xipc_filemap_ptr(map);
    for (size_t i = 0; i < MAP_LEN; i++)
        p[i] = xt_pattern(i);
    CHECK_OK(xipc_filemap_flush(map, 0, 0));
    CHECK_OK(xipc_filemap_flush(map, 5, 10)); /* an unaligned piece */
    xipc_filemap_close(map);
    unsigned char *data = read_file(path, &len);
    CHECK_EQ(len, ODD_OFFSET + MAP_LEN);
    for (size_t i = 0; i < ODD_OFFSET; i++)
        CHECK_EQ(data[i], 0);
    for (size_t i = 0; i < MAP_LEN; i++)
        CHECK_EQ(data[ODD_OFFSET + i], xt_pattern(i));
    free(data);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_filemap_unaligned_offset_of_an_existing_file(void)
{
    char path[512];
    xipc_filemap *map = NULL;
    size_t len = 0;
    xt_os_temp_path("filemap.odd", path, sizeof path);
    write_pattern_file(path, 200000);
    /* Read-only at an offset no boundary shares. */
    CHECK_OK(xipc_filemap_open(path, XIPC_OPEN, ODD_OFFSET, 5000, &map));
    const unsigned char *p = xipc_filemap_ptr(map);
    for (size_t i = 0; i < 5000; i++)
        CHECK_EQ(p[i], xt_pattern(ODD_OFFSET + i));
    CHECK_OK(xipc_filemap_flush(map, 0, 0)); /* nothing to write */
    xipc_filemap_close(map);
    /* Read-write at another one, to the file's last byte. */
    CHECK_OK(
        xipc_filemap_open(path, XIPC_OPEN | XIPC_FILEMAP_WRITE, 131073, 200000 - 131073, &map));
    memcpy(xipc_filemap_ptr(map), "xipc", 4);
    CHECK_OK(xipc_filemap_flush(map, 0, 4));
    xipc_filemap_close(map);
    unsigned char *data = read_file(path, &len);
    CHECK_EQ(len, 200000);
    CHECK(memcmp(data + 131073, "xipc", 4) == 0);
    CHECK_EQ(data[131077], xt_pattern(131077));
    CHECK_EQ(data[131072], xt_pattern(131072));
    free(data);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_filemap_readonly_write_crashes(void)
{
    char path[512];
    xipc_exit_status st = { 0, 0 };
    xt_os_temp_path("filemap.ro", path, sizeof path);
    write_pattern_file(path, ODD_OFFSET + MAP_LEN);
    xipc_stdio io[3] = { { XIPC_STDIO_NULL, NULL, NULL }, { XIPC_STDIO_NULL, NULL, NULL },
        { XIPC_STDIO_NULL, NULL, NULL } };
    const char *args[] = { path, "write", NULL };
    xipc_proc *p = xt_spawn_child("filemap_user", args, io, NULL, 0);
    CHECK_OK(xipc_proc_wait(p, &st, XT_CHILD_TIMEOUT_MS));
    xipc_proc_close(p);
    CHECK_EQ(st.kind, XIPC_EXIT_CRASHED);
    CHECK(st.code == 11 || st.code == 7 || st.code == 0xC0000005u);
    size_t len = 0;
    unsigned char *data = read_file(path, &len);
    CHECK_EQ(data[ODD_OFFSET], xt_pattern(ODD_OFFSET)); /* unchanged */
    free(data);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_filemap_sizes_and_bad_input(void)
{
    char path[512];
    xipc_filemap *map = NULL;
    xipc_event *ev = NULL;
    xt_os_temp_path("filemap.bad", path, sizeof path);
    (void)remove(path);
    const unsigned rw = XIPC_FILEMAP_WRITE;
    CHECK_RC(xipc_filemap_open(NULL, XIPC_OPEN, 0, 1, &map), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open("", XIPC_OPEN, 0, 1, &map), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open(path, XIPC_OPEN, 0, 1, NULL), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open(path, 0, 0, 1, &map), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open(path, XIPC_OPEN | 0x8000, 0, 1, &map), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open(path, XIPC_CREATE, 0, 1, &map), XIPC_EINVAL); /* no _WRITE */
    CHECK_RC(xipc_filemap_open(path, XIPC_OPEN | XIPC_FILEMAP_GROW, 0, 1, &map), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open(path, XIPC_CREATE | rw, 0, 0, &map), XIPC_EINVAL); /* len 0 */
    CHECK_RC(xipc_filemap_open(path, XIPC_CREATE | rw, UINT64_MAX - 1, 2, &map), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open(path, XIPC_OPEN, 0, 1, &map), XIPC_ENOENT);
    CHECK(map == NULL);
    int rc = xipc_filemap_open(".", XIPC_OPEN, 0, 1, &map); /* a directory */
    CHECK(rc == XIPC_EINVAL || rc == XIPC_EISDIR || rc == XIPC_EACCES);
    /* Past the end of a file: refused, unless asked to grow it. */
    write_pattern_file(path, 100);
    CHECK_RC(xipc_filemap_open(path, XIPC_CREATE | rw, 0, 10, &map), XIPC_EEXIST);
    CHECK_RC(xipc_filemap_open(path, XIPC_OPEN, 50, 51, &map), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_open(path, XIPC_OPEN | rw, 50, 51, &map), XIPC_EINVAL);
    CHECK_OK(xipc_filemap_open(path, XIPC_OPEN, 50, 50, &map));
    CHECK_RC(xipc_filemap_flush(map, 40, 11), XIPC_EINVAL);
    CHECK_RC(xipc_filemap_flush(map, 51, 0), XIPC_EINVAL);
    CHECK_EQ(xipc_handle_kind(xipc_filemap_handle(map)), XIPC_KIND_FILEMAP);
    char text[XIPC_HANDLE_TEXT_MAX];
    CHECK_RC(xipc_handle_export(xipc_filemap_handle(map), text, sizeof text), XIPC_ENOTSUP);
    xipc_filemap_close(map);
    CHECK(xipc_filemap_ptr(map) == NULL && xipc_filemap_size(map) == 0);
    CHECK_RC(xipc_filemap_flush(map, 0, 0), XIPC_EBADF);
    CHECK_RC(xipc_filemap_flush(NULL, 0, 0), XIPC_EINVAL);
    CHECK_OK(xipc_event_open(NULL, 0, &ev));
    CHECK_RC(xipc_filemap_flush((xipc_filemap *)(void *)ev, 0, 0), XIPC_EINVAL);
    xipc_event_close(ev);
    /* Sizes no file can have: an error, never a crash. */
    rc = xipc_filemap_open(path, XIPC_OPEN | rw | XIPC_FILEMAP_GROW, 0, (size_t)1 << 62, &map);
    if (rc != XIPC_ENOMEM && rc != XIPC_ENOSPC)
        xt_fail(__FILE__, __LINE__, "a 2^62-byte mapping gave %s", xipc_errname(rc));
    CHECK(map == NULL);
    /* Past 4 GiB: grow a sparse file and touch the last page only. */
    const uint64_t far = ((uint64_t)5 << 30) + 12345;
    rc = xipc_filemap_open(path, XIPC_OPEN | rw | XIPC_FILEMAP_GROW, far, 4096, &map);
    if (rc == XIPC_ENOSPC) {
        CHECK_EQ(remove(path), 0);
        XT_SKIP("the temporary directory cannot hold a 5 GiB (sparse) file");
    }
    CHECK_OK(rc);
    ((unsigned char *)xipc_filemap_ptr(map))[4095] = 0x5a;
    CHECK_OK(xipc_filemap_flush(map, 4095, 1));
    xipc_filemap_close(map);
    CHECK_OK(xipc_filemap_open(path, XIPC_OPEN, far + 4095, 1, &map));
    CHECK_EQ(*(unsigned char *)xipc_filemap_ptr(map), 0x5a);
    xipc_filemap_close(map);
    CHECK_EQ(remove(path), 0);
}

void
xt_test_filemap_no_handle_leak(void)
{
    char path[512];
    xipc_filemap *map = NULL;
    xt_os_temp_path("filemap.leak", path, sizeof path);
    write_pattern_file(path, 100000);
    xt_warm_up();
    int before = xt_os_handle_count();
    for (int i = 0; i < 50; i++) {
        CHECK_OK(xipc_filemap_open(
            path, XIPC_OPEN | (i % 2 ? XIPC_FILEMAP_WRITE : 0), (uint64_t)i * 999, 5000, &map));
        if (i % 2)
            CHECK_OK(xipc_filemap_flush(map, 0, 0));
        xipc_filemap_close(map);
        CHECK_RC(xipc_filemap_open(path, XIPC_OPEN, 99999, 2, &map), XIPC_EINVAL);
        CHECK_RC(
            xipc_filemap_open(path, XIPC_CREATE | XIPC_FILEMAP_WRITE, 0, 1, &map), XIPC_EEXIST);
    }
    CHECK_EQ(xt_os_handle_count(), before);
    CHECK_EQ(remove(path), 0);
}
