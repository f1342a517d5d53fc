/* posix/posix_env.c: the environment for spawn (common/platform.h, "Processes"). */
#include "platform.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

int
xipc__os_env_snapshot(char ***out)
{
    size_t count = 0, bytes = 0;
    for (; environ != NULL && environ[count] != NULL; count++)
        bytes += strlen(environ[count]) + 1;
    /* One block: the pointer array, then the strings it points into. */
    char **copy = malloc((count + 1) * sizeof *copy + bytes);
    if (copy == NULL)
        return XIPC_ENOMEM;
    char *text = (char *)(copy + count + 1);
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(environ[i]) + 1;
        memcpy(text, environ[i], n);
        copy[i] = text;
        text += n;
    }
    copy[count] = NULL;
    *out = copy;
    return 0;
}

bool
xipc__os_env_keys_fold_case(void)
{
    return false;
}
