/* tools/posix/bench_os.c: tools/bench_os.h on POSIX (Linux for the CPU calls and the futex). */
#include "bench_os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
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
    int limit_ms; /* -1: none */
    int tries; /* O_NONBLOCK: each call tries, and polls with the limit when it would wait */
};

/* A socket's calls end at the limit by SO_RCVTIMEO / SO_SNDTIMEO, set once. */
static int
set_socket_limit(int fd, int limit_ms)
{
    struct timeval tv = { limit_ms / 1000, (limit_ms % 1000) * 1000 };
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0
        ? 0
        : -1;
}

struct bench_raw *
bench_raw_open_limited(intptr_t native, int limit_ms)
{
    struct bench_raw *r = malloc(sizeof *r);
    struct stat st;
    int fd = (int)native, fl = fcntl(fd, F_GETFL);
    if (r == NULL || fl < 0 || fstat(fd, &st) != 0)
        goto out_free;
    r->fd = fd;
    r->limit_ms = limit_ms;
    r->tries = limit_ms >= 0 && !S_ISSOCK(st.st_mode);
    if (limit_ms >= 0 && S_ISSOCK(st.st_mode) && set_socket_limit(fd, limit_ms) != 0)
        goto out_free;
    if (fcntl(fd, F_SETFL, r->tries ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
        goto out_free;
    return r;

out_free:
    free(r);
    return NULL;
}

struct bench_raw *
bench_raw_open(intptr_t native)
{
    return bench_raw_open_limited(native, -1);
}

void
bench_raw_close(struct bench_raw *r)
{
    free(r); /* the descriptor belongs to its xipc stream */
}

/* After a failed call: 1 to try again (EINTR, or ready after a poll within the limit), 0 to
 * fail. */
static int
again(struct bench_raw *r, short events)
{
    if (errno == EINTR)
        return 1;
    if (!r->tries || (errno != EAGAIN && errno != EWOULDBLOCK))
        return 0;
    struct pollfd pfd = { .fd = r->fd, .events = events };
    int n;
    while ((n = poll(&pfd, 1, r->limit_ms)) < 0 && errno == EINTR) { }
    return n > 0;
}

long
bench_raw_read(struct bench_raw *r, void *buf, size_t cap)
{
    ssize_t n;
    while ((n = read(r->fd, buf, cap)) < 0 && again(r, POLLIN)) { }
    return (long)n;
}

int
bench_raw_write(struct bench_raw *r, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(r->fd, p, len);
        if (n < 0 && again(r, POLLOUT))
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

const char bench_os_raw_limits[] =
    "pipes and FIFOs O_NONBLOCK, each call tried, then poll(2) with the limit; sockets "
    "SO_RCVTIMEO/SO_SNDTIMEO";
const char bench_os_raw_pipe[] = "blocking read(2)/write(2) on the same pipe";
const char bench_os_raw_npipe[] = "blocking read(2)/write(2) on the same AF_UNIX stream socket";
const char bench_os_raw_tcp[] = "blocking read(2)/write(2) on the same TCP socket (TCP_NODELAY)";
const char bench_os_raw_duplex[] = "blocking read(2)/write(2) on the same socketpair";
const char bench_os_raw_pass[] = "sendmsg/recvmsg with SCM_RIGHTS on the same AF_UNIX connection";
const char bench_os_raw_udp[] = "blocking read(2)/write(2) on the same connected UDP socket";
const char bench_os_raw_unix[] =
    "blocking read(2)/write(2) on the same AF_UNIX stream socket at a path";
const char bench_os_raw_unixdgram[] =
    "blocking read(2)/write(2) on the same connected AF_UNIX datagram socket";
const char bench_os_raw_msgpipe[] =
    "blocking read(2)/write(2) on the same AF_UNIX seqpacket socket";
const char bench_os_raw_fifo[] = "blocking read(2)/write(2) on the same two FIFOs";
const char bench_os_raw_event[] =
    "futex wait/wake on a word in shm_open memory, after a spin of up to 50 us on it";
const char bench_os_raw_sem[] =
    "sem_open + sem_post/sem_wait, after a spin of up to 50 us of sem_trywait";
const char bench_os_raw_waitset[] = "epoll_wait on an epoll set, then read(2)";
const char bench_os_raw_flock[] = "fcntl F_OFD_SETLKW / F_OFD_SETLK(F_UNLCK) on its own open(2)";

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

/* The raw waits spin before they sleep, as xipc's do (posix/posix_spin.c: up to 50 us, its
 * longest budget), so that the signal rows compare xipc with a raw program of the same
 * strategy: against a raw side that sleeps at once, a prompt peer's round trip is ~100x faster
 * through xipc, which measures the spin, not xipc. Takes the object if it came within SPIN_NS. */
#define SPIN_NS 50000u

void
bench_os_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ volatile("pause");
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static int
raw_try(struct bench_raw_sig *s, int which)
{
    if (!s->is_event)
        return sem_trywait(s->sems[which]) == 0;
    return atomic_load_explicit(&s->words[which], memory_order_relaxed) != 0 &&
        atomic_exchange(&s->words[which], 0u) != 0;
}

static int
raw_spin(struct bench_raw_sig *s, int which)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 1;; i++) {
        if (raw_try(s, which))
            return 1;
        bench_os_cpu_relax();
        if (i % 64 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            uint64_t ns = (uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t.tv_nsec -
                (uint64_t)t0.tv_nsec;
            if (ns >= SPIN_NS)
                return 0;
        }
    }
}

int
bench_raw_sig_wait(struct bench_raw_sig *s, int which)
{
    return raw_spin(s, which) ? 0 : bench_raw_sig_sleep(s, which);
}

int
bench_raw_sig_sleep(struct bench_raw_sig *s, int which)
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

/* ---- Raw shared memory: shm_open + ftruncate + mmap ---------------------------------------- */

const char bench_os_raw_shm[] = "shm_open + ftruncate + mmap, munmap + close + shm_unlink";

int
bench_raw_shm_cycle(const char *name, size_t size)
{
    char path[80];
    snprintf(path, sizeof path, "/%s", name);
    int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    void *p = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) == 0)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
        volatile unsigned char *b = p;
        for (size_t i = 0; i < size; i += 4096)
            b[i] = 1;
        munmap(p, size);
    }
    close(fd);
    shm_unlink(path);
    return p != MAP_FAILED ? 0 : -1;
}

/* ---- The waitset mechanism's raw side ------------------------------------------------------- */

struct bench_raw_waiter {
    int epfd, fd;
};

struct bench_raw_waiter *
bench_raw_waiter_open(intptr_t native, const intptr_t *idle, size_t n_idle)
{
    struct bench_raw_waiter *w = malloc(sizeof *w);
    if (w == NULL)
        return NULL;
    w->fd = (int)native;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    int ok = w->epfd >= 0;
    for (size_t i = 0; ok && i <= n_idle; i++) {
        struct epoll_event ee = { .events = EPOLLIN };
        ee.data.fd = i < n_idle ? (int)idle[i] : w->fd;
        ok = epoll_ctl(w->epfd, EPOLL_CTL_ADD, ee.data.fd, &ee) == 0;
    }
    if (!ok) {
        bench_raw_waiter_close(w);
        return NULL;
    }
    return w;
}

long
bench_raw_waiter_read(struct bench_raw_waiter *w, void *buf, size_t cap)
{
    struct epoll_event ee;
    int n;
    do
        n = epoll_wait(w->epfd, &ee, 1, -1);
    while (n < 0 && errno == EINTR);
    if (n != 1 || ee.data.fd != w->fd)
        return -1;
    ssize_t got = read(w->fd, buf, cap);
    return got < 0 ? -1 : (long)got;
}

void
bench_raw_waiter_close(struct bench_raw_waiter *w)
{
    if (w->epfd >= 0)
        (void)close(w->epfd);
    free(w);
}

int
bench_os_raise_fd_limit(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -1;
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want ? 0 : -1;
}

/* ---- Raw handle passing: SCM_RIGHTS ---------------------------------------------------------- */

int
bench_raw_pass_send(struct bench_raw *conn, intptr_t native, uint64_t peer_pid)
{
    char byte = 'h';
    int fd = (int)native;
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr m;
    (void)peer_pid; /* the kernel finds the peer */
    memset(&m, 0, sizeof m);
    memset(&control, 0, sizeof control);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(conn->fd, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

intptr_t
bench_raw_pass_recv(struct bench_raw *conn)
{
    char byte = 0;
    int fd = -1;
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    if (recvmsg(conn->fd, &m, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS)
        return -1;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

void
bench_raw_pass_close(intptr_t native)
{
    (void)close((int)native);
}

/* ---- Raw file locks ------------------------------------------------------------------------- */

struct bench_raw_file {
    int fd;
};

struct bench_raw_file *
bench_raw_file_open(const char *path)
{
    struct bench_raw_file *f = malloc(sizeof *f);
    if (f != NULL && (f->fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
        free(f);
        f = NULL;
    }
    return f;
}

static int
raw_file_set(struct bench_raw_file *f, int cmd, short type)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    int rc;
    do
        rc = fcntl(f->fd, cmd, &fl);
    while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : -1;
}

int
bench_raw_file_lock(struct bench_raw_file *f)
{
    return raw_file_set(f, F_OFD_SETLKW, F_WRLCK);
}

int
bench_raw_file_unlock(struct bench_raw_file *f)
{
    return raw_file_set(f, F_OFD_SETLK, F_UNLCK);
}

void
bench_raw_file_close(struct bench_raw_file *f)
{
    if (f != NULL)
        close(f->fd);
    free(f);
}

/* ---- The mq mechanisms' raw sides ----------------------------------------------------------- */

const char bench_os_raw_mq[] = "a single-producer single-consumer ring in shared memory (fixed "
                               "slots), spin up to 20 us, then futex wait/wake";
const char bench_os_raw_mqos[] =
    "mq_open + blocking mq_send/mq_receive (at most fs.mqueue.msg_max messages, 10 by default)";

struct bench_raw_queue {
    mqd_t q;
    char name[96];
    int creator;
};

/* The most messages a queue may hold for a user without CAP_SYS_RESOURCE; 10 if unreadable. */
static long
mqueue_msg_max(void)
{
    long v = 10;
    FILE *f = fopen("/proc/sys/fs/mqueue/msg_max", "re");
    if (f != NULL) {
        if (fscanf(f, "%ld", &v) != 1 || v < 1)
            v = 10;
        fclose(f);
    }
    return v;
}

struct bench_raw_queue *
bench_raw_queue_create(const char *tag, int producers, size_t capacity, size_t msg_size)
{
    (void)producers; /* one queue takes any number of senders */
    struct bench_raw_queue *q = calloc(1, sizeof *q);
    long max = mqueue_msg_max();
    struct mq_attr attr = { 0 };
    if (q == NULL)
        return NULL;
    /* Within the limits every user has, as root too: a program cannot count on more. */
    attr.mq_maxmsg = (long)capacity < max ? (long)capacity : max;
    attr.mq_msgsize = (long)msg_size;
    snprintf(q->name, sizeof q->name, "/%s", tag);
    q->creator = 1;
    q->q = mq_open(q->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
    if (q->q == (mqd_t)-1) {
        free(q);
        return NULL;
    }
    return q;
}

struct bench_raw_queue *
bench_raw_queue_open(const char *tag)
{
    struct bench_raw_queue *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    snprintf(q->name, sizeof q->name, "/%s", tag);
    q->q = mq_open(q->name, O_WRONLY | O_CLOEXEC);
    if (q->q == (mqd_t)-1) {
        free(q);
        return NULL;
    }
    return q;
}

int
bench_raw_queue_send(struct bench_raw_queue *q, const void *buf, size_t len)
{
    while (mq_send(q->q, buf, len, 0) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

long
bench_raw_queue_recv(struct bench_raw_queue *q, void *buf, size_t cap)
{
    ssize_t n;
    do
        n = mq_receive(q->q, buf, cap, NULL);
    while (n < 0 && errno == EINTR);
    return (long)n;
}

void
bench_raw_queue_close(struct bench_raw_queue *q)
{
    if (q == NULL)
        return;
    if (q->creator)
        mq_unlink(q->name);
    mq_close(q->q);
    free(q);
}
