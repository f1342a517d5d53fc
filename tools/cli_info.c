/* tools/cli_info.c: `xipc info`. What the platform is, which xipc this is, where each family's
 * names live here, and whether each family works here, found by trying it: each row of `probes`
 * makes one object of its family and closes it. A new family adds its row. */
#include "tools.h"

#include "names.h"

#include <stdio.h>
#include <stdlib.h>

/* A name of this run's own for the probes' named objects. */
static char probe_name[XIPC_NAME_MAX + 1];

static int
probe_pipe(void)
{
    xipc_stream *rd, *wr;
    int rc = xipc_pipe(0, &rd, &wr);
    xipc_stream_close(rd);
    xipc_stream_close(wr);
    return rc;
}

static int
probe_event(void)
{
    xipc_event *ev;
    int rc = xipc_event_open(probe_name, XIPC_CREATE, &ev);
    xipc_event_close(ev);
    return rc;
}

static int
probe_sem(void)
{
    xipc_sem *sem;
    int rc = xipc_sem_open(probe_name, XIPC_CREATE, 0, &sem);
    xipc_sem_close(sem);
    return rc;
}

static int
probe_mutex(void)
{
    xipc_mutex *mx;
    int rc = xipc_mutex_open(probe_name, XIPC_CREATE, &mx);
    xipc_mutex_close(mx);
    return rc;
}

static int
probe_shm(void)
{
    xipc_shm *shm;
    int rc = xipc_shm_open(probe_name, XIPC_CREATE, 4096, &shm);
    xipc_shm_close(shm);
    return rc;
}

static int
probe_mq(void)
{
    xipc_mq *mq;
    xipc_mq_attr attr = { 4, 64 };
    int rc = xipc_mq_open(probe_name, XIPC_CREATE, &attr, &mq);
    xipc_mq_close(mq);
    return rc;
}

static int
probe_npipe(unsigned mode)
{
    xipc_npipe *srv;
    int rc = xipc_npipe_listen(probe_name, mode, &srv);
    xipc_npipe_close(srv);
    return rc;
}

static int
probe_npipe_byte(void)
{
    return probe_npipe(XIPC_NPIPE_BYTE);
}

static int
probe_npipe_message(void)
{
    return probe_npipe(XIPC_NPIPE_MESSAGE);
}

/* A FIFO in the temporary directory the environment names (TMPDIR on POSIX, TEMP on Windows). */
static int
probe_fifo(void)
{
    const char *vars[] = { "TMPDIR", "TEMP", "TMP" }, *dir = NULL;
    char path[4096];
    xipc_stream *s;
    for (size_t i = 0; dir == NULL && i < sizeof vars / sizeof vars[0]; i++)
        dir = getenv(vars[i]);
    snprintf(path, sizeof path, "%s/%s.fifo", dir != NULL ? dir : "/tmp", probe_name);
    int rc = xipc_fifo_open(path, XIPC_CREATE | XIPC_FIFO_READ | XIPC_FIFO_NOWAIT, &s, 0);
    xipc_stream_close(s);
    return rc;
}

static const struct {
    const char *family;
    int (*probe)(void);
} probes[] = {
    { "anonymous pipes", probe_pipe },
    { "named pipes, byte mode", probe_npipe_byte },
    { "named pipes, message mode", probe_npipe_message },
    { "FIFOs", probe_fifo },
    { "events", probe_event },
    { "semaphores", probe_sem },
    { "mutexes", probe_mutex },
    { "shared memory", probe_shm },
    { "message queues", probe_mq },
};

int
xipc_tool_info(int argc, char **argv)
{
    char text[1024];
    (void)argv;
    if (argc != 1)
        return xipc_tool_usage_error("info takes no arguments");
    printf("xipc %s (library %s)\n", XIPC_VERSION_STRING, xipc_version());
    xipc__os_platform_describe(text, sizeof text);
    printf("platform: %s\n", text);
    printf("program: %s\n", xipc_self_exe(text, sizeof text) == 0 ? text : "?");
    printf("names:\n");
    (void)xipc__os_namespace_describe(text, sizeof text);
    xipc_tool_print_indented(text);
    printf("families (each tried once here):\n");
    snprintf(probe_name, sizeof probe_name, "xipc-info-%llu", (unsigned long long)xipc_self_pid());
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        int rc = probes[i].probe();
        char why[256] = "";
        if (rc != 0)
            (void)xipc_last_os_error_describe(why, sizeof why);
        printf("  %-28s %s%s%s\n", probes[i].family, rc == 0 ? "yes" : xipc_errname(rc),
            why[0] ? ": " : "", why);
    }
    return 0;
}
