/* examples/npipe_server.c: a named-pipe server with many clients.
 *
 * The server listens on a name of its own (it holds the process id, so two runs never meet),
 * then starts CLIENTS copies of this program as clients, which all connect at once. Each client
 * sends one request line ("client 3"), reads the server's answer ("hello, client 3") and exits 0
 * if the answer is right. The server serves the connections one after another as they come,
 * checks each client's exit status and exits 0 when every client was served.
 *
 * The name is a named pipe on Windows (\\.\pipe\NAME) and a socket in the user's runtime
 * directory on POSIX; a client needs only the name.
 *
 *   npipe_server                 run the whole thing
 *   npipe_server client NAME I   (started by the server) be client number I of server NAME
 */
#include <xipc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENTS 8
#define TIMEOUT_MS 10000

static void
check(int rc, const char *what)
{
    char why[256];
    if (rc == 0)
        return;
    xipc_last_os_error_describe(why, sizeof why);
    fprintf(stderr, "npipe_server: %s: %s %s\n", what, xipc_errname(rc), why);
    exit(1);
}

/* Reads one line, up to and without its '\n', into buf. */
static void
read_line(xipc_stream *s, char *buf, size_t cap)
{
    size_t len = 0, got = 0;
    while (len + 1 < cap) {
        check(xipc_stream_read(s, buf + len, 1, &got, TIMEOUT_MS), "read");
        if (got == 0 || buf[len] == '\n')
            break;
        len++;
    }
    buf[len] = '\0';
}

static void
write_text(xipc_stream *s, const char *text)
{
    check(xipc_stream_write(s, text, strlen(text), NULL, TIMEOUT_MS), "write");
}

static int
client_main(const char *name, const char *number)
{
    xipc_stream *conn;
    char request[64], expected[80], answer[80];
    /* The server listens before it starts its clients, but a client may as well wait for it. */
    check(xipc_npipe_connect(name, XIPC_NPIPE_WAIT_SERVER, &conn, TIMEOUT_MS), "connect");
    snprintf(request, sizeof request, "client %s\n", number);
    snprintf(expected, sizeof expected, "hello, client %s", number);
    write_text(conn, request);
    read_line(conn, answer, sizeof answer);
    xipc_stream_close(conn);
    if (strcmp(answer, expected) != 0) {
        fprintf(stderr, "npipe_server: client %s got \"%s\"\n", number, answer);
        return 1;
    }
    return 0;
}

static void
serve_one(xipc_npipe *srv)
{
    xipc_stream *conn;
    char request[64], answer[80];
    check(xipc_npipe_accept(srv, &conn, TIMEOUT_MS), "accept");
    read_line(conn, request, sizeof request);
    snprintf(answer, sizeof answer, "hello, %s\n", request);
    write_text(conn, answer);
    xipc_stream_close(conn);
}

int
main(int argc, char **argv)
{
    xipc_proc *clients[CLIENTS];
    xipc_npipe *srv;
    char self[4096], name[XIPC_NAME_MAX + 1], number[16];
    int failures = 0;

    if (argc == 4 && strcmp(argv[1], "client") == 0)
        return client_main(argv[2], argv[3]);
    check(xipc_self_exe(self, sizeof self), "own path");
    snprintf(name, sizeof name, "xipc-example-%llu", (unsigned long long)xipc_self_pid());
    check(xipc_npipe_listen(name, XIPC_NPIPE_BYTE, &srv), "listen");

    for (int i = 0; i < CLIENTS; i++) {
        snprintf(number, sizeof number, "%d", i);
        const char *cargv[] = { self, "client", name, number, NULL };
        xipc_spawn_opts opts = { .file = self, .argv = cargv, .flags = XIPC_SPAWN_DIE_WITH_PARENT };
        check(xipc_spawn(&opts, &clients[i]), "spawn");
    }
    for (int i = 0; i < CLIENTS; i++)
        serve_one(srv);
    for (int i = 0; i < CLIENTS; i++) {
        xipc_exit_status status;
        check(xipc_proc_wait(clients[i], &status, TIMEOUT_MS), "wait");
        if (status.kind != XIPC_EXIT_NORMAL || status.code != 0)
            failures++;
        xipc_proc_close(clients[i]);
    }
    xipc_npipe_close(srv);
    printf("npipe_server: %d clients served, %d failures\n", CLIENTS, failures);
    return failures == 0 ? 0 : 1;
}
