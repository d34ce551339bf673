#!/bin/sh
# tools/mingw_dll.sh DIR [LUA_DLL]: link lgrad's MinGW objects in DIR (make
# cross) into DIR/lgrad/core.dll against LUA_DLL (a real lua54.dll:
# tools/wine.sh builds one) or else a stub lua54.dll that exports the Lua API
# functions they call (Debian has no Windows Lua to link to), then check
# the DLL imports only KERNEL32, msvcrt and Lua (no libwinpthread: src/core/pool.c
# uses Win32 threads) and exports only luaopen_lgrad_core and lgrad_*.
set -eu
d=$1 lua=${2:-} cc=${CC:-x86_64-w64-mingw32-gcc}
pre=${cc%gcc}
mkdir -p "$d/lgrad"
if [ -z "$lua" ]; then
  mkdir -p "$d/stub"
  "${pre}nm" -u "$d"/*.o "$d"/*/*.o | awk '{print $2}' | grep -E '^luaL?_' | sort -u |
    sed 's/.*/__declspec(dllexport) void &(void) {}/' > "$d/stub/lua54.c"
  "$cc" -shared -o "$d/stub/lua54.dll" "$d/stub/lua54.c"
  lua=$d/stub/lua54.dll
fi
"$cc" -shared -o "$d/lgrad/core.dll" "$d"/*.o "$d"/*/*.o "$lua" -lm
imports=$("${pre}objdump" -p "$d/lgrad/core.dll" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort | tr '\n' ' ')
[ "$imports" = "KERNEL32.dll lua54.dll msvcrt.dll " ] || { echo "core.dll imports: $imports" >&2; exit 1; }
exports=$("${pre}objdump" -p "$d/lgrad/core.dll" | sed -n '/Ordinal\/Name Pointer/,/^$/p' | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p')
bad=$(printf '%s\n' "$exports" | grep -vE '^(luaopen_lgrad_core|lgrad_[a-z_0-9]+)$' || true)
[ -z "$bad" ] || { echo "core.dll exports internal names: $bad" >&2; exit 1; }
echo "core.dll: imports $imports; $(printf '%s\n' "$exports" | wc -l) exports (luaopen_lgrad_core, lgrad_*)"
