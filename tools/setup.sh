#!/usr/bin/env bash
# Installs what cnnc needs on Debian 12 and builds it into build/.
# Debian packages: the ANTLR tool and runtime, Catch2, clang 14 with its
# fuzzer runtime, binutils (ld links the libraries cnnc writes), and for the
# tests PyTorch and procps (pgrep); OpenBLAS for PyTorch in the benchmarks
# (Debian's default reference BLAS runs its fc layers 7 times slower); the
# AArch64 cross compiler and linker, for libraries built with --target
# arm-64-linux, and qemu-user to run them in the tests.
# PyPI (into .venv): CMake and Halide, pinned.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(antlr4 libantlr4-runtime-dev catch2 default-jre-headless g++ make
              clang-14 libclang-rt-14-dev binutils python3-venv
              python3-torch python3-torchvision python3-numpy procps libopenblas0-pthread)
# Without their recommends: qemu-user's, qemu-user-binfmt, would register
# qemu with the kernel for every foreign executable.
CROSS_PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing_apt < <(missing "${APT_PACKAGES[@]}")
mapfile -t missing_cross < <(missing "${CROSS_PACKAGES[@]}")
if ((${#missing_apt[@]} + ${#missing_cross[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "setup: installing ${missing_apt[*]} ${missing_cross[*]}"
  $SUDO apt-get update -qq
  if ((${#missing_apt[@]})); then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing_apt[@]}" >/dev/null
  fi
  if ((${#missing_cross[@]})); then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing_cross[@]}" >/dev/null
  fi
fi

# CMake >= 3.28 and Halide 21 come from PyPI, pinned.
pinned=$(grep -c . tools/requirements.txt)
if [ "$(.venv/bin/pip freeze 2>/dev/null | grep -cxF -f tools/requirements.txt)" != "$pinned" ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements.txt
fi

.venv/bin/cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
.venv/bin/cmake --build build -j"$(nproc)"
