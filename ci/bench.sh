#!/usr/bin/env bash
# The README's main command: installs what is missing, builds xipc natively and for Windows, and
# runs `xipc bench` on both (the Windows build under Wine). Arguments go to `xipc bench`;
# without any, it runs the quick comparison (--quick).
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh
source ci/wine-env.sh
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--quick)
mkdir -p build
# Built as ci/test.sh builds (RelWithDebInfo, -O2), so that -Werror sees here the code the tests
# passed: a Release (-O3) build shows gcc warnings no test pass would have met.
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/native.configure.log 2>&1
cmake --build build/native -j "$(nproc)" --target xipc_cli >build/native.build.log
cmake -S . -B build/wine -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake >build/wine.configure.log 2>&1
cmake --build build/wine -j "$(nproc)" --target xipc_cli >build/wine.build.log
echo "== Linux"
build/native/xipc bench "${args[@]}"
echo
echo "== Windows build under Wine"
# Every Win32 call that waits or moves data is a request to the wineserver, and where the
# scheduler puts the server decides the rate rows: 64-byte messages measured ~52k/s with it on
# the measuring process's CPU and ~15k/s on the peer's, for raw and xipc alike, so a server left
# to move between them made those rows swing by 3x from run to run. It stays on CPU 0, the
# measuring process's (xipc bench pins that one to CPU 0 and the peer to CPU 1).
echo "wineserver pinned to CPU 0, beside the measuring process"
xipc_wine_start 0
trap xipc_wine_stop EXIT
/usr/lib/wine/wine64 build/wine/xipc.exe bench "${args[@]}"
