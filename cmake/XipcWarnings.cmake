# Warnings (as errors unless XIPC_WERROR=OFF), the optional native sanitizers, and what MSVC needs
# for the C11 the sources use. Three kinds of compiler take three sets of flags: gcc and clang
# (and mingw-w64's gcc) GCC's; cl its own, since it reads -Wall as /Wall (every off-by-default
# warning, the Windows SDK's included) and ignores -Werror; clang-cl (the MSVC command line, so
# MSVC is true) /W4 /WX plus the clang warnings gcc's set names.
if(MSVC AND CMAKE_C_COMPILER_ID STREQUAL "MSVC")
  set(XIPC_COMPILER cl)
elseif(MSVC)
  set(XIPC_COMPILER clang-cl)
else()
  set(XIPC_COMPILER gnu)
endif()

if(XIPC_COMPILER STREQUAL "cl")
  # /std:c11 (CMAKE_C_STANDARD 11) is cl 19.28, VS 2019 16.8; <stdatomic.h>, which the library
  # (common/handle.c) and the tests use, is cl 19.35, VS 2022 17.5, and only with the flag below.
  if(CMAKE_C_COMPILER_VERSION VERSION_LESS 19.35)
    message(FATAL_ERROR "xipc needs cl 19.35 (Visual Studio 2022 17.5) or newer for C11 "
      "atomics; this is cl ${CMAKE_C_COMPILER_VERSION}")
  endif()
  if(CMAKE_VERSION VERSION_LESS 3.21)
    message(FATAL_ERROR "xipc with cl needs CMake 3.21 or newer, the first to pass /std:c11")
  endif()
  # cl's C11 atomics are lock-free only, which is all xipc uses (pointers and ints); cl still
  # defines __STDC_NO_ATOMICS__ with it, so nothing may test that macro.
  add_compile_options($<$<COMPILE_LANGUAGE:C>:/experimental:c11atomics>)
  set(XIPC_WARNING_FLAGS
    /W4
    # Headers included with <> (the Windows SDK, the CRT) are not xipc's: their warnings stay
    # hidden, as gcc and clang hide a system header's (VS 2019 16.10+).
    /external:anglebrackets /external:W0
    # C4200, C4204, C4221: a flexible array member (T x[];), a non-constant initializer of an
    # aggregate, and one holding a local's address are standard C99; cl still calls them
    # Microsoft extensions at /W4.
    /wd4200 /wd4204 /wd4221)
  if(XIPC_WERROR)
    list(APPEND XIPC_WARNING_FLAGS /WX)
  endif()
elseif(XIPC_COMPILER STREQUAL "clang-cl")
  set(XIPC_WARNING_FLAGS
    /W4 -Wshadow -Wundef -Wformat=2 -Wvla -Wcast-qual
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>)
  if(XIPC_WERROR)
    list(APPEND XIPC_WARNING_FLAGS /WX)
  endif()
else()
  set(XIPC_WARNING_FLAGS
    -Wall -Wextra -Wpedantic -Wshadow -Wundef -Wformat=2 -Wvla -Wcast-qual
    # C only: C++ has no unprototyped functions (the public headers' C++ check compiles them).
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>)
  if(XIPC_WERROR)
    list(APPEND XIPC_WARNING_FLAGS -Werror)
  endif()
endif()

if(XIPC_SANITIZE)
  if(WIN32)
    message(FATAL_ERROR "XIPC_SANITIZE is for native builds; mingw-w64 has no sanitizer runtimes")
  endif()
  add_compile_options(-fsanitize=${XIPC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${XIPC_SANITIZE})
endif()

function(xipc_warnings target)
  target_compile_options(${target} PRIVATE ${XIPC_WARNING_FLAGS})
  if(MINGW)
    # mingw's printf knows %zu and %lld only with its own stdio.
    target_compile_definitions(${target} PRIVATE __USE_MINGW_ANSI_STDIO=1)
  elseif(MSVC)
    # C4996: the CRT calls the standard strcpy, sprintf, fopen, getenv... "unsafe" and asks for
    # its own _s variants, which no other C library has; xipc checks its lengths itself.
    target_compile_definitions(${target} PRIVATE _CRT_SECURE_NO_WARNINGS)
  endif()
endfunction()
