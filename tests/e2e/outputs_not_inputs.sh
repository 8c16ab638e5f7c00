#!/bin/sh
# usage: outputs_not_inputs.sh CNNC TINY.cnn
# An output that is one of the command's inputs, however it is spelled, is
# refused (exit 1, a message naming both) and the input is left as it was:
# `cnnc net.cnn -o net.cnn` replaced the network's source with the library.
# So is a library named like its own header (-o net.h: the header replaced
# the library).
c=$1; tiny=$2
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1
cp "$tiny" net.cnn
printf 'block twice(x) {\n    return relu(x)\n}\n' > lib.cnn
printf 'import "lib.cnn"\nnetwork m(data: [3, 6, 5]) {\n    return twice(data)\n}\n' > main.cnn
"$c" net.cnn -o net.so && "$c" init net.cnn -o net.st || exit 1
cp net.cnn net.keep; cp lib.cnn lib.keep; cp net.st st.keep; cp net.so so.keep
fail=0
# refused CMD... MESSAGE: CMD exits 1, prints MESSAGE, and changes no input.
refused() {
  eval "msg=\${$#}"
  n=$(($# - 1)); set -- $(echo "$@" | cut -d' ' -f1-$n)
  out=$("$c" "$@" 2>&1); rc=$?
  echo "cnnc $*: exit $rc: $out"
  if [ $rc -ne 1 ] || ! echo "$out" | grep -qF -- "$msg"; then
    echo "  expected exit 1 and: $msg"; fail=1
  fi
  for f in net.cnn:net.keep lib.cnn:lib.keep net.st:st.keep net.so:so.keep; do
    cmp -s "${f%%:*}" "${f#*:}" || { echo "  ${f%%:*} changed"; fail=1; cp "${f#*:}" "${f%%:*}"; }
  done
}
refused net.cnn -o net.cnn "the output 'net.cnn' is the network's source 'net.cnn'"
refused net.cnn -o ./net.cnn "the output './net.cnn' is the network's source 'net.cnn'"
refused main.cnn -o lib.cnn "the output 'lib.cnn' is the imported file 'lib.cnn'"
refused net.cnn -o net.h "-o 'net.h' names the library's header"
refused init net.cnn -o net.cnn "the output 'net.cnn' is the network's source"
refused graph net.cnn -o net.cnn "the output 'net.cnn' is the network's source"
refused run net.so --weights net.st -o net.st "the output 'net.st' is the weights"
refused run net.so --weights net.st -o net.so "the output 'net.so' is the library"
ln net.cnn hard.cnn
refused net.cnn -o hard.cnn "the output 'hard.cnn' is the network's source 'net.cnn'"
ln -s net.cnn soft.cnn
refused soft.cnn -o net.cnn "the output 'net.cnn' is the network's source 'soft.cnn'"
# A header that would replace the source: cnnc net.h -o net.so.
cp net.cnn net.h; cp net.h h.keep
out=$("$c" net.h -o net.so 2>&1); rc=$?
echo "cnnc net.h -o net.so: exit $rc: $out"
{ [ $rc -eq 1 ] && echo "$out" | grep -qF "the header 'net.h' that -o 'net.so' writes is the network's source 'net.h'" &&
  cmp -s net.h h.keep; } || { echo "  expected a refusal, net.h unchanged"; fail=1; }
# Outputs that are no input are still written.
"$c" run net.so --weights net.st -o y.npy >/dev/null && test -s y.npy || { echo "run -o y.npy failed"; fail=1; }
"$c" main.cnn -o main.so && test -s main.so && test -s main.h || { echo "main.so not written"; fail=1; }
exit $fail
