/* common/duplex.c: xipc_duplex (xipc/pipe.h): argument checks and handle lifetime of a
 * full-duplex pipe's two ends. The pair itself is the platform's (xipc__os_duplex). */
#include "handle.h"

#include <string.h>

int
xipc_duplex(unsigned flags, xipc_stream **a, xipc_stream **b)
{
    struct xipc__os_stream os_a, os_b;
    const unsigned both = XIPC__STREAM_READ | XIPC__STREAM_WRITE;
    xipc__error_clear();
    if (a == NULL || b == NULL)
        return XIPC__FAIL(XIPC_EINVAL, "a or b: NULL");
    *a = NULL;
    *b = NULL;
    if (flags != 0)
        return XIPC__FAIL(XIPC_EINVAL, "flags: not 0");
    memset(&os_a, 0, sizeof os_a);
    memset(&os_b, 0, sizeof os_b);
    int rc = xipc__os_duplex(&os_a, &os_b);
    if (rc != 0)
        return rc;
    if ((rc = xipc__stream_wrap(&os_a, both, a)) != 0) {
        xipc__os_stream_close(&os_b); /* wrap closed os_a */
        return rc;
    }
    if ((rc = xipc__stream_wrap(&os_b, both, b)) != 0) {
        xipc_stream_close(*a);
        *a = NULL;
        return rc;
    }
    return 0;
}
