#!/bin/sh
# tools/foreign.sh ARCH BUILD [busted args...]: the busted specs against
# BUILD/lgrad/core.so (cross-built for Debian architecture ARCH: arm64,
# i386, s390x, armhf) under qemu-user, with Debian's lua5.4 of that
# architecture and the C modules busted needs, downloaded and unpacked
# (dpkg -x, never installed: they would replace the host's lua5.4) into
# build/foreign/ARCH. busted and its pure-Lua parts are the host's. Needs
# `dpkg --add-architecture ARCH` and an apt-get update (as root) once.
# i386 runs natively (a 32-bit process on x86-64), without qemu.
# tools/foreign.sh ARCH BUILD --run SCRIPT [args...] runs a Lua script instead.
set -eu
arch=$1 build=$2; shift 2
case $arch in
  arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64 ;;
  armhf) triplet=arm-linux-gnueabihf qemu=qemu-arm ;;
  i386)  triplet=i386-linux-gnu qemu= ;;
  s390x) triplet=s390x-linux-gnu qemu=qemu-s390x ;;
  *) echo "tools/foreign.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac
dir=$(pwd)/build/foreign/$arch
if [ ! -x "$dir/root/usr/bin/lua5.4" ]; then
  mkdir -p "$dir"
  (cd "$dir" && apt-get download -qq lua5.4:$arch liblua5.4-0:$arch libreadline8:$arch \
     libtinfo6:$arch lua-term:$arch lua-filesystem:$arch lua-system:$arch \
     && for d in *.deb; do dpkg -x "$d" root; done)
fi
# The target's own libc is the cross toolchain's (libc6-ARCH-cross).
libs=$dir/root/usr/lib/$triplet:$dir/root/lib/$triplet
mkdir -p "$dir/bin"
if [ -n "$qemu" ]; then
  cat > "$dir/bin/lua5.4" <<EOS
#!/bin/sh
QEMU_LD_PREFIX=/usr/$triplet LD_LIBRARY_PATH=$libs exec $qemu $dir/root/usr/bin/lua5.4 "\$@"
EOS
else
  cross=/usr/i686-linux-gnu/lib
  cat > "$dir/bin/lua5.4" <<EOS
#!/bin/sh
exec $cross/ld-linux.so.2 --library-path $cross:$libs $dir/root/usr/bin/lua5.4 "\$@"
EOS
fi
chmod +x "$dir/bin/lua5.4"
export PATH="$dir/bin:$PATH" LGRAD_LUA=lua5.4 \
  LUA_PATH="./?.lua;./lua/?.lua;./lua/?/init.lua;/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua" \
  LUA_CPATH="./$build/?.so;$dir/root/usr/lib/$triplet/lua/5.4/?.so"
if [ "${1:-}" = --run ]; then shift; exec "$dir/bin/lua5.4" "$@"; fi
exec "$dir/bin/lua5.4" /usr/bin/busted --cpath="./$build/?.so" "$@"
