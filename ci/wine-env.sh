# Sourced by the ci/ scripts: a private, prepared Wine prefix for the Windows build.
# - The prefix is created once before any test runs (about 8 s); otherwise the first test pays
#   for it and gets its messages on stderr (docs/wine.md).
# - AeDebug Debugger=false: a crashing test exits at once instead of starting winedbg.
# - wineserver -p keeps the server up between tests; xipc_wine_stop ends it. It is started before
#   any Wine program runs, so that Wine's services (services.exe, winedevice, ...) start now with
#   their output on /dev/null: started by the first test, they would inherit its stdout and
#   outlive it, and CTest would wait for that pipe until the test's timeout.
export WINEDEBUG=-all
export WINEPREFIX="${XIPC_WINEPREFIX:-$PWD/build/wine-prefix}"
export WINEARCH=win64

# An argument is a CPU list (taskset -c) for the server: any server of the prefix is ended first,
# so that the one started here, on those CPUs, is the one every program talks to.
xipc_wine_start() {
  mkdir -p "$(dirname "$WINEPREFIX")"
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "Creating the Wine prefix $WINEPREFIX"
    wineboot -i >/dev/null 2>&1 || true
    wineserver -w
  fi
  if [ -n "${1:-}" ]; then
    wineserver -k >/dev/null 2>&1 || true
    wineserver -w
    taskset -c "$1" wineserver -p
  else
    wineserver -p
  fi
  /usr/lib/wine/wine64 reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
    /v Debugger /d false /f </dev/null >/dev/null 2>&1
}

xipc_wine_stop() {
  wineserver -k >/dev/null 2>&1 || true
}
