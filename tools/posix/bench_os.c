/* tools/posix/bench_os.c: tools/bench_os.h on POSIX (Linux for the CPU calls and the futex). */
#include "bench_os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int
bench_os_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -1;
}

int
bench_os_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    return CPU_COUNT(&set);
}

uint64_t
bench_os_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bench_os_sleep_us(int us)
{
    struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
}

int
bench_os_stderr_is_tty(void)
{
    return isatty(2);
}

struct bench_raw {
    int fd;
};

struct bench_raw *
bench_raw_open(intptr_t native)
{
    struct bench_raw *r = malloc(sizeof *r);
    int fl = fcntl((int)native, F_GETFL);
    if (r == NULL || fl < 0 || fcntl((int)native, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        free(r);
        return NULL;
    }
    r->fd = (int)native;
    return r;
}

void
bench_raw_close(struct bench_raw *r)
{
    free(r); /* the descriptor belongs to its xipc stream */
}

long
bench_raw_read(struct bench_raw *r, void *buf, size_t cap)
{
    ssize_t n;
    do
        n = read(r->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    return (long)n;
}

int
bench_raw_write(struct bench_raw *r, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(r->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
bench_os_has_fifo(void)
{
    return 1;
}

int
bench_os_has_sigpipe(void)
{
    return 1;
}

const char *
bench_os_temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir != NULL && dir[0] == '/' ? dir : "/tmp";
}

const char bench_os_raw_pipe[] = "blocking read(2)/write(2) on the same pipe";
const char bench_os_raw_npipe[] = "blocking read(2)/write(2) on the same AF_UNIX stream socket";
const char bench_os_raw_tcp[] = "blocking read(2)/write(2) on the same TCP socket (TCP_NODELAY)";
const char bench_os_raw_duplex[] = "blocking read(2)/write(2) on the same socketpair";
const char bench_os_raw_msgpipe[] =
    "blocking read(2)/write(2) on the same AF_UNIX seqpacket socket";
const char bench_os_raw_fifo[] = "blocking read(2)/write(2) on the same two FIFOs";
const char bench_os_raw_event[] = "futex wait/wake on a word in shm_open memory";
const char bench_os_raw_sem[] = "sem_open + sem_post/sem_wait";

/* ---- Raw signalling: a futex word pair, or two named semaphores ---------------------------- */

struct bench_raw_sig {
    int is_event, creator;
    char names[2][96];
    _Atomic uint32_t *words; /* events: two futex words in one shared page */
    sem_t *sems[2];
};

static struct bench_raw_sig *
raw_event_open(struct bench_raw_sig *s, const char *tag)
{
    snprintf(s->names[0], sizeof s->names[0], "/%s", tag);
    int fd = shm_open(s->names[0], O_RDWR | (s->creator ? O_CREAT | O_EXCL : 0), 0600);
    if (fd < 0 || (s->creator && ftruncate(fd, 4096) != 0)) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return NULL;
    s->words = map;
    return s;
}

static struct bench_raw_sig *
raw_sem_open(struct bench_raw_sig *s, const char *tag)
{
    for (int i = 0; i < 2; i++) {
        snprintf(s->names[i], sizeof s->names[i], "/%s.%d", tag, i);
        s->sems[i] = s->creator ? sem_open(s->names[i], O_CREAT | O_EXCL, 0600, 0)
                                : sem_open(s->names[i], 0);
        if (s->sems[i] == SEM_FAILED)
            return NULL;
    }
    return s;
}

struct bench_raw_sig *
bench_raw_sig_open(enum bench_raw_sig_kind kind, const char *tag, int create)
{
    struct bench_raw_sig *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->is_event = kind == BENCH_RAW_EVENT;
    s->creator = create;
    if ((s->is_event ? raw_event_open(s, tag) : raw_sem_open(s, tag)) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

int
bench_raw_sig_post(struct bench_raw_sig *s, int which)
{
    if (!s->is_event)
        return sem_post(s->sems[which]);
    atomic_store(&s->words[which], 1u);
    return syscall(SYS_futex, &s->words[which], FUTEX_WAKE, 1, NULL, NULL, 0) < 0 ? -1 : 0;
}

int
bench_raw_sig_wait(struct bench_raw_sig *s, int which)
{
    if (!s->is_event) {
        while (sem_wait(s->sems[which]) != 0) {
            if (errno != EINTR)
                return -1;
        }
        return 0;
    }
    while (atomic_exchange(&s->words[which], 0u) == 0)
        (void)syscall(SYS_futex, &s->words[which], FUTEX_WAIT, 0, NULL, NULL, 0);
    return 0;
}

void
bench_raw_sig_close(struct bench_raw_sig *s)
{
    if (s->is_event) {
        munmap((void *)(uintptr_t)s->words, 4096);
        if (s->creator)
            shm_unlink(s->names[0]);
    } else {
        for (int i = 0; i < 2; i++) {
            sem_close(s->sems[i]);
            if (s->creator)
                sem_unlink(s->names[i]);
        }
    }
    free(s);
}

const char *
bench_os_platform(void)
{
    return "Linux";
}
