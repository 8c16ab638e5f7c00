#!/bin/sh
# usage: library.sh CNNC TINY.cnn AARCH64_CC QEMU SYSROOT
# An AArch64 library (--target arm-64-linux): its header beside it, its
# SONAME its file name, nothing needed at run time but libc and libm; a C
# program cross-compiled against it runs (under qemu); `cnnc run` here says
# what it is.
set -e
c=$1; net=$2; cc=$3; qemu=$4; sysroot=$5
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$c" "$net" -o "$d/tinyarm.so" --target arm-64-linux
test -f "$d/tinyarm.h"
readelf -h "$d/tinyarm.so" | grep -q 'Machine:.*AArch64'
readelf -d "$d/tinyarm.so" | grep -qF 'Library soname: [tinyarm.so]'
needed=$(readelf -d "$d/tinyarm.so" | grep NEEDED | grep -v -e '\[libc\.so\.6\]' -e '\[libm\.so\.6\]' || true)
[ -z "$needed" ] || { echo "needs more than libc and libm: $needed"; exit 1; }
cat > "$d/main.c" <<'C'
#include "tinyarm.h"
#include <stdio.h>
int main(void) {
  int64_t d[3];
  cnnc_input_dims(d);
  printf("%s %d\n", cnnc_network_name(), (int)(d[0] * d[1] * d[2]));
  return 0;
}
C
"$cc" -Wall -I "$d" "$d/main.c" "$d/tinyarm.so" -o "$d/prog"
out=$(LD_LIBRARY_PATH="$d" "$qemu" -L "$sysroot" "$d/prog")
[ "$out" = "tiny 90" ] || { echo "the program printed '$out'"; exit 1; }
"$c" init "$net" -o "$d/w.st"
rc=0; out=$("$c" run "$d/tinyarm.so" --weights "$d/w.st" 2>&1) || rc=$?
echo "$out"
[ $rc = 1 ]
[ "$out" = "cnnc: error: '$d/tinyarm.so' is a library for AArch64, and this machine is x86-64: it runs only on AArch64" ]
echo "PASS"
