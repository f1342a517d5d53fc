# Cross-compile for Windows x86-64 with Debian's mingw-w64, and run the results under Wine.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
# C++ only checks that the public headers compile as C++; skipped when mingw's g++ is missing.
find_program(XIPC_MINGW_CXX x86_64-w64-mingw32-g++)
if(XIPC_MINGW_CXX)
  set(CMAKE_CXX_COMPILER ${XIPC_MINGW_CXX})
endif()
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Static runtime: the .exe files import only KERNEL32 and msvcrt, so Wine needs no WINEPATH
# (a missing DLL shows only as exit status 53 under WINEDEBUG=-all; see docs/wine.md).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
# wine64 directly: /usr/bin/wine is a script that prints a wine32 hint on every run.
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
