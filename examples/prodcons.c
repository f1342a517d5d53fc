/* examples/prodcons.c: producers and a consumer around a bounded buffer, with two semaphores and
 * a mutex.
 *
 * The buffer is a file of SLOTS fixed-size records behind a small header (where the next record
 * goes, and where the next one is taken). Three named objects, made by the consumer and opened by
 * name by the producers, keep it right:
 *   "slots"  a semaphore counting free records: a producer waits on it before it writes;
 *   "items"  a semaphore counting full records: the consumer waits on it before it reads;
 *   "lock"   a mutex held while the header and a record change, as two producers write at once.
 * The consumer (this program) starts PRODUCERS copies of itself as producers, takes every item,
 * checks that each producer's items came whole and in order, and exits 0 when they did.
 *
 * With shared memory the buffer would sit in memory; the objects and the waits are the same.
 *
 *   prodcons                        run the whole thing
 *   prodcons producer PREFIX FILE I (started by the consumer) be producer number I
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRODUCERS 2
#define ITEMS 50 /* per producer */
#define SLOTS 4
#define RECORD 32
#define TIMEOUT_MS 10000

struct header {
    unsigned put; /* items written so far; the next goes in slot put % SLOTS */
    unsigned taken; /* items taken so far */
};

struct objects {
    xipc_sem *slots, *items;
    xipc_mutex *lock;
    FILE *buffer;
};

static void
check(int rc, const char *what)
{
    char why[256];
    if (rc == 0)
        return;
    xipc_last_os_error_describe(why, sizeof why);
    fprintf(stderr, "prodcons: %s: %s %s\n", what, xipc_errname(rc), why);
    exit(1);
}

static void
object_name(char *out, size_t cap, const char *prefix, const char *what)
{
    snprintf(out, cap, "%s-%s", prefix, what);
}

static void
open_objects(struct objects *o, const char *prefix, const char *path, unsigned flags)
{
    char name[XIPC_NAME_MAX + 1];
    object_name(name, sizeof name, prefix, "slots");
    check(xipc_sem_open(name, flags, SLOTS, &o->slots), "semaphore slots");
    object_name(name, sizeof name, prefix, "items");
    check(xipc_sem_open(name, flags, 0, &o->items), "semaphore items");
    object_name(name, sizeof name, prefix, "lock");
    check(xipc_mutex_open(name, flags, &o->lock), "mutex");
    o->buffer = fopen(path, flags & XIPC_CREATE ? "w+b" : "r+b");
    if (o->buffer == NULL) {
        fprintf(stderr, "prodcons: cannot open %s\n", path);
        exit(1);
    }
    setvbuf(o->buffer, NULL, _IONBF, 0); /* every read and write reaches the file at once */
}

static void
close_objects(struct objects *o)
{
    fclose(o->buffer);
    xipc_mutex_close(o->lock);
    xipc_sem_close(o->items);
    xipc_sem_close(o->slots);
}

static void
lock(struct objects *o)
{
    int rc = xipc_mutex_lock(o->lock, TIMEOUT_MS);
    if (rc == XIPC_EOWNERDEAD) {
        /* A producer died holding the lock. It changes the header last, after its record, so
         * the buffer is whole: say so and go on. */
        fprintf(stderr, "prodcons: a producer died holding the lock\n");
        rc = xipc_mutex_consistent(o->lock);
    }
    check(rc, "lock");
}

static void
access_file(struct objects *o, long at, void *buf, size_t len, int write)
{
    size_t done;
    fseek(o->buffer, at, SEEK_SET);
    done = write ? fwrite(buf, 1, len, o->buffer) : fread(buf, 1, len, o->buffer);
    if (done != len) {
        fprintf(stderr, "prodcons: buffer file: short %s\n", write ? "write" : "read");
        exit(1);
    }
}

static long
slot_offset(unsigned n)
{
    return (long)(sizeof(struct header) + (n % SLOTS) * RECORD);
}

static int
producer_main(const char *prefix, const char *path, int id)
{
    struct objects o;
    open_objects(&o, prefix, path, XIPC_OPEN);
    for (int i = 0; i < ITEMS; i++) {
        struct header h;
        char record[RECORD] = { 0 };
        snprintf(record, sizeof record, "%d %d", id, i);
        check(xipc_sem_wait(o.slots, TIMEOUT_MS), "wait for a free slot");
        lock(&o);
        access_file(&o, 0, &h, sizeof h, 0);
        access_file(&o, slot_offset(h.put), record, RECORD, 1);
        h.put++;
        access_file(&o, 0, &h, sizeof h, 1);
        check(xipc_mutex_unlock(o.lock), "unlock");
        check(xipc_sem_post(o.items), "post an item");
    }
    close_objects(&o);
    return 0;
}

/* Takes one item; returns the producer's id and puts the item's number in *item. */
static int
take(struct objects *o, int *item)
{
    struct header h;
    char record[RECORD];
    int id = -1;
    check(xipc_sem_wait(o->items, TIMEOUT_MS), "wait for an item");
    lock(o);
    access_file(o, 0, &h, sizeof h, 0);
    access_file(o, slot_offset(h.taken), record, RECORD, 0);
    h.taken++;
    access_file(o, 0, &h, sizeof h, 1);
    check(xipc_mutex_unlock(o->lock), "unlock");
    check(xipc_sem_post(o->slots), "post a free slot");
    record[RECORD - 1] = '\0';
    if (sscanf(record, "%d %d", &id, item) != 2 || id < 0 || id >= PRODUCERS)
        id = -1;
    return id;
}

int
main(int argc, char **argv)
{
    struct objects o;
    struct header empty = { 0, 0 };
    xipc_proc *producers[PRODUCERS];
    int next[PRODUCERS] = { 0 };
    char self[4096], prefix[48], path[64], number[16];
    int failures = 0;

    if (argc == 5 && strcmp(argv[1], "producer") == 0)
        return producer_main(argv[2], argv[3], atoi(argv[4]));
    check(xipc_self_exe(self, sizeof self), "own path");
    snprintf(prefix, sizeof prefix, "xipc-prodcons-%llu", (unsigned long long)xipc_self_pid());
    snprintf(path, sizeof path, "%s.buffer", prefix);
    open_objects(&o, prefix, path, XIPC_CREATE);
    access_file(&o, 0, &empty, sizeof empty, 1);

    for (int i = 0; i < PRODUCERS; i++) {
        snprintf(number, sizeof number, "%d", i);
        const char *pargv[] = { self, "producer", prefix, path, number, NULL };
        xipc_spawn_opts opts = { .file = self, .argv = pargv, .flags = XIPC_SPAWN_DIE_WITH_PARENT };
        check(xipc_spawn(&opts, &producers[i]), "spawn");
    }
    for (int n = 0; n < PRODUCERS * ITEMS; n++) {
        int item, id = take(&o, &item);
        if (id < 0 || item != next[id]++) {
            fprintf(stderr, "prodcons: item %d of producer %d out of order\n", item, id);
            failures++;
        }
    }
    for (int i = 0; i < PRODUCERS; i++) {
        xipc_exit_status status;
        check(xipc_proc_wait(producers[i], &status, TIMEOUT_MS), "wait");
        if (status.kind != XIPC_EXIT_NORMAL || status.code != 0)
            failures++;
        xipc_proc_close(producers[i]);
    }
    close_objects(&o); /* the creator's close removes the names */
    remove(path);
    printf("prodcons: %d producers, %d items through %d slots, %d failures\n", PRODUCERS,
        PRODUCERS * ITEMS, SLOTS, failures);
    return failures == 0 ? 0 : 1;
}
