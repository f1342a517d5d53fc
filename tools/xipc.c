/* tools/xipc.c: the xipc command. Subcommands:
 *   xipc bench [--quick] [--json] [--only NAME,...] [--runs N]
 *                            every mechanism through xipc and through the raw OS calls
 *   xipc demo [--rounds N]   spawn a child, talk to it over two pipes, report what happened
 *   xipc info                version and platform facts */
#include "tools.h"

#include <stdio.h>
#include <string.h>

static int
usage(void)
{
    fprintf(stderr,
        "usage: xipc bench [--quick] [--json] [--only NAME,...] [--runs N] | xipc demo [--rounds "
        "N] | xipc info\n");
    return 2;
}

static int
cmd_info(void)
{
    char exe[4096];
    int rc = xipc_self_exe(exe, sizeof exe);
    printf("xipc %d.%d\n", XIPC_VERSION_MAJOR, XIPC_VERSION_MINOR);
    printf("pid %llu\n", (unsigned long long)xipc_self_pid());
    printf("exe %s\n", rc == 0 ? exe : xipc_strerror(rc));
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "demo") == 0)
        return xipc_tool_demo(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "demo-child") == 0)
        return xipc_tool_demo_child(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return xipc_tool_bench(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bench-peer") == 0)
        return xipc_tool_bench_peer(argc - 1, argv + 1);
    if (argc == 2 && strcmp(argv[1], "info") == 0)
        return cmd_info();
    return usage();
}
