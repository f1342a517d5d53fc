/* tests/posix/xt_os.c: tests/xt_os.h on POSIX. */
#include "xt_os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void
xt_os_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* SIGPIPE stays at its default on purpose: a test must die if xipc ever raises it. */
}

const char *
xt_os_self_exe(void)
{
    static char path[PATH_MAX];
    if (path[0] == '\0') {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n <= 0) {
            perror("readlink /proc/self/exe");
            exit(2);
        }
        path[n] = '\0';
    }
    return path;
}

bool
xt_os_is_wine(void)
{
    return false;
}

/* The entries of a /proc directory, less "." and "..": -1 if it cannot be read. */
static int
proc_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 2;
}

int
xt_os_handle_count(void)
{
    int n = proc_entries("/proc/self/fd");
    return n < 0 ? -1 : n - 1; /* and the directory's own descriptor */
}

int
xt_os_thread_count(void)
{
    return proc_entries("/proc/self/task");
}

uint64_t
xt_os_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
xt_os_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) { }
}

void
xt_os_crash(void)
{
    /* The sanitizers catch SIGSEGV and exit normally; restore the default action first. */
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    abort();
}

int
xt_os_getcwd(char *buf, size_t cap)
{
    return getcwd(buf, cap) ? 0 : -1;
}

char *
xt_os_getenv(const char *name)
{
    const char *v = getenv(name);
    return v ? strdup(v) : NULL;
}

void
xt_os_setenv(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

bool
xt_os_paths_fold_case(void)
{
    return false;
}

void
xt_os_temp_path(const char *tag, char *buf, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/xt.%ld.%s", dir && dir[0] ? dir : "/tmp", (long)getpid(), tag);
}

bool
xt_os_names_outlive_processes(void)
{
    return true;
}

/* Where the object behind a sync name lives: glibc keeps semaphore "/NAME" at /dev/shm/sem.NAME,
 * xipc keeps events and mutexes at shm_open("/xipc:NAME") and message queues (kind "mq") at
 * shm_open("/xipc-mq:NAME"). */
static void
sync_object_path(const char *kind, const char *name, char *buf, size_t cap)
{
    const char *prefix = strcmp(kind, "sem") == 0 ? "sem."
        : strcmp(kind, "mq") == 0                 ? "xipc-mq:"
                                                  : "xipc:";
    snprintf(buf, cap, "/dev/shm/%s%s", prefix, name);
}

int
xt_os_sync_object_mode(const char *kind, const char *name)
{
    char path[256];
    struct stat st;
    sync_object_path(kind, name, path, sizeof path);
    return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

int
xt_os_give_sync_object_away(const char *kind, const char *name)
{
    char path[256];
    if (geteuid() != 0)
        return -1;
    sync_object_path(kind, name, path, sizeof path);
    return chown(path, 65534, 65534);
}

int
xt_os_raw_sem_post(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/%s", name);
    sem_t *sem = sem_open(path, 0);
    if (sem == SEM_FAILED)
        return -1;
    int rc = sem_post(sem);
    sem_close(sem);
    return rc;
}

bool
xt_os_has_runtime_dir(void)
{
    return true;
}

struct xt_os_thread {
    pthread_t id;
    void (*fn)(void *);
    void *arg;
};

static void *
thread_main(void *p)
{
    xt_os_thread *t = p;
    t->fn(t->arg);
    return NULL;
}

xt_os_thread *
xt_os_thread_start(void (*fn)(void *), void *arg)
{
    xt_os_thread *t = malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    if (pthread_create(&t->id, NULL, thread_main, t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void
xt_os_thread_join(xt_os_thread *t)
{
    (void)pthread_join(t->id, NULL);
    free(t);
}

bool
xt_os_fifo_is_emulated(void)
{
    return false;
}

bool
xt_os_pipes_report_room(void)
{
    return true;
}

int
xt_os_sigpipe_action(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) != 0)
        return -1;
    if (sa.sa_handler == SIG_DFL)
        return XT_SIGPIPE_DEFAULT;
    return sa.sa_handler == SIG_IGN ? XT_SIGPIPE_IGNORED : XT_SIGPIPE_HANDLED;
}

bool
xt_os_has_posix_shell(void)
{
    return access("/bin/sh", X_OK) == 0;
}

int
xt_os_mkdir(const char *path, int mode)
{
    return mkdir(path, (mode_t)mode) == 0 && chmod(path, (mode_t)mode) == 0 ? 0 : -1;
}

int
xt_os_chmod(const char *path, int mode)
{
    return chmod(path, (mode_t)mode);
}

int
xt_os_chown_path(const char *path)
{
    return geteuid() == 0 ? chown(path, 65534, 65534) : -1;
}

int
xt_os_path_mode(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

void
xt_os_remove_tree(const char *path)
{
    if (unlink(path) == 0)
        return; /* a file (unlink refuses a directory) */
    DIR *d = opendir(path);
    struct dirent *e;
    char child[1024];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        if (unlink(child) != 0)
            xt_os_remove_tree(child);
    }
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

int
xt_os_fork_run(int (*fn)(void *), void *arg)
{
    int st;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn(arg) & 0xff);
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- FIFOs ------------------------------------------------------------------------------- */

int
xt_os_fifo_give_away(const char *path)
{
    return xt_os_chown_path(path) == 0 && chmod(path, 0666) == 0 ? 0 : -1;
}

int
xt_os_symlink(const char *target, const char *link)
{
    return symlink(target, link);
}

bool
xt_os_paths_take_any_byte(void)
{
    return true;
}

/* ---- named pipes ------------------------------------------------------------------------- */

int
xt_os_npipe_socket_path(const char *name, char *buf, size_t cap)
{
    /* The runtime directory as posix/posix_npipe.c chooses it. */
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char dir[4096];
    struct stat st;
    if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 && st.st_uid == geteuid())
        snprintf(dir, sizeof dir, "%s/xipc", xdg);
    else
        snprintf(dir, sizeof dir, "/tmp/xipc-%lu", (unsigned long)geteuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

struct xt_os_raw_server {
    int fd; /* the bound socket */
    int type; /* SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM */
    int own[16]; /* its own clients, filling the backlog */
    int own_count;
    struct sockaddr_un sa;
};

static int
raw_bind_and_listen(xt_os_raw_server *srv)
{
    srv->fd = socket(AF_UNIX, srv->type | SOCK_CLOEXEC, 0);
    if (srv->fd < 0 || bind(srv->fd, (struct sockaddr *)&srv->sa, sizeof srv->sa) != 0) {
        perror("xt_os_raw_server: socket/bind");
        return -1;
    }
    /* Backlog 0: Linux then queues one connection, and the next connect finds it full. */
    if (srv->type != SOCK_DGRAM && listen(srv->fd, 0) != 0) {
        perror("xt_os_raw_server: listen");
        return -1;
    }
    return 0;
}

xt_os_raw_server *
xt_os_raw_server_open(const char *name, int kind)
{
    static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_STREAM, SOCK_DGRAM };
    xt_os_raw_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL || kind < XT_RAW_BYTE || kind > XT_RAW_DATAGRAM)
        goto out_free;
    srv->type = types[kind];
    srv->sa.sun_family = AF_UNIX;
    if (xt_os_npipe_socket_path(name, srv->sa.sun_path, sizeof srv->sa.sun_path) != 0)
        goto out_free;
    if (raw_bind_and_listen(srv) != 0) {
        if (srv->fd >= 0)
            close(srv->fd);
        goto out_free;
    }
    return srv;
out_free:
    fprintf(stderr, "xt_os_raw_server_open(%s, %d) failed\n", name, kind);
    free(srv);
    return NULL;
}

int
xt_os_raw_server_fill(xt_os_raw_server *srv)
{
    while (srv->own_count < 16) {
        int c = socket(AF_UNIX, srv->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c < 0)
            return -1;
        if (connect(c, (struct sockaddr *)&srv->sa, sizeof srv->sa) != 0) {
            int e = errno;
            close(c);
            return e == EAGAIN && srv->own_count > 0 ? 0 : -1;
        }
        srv->own[srv->own_count++] = c;
    }
    return -1; /* the backlog never filled */
}

/* Accepts and closes each of its own connections, which wait first in the queue. */
static int
raw_let_own_go(xt_os_raw_server *srv)
{
    for (int i = 0; i < srv->own_count; i++) {
        int c = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            return -1;
        close(c);
        close(srv->own[i]);
    }
    srv->own_count = 0;
    return 0;
}

int
xt_os_raw_server_echo_next(xt_os_raw_server *srv, int gap_ms)
{
    char buf[256];
    if (gap_ms > 0) {
        /* The socket goes first, while its own connections still fill the backlog: a client
         * that tries meanwhile must never find room in a listener about to close. */
        close(srv->fd);
        unlink(srv->sa.sun_path);
        for (int i = 0; i < srv->own_count; i++)
            close(srv->own[i]);
        srv->own_count = 0;
        xt_os_sleep_ms(gap_ms);
        if (raw_bind_and_listen(srv) != 0)
            return -1;
    } else if (raw_let_own_go(srv) != 0) {
        return -1;
    }
    for (;;) {
        int c = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            return -1;
        ssize_t n = recv(c, buf, sizeof buf, 0);
        /* A client that left without a word (xipc's listen knocks to learn whether a server is
         * alive) is skipped, as any server skips a port scan. */
        if (n == 0) {
            close(c);
            continue;
        }
        int rc = n > 0 && send(c, buf, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
        close(c);
        return rc;
    }
}

void
xt_os_raw_server_close(xt_os_raw_server *srv)
{
    if (srv == NULL)
        return;
    for (int i = 0; i < srv->own_count; i++)
        close(srv->own[i]);
    if (srv->fd >= 0)
        close(srv->fd);
    unlink(srv->sa.sun_path);
    free(srv);
}

/* ---- events, semaphores, mutexes --------------------------------------------------------- */

/* A FIFO that a planted link points to. */
static void
plant_target(const char *name, char *buf, size_t cap)
{
    char tag[128];
    snprintf(tag, sizeof tag, "plant.%s", name);
    xt_os_temp_path(tag, buf, cap);
}

/* A file of ours at path holding size bytes of fill. */
static int
plant_file(const char *path, size_t size, int fill)
{
    char block[512];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    memset(block, fill, sizeof block);
    for (size_t done = 0; done < size;) {
        size_t n = size - done < sizeof block ? size - done : sizeof block;
        ssize_t put = write(fd, block, n);
        if (put <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)put;
    }
    return close(fd);
}

int
xt_os_plant_at_sync_name(const char *kind, const char *name, int what)
{
    char path[256], target[512];
    sync_object_path(kind, name, path, sizeof path);
    switch (what) {
    case XT_PLANT_FIFO:
        return mkfifo(path, 0600);
    case XT_PLANT_FOREIGN_FIFO:
        if (geteuid() != 0 || mkfifo(path, 0600) != 0)
            return -1;
        return chown(path, 65534, 65534) == 0 && chmod(path, 0666) == 0 ? 0 : -1;
    case XT_PLANT_LINK:
        plant_target(name, target, sizeof target);
        return mkfifo(target, 0600) == 0 && symlink(target, path) == 0 ? 0 : -1;
    case XT_PLANT_EMPTY_FILE:
        return plant_file(path, 0, 0);
    case XT_PLANT_SHORT_FILE:
        return plant_file(path, 16, 0xab);
    case XT_PLANT_BAD_HEADER:
        return plant_file(path, 8192, 0xff);
    default:
        return -1;
    }
}

void
xt_os_unplant_sync_name(const char *kind, const char *name)
{
    char path[256], target[512];
    sync_object_path(kind, name, path, sizeof path);
    plant_target(name, target, sizeof target);
    (void)unlink(path);
    (void)unlink(target);
}

int
xt_os_forbid_memfd(void)
{
    /* The filter must compare the architecture before the number: a number means another call
     * under another ABI (seccomp(2), "Pitfalls"). */
#if defined(__x86_64__)
    const unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    const unsigned arch = AUDIT_ARCH_AARCH64;
#else
    const unsigned arch = 0; /* unknown here: the filter would guess */
#endif
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_memfd_create, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { (unsigned short)(sizeof code / sizeof code[0]), code };
    if (arch == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : -1;
}

int
xt_os_take_anon_names(unsigned first, unsigned count, bool take)
{
    char name[64];
    for (unsigned i = first; i < first + count; i++) {
        snprintf(name, sizeof name, "/xipc-anon:%ld:%u", (long)getpid(), i);
        if (!take) {
            (void)shm_unlink(name);
            continue;
        }
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            return -1;
        close(fd);
    }
    return 0;
}

intptr_t
xt_os_open_odd_native(int which)
{
    char path[256];
    int sv[2];
    switch (which) {
    case 0:
        return open("/dev/null", O_RDWR);
    case 1: {
        xt_os_temp_path("odd-native", path, sizeof path);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        (void)unlink(path);
        return fd;
    }
    case 2:
        return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 ? sv[0] : -1;
    default:
        return -1;
    }
}

int
xt_os_native_inheritable(intptr_t native)
{
    int flags = fcntl((int)native, F_GETFD);
    return flags < 0 ? -1 : (flags & FD_CLOEXEC) ? 0 : 1;
}

int
xt_os_socket_meddle(intptr_t native, int timeout_ms, bool nonblocking)
{
    int fd = (int)native, fl = fcntl(fd, F_GETFL);
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 || fl < 0)
        return -1;
    return !nonblocking || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 ? 0 : -1;
}

/* ---- streams and processes --------------------------------------------------------------- */

static int
open_listening_socket(void)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* port 0: any free one */
    if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int
open_scratch_file(void)
{
    char path[256];
    xt_os_temp_path("non-stream", path, sizeof path);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0)
        unlink(path);
    return fd;
}

intptr_t
xt_os_open_non_stream_native(int i, const char **what)
{
    int fd = -1;
    switch (i) {
    case 0:
        *what = "regular file";
        fd = open_scratch_file();
        break;
    case 1:
        *what = "directory";
        fd = open("/", O_RDONLY | O_DIRECTORY);
        break;
    case 2:
        *what = "/dev/null";
        fd = open("/dev/null", O_RDWR);
        break;
    case 3:
        *what = "listening socket";
        fd = open_listening_socket();
        break;
    case 4:
        *what = "unconnected stream socket";
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        break;
    case 5:
        *what = "datagram socket";
        fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        break;
    default:
        return -1;
    }
    if (fd < 0) {
        perror(*what);
        exit(2);
    }
    return fd;
}

size_t
xt_os_list_natives(intptr_t *out, size_t cap)
{
    size_t n = 0;
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = 0; fd < (max > 0 && max < 65536 ? max : 65536); fd++) {
        if (fcntl((int)fd, F_GETFD) < 0)
            continue;
        if (n < cap)
            out[n] = fd;
        n++;
    }
    return n;
}

int
xt_os_wait_expected(int obj)
{
    switch (obj) {
    case XT_OBJ_EVENT:
    case XT_OBJ_SEM:
    case XT_OBJ_MUTEX:
        return XT_WAIT_NONE; /* futexes and sem_t in shared memory */
    case XT_OBJ_PROC: {
        /* A pidfd where the kernel has them (Linux 5.3). */
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        if (fd < 0)
            return XT_WAIT_NONE;
        close(fd);
        return XT_WAIT_FD;
    }
    default:
        return XT_WAIT_FD;
    }
}

int
xt_os_native_ready(intptr_t native, int how, bool write)
{
    struct pollfd pfd = { (int)native, write ? POLLOUT : POLLIN, 0 };
    if (how != XT_WAIT_FD || poll(&pfd, 1, 0) < 0 || (pfd.revents & POLLNVAL))
        return -1;
    return (pfd.revents & (write ? POLLOUT : POLLIN | POLLHUP)) != 0;
}

void
xt_os_close_native(intptr_t native)
{
    close((int)native);
}

int
xt_os_sigchld_discard(int how)
{
    struct sigaction sa;
    if (how == XT_SIGCHLD_QUERY)
        return 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = how == XT_SIGCHLD_IGNORE ? SIG_IGN : SIG_DFL;
    sa.sa_flags = how == XT_SIGCHLD_NOCLDWAIT ? SA_NOCLDWAIT : 0;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGCHLD, &sa, NULL);
}

bool
xt_os_kernel_keeps_reaped_status(void)
{
    /* struct pidfd_info's first version; PIDFD_GET_INFO is _IOWR(0xFF, 11, it). */
    struct {
        uint64_t mask, cgroupid;
        uint32_t ids[11];
        int32_t exit_code;
    } info;
    int st;
    bool kept = false;
    pid_t pid = fork();
    if (pid == 0)
        _exit(5);
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR) { }
    if (pidfd >= 0) {
        memset(&info, 0, sizeof info);
        info.mask = 1u << 3; /* PIDFD_INFO_EXIT */
        kept = ioctl(pidfd, _IOWR(0xFF, 11, info), &info) == 0 && (info.mask & (1u << 3)) &&
            WIFEXITED(info.exit_code) && WEXITSTATUS(info.exit_code) == 5;
        close(pidfd);
    }
    return kept;
}

extern char **environ;

struct xt_os_raw_child {
    pid_t pid;
    int in_w, out_r;
};

static void
raw_pipe(int fds[2])
{
    if (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        perror("pipe");
        exit(2);
    }
}

xt_os_raw_child *
xt_os_raw_spawn(const char *role, const char *arg)
{
    int in[2], out[2];
    posix_spawn_file_actions_t fa;
    char self[PATH_MAX], child[] = "--child", role_copy[64], arg_copy[64];
    char *argv[] = { self, child, role_copy, arg ? arg_copy : NULL, NULL };
    xt_os_raw_child *c = malloc(sizeof *c);
    if (c == NULL)
        exit(2);
    /* Copies, as posix_spawn's argv is not const. */
    snprintf(self, sizeof self, "%s", xt_os_self_exe());
    snprintf(role_copy, sizeof role_copy, "%s", role);
    snprintf(arg_copy, sizeof arg_copy, "%s", arg ? arg : "");
    raw_pipe(in);
    raw_pipe(out);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0); /* the copies lose FD_CLOEXEC */
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (posix_spawn(&c->pid, argv[0], &fa, NULL, argv, environ) != 0) {
        perror("posix_spawn");
        exit(2);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    c->in_w = in[1];
    c->out_r = out[0];
    return c;
}

int
xt_os_raw_write(xt_os_raw_child *c, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(c->in_w, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

long
xt_os_raw_read(xt_os_raw_child *c, void *buf, size_t cap)
{
    ssize_t n;
    do
        n = read(c->out_r, buf, cap);
    while (n < 0 && errno == EINTR);
    return (long)n;
}

void
xt_os_raw_close_stdin(xt_os_raw_child *c)
{
    if (c->in_w >= 0)
        close(c->in_w);
    c->in_w = -1;
}

int
xt_os_raw_wait(xt_os_raw_child *c)
{
    int st;
    xt_os_raw_close_stdin(c);
    close(c->out_r);
    while (waitpid(c->pid, &st, 0) < 0) {
        if (errno != EINTR) {
            free(c);
            return -1;
        }
    }
    free(c);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
xt_os_close_stdin(void)
{
    close(0);
}

/* ---- processes killed from outside, and stdin -------------------------------------------- */

int
xt_os_kill_with_signal(uint64_t pid, int sig)
{
    return kill((pid_t)pid, sig);
}

int
xt_os_terminate_with_code(uint64_t pid, uint32_t code)
{
    (void)pid;
    (void)code;
    return -1;
}

intptr_t
xt_os_stdin_native(void)
{
    return 0;
}

/* ---- children's standard streams, written as a program that is not xipc writes them ------ */

long
xt_os_std_write(int which, const void *buf, size_t len)
{
    ssize_t n;
    do
        n = write(which, buf, len);
    while (n < 0 && errno == EINTR);
    return (long)n;
}

/* ---- jobs ---------------------------------------------------------------------------------- */

int
xt_os_join_new_job(void)
{
    return -1;
}

long
xt_os_spawn_breaking_away(void)
{
    return -1;
}

/* ---- pipe squatters, file identity -------------------------------------------------------- */

xt_os_squatter *
xt_os_squat_pipe(const char *pipe_name, bool fifo, const char **why)
{
    (void)pipe_name;
    (void)fifo;
    *why = "POSIX: named pipes and FIFOs are files, in a runtime directory that is the user's "
           "alone or at a path whose owner is checked: there is no second, machine-wide name "
           "to squat (those refusals are npipe_runtime_dir_owner_only and "
           "fifo_foreign_and_linked_fifos_refused)";
    return NULL;
}

long
xt_os_squatter_received(xt_os_squatter *sq)
{
    (void)sq;
    return 0;
}

void
xt_os_squatter_close(xt_os_squatter *sq)
{
    (void)sq;
}

int
xt_os_fifo_pipe_name(const char *path, char *buf, size_t cap)
{
    (void)path;
    (void)buf;
    (void)cap;
    return -1;
}

int
xt_os_hard_link(const char *target, const char *link_path)
{
    return link(target, link_path) == 0 ? 0 : -1;
}

int
xt_os_raw_message_pair(intptr_t fds[2])
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    /* Room for a message longer than XIPC_MSGPIPE_MAX and the next one. */
    int room = 4 << 20;
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &room, sizeof room);
    fds[0] = sv[0];
    fds[1] = sv[1];
    return 0;
}

int
xt_os_raw_message_send(intptr_t fd, const void *buf, size_t len)
{
    return write((int)fd, buf, len) == (ssize_t)len ? 0 : -1;
}

void
xt_os_raw_close(intptr_t fd)
{
    (void)close((int)fd);
}

bool
xt_os_make_description_nonblocking(intptr_t native)
{
    int fl = fcntl((int)native, F_GETFL);
    return fl >= 0 && fcntl((int)native, F_SETFL, fl | O_NONBLOCK) == 0;
}

uint64_t
xt_os_cpu_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- shared memory sections -------------------------------------------------------------- */

int
xt_os_shm_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "/dev/shm/%s", name);
    return 0;
}

void
xt_os_fault_default(void)
{
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
}

/* The pattern is tests/xt.h's xt_pattern; the tracker line keeps Python before 3.13 from
 * unlinking, when it exits, a section it only opened. */
static char foreign_script[] =
    "import sys\n"
    "from multiprocessing import shared_memory, resource_tracker\n"
    "name, size = sys.argv[1], int(sys.argv[2])\n"
    "shm = shared_memory.SharedMemory(name=name, create=False)\n"
    "try:\n"
    "    resource_tracker.unregister(shm._name, 'shared_memory')\n"
    "except Exception:\n"
    "    pass\n"
    "if shm.size != size:\n"
    "    sys.exit(4)\n"
    "b = shm.buf\n"
    "for i in range(min(size, 4096)):\n"
    "    x = (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF\n"
    "    if b[i] != ((x >> 56) ^ (i >> 12)) & 0xFF:\n"
    "        sys.exit(5)\n"
    "b[size - 16:size] = b'" XT_FOREIGN_ANSWER "'\n"
    "del b\n"
    "shm.close()\n";

int
xt_os_foreign_shm_answer(const char *name, size_t size)
{
    char size_text[32], name_text[128], python[] = "python3", dash_c[] = "-c";
    pid_t pid;
    int status;
    snprintf(size_text, sizeof size_text, "%zu", size);
    snprintf(name_text, sizeof name_text, "%s", name);
    char *argv[] = { python, dash_c, foreign_script, name_text, size_text, NULL };
    if (posix_spawnp(&pid, "python3", NULL, NULL, argv, environ) != 0)
        return 77;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    if (WEXITSTATUS(status) == 127)
        return 77;
    if (WEXITSTATUS(status) != 0)
        fprintf(stderr, "xt_os: python3 exited with %d\n", WEXITSTATUS(status));
    return WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
xt_os_raise_fd_limit(unsigned want)
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

int
xt_os_fd_limit_at_least(int n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)n) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)n)
            return -1;
        rl.rlim_cur = (rlim_t)n;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -1;
    }
    return 0;
}

bool
xt_os_is_inheritable(intptr_t native)
{
    int fl = fcntl((int)native, F_GETFD);
    return fl >= 0 && (fl & FD_CLOEXEC) == 0;
}

/* ---- Signals ---------------------------------------------------------------------------------- */

bool
xt_os_can_become_other_user(void)
{
    return geteuid() == 0;
}

int
xt_os_become_other_user(void)
{
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        return -1;
    return 0;
}

intptr_t
xt_os_plant_signal_section(uint64_t pid)
{
    (void)pid;
    return -1;
}

int
xt_os_run_in_own_console(const char *role, const char *arg, uint32_t *code)
{
    (void)role;
    (void)arg;
    (void)code;
    return -1;
}

long
xt_os_console_ctrl_c(void)
{
    return -1;
}

int
xt_os_ignore_hangup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGHUP, &sa, NULL);
}

int
xt_os_raw_file_lock(const char *path, uint64_t offset, uint64_t len, bool exclusive)
{
    struct flock fl;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    memset(&fl, 0, sizeof fl);
    fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)offset;
    fl.l_len = (off_t)len;
    if (fcntl(fd, F_SETLK, &fl) == 0)
        return 0; /* fd stays open: closing it would drop the process's locks */
    int e = errno;
    close(fd);
    return e == EAGAIN || e == EACCES ? 1 : -1;
}
