# Warnings (as errors unless XIPC_WERROR=OFF) and the optional native sanitizers.
set(XIPC_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wshadow -Wundef -Wformat=2 -Wvla -Wcast-qual
  # C only: C++ has no unprototyped functions (the public headers' C++ check compiles them).
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>)
if(XIPC_WERROR)
  list(APPEND XIPC_WARNING_FLAGS -Werror)
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
  if(WIN32)
    # mingw's printf knows %zu and %lld only with its own stdio.
    target_compile_definitions(${target} PRIVATE __USE_MINGW_ANSI_STDIO=1)
  endif()
endfunction()
