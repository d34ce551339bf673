#!/bin/sh
# tools/wine.sh [busted args...]: the busted specs on Windows (x86-64,
# mingw-w64) under Wine. Lua 5.4 (lua54.dll, lua.exe) and the C modules
# busted needs (lfs, term) are built with x86_64-w64-mingw32-gcc from the
# upstream sources in Debian's source packages (apt-get source, with an apt
# list of its own under build/wine, as tools/musl.sh does), then lgrad's
# core.dll against that lua54.dll (tools/mingw_dll.sh, which also checks
# its imports and exports). lua-system is replaced by a three-line Lua shim
# (busted only asks it the time). `tools/wine.sh --run script.lua` runs a
# script instead. Needs wine64, gcc-mingw-w64-x86-64 and dpkg-dev; busted
# and its pure-Lua parts are the host's. The Wine prefix is build/wine/prefix
# unless WINEPREFIX says otherwise.
set -eu
top=$(pwd)
dir=$top/build/wine
cc=x86_64-w64-mingw32-gcc
lua=$dir/lua-5.4.4/src
if [ ! -f "$lua/lua.exe" ] || [ ! -f "$dir/cmod/lfs.dll" ] || [ ! -f "$dir/cmod/term/core.dll" ]; then
  mkdir -p "$dir/apt/lists/partial" "$dir/cmod/term" "$dir/shim"
  echo "deb-src http://deb.debian.org/debian bookworm main" > "$dir/apt/sources.list"
  apt="apt-get -o Dir::Etc::SourceList=$dir/apt/sources.list -o Dir::Etc::SourceParts=/nonexistent
    -o Dir::State::Lists=$dir/apt/lists"
  $apt update -qq
  # one at a time: the mirror may lack a package's debian.tar (lua-term's
  # was a 404), and only the upstream .orig tarballs are used
  for p in lua5.4 lua-filesystem lua-term; do
    (cd "$dir" && $apt source -qq --download-only $p) || true
  done
  (cd "$dir" && tar -xzf lua5.4_*.orig.tar.gz && tar -xzf lua-filesystem_*.orig.tar.gz \
     && tar -xzf lua-term_*.orig.tar.gz)
  # Lua's own `mingw` target, with the cross tools (its strip is the host's)
  make -s -C "$lua" CC=$cc "AR=$cc -shared -o" "RANLIB=${cc%gcc}strip --strip-unneeded" \
    LUA_A=lua54.dll LUA_T=lua.exe SYSCFLAGS=-DLUA_BUILD_AS_DLL SYSLIBS= SYSLDFLAGS=-s lua.exe
  $cc -O2 -shared -I"$lua" -o "$dir/cmod/lfs.dll" "$dir"/lua-filesystem-*/src/lfs.c "$lua/lua54.dll"
  $cc -O2 -shared -I"$lua" -o "$dir/cmod/term/core.dll" "$dir"/lua-term-*/core.c "$lua/lua54.dll"
  cat > "$dir/shim/system.lua" <<'EOS'
-- lua-system's calls busted makes (its times only label the report)
return { gettime = os.time, monotime = os.clock, sleep = function() end }
EOS
fi
# lgrad against upstream's headers (no Debian multiarch luaconf.h), then the
# DLL linked to the lua54.dll it will be loaded by
# DLL linked to the lua54.dll it will be loaded by. WINE_GNU=1: built as
# LuaRocks builds (GNU mode, no -ffp-contract), in build/wine/obj-gnu.
obj=build/wine/obj
if [ -n "${WINE_GNU:-}" ]; then
  obj=build/wine/obj-gnu
  make -s objs CC=$cc BUILD=$obj LUA=lua5.4 LUA_INC="-I$lua" STD= FPFLAGS= >/dev/null
else
  make -s objs CC=$cc BUILD=$obj LUA=lua5.4 LUA_INC="-I$lua" CFLAGS=-Werror >/dev/null
fi
CC=$cc tools/mingw_dll.sh $obj "$lua/lua54.dll" >/dev/null
wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
# the specs start child interpreters as lua5.4 (LGRAD_LUA), through
# cmd.exe: a lua5.4.exe beside lua54.dll, on the Windows PATH by WINEPATH
# (Wine's Z: drive is the Unix root)
cp "$lua/lua.exe" "$lua/lua5.4.exe"
export WINEPREFIX="${WINEPREFIX:-$dir/prefix}" WINEDEBUG="${WINEDEBUG:--all}" LGRAD_LUA=lua5.4 \
  WINEPATH="Z:$(printf '%s' "$lua" | tr / '\\')" \
  LUA_PATH="./?.lua;./lua/?.lua;./lua/?/init.lua;$dir/shim/?.lua;/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua" \
  LUA_CPATH="./$obj/?.dll;$dir/cmod/?.dll"
if [ "${1:-}" = --run ]; then shift; exec "$wine" "$lua/lua.exe" "$@"; fi
# --ignore-lua: .busted names lua5.4, which busted would re-run itself under
exec "$wine" "$lua/lua.exe" /usr/bin/busted --ignore-lua --cpath="./$obj/?.dll" "$@"
