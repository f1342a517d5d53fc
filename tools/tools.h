/* tools/tools.h: the subcommands of the xipc command. */
#ifndef XIPC_TOOLS_H
#define XIPC_TOOLS_H

#include "xipc.h"

int xipc_tool_demo(int argc, char **argv);
int xipc_tool_demo_child(int argc, char **argv);
int xipc_tool_bench(int argc, char **argv);
int xipc_tool_bench_peer(int argc, char **argv);
int xipc_tool_info(int argc, char **argv);
int xipc_tool_ls(int argc, char **argv);
int xipc_tool_rm(int argc, char **argv);

/* Prints why the command line was wrong and the usage to stderr; returns 2, the exit status. */
int xipc_tool_usage_error(const char *why);

/* Prints each line of text indented by two spaces. */
void xipc_tool_print_indented(const char *text);

#endif /* XIPC_TOOLS_H */
