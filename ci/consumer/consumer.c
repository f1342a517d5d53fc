/* ci/consumer/consumer.c: a program built against an installed xipc, as a user's would be.
 * Checks that the library it loaded is the one it was compiled against, and moves a message
 * through a pipe. Exits 0 when all went well. */
#include <xipc.h>

#include <stdio.h>
#include <string.h>

static int
fail(const char *what, int rc)
{
    fprintf(stderr, "consumer: %s: %s\n", what, xipc_errname(rc));
    return 1;
}

int
main(void)
{
    xipc_stream *rd, *wr;
    char buf[16];
    size_t put, got;
    int rc;

    if (strcmp(xipc_version(), XIPC_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: headers %s, library %s\n", XIPC_VERSION_STRING, xipc_version());
        return 1;
    }
    if ((rc = xipc_pipe(0, &rd, &wr)) != 0)
        return fail("xipc_pipe", rc);
    rc = xipc_stream_write(wr, "hello", 5, &put, 1000);
    if (rc == 0)
        rc = xipc_stream_read_exact(rd, buf, 5, &got, 1000);
    xipc_stream_close(wr);
    xipc_stream_close(rd);
    if (rc != 0)
        return fail("pipe round trip", rc);
    if (memcmp(buf, "hello", 5) != 0)
        return fail("pipe round trip: wrong bytes", XIPC_ECORRUPT);
    printf("consumer: xipc %s, pipe round trip ok\n", xipc_version());
    return 0;
}
