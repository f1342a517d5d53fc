#!/usr/bin/env bash
# Installs what the build and the tests need on Debian 12, as root, if it is missing:
# the native toolchains (gcc, clang with its sanitizer runtimes), cmake, mingw-w64 (C, and C++ to
# check that every public header compiles as C++ for Windows too), Wine, and python3, whose
# multiprocessing.shared_memory opens xipc's sections in the interop test.
set -euo pipefail

packages=(cmake make gcc clang libclang-rt-14-dev gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine wine64 python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/install-deps.sh: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci/install-deps.sh: need root to install packages" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
