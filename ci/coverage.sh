#!/usr/bin/env bash
# Line and branch coverage of the library (common/ and posix/) by the native test suite, with
# gcc's gcov: builds build/coverage, runs CTest there, and prints one line per source file and
# the totals. Not part of the README's test command; run it when a change adds paths.
set -uo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh || exit 1

dir=build/coverage
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc \
  -DCMAKE_C_FLAGS="--coverage -O0" >"$dir.configure.log" 2>&1 &&
  cmake --build "$dir" -j "$(nproc)" >"$dir.build.log" 2>&1 ||
  { echo "coverage build failed"; tail -n 30 "$dir.configure.log" "$dir.build.log"; exit 1; }
find "$dir" -name '*.gcda' -delete
ctest --test-dir "$dir" -j "$(nproc)" --timeout 300 >"$dir.ctest.log" 2>&1
sed -n '/tests passed/p' "$dir.ctest.log"

# The static library's objects: one .gcda per source file of common/ and posix/.
objdir="$dir/CMakeFiles/xipc_static.dir"
for gcda in "$objdir"/common/*.gcda "$objdir"/posix/*.gcda; do
  (cd "$(dirname "$gcda")" && gcov -b -n "$(basename "$gcda")" 2>/dev/null)
done | awk '
  function pct(s) { sub(/.*:/, "", s); sub(/%.*/, "", s); return s + 0 }
  /^File .*\/(common|posix)\// { file = $2; gsub(/\047/, "", file); n = split(file, part, "/"); file = part[n - 1] "/" part[n]; keep = 1; next }
  /^File / { keep = 0; next }
  keep && /^Lines executed:/ { n = $NF; l_hit += pct($2) * n / 100; l_all += n; lines = $0 }
  keep && /^Taken at least once:/ { n = $NF; b_hit += pct($4) * n / 100; b_all += n;
    printf "%-26s %-30s %s\n", file, lines, $0; keep = 0 }
  END {
    printf "total: lines %.1f%% of %d, branches taken %.1f%% of %d\n",
      100 * l_hit / l_all, l_all, 100 * b_hit / b_all, b_all
  }'
