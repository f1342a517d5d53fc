/* tools/xipc.c: the xipc command: dispatches to its subcommands, each in its own file. */
#include "tools.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: xipc COMMAND [ARGUMENTS]\n"
    "\n"
    "commands:\n"
    "  info          the platform, this xipc, where names live, and what each family does here\n"
    "  ls            your named xipc objects (named pipes, events, semaphores, mutexes,\n"
    "                shared memory),\n"
    "                live (a process holds it) or stale (left behind by a process that died)\n"
    "  rm NAME...    remove stale names; a live object's name is left alone\n"
    "  bench [--quick] [--json] [--only NAME,...] [--runs N] [--sigpipe-guard]\n"
    "                every mechanism through xipc and through the raw OS calls\n"
    "  demo [--rounds N]\n"
    "                spawn a child, talk to it over two pipes, report what happened\n"
    "  --help        this text\n"
    "  --version     the version of xipc\n"
    "\n"
    "exit status: 0 when the command did what it was asked, 1 when it could not, 2 for a usage\n"
    "error.\n";

int
xipc_tool_usage_error(const char *why)
{
    fprintf(stderr, "xipc: %s\n\n%s", why, usage_text);
    return 2;
}

void
xipc_tool_print_indented(const char *text)
{
    while (*text != '\0') {
        size_t len = strcspn(text, "\n");
        printf("  %.*s\n", (int)len, text);
        text += len + (text[len] == '\n');
    }
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    { "info", xipc_tool_info },
    { "ls", xipc_tool_ls },
    { "rm", xipc_tool_rm },
    { "bench", xipc_tool_bench },
    { "bench-peer", xipc_tool_bench_peer }, /* the bench's own child */
    { "demo", xipc_tool_demo },
    { "demo-child", xipc_tool_demo_child }, /* the demo's own child */
};

int
main(int argc, char **argv)
{
    if (argc < 2)
        return xipc_tool_usage_error("no command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("xipc %s\n", xipc_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    return xipc_tool_usage_error("unknown command");
}
