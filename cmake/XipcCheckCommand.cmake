# Runs the xipc command once and checks what it did, for the CTest tests cli_* (tests/
# CMakeLists.txt): cmake -DCOMMAND=<program> [-DEMULATOR=<wine>] -DARGS="<a b>" -DEXIT=<status>
#   [-DSTDOUT=<regex>] [-DSTDERR=<regex>] -P XipcCheckCommand.cmake
# The exit status must be EXIT exactly; each output must match its regex (an empty one: be
# empty). Fails with both outputs shown otherwise.
cmake_minimum_required(VERSION 3.20)
separate_arguments(ARGS UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${EMULATOR} ${COMMAND} ${ARGS}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(problems "")
if(NOT status STREQUAL EXIT)
  string(APPEND problems "exit status ${status}, expected ${EXIT}\n")
endif()
set(text_STDOUT "${out}")
set(text_STDERR "${err}")
foreach(stream STDOUT STDERR)
  if(DEFINED ${stream} AND "${${stream}}" STREQUAL "" AND NOT "${text_${stream}}" STREQUAL "")
    string(APPEND problems "${stream} should be empty\n")
  elseif(DEFINED ${stream} AND NOT "${${stream}}" STREQUAL ""
      AND NOT "${text_${stream}}" MATCHES "${${stream}}")
    string(APPEND problems "${stream} does not match: ${${stream}}\n")
  endif()
endforeach()
if(problems)
  message(FATAL_ERROR "xipc ${ARGS}:\n${problems}--- stdout\n${out}--- stderr\n${err}")
endif()
