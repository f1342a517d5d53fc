/* tools/cli_names.c: `xipc ls` and `xipc rm`, the ipcs and ipcrm of xipc's named objects: the
 * caller's named pipes, events, semaphores and mutexes, live or stale (common/names.h). */
#include "tools.h"

#include "names.h"

#include <stdio.h>
#include <string.h>

static int
print_entry(const struct xipc__name_entry *entry, void *ctx)
{
    int *count = ctx;
    printf("%-10s %-6s %s\n", xipc__kind_word(entry->kind), entry->live ? "live" : "stale",
        entry->name);
    (*count)++;
    return 0;
}

static int
fail(const char *command, const char *what, int rc)
{
    char why[256];
    (void)xipc_last_os_error_describe(why, sizeof why);
    fprintf(stderr, "xipc %s: %s: %s%s%s\n", command, what, xipc_strerror(rc), why[0] ? ": " : "",
        why);
    return 1;
}

int
xipc_tool_ls(int argc, char **argv)
{
    int count = 0;
    (void)argv;
    if (argc != 1)
        return xipc_tool_usage_error("ls takes no arguments");
    printf("%-10s %-6s %s\n", "KIND", "STATE", "NAME");
    int rc = xipc__os_names_list(print_entry, &count);
    if (rc != 0)
        return fail("ls", "listing the names", rc);
    return 0;
}

int
xipc_tool_rm(int argc, char **argv)
{
    int status = 0;
    if (argc < 2)
        return xipc_tool_usage_error("rm needs at least one NAME");
    for (int i = 1; i < argc; i++) {
        int removed = 0;
        int rc = xipc__names_remove_stale(argv[i], &removed);
        if (rc == XIPC_EBUSY) {
            fprintf(stderr, "xipc rm: %s: live (a process holds it): left alone\n", argv[i]);
            status = 1;
        } else if (rc == XIPC_ENOENT) {
            fprintf(stderr, "xipc rm: %s: no such name\n", argv[i]);
            status = 1;
        } else if (rc != 0) {
            status = fail("rm", argv[i], rc);
        } else {
            printf("removed %s (%d stale object%s)\n", argv[i], removed, removed == 1 ? "" : "s");
        }
    }
    return status;
}
