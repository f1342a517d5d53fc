/* common/version.c: xipc_version(), the version this library was built as (xipc/version.h). */
#include "xipc/base.h"

const char *
xipc_version(void)
{
    return XIPC_VERSION_STRING;
}
