/* tools/tools.h: the subcommands of the xipc command. */
#ifndef XIPC_TOOLS_H
#define XIPC_TOOLS_H

#include "xipc.h"

int xipc_tool_demo(int argc, char **argv);
int xipc_tool_demo_child(int argc, char **argv);
int xipc_tool_bench(int argc, char **argv);
int xipc_tool_bench_peer(int argc, char **argv);

#endif /* XIPC_TOOLS_H */
