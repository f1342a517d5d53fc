/* tests/fuzz/fuzz_mq.c: a libFuzzer target for message queues (xipc/mq.h, common/mq_core.c).
 *
 * It opens a queue and runs the input as a program of calls, each with timeout 0, between which
 * it overwrites bytes of the queue's shared memory, as another process might. Most sends have
 * key 0, the key a new queue's lock-free ring takes, so that the program moves the queue between
 * the ring and the lists; one kind of scribble aims at the words the ring lives on (the mode, the
 * ring's ends, the slots' words), another at the slot records, where a message's first bytes
 * lie right after its slot's fields. The library must
 * neither crash, nor overrun (AddressSanitizer), nor hang, and every call must return one of the
 * codes its comment lists. Built by `cmake -DXIPC_FUZZ=ON` with clang (ci/test.sh runs it for a
 * few seconds); run it longer with
 * `build/fuzz/tests/fuzz/xipc-fuzz-mq -max_total_time=600 -timeout=30 CORPUS_DIR`. */
#include "mq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPACITY  4
#define MSG_MAX   3000 /* above XIPC__MQ_COPY_IN_LOCK_MAX: both copy paths */
#define CALLS_MAX 48

struct input {
    const uint8_t *p;
    size_t left;
};

static uint32_t
take(struct input *in, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes && in->left > 0; i++, in->left--)
        v = v << 8 | *in->p++;
    return v;
}

static void
expect(int rc, int a, int b, int c, const char *call)
{
    if (rc == 0 || rc == a || rc == b || rc == c || rc == XIPC_ECORRUPT || rc == XIPC_ENOMEM)
        return;
    fprintf(stderr, "%s returned %s, which it does not list\n", call, xipc_errname(rc));
    abort();
}

static void
call_send(xipc_mq *mq, struct input *in)
{
    static unsigned char msg[MSG_MAX + 100];
    size_t len = take(in, 2) % sizeof msg;
    uint32_t k = take(in, 1);
    unsigned key = k < 160 ? 0 : k - 159;
    memset(msg, (int)key, len);
    expect(xipc_mq_send(mq, msg, len, key, 0), XIPC_ETIMEDOUT, XIPC_EMSGSIZE, 0, "send");
}

static void
call_recv(xipc_mq *mq, struct input *in, bool typed)
{
    static unsigned char buf[MSG_MAX + 100];
    size_t cap = take(in, 2) % sizeof buf, len = SIZE_MAX;
    unsigned key = 0;
    int64_t selector = (int32_t)take(in, 4);
    unsigned flags = take(in, 1) & XIPC_MQ_TRUNCATE;
    int rc = typed ? xipc_mq_recv_typed(mq, selector, flags, buf, cap, &len, &key, 0)
                   : xipc_mq_recv(mq, buf, cap, &len, &key, 0);
    expect(rc, XIPC_ETIMEDOUT, XIPC_EMSGSIZE, 0, typed ? "recv_typed" : "recv");
    if ((rc == 0 && len > cap) || (rc == XIPC_EMSGSIZE && (len <= cap || len > MSG_MAX)))
        abort();
}

static void
call_stat(xipc_mq *mq)
{
    xipc_mq_info info;
    int rc = xipc_mq_stat(mq, &info);
    expect(rc, 0, 0, 0, "stat");
    if (rc == 0 && (info.count > CAPACITY || info.capacity != CAPACITY || info.msg_max != MSG_MAX))
        abort();
}

/* Another opener must refuse what it cannot trust. A header without its magic is one a creator
 * is still making: an opener would wait for it, so it is left alone here. */
static void
call_reopen(xipc_mq *mq, const char *name)
{
    xipc_mq *other = NULL;
    if (atomic_load(&mq->hdr->magic) == 0)
        return;
    int rc = xipc_mq_open(name, XIPC_OPEN, NULL, &other);
    expect(rc, XIPC_EBUSY, XIPC_EINVAL, 0, "open");
    xipc_mq_close(other);
}

/* Where a structured scribble lands in a slot record: from RECORD_BEFORE bytes before it (the
 * end of the previous record's payload, or of the header) through its line of fields and the
 * first line of its payload, where a small message lies beside its word (common/mq.h). */
#define RECORD_BEFORE 32u
#define RECORD_WINDOW (RECORD_BEFORE + sizeof(struct xipc__mq_slot) + 64u)

/* An offset of the structure: in the header, or around the start of a slot record. */
static size_t
structure_offset(const xipc_mq *mq, uint32_t r)
{
    size_t header = sizeof(struct xipc__mq_header);
    if (r % 2 == 0)
        return (r / 2) % header;
    r /= 2;
    size_t record_start = header + (r % CAPACITY) * mq->record;
    return record_start - RECORD_BEFORE + (r / CAPACITY) % RECORD_WINDOW;
}

/* Overwrites 1 to 4 bytes: anywhere, or mostly where the structure is (structure_offset). */
static void
scribble(xipc_mq *mq, struct input *in, bool anywhere)
{
    unsigned char *mem = mq->shm.ptr;
    size_t at = anywhere ? take(in, 3) % mq->shm.size : structure_offset(mq, take(in, 3));
    uint32_t value = take(in, 4);
    size_t n = 1 + (value & 3);
    if (at + n > mq->shm.size)
        n = mq->shm.size - at;
    memcpy(mem + at, &value, n);
}

/* Overwrites 1 to 8 bytes of a word the ring lives on: the mode (offset 48), the ring's head
 * (256) and tail (320), or a slot's word (the first 8 bytes of each slot record, whose payload
 * follows its line of fields). */
static void
scribble_ring(xipc_mq *mq, struct input *in)
{
    unsigned char *mem = mq->shm.ptr;
    uint32_t which = take(in, 1) % (3 + CAPACITY);
    size_t at = which == 0 ? offsetof(struct xipc__mq_header, mode)
        : which == 1       ? offsetof(struct xipc__mq_header, ring_head)
        : which == 2       ? offsetof(struct xipc__mq_header, ring_tail)
                           : sizeof(struct xipc__mq_header) + (which - 3) * mq->record;
    size_t shift = take(in, 1) % 8;
    uint64_t value = (uint64_t)take(in, 4) << 32 | take(in, 4);
    size_t n = 1 + (value & 7);
    if (shift + n > 8)
        n = 8 - shift;
    memcpy(mem + at + shift, &value, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[XIPC_NAME_MAX + 1];
    xipc_mq *mq = NULL;
    xipc_mq_attr attr = { CAPACITY, MSG_MAX };
    struct input in = { data, size };
    snprintf(name, sizeof name, "fuzz.mq.%llu", (unsigned long long)xipc_self_pid());
    (void)xipc_mq_unlink(name, 0);
    if (xipc_mq_open(name, XIPC_CREATE, &attr, &mq) != 0)
        abort();
    /* A call may wait up to 20 ms for a lock that the scribbles made a live process's (its pid
     * written into the user table): a bounded number of calls keeps an input well inside
     * libFuzzer's timeout. */
    for (int calls = 0; in.left > 0 && calls < CALLS_MAX; calls++) {
        switch (take(&in, 1) % 9) {
        case 0:
            call_send(mq, &in);
            break;
        case 1:
            call_recv(mq, &in, false);
            break;
        case 2:
            call_recv(mq, &in, true);
            break;
        case 3:
            call_stat(mq);
            break;
        case 4:
            call_reopen(mq, name);
            break;
        case 5:
            scribble(mq, &in, true);
            break;
        case 6:
            scribble_ring(mq, &in);
            break;
        default:
            scribble(mq, &in, false);
            break;
        }
    }
    xipc_mq_close(mq);
    return 0;
}
