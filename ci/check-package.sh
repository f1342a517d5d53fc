#!/usr/bin/env bash
# Uses xipc as another project would, from a pass that ci/test.sh has built (build/NAME):
#   1. installs it (cmake --install) into build/NAME-prefix;
#   2. builds ci/consumer against that prefix through its CMake package (find_package) and runs
#      its programs with CTest: one linked to the shared library, one to the static one;
#   3. builds the same program through pkg-config (xipc.pc, xipc-static.pc) and runs it;
#   4. builds ci/host, which takes xipc as a subproject (add_subdirectory, then FetchContent),
#      checks that nothing of xipc's leaks into it, and runs its programs with CTest.
# Windows programs run under Wine (the caller has started the server: ci/wine-env.sh); the
# shared ones find the DLL beside them (CMake) or through WINEPATH, Windows' PATH (pkg-config).
# Usage: ci/check-package.sh NAME [cmake args of the pass...]. Logs: build/NAME-package.log.
set -uo pipefail
cd "$(dirname "$0")/.."
name=$1; shift
src=$PWD
prefix=$src/build/$name-prefix
log=$src/build/$name-package.log
: >"$log"

step() { # description, command...
  local what=$1; shift
  echo "-- $what" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "$name package check failed: $what (build/$name-package.log)"
    tail -n 30 "$log"
    exit 1
  fi
}

ctest_project() { # build dir: runs its tests, and fails unless exactly the expected ones ran
  local dir=$1; shift
  local listed
  ctest --test-dir "$dir" --output-on-failure --timeout 120 || return 1
  listed=$(ctest --test-dir "$dir" -N | sed -n 's/^ *Test *#[0-9]*: //p' | sort | tr '\n' ' ')
  echo "tests: $listed"
  [ "$listed" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]
}

windows=0
case " $* " in *mingw*) windows=1 ;; esac
run() { # program: runs it, under Wine for the Windows build
  if [ $windows = 1 ]; then
    WINEPATH="$prefix/bin" /usr/lib/wine/wine64 "$1"
  else
    LD_LIBRARY_PATH="$prefix/lib" "$1"
  fi
}

rm -rf "$prefix" "build/$name-consumer" "build/$name-pkgconfig" "build/$name-host-"*
step "install" cmake --install "build/$name" --prefix "$prefix"
for f in include/xipc.h include/xipc/version.h lib/cmake/xipc/xipcConfigVersion.cmake \
         lib/pkgconfig/xipc.pc lib/pkgconfig/xipc-static.pc; do
  step "installed $f" test -f "$prefix/$f"
done
if [ $windows = 1 ]; then
  step "installed the DLL, its import library and the command" \
    test -f "$prefix/bin/libxipc.dll" -a -f "$prefix/lib/libxipc.dll.a" -a -f "$prefix/lib/libxipc.a" \
    -a -f "$prefix/bin/xipc.exe"
else
  soname=$(readlink "$prefix/lib/libxipc.so")
  step "installed the versioned shared library ($soname), the static one and the command" \
    test -L "$prefix/lib/libxipc.so" -a "${soname#libxipc.so.}" != "$soname" \
    -a -f "$prefix/lib/$soname" -a -f "$prefix/lib/libxipc.a" -a -f "$prefix/bin/xipc"
fi

step "consumer: configure with find_package(xipc)" \
  cmake -S ci/consumer -B "build/$name-consumer" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" "$@"
step "consumer: build" cmake --build "build/$name-consumer"
step "consumer: run" ctest_project "build/$name-consumer" consumer_shared consumer_static

# pkg-config, as a Makefile would call it; the cross compiler for the Windows build.
cc=gcc exe=
if [ $windows = 1 ]; then cc=x86_64-w64-mingw32-gcc exe=.exe; fi
mkdir -p "build/$name-pkgconfig"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
for pc in xipc xipc-static; do
  out=build/$name-pkgconfig/consumer-$pc$exe
  # shellcheck disable=SC2046 # pkg-config's flags are meant to split
  step "pkg-config $pc: build" $cc -std=c11 -o "$out" ci/consumer/consumer.c $(pkg-config --cflags --libs $pc)
  step "pkg-config $pc: run" run "$out"
done
unset PKG_CONFIG_PATH

for mode in subdirectory fetchcontent; do
  dir=build/$name-host-$mode
  step "host ($mode): configure" cmake -S ci/host -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXIPC_HOST_MODE=$mode -DXIPC_SOURCE_DIR="$src" "$@"
  step "host ($mode): build" cmake --build "$dir" -j "$(nproc)"
  step "host ($mode): run, and only the host's tests in its CTest" ctest_project "$dir" host_shared host_static
done
echo "$name package check passed: install, find_package, pkg-config, add_subdirectory, FetchContent"
