# Compiles (never links) the Windows build as MSVC would see it, on a Linux machine without MSVC:
# clang-cl in MSVC mode with the clang-cl flags of XipcWarnings.cmake (/W4 /WX), over Debian's
# mingw-w64 headers, as there is no Windows SDK here. Those headers parse under clang only with
# __GNUC__ defined (without it they define __attribute__ away, which breaks clang's own
# intrinsics headers), so it is defined by hand: the code's _MSC_VER branches are compiled, but
# so are its __GNUC__ ones (tests/xt.h's format attribute), which cl never sees. Nothing is
# linked: there is no MSVC runtime here.
#   cmake -G Ninja -S . -B build/clang-cl -DCMAKE_TOOLCHAIN_FILE=cmake/clang-cl-check.cmake
#   ninja -C build/clang-cl $(ninja -C build/clang-cl -t targets all | grep -o '^[^:]*\.obj')
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
find_program(XIPC_CLANG_CL NAMES clang-cl clang-cl-14 REQUIRED)
set(CMAKE_C_COMPILER ${XIPC_CLANG_CL})
set(CMAKE_C_COMPILER_TARGET x86_64-pc-windows-msvc)
find_program(CMAKE_AR NAMES llvm-lib llvm-lib-14 PATHS /usr/lib/llvm-14/bin)
find_program(CMAKE_LINKER NAMES lld-link lld-link-14)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY) # the compiler checks link nothing either
set(CMAKE_C_FLAGS_INIT "-D__GNUC__=4 -D__GNUC_MINOR__=2 -imsvc /usr/x86_64-w64-mingw32/include")
set(CMAKE_CXX_COMPILER "") # the headers' C++ check needs MSVC's C++ headers
