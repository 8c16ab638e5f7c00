#!/usr/bin/env bash
# Builds the frontend fuzzer (clang 14, libFuzzer, ASan, UBSan) into
# build-fuzz/ and runs it for SECONDS (default 60), seeded with the examples
# and the golden tests. Exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
CMAKE=.venv/bin/cmake
[ -x "$CMAKE" ] || CMAKE=cmake
"$CMAKE" -S . -B build-fuzz -DCNNC_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  >/dev/null
"$CMAKE" --build build-fuzz -j"$(nproc)" --target frontend_fuzzer
corpus=build-fuzz/corpus
mkdir -p "$corpus"
find examples tests/golden -name '*.cnn' -exec cp {} "$corpus"/ \;
# Deep recursion and big inputs are diagnosed by the frontend; a finding is a
# crash, a leak, undefined behaviour, a timeout (10 s) or 2 GB of memory.
build-fuzz/frontend_fuzzer "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix=build-fuzz/ 2>&1 | tail -n 25
exit "${PIPESTATUS[0]}"
