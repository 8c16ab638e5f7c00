#!/bin/sh
# usage: stop_compile.sh CNNC NET.cnn
# Stops `cnnc NET.cnn -o net.so` by SIGTERM while its child processes compile
# the network's parts (NET must be cut in two: GoogLeNet): cnnc exits by the
# signal, its children die with it, and neither its temporary directory nor
# any output is left.
c=$1; net=$2
d=$(mktemp -d); mkdir "$d/tmp"
TMPDIR="$d/tmp" "$c" "$net" -o "$d/net.so" & pid=$!
i=0; kids=""
while [ $i -lt 600 ] && [ -z "$kids" ]; do sleep 0.1; kids=$(pgrep -P $pid); i=$((i+1)); done
[ -n "$kids" ] || { echo "no compiling child seen"; kill $pid; rm -rf "$d"; exit 1; }
kill -TERM $pid; wait $pid; rc=$?
sleep 1
alive=""  # a child still running (a zombie waiting for its reaper is dead)
for k in $kids; do
  grep -qs '^State:[[:space:]]*[RSD]' /proc/$k/status && alive="$alive $k"
done
left=$(ls -A "$d/tmp"; ls "$d" | grep -v '^tmp$')
echo "exit $rc; children $kids; alive:$alive; left: $left"
[ -n "$alive" ] && kill -9 $alive
rm -rf "$d"
[ $rc -eq 143 ] && [ -z "$alive" ] && [ -z "$left" ]
