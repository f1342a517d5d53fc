/* tests/test_list.h: every test and every child role, one line each. tests/CMakeLists.txt reads
 * the XT_TEST( lines and registers each test with CTest, natively and under Wine. Process tests
 * come first: a spawn bug breaks everything after them. No include guard: included several
 * times with different definitions of the macros. */

/* proc */
XT_TEST(proc_exit_codes)
XT_TEST(proc_crash_reported)
XT_TEST(proc_wait_timeout_then_kill)
XT_TEST(proc_pid_matches_child)
XT_TEST(proc_argv_exact)
XT_TEST(proc_env_overlay_and_clear)
XT_TEST(proc_cwd)
XT_TEST(proc_stdio_streams_and_null)
XT_TEST(proc_stdio_inherit)
XT_TEST(proc_missing_program)
XT_TEST(proc_die_with_parent)
XT_TEST(proc_bad_input)

/* base */
XT_TEST(base_error_table)
XT_TEST(base_name_rules)
XT_TEST(base_last_os_error)

/* pipe */
XT_TEST(pipe_roundtrip_across_processes)
XT_TEST(pipe_eof_when_writer_closes)
XT_TEST(pipe_epipe_when_reader_gone)
XT_TEST(pipe_writer_child_survives_epipe)
XT_TEST(pipe_read_timeouts)
XT_TEST(pipe_write_timeout_reports_partial)
XT_TEST(pipe_write_forever_then_woken)
XT_TEST(pipe_transfer_64mib)
XT_TEST(pipe_only_listed_handles_inherited)
XT_TEST(pipe_bad_input)
XT_TEST(pipe_no_handle_leak)

/* child roles: `xipc-tests --child ROLE args...` */
XT_CHILD(exit_with)
XT_CHILD(crash)
XT_CHILD(block_on_stdin)
XT_CHILD(print_pid)
XT_CHILD(print_args)
XT_CHILD(print_env)
XT_CHILD(print_cwd)
XT_CHILD(stdio_echo)
XT_CHILD(spawn_inherit)
XT_CHILD(say)
XT_CHILD(spawn_grandchild_then_block)
XT_CHILD(hold_and_block)
XT_CHILD(echo)
XT_CHILD(write_and_exit)
XT_CHILD(read_one_and_exit)
XT_CHILD(write_until_epipe)
XT_CHILD(sleep_then_write)
XT_CHILD(drain_and_report)
XT_CHILD(produce_pattern)
XT_CHILD(probe_handles)
