#!/bin/sh
# tools/musl.sh [busted args...]: the busted specs on musl libc. Debian has
# no musl Lua, so Lua 5.4 and the C modules busted needs (lfs, term) are
# built with musl-gcc from Debian's source packages (apt-get source, with
# an apt list of its own under build/musl: the system's apt setup is left
# alone), then lgrad (make cross CROSS_CC=musl-gcc) against that Lua's
# headers. lua-system is replaced by a three-line Lua shim (busted only
# asks it the time). Needs musl-tools and dpkg-dev; busted and its
# pure-Lua parts are the host's.
set -eu
top=$(pwd)
dir=$top/build/musl
lua=$dir/lua-5.4.4/src
if [ ! -x "$lua/lua" ] || [ ! -f "$dir/cmod/lfs.so" ] || [ ! -f "$dir/cmod/term/core.so" ]; then
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
  # upstream's sources (the .orig tarballs): Debian's build files use libtool
  (cd "$dir" && tar -xzf lua5.4_*.orig.tar.gz && tar -xzf lua-filesystem_*.orig.tar.gz \
     && tar -xzf lua-term_*.orig.tar.gz)
  make -s -C "$dir/lua-5.4.4" linux CC=musl-gcc
  musl-gcc -O2 -fPIC -shared -I"$lua" -o "$dir/cmod/lfs.so" "$dir"/lua-filesystem-*/src/lfs.c
  musl-gcc -O2 -fPIC -shared -I"$lua" -o "$dir/cmod/term/core.so" "$dir"/lua-term-*/core.c
  cat > "$dir/shim/system.lua" <<'EOS'
-- lua-system's calls busted makes (its times only label the report)
return { gettime = os.time, monotime = os.clock, sleep = function() end }
EOS
fi
make -s cross CROSS_CC=musl-gcc >/dev/null
mkdir -p "$dir/bin"
printf '#!/bin/sh\nexec %s "$@"\n' "$lua/lua" > "$dir/bin/lua5.4"
chmod +x "$dir/bin/lua5.4"
export PATH="$dir/bin:$PATH" LGRAD_LUA=lua5.4 \
  LUA_PATH="./?.lua;./lua/?.lua;./lua/?/init.lua;$dir/shim/?.lua;/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua" \
  LUA_CPATH="./build/cross/musl-gcc/?.so;$dir/cmod/?.so"
if [ "${1:-}" = --run ]; then shift; exec "$lua/lua" "$@"; fi
exec "$lua/lua" /usr/bin/busted --cpath="./build/cross/musl-gcc/?.so" "$@"
