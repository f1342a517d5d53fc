/* tests/xt.h: the test framework. One binary holds every test (tests/test_list.h); `xipc-tests
 * NAME` runs one, `xipc-tests --child ROLE args...` is a child a test spawned. A failed check
 * prints where and why and exits 1; tests run one per process, so nothing needs unwinding. */
#ifndef XT_H
#define XT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xipc.h"
#include "xt_os.h"

#define XT_TEST(name)  void xt_test_##name(void);
#define XT_CHILD(name) int xt_child_##name(int argc, char **argv);
#include "test_list.h"
#undef XT_TEST
#undef XT_CHILD

/* Exit status CTest reads as "skipped" (SKIP_RETURN_CODE). */
#define XT_SKIP_CODE 77

/* XT_PRINTF_FORMAT comes from tests/CMakeLists.txt: mingw's printf with its ANSI stdio is
 * gnu_printf, not the ms_printf that plain "printf" means there. _Noreturn is C11's, which cl
 * knows too (a function that ends in xt_fail returns nothing after it). */
#if defined(__GNUC__)
__attribute__((format(XT_PRINTF_FORMAT, 3, 4)))
#endif
_Noreturn void
xt_fail(const char *file, int line, const char *fmt, ...);

/* Prints "SKIP: reason" and exits 77. */
#define XT_SKIP(reason)                 \
    do {                                \
        printf("SKIP: %s\n", (reason)); \
        fflush(stdout);                 \
        exit(XT_SKIP_CODE);             \
    } while (0)

/* rc must be 0; on failure prints the code's name and the last OS error. */
#define CHECK_OK(expr) xt_check_rc(__FILE__, __LINE__, #expr, (expr), 0)
/* rc must be exactly the given XIPC_E* code. */
#define CHECK_RC(expr, want) xt_check_rc(__FILE__, __LINE__, #expr, (expr), (want))
#define CHECK(cond)                                          \
    do {                                                     \
        if (!(cond))                                         \
            xt_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
    } while (0)
#define CHECK_EQ(a, b)                                                                           \
    do {                                                                                         \
        long long xt_a_ = (long long)(a), xt_b_ = (long long)(b);                                \
        if (xt_a_ != xt_b_)                                                                      \
            xt_fail(__FILE__, __LINE__, "CHECK_EQ(%s, %s): %lld != %lld", #a, #b, xt_a_, xt_b_); \
    } while (0)
#define CHECK_GE(a, b)                                                                          \
    do {                                                                                        \
        long long xt_a_ = (long long)(a), xt_b_ = (long long)(b);                               \
        if (xt_a_ < xt_b_)                                                                      \
            xt_fail(__FILE__, __LINE__, "CHECK_GE(%s, %s): %lld < %lld", #a, #b, xt_a_, xt_b_); \
    } while (0)
#define CHECK_LT(a, b)                                                                           \
    do {                                                                                         \
        long long xt_a_ = (long long)(a), xt_b_ = (long long)(b);                                \
        if (xt_a_ >= xt_b_)                                                                      \
            xt_fail(__FILE__, __LINE__, "CHECK_LT(%s, %s): %lld >= %lld", #a, #b, xt_a_, xt_b_); \
    } while (0)
#define CHECK_STR(a, b)                                                                \
    do {                                                                               \
        const char *xt_a_ = (a), *xt_b_ = (b);                                         \
        if (xt_a_ == NULL || xt_b_ == NULL || strcmp(xt_a_, xt_b_) != 0)               \
            xt_fail(__FILE__, __LINE__, "CHECK_STR(%s, %s): \"%s\" != \"%s\"", #a, #b, \
                xt_a_ ? xt_a_ : "(null)", xt_b_ ? xt_b_ : "(null)");                   \
    } while (0)

void xt_check_rc(const char *file, int line, const char *expr, int rc, int want);

/* Generous upper bound for timing checks: wake-ups under Wine and the sanitizers are slow. The
 * lower bound is always strict. */
#define XT_SLACK_MS 3000
/* How long a test waits for a child to do its part before calling it hung. */
#define XT_CHILD_TIMEOUT_MS 30000

/* ---- Child exit codes ----------------------------------------------------------------------- */

/* Exit status of a child whose xt_import failed. */
#define XT_IMPORT_FAILED_CODE 90

/* A child that ends on an xipc result exits with xt_child_exit_code(rc): 0 for 0, and for each
 * XIPC_E* code of XIPC_ERRNO_MAP its own value from XT_CHILD_EXIT_ERR_FIRST on, in table order
 * (a code not in the table: XT_CHILD_EXIT_ERR_FIRST - 1). The range stays clear of the codes
 * that mean something else: 0, 1 (a failed check), 2 (usage), 77 (skip), 90 (import failure),
 * 128 + a signal number as shells report it, and the low bytes Wine leaves of Windows crash
 * statuses (3 abort, 4, 5 access violation, 9, 23, 29, 37, 38, 53 missing DLL, 57, 58, 66, 116,
 * 140-150, 253 stack overflow). */
#define XT_CHILD_EXIT_ERR_FIRST 200
#define XT_CHILD_EXIT_ERR_LAST  252
int xt_child_exit_code(int xipc_err);
/* The XIPC_E* code behind a child's exit code, or 0 when the code is none of them. */
int xt_child_exit_error(int code);

/* ---- Children ------------------------------------------------------------------------------- */

/* Options that run this binary as `--child role args...`, dying with the test
 * (XIPC_SPAWN_DIE_WITH_PARENT). argv must have room for the arguments plus four. */
xipc_spawn_opts xt_child_opts(const char **argv, const char *role, const char *const *args);

/* Spawns this binary as `--child role args...` with the given stdio (NULL: inherit all three)
 * and extra handles. The child dies with the test (XIPC_SPAWN_DIE_WITH_PARENT). */
xipc_proc *xt_spawn_child(const char *role, const char *const *args, const xipc_stdio *stdio,
    xipc_handle *const *handles, size_t handle_count);

/* Most handles xt_spawn_passing passes. */
#define XT_PASS_MAX 8

/* Spawns `--child role args... text_0 text_1 ...`, where text_i is the export text of
 * handles[i], which the child inherits: one call instead of an export, an argv slot and a handle
 * list entry per handle. The child finds the texts after its own arguments. */
xipc_proc *xt_spawn_passing(const char *role, const char *const *args, const xipc_stdio *stdio,
    xipc_handle *const *handles, size_t handle_count);

/* Creates the objects xipc makes once per process (the kill-on-close job on Windows, the
 * per-thread error record), so that a handle count taken afterwards sees only what a test adds. */
void xt_warm_up(void);

/* Waits for the child to exit normally with want_code, then closes it. Another code is reported
 * with what it means ("XIPC_ETIMEDOUT", "a failed check", ...). */
void xt_expect_exit(xipc_proc *p, int want_code);

/* The handle of any xipc object, or a handle itself: xt_handle_of(stream), (event), (proc)...
 * (clang-format 14 breaks _Generic's association list apart.) */
/* clang-format off */
#define xt_handle_of(obj)                  \
    _Generic((obj),                        \
        xipc_handle *: xt_handle_identity, \
        xipc_stream *: xipc_stream_handle, \
        xipc_proc *: xipc_proc_handle,     \
        xipc_event *: xipc_event_handle,   \
        xipc_sem *: xipc_sem_handle,       \
        xipc_mutex *: xipc_mutex_handle,   \
        xipc_npipe *: xipc_npipe_handle,   \
        xipc_msgpipe *: xipc_msgpipe_handle, \
        xipc_shm *: xipc_shm_handle,       \
        xipc_mq *: xipc_mq_handle)(obj)
/* clang-format on */
static inline xipc_handle *
xt_handle_identity(xipc_handle *h)
{
    return h;
}

/* The export text of any handle, or of any object (see xt_handle_of), in a caller buffer. */
#define xt_export(obj, text) xt_export_handle(xt_handle_of(obj), (text))
void xt_export_handle(xipc_handle *h, char text[XIPC_HANDLE_TEXT_MAX]);

/* In a child: the stream behind an export text (exits XT_IMPORT_FAILED_CODE on failure). */
xipc_stream *xt_import(const char *text);

/* ---- Ready/go channels ---------------------------------------------------------------------- */

/* Two pipes that line a child up with the test instead of a sleep: the child says "ready" when
 * it has reached a point and, where the test must act first, waits for "go". The parent opens
 * the channel and passes the child its two ends (xt_channel_child_ends, e.g. to
 * xt_spawn_passing); the child imports them (xt_channel_import) into an xt_channel of its own. */
typedef struct xt_channel {
    xipc_stream *ready_rd, *ready_wr, *go_rd, *go_wr;
} xt_channel;

void xt_channel_open(xt_channel *ch);
/* The child's two ends (ready writer, go reader), in the order xt_channel_import takes them. */
void xt_channel_child_ends(xt_channel *ch, xipc_handle *ends[2]);
/* In the child: the two ends behind their export texts (exits XT_IMPORT_FAILED_CODE on failure). */
void xt_channel_import(xt_channel *ch, const char *ready_text, const char *go_text);
/* Child: says "ready". Parent: waits for it (failing the test after XT_CHILD_TIMEOUT_MS). */
void xt_channel_ready(xt_channel *ch);
void xt_channel_wait_ready(xt_channel *ch);
/* Parent: lets the child go on. Child: waits for that. */
void xt_channel_go(xt_channel *ch);
void xt_channel_wait_go(xt_channel *ch);
/* Closes whichever ends this process holds. */
void xt_channel_close(xt_channel *ch);

/* A name unique to this test run, "xt.<pid>.<tag>", for named objects. The buffer is the
 * caller's (XIPC_NAME_MAX + 1 bytes). */
void xt_name(const char *tag, char name[XIPC_NAME_MAX + 1]);

/* ---- Transfers ------------------------------------------------------------------------------ */

/* Reads exactly n bytes (fails the test on EOF, error or timeout). */
void xt_read_exact(xipc_stream *s, void *buf, size_t n, int timeout_ms);
/* Writes all n bytes (fails the test otherwise). */
void xt_write_all(xipc_stream *s, const void *buf, size_t n, int timeout_ms);
/* Reads until end of stream into a malloc'd, NUL-terminated buffer; *len gets the byte count. */
char *xt_read_to_eof(xipc_stream *s, size_t *len, int timeout_ms);
/* Expects end of stream next. */
void xt_expect_eof(xipc_stream *s, int timeout_ms);

/* The byte at offset i of the test pattern both sides of a transfer compute. */
static inline unsigned char
xt_pattern(uint64_t i)
{
    uint64_t x = i * UINT64_C(0x9E3779B97F4A7C15);
    return (unsigned char)((x >> 56) ^ (i >> 12));
}

#endif /* XT_H */
