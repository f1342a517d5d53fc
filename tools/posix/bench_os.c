/* tools/posix/bench_os.c: tools/bench_os.h on POSIX (Linux for the CPU calls). */
#include "bench_os.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
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

const char *
bench_os_raw_name(void)
{
    return "blocking read(2)/write(2) on the same pipe";
}

const char *
bench_os_platform(void)
{
    return "Linux";
}
