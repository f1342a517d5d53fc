/* examples/supervisor.c: a supervisor and its workers, over anonymous pipes.
 *
 * The supervisor starts WORKERS copies of this program as workers. Each gets two pipe ends, and
 * nothing else of the supervisor's: one to read jobs from, one to write results to. Jobs are
 * numbers, one per line; a worker answers each with its square. When the supervisor has sent every
 * job it closes the job pipes: a worker sees the end of its stream and exits 0. The supervisor
 * checks every answer and every worker's exit status, and exits 0 when all went well.
 *
 *   supervisor            run the whole thing
 *   supervisor worker     (started by the supervisor) serve jobs from handle 0, answer on 1
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS 3
#define JOBS_PER_WORKER 20
#define TIMEOUT_MS 10000

struct worker {
    xipc_proc *proc;
    xipc_stream *jobs; /* the supervisor writes jobs here */
    xipc_stream *results; /* and reads the answers here */
};

static void
check(int rc, const char *what)
{
    char why[256];
    if (rc == 0)
        return;
    xipc_last_os_error_describe(why, sizeof why);
    fprintf(stderr, "supervisor: %s: %s %s\n", what, xipc_errname(rc), why);
    exit(1);
}

/* Reads one line ("123\n") into buf; returns its length, or 0 at the end of the stream. */
static size_t
read_line(xipc_stream *s, char *buf, size_t cap)
{
    size_t len = 0, got;
    while (len + 1 < cap) {
        int rc = xipc_stream_read(s, buf + len, 1, &got, TIMEOUT_MS);
        check(rc, "read");
        if (got == 0)
            break;
        if (buf[len++] == '\n')
            break;
    }
    buf[len] = '\0';
    return len;
}

static void
write_number(xipc_stream *s, long long n)
{
    char line[32];
    int len = snprintf(line, sizeof line, "%lld\n", n);
    check(xipc_stream_write(s, line, (size_t)len, NULL, TIMEOUT_MS), "write");
}

static int
worker_main(void)
{
    xipc_stream *jobs, *results;
    char line[32];
    check(xipc_stream_inherited(0, &jobs), "worker: jobs pipe");
    check(xipc_stream_inherited(1, &results), "worker: results pipe");
    while (read_line(jobs, line, sizeof line) > 0) {
        long long n = atoll(line);
        write_number(results, n * n);
    }
    xipc_stream_close(jobs);
    xipc_stream_close(results);
    return 0;
}

static void
start_worker(struct worker *w, const char *self)
{
    xipc_stream *job_rd, *result_wr;
    check(xipc_pipe(0, &job_rd, &w->jobs), "pipe");
    check(xipc_pipe(0, &w->results, &result_wr), "pipe");

    const char *argv[] = { self, "worker", NULL };
    xipc_handle *pass[] = { xipc_stream_handle(job_rd), xipc_stream_handle(result_wr) };
    xipc_spawn_opts opts = { .file = self, .argv = argv, .handles = pass, .handle_count = 2 };
    opts.flags = XIPC_SPAWN_DIE_WITH_PARENT;
    check(xipc_spawn(&opts, &w->proc), "spawn");
    /* The worker has its ends now; the supervisor's copies would hide the end of the stream. */
    xipc_stream_close(job_rd);
    xipc_stream_close(result_wr);
}

int
main(int argc, char **argv)
{
    struct worker workers[WORKERS];
    char self[4096], line[32];
    int failures = 0;

    if (argc == 2 && strcmp(argv[1], "worker") == 0)
        return worker_main();
    check(xipc_self_exe(self, sizeof self), "own path");
    for (int i = 0; i < WORKERS; i++)
        start_worker(&workers[i], self);

    /* Round-robin: one job to each worker, then each answer, so they all work at once. */
    for (int job = 1; job <= JOBS_PER_WORKER; job++) {
        for (int i = 0; i < WORKERS; i++)
            write_number(workers[i].jobs, job * 100 + i);
        for (int i = 0; i < WORKERS; i++) {
            long long n = job * 100 + i;
            read_line(workers[i].results, line, sizeof line);
            if (atoll(line) != n * n) {
                fprintf(stderr, "supervisor: worker %d: %lld squared is not %s", i, n, line);
                failures++;
            }
        }
    }
    for (int i = 0; i < WORKERS; i++) {
        xipc_exit_status status;
        xipc_stream_close(workers[i].jobs); /* the worker reads the end of its jobs and exits */
        check(xipc_proc_wait(workers[i].proc, &status, TIMEOUT_MS), "wait");
        if (status.kind != XIPC_EXIT_NORMAL || status.code != 0) {
            fprintf(stderr, "supervisor: worker %d ended with kind %d code %u\n", i, status.kind,
                (unsigned)status.code);
            failures++;
        }
        xipc_proc_close(workers[i].proc);
        xipc_stream_close(workers[i].results);
    }
    printf("supervisor: %d workers, %d jobs, %d failures\n", WORKERS, WORKERS * JOBS_PER_WORKER,
        failures);
    return failures == 0 ? 0 : 1;
}
