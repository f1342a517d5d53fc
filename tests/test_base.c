/* tests/test_base.c: the error table, name rules and the OS-error record. */
#include "xt.h"

void
xt_test_base_error_table(void)
{
    static const int codes[] = {
#define XT_CODE(name, value, text) XIPC_##name,
        XIPC_ERRNO_MAP(XT_CODE)
#undef XT_CODE
    };
    size_t n = sizeof codes / sizeof codes[0];
    /* Values are ABI: the same on every platform, never renumbered. */
    CHECK_EQ(XIPC_ENOENT, -2);
    CHECK_EQ(XIPC_EINVAL, -22);
    CHECK_EQ(XIPC_EPIPE, -32);
    CHECK_EQ(XIPC_ETIMEDOUT, -110);
    CHECK_EQ(XIPC_EOWNERDEAD, -130);
    CHECK_EQ(XIPC_ECLOSED, -1000);
    CHECK_EQ(XIPC_EOS, -1002);
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] < 0);
        CHECK(strncmp(xipc_errname(codes[i]), "XIPC_E", 6) == 0);
        CHECK(strcmp(xipc_strerror(codes[i]), "unknown error") != 0);
        for (size_t j = i + 1; j < n; j++) {
            CHECK(codes[i] != codes[j]);
            CHECK(strcmp(xipc_errname(codes[i]), xipc_errname(codes[j])) != 0);
        }
    }
    CHECK_STR(xipc_errname(XIPC_ETIMEDOUT), "XIPC_ETIMEDOUT");
    CHECK_STR(xipc_strerror(XIPC_ETIMEDOUT), "timed out");
    CHECK_STR(xipc_errname(-7777), "XIPC_UNKNOWN");
    CHECK_STR(xipc_strerror(-7777), "unknown error");
    CHECK_STR(xipc_strerror(0), "success");
}

void
xt_test_base_name_rules(void)
{
    char longest[XIPC_NAME_MAX + 2], too_long[XIPC_NAME_MAX + 2];
    memset(longest, 'a', XIPC_NAME_MAX);
    longest[XIPC_NAME_MAX] = '\0';
    memset(too_long, 'a', XIPC_NAME_MAX + 1);
    too_long[XIPC_NAME_MAX + 1] = '\0';

    CHECK_OK(xipc_name_check("a"));
    CHECK_OK(xipc_name_check("Az09._-"));
    CHECK_OK(xipc_name_check("/leading-slash-dropped"));
    CHECK_OK(xipc_name_check("a..b"));
    CHECK_OK(xipc_name_check(longest));
    CHECK_EQ(strlen(too_long), 65);

    CHECK_RC(xipc_name_check(NULL), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(""), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("/"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(too_long), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("a/b"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("//a"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("a\\b"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(".."), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("../etc"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check(".hidden"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("/.hidden"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("with space"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("caf\xc3\xa9"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("colon:x"), XIPC_EINVAL);
    CHECK_RC(xipc_name_check("Global\\x"), XIPC_EINVAL);

    /* With a length: the slash still counts as dropped, and a NUL inside is refused rather than
     * read as a shorter name. */
    CHECK_OK(xipc_name_check_len("/abc", 4));
    CHECK_OK(xipc_name_check_len(longest, XIPC_NAME_MAX));
    CHECK_RC(xipc_name_check_len("ab\0cd", 5), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len("abc\0", 4), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len("abc", 0), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len(too_long, XIPC_NAME_MAX + 1), XIPC_EINVAL);
    CHECK_RC(xipc_name_check_len(NULL, 3), XIPC_EINVAL);
}

void
xt_test_base_last_os_error(void)
{
    char text[256];
    xipc_stream *s = NULL;
    CHECK_RC(xipc_last_os_error_describe(NULL, 10), XIPC_EINVAL);
    CHECK_RC(xipc_last_os_error_describe(text, 0), XIPC_EINVAL);
    /* A well-formed export text naming nothing open: the OS check fails and is recorded. */
    CHECK_RC(xipc_stream_import("xipc1:stream:r:987654", &s), XIPC_EBADF);
    CHECK(s == NULL);
    CHECK(xipc_last_os_error() != 0);
    CHECK_OK(xipc_last_os_error_describe(text, sizeof text));
    CHECK(strstr(text, "error") != NULL);
    CHECK(strlen(text) > 20);
    /* A short buffer is still NUL-terminated. */
    CHECK_OK(xipc_last_os_error_describe(text, 8));
    CHECK_EQ(strlen(text), 7);
}
