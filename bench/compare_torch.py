#!/usr/bin/python3
"""Times cnnc libraries against PyTorch on the same weights and input,
interleaved in one process, and prints medians and ratios.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        /usr/bin/python3 bench/compare_torch.py --cnnc build/cnnc
        [--nets alexnet,googlenet,resnet18,resnet50,squeezenet1_1,vgg16]
        [--batches 1,8] [--rounds 6] [--seconds 0.5] [--pair-seconds 10] [--no-caffe]
        [--caffe-without-lrn] [--reference-blas] [--peak build/peak]

Each row gives the engine's median time, images/s, GFLOP/s (2 x the
network's multiply-adds, language.md's figures, per second) and that as a
percentage of the machine's fp32 FMA peak on all threads, which `peak` (by
default the one beside --cnnc) measures before the first network; the peak
measured after the last one is printed too. Where the threads together gave
under 3/4 of one thread's peak times the physical cores in every try (other
work had part of the cores; `peak` tries 4 times, a second apart), the line
says so: the % column is then of what they gave.

PyTorch runs on OpenBLAS (the script refuses Debian's reference BLAS, which
makes its fc layers 7 times slower, unless --reference-blas) with 2 threads,
in eval mode under no_grad, in each of its
variants (eager, channels_last, jit.trace + freeze + optimize_for_inference,
and that with channels_last); its best is the baseline. Each round times every
engine for about --seconds; the table shows the median over rounds.

Unless --no-caffe, the Caffe-style example of each network (examples/NET.cnn,
random weights from `cnnc init`) is compiled and its time per multiply-add is
compared with the torchvision library's, after the rounds, from a run of
--pair-seconds alternating single calls of the libraries (medians: rounds
minutes apart differ by more than the comparison needs), with a 95 % bootstrap
interval of the difference per multiply-add. With --caffe-without-lrn, a copy
of the Caffe-style example without its LRNs (`-> lrn(...)` left out of its
chains: the same weights and multiply-adds; language.md's figures count no LRN
work) alternates with the two: how much of the Caffe example's time per
multiply-add its LRNs take, measured in the same minutes. Each of these
libraries is loaded twice (the file copied, each load with its own load of the
weights), and the twins alternate with the rest: a twin's time against the
other's is what the run's noise alone makes of two equal libraries (on a
shared virtual machine, from under 1 % in a quiet hour to a third in a busy
one), and it can slow one load alone (a run on 2026-12-07 had one Caffe
AlexNet load 19.5 % dearer at batch 8 while the other libraries kept their
pace). Noise only adds time, so each comparison per multiply-add takes each
library's faster load; a difference no larger than the twins' is not one the
run can show.
"""
import argparse
import ctypes
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "torch"))
import parity  # noqa: E402  (torchvision models, weight randomization and pairing)


def timed(fn, seconds):
    # Worker threads of the engine timed before (OpenBLAS's spin for up to
    # 2^28 cycles after each call) would share the cores with this one: let
    # them fall asleep first.
    time.sleep(0.3)
    fn()  # warm up
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 3:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def alternating(fns, seconds):
    """Single calls of each of `fns` in turn for about `seconds` (at least 5
    each): the times of each one's calls, a list per function."""
    time.sleep(0.3)
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times[0]) < 5:
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return times


def median_ratio_interval(ta, tb, resamples=2000, seed=0):
    """A 95 % bootstrap interval of median(tb) / median(ta), each list
    resampled with replacement: how far the ratio of two medians of noisy
    calls can be trusted."""
    rng = np.random.default_rng(seed)
    a, b = np.asarray(ta), np.asarray(tb)
    ratios = [np.median(rng.choice(b, b.size)) / np.median(rng.choice(a, a.size))
              for _ in range(resamples)]
    return np.percentile(ratios, 2.5), np.percentile(ratios, 97.5)


def load_library(path, weights):
    lib = ctypes.CDLL(path)
    lib.cnnc_load.restype = ctypes.c_void_p
    lib.cnnc_load.argtypes = [ctypes.c_char_p]
    lib.cnnc_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
    handle = lib.cnnc_load(weights.encode())
    if not handle:
        raise RuntimeError(f"cnnc_load failed for {path} with {weights}")
    return lib, handle


def library_engine(lib, handle, x, output):
    """A call of the library on the batch `x` (a tensor), into a buffer of
    the library's output shape `output` per image."""
    xin = np.ascontiguousarray(x.numpy())
    out = np.zeros([x.shape[0]] + output, dtype=np.float32)
    return lambda: lib.cnnc_run(handle, xin.ctypes.data, x.shape[0], out.ctypes.data)


LRN_IN_CHAIN = re.compile(r"\s*->\s*lrn\([^)]*\)")


def twin_loads(path, weights, first=None):
    """Two loads of the library at `path` (`first`, where given, is one),
    the second from a copy of its file (a file loaded twice is one load),
    each with its own load of `weights`: [(lib, handle), (lib, handle)]."""
    root, ext = os.path.splitext(path)
    twin = root + "_twin" + ext
    shutil.copyfile(path, twin)
    return [first or load_library(path, weights), load_library(twin, weights)]


def faster_load(times):
    """Of a library's loads' call times (a list for each load), the list of
    the load with the lower median: the machine's noise only adds time, and
    it can slow one load alone for a whole run."""
    return min(times, key=statistics.median)


def caffe_library(cnnc, net, tmp, without_lrn=False):
    """The Caffe-style example of `net` compiled, with random weights, loaded
    twice: ([(lib, handle), (lib, handle)], summary); None where there is no
    Caffe-style example of `net` (the ResNets), or where `without_lrn` and the
    example has no LRN in a chain (`-> lrn(...)`) to leave out. Without its
    LRNs the network has the same weights and multiply-adds (an LRN has
    neither)."""
    cnn_file = os.path.join(parity.ROOT, "examples", net + ".cnn")
    if not os.path.exists(cnn_file):
        return None
    suffix = "_caffe_nolrn" if without_lrn else "_caffe"
    if without_lrn:
        with open(cnn_file) as f:
            source, count = LRN_IN_CHAIN.subn("", f.read())
        if not count:
            return None
        cnn_file = os.path.join(tmp, net + suffix + ".cnn")
        with open(cnn_file, "w") as f:
            f.write(source)
    lib_path = os.path.join(tmp, net + suffix + ".so")
    weights = os.path.join(tmp, net + suffix + ".safetensors")
    t0 = time.perf_counter()
    subprocess.run([cnnc, cnn_file, "-o", lib_path], check=True)
    what = "without its LRNs" if without_lrn else "Caffe-style example"
    print(f"{net} ({what}): compiled in {time.perf_counter() - t0:.1f} s", flush=True)
    subprocess.run([cnnc, "init", cnn_file, "-o", weights], check=True, stdout=subprocess.DEVNULL)
    summary = json.loads(subprocess.run([cnnc, "summary", "--json", cnn_file], check=True,
                                        capture_output=True, text=True).stdout)
    return twin_loads(lib_path, weights), summary


def per_mac_line(label, ts, tv_ts, macs, tv_macs, batch, peak):
    """A library's time per multiply-add against torchvision's, from calls
    alternating with it (`ts` and `tv_ts`)."""
    t, tv_t = statistics.median(ts), statistics.median(tv_ts)
    scale = tv_macs / macs
    per_flop = t / tv_t * scale
    lo, hi = (r * scale for r in median_ratio_interval(tv_ts, ts))
    gflops = 2 * macs * batch / 1e9 / t
    return (f"{label} {t * 1e3:8.2f} ms {batch / t:8.1f} img/s {gflops:7.1f} GFLOP/s "
            f"{100 * gflops / peak['gflops_all']:4.0f} % of peak, against torchvision's "
            f"{tv_t * 1e3:.2f} ms ({len(tv_ts)} alternating calls each; {macs / 1e6:.0f} M "
            f"multiply-adds against {tv_macs / 1e6:.0f} M): {abs(per_flop - 1) * 100:.1f} % "
            f"{'slower' if per_flop > 1 else 'faster'} per multiply-add than torchvision's "
            f"(95 % bootstrap interval of the time per multiply-add: {(lo - 1) * 100:+.1f} % to "
            f"{(hi - 1) * 100:+.1f} %)")


def twin_line(label, ts, twin_ts):
    """A library's second load's time against its first's, from calls
    alternating with each other: the run's own noise floor for the
    comparisons per multiply-add."""
    t, t0 = statistics.median(twin_ts), statistics.median(ts)
    lo, hi = median_ratio_interval(ts, twin_ts)
    return (f"{label} second load {t * 1e3:8.2f} ms against the first's {t0 * 1e3:.2f} ms "
            f"({len(ts)} alternating calls each): {abs(t / t0 - 1) * 100:.1f} % "
            f"{'slower' if t > t0 else 'faster'} (95 % bootstrap interval {(lo - 1) * 100:+.1f} % to "
            f"{(hi - 1) * 100:+.1f} %): the same library, so a difference per multiply-add "
            f"no larger than this is the run's noise")


def torch_variants(model, x):
    variants = {"torch eager": (model, x)}
    cl = model.to(memory_format=torch.channels_last)
    variants["torch channels_last"] = (cl, x.contiguous(memory_format=torch.channels_last))
    for name, m, inp in [("torch jit", model, x),
                         ("torch jit channels_last", cl,
                          x.contiguous(memory_format=torch.channels_last))]:
        with torch.no_grad():
            traced = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(m, inp)))
        variants[name] = (traced, inp)
    return variants


def torch_blas():
    """The BLAS library PyTorch's matrix products run in (Debian's torch calls
    libblas.so.3, whichever the alternatives system points it at)."""
    a = torch.randn(64, 64)
    (a @ a).sum()
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower() or "mkl" in line.lower()}
    return sorted(libs)


def measure_peak(peak):
    """`peak --json`: the FMA peak on all threads and the memory bandwidth."""
    return json.loads(subprocess.run([peak, "--json"], check=True, capture_output=True,
                                     text=True).stdout)


def describe_peak(when, p):
    text = (f"{when}: fp32 FMA peak {p['gflops_all']:.1f} GFLOP/s on {p['threads']} threads "
            f"({p['gflops_1']:.1f} on 1), memory read {p['read_gbs']:.1f} GB/s")
    if p.get("busy"):
        # peak --json marks an all-threads figure that stayed under 3/4 of
        # its cores' worth in its tries (bench/peak.h).
        text += (f" (other work had part of the cores: {p['threads']} threads gave "
                 f"{p['gflops_all'] / p['gflops_1']:.2f} times one thread's)")
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--nets", default="alexnet,googlenet",
                    help="examples/torchvision/NET.cnn to time, comma-separated: alexnet, "
                         "googlenet, resnet18, resnet50, squeezenet1_1, vgg16")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--pair-seconds", type=float, default=10.0,
                    help="how long the torchvision and Caffe libraries, each loaded twice "
                         "(the twins show the run's noise), alternate for the comparison "
                         "per multiply-add")
    ap.add_argument("--no-caffe", action="store_true",
                    help="skip the Caffe-style examples' speed per multiply-add")
    ap.add_argument("--caffe-without-lrn", action="store_true",
                    help="also alternate a Caffe-style example compiled without its LRNs "
                         "(same weights and multiply-adds) with the other two libraries")
    ap.add_argument("--reference-blas", action="store_true",
                    help="time PyTorch even where it runs on Debian's reference BLAS")
    ap.add_argument("--peak", help="the peak probe (default: 'peak' beside --cnnc)")
    args = ap.parse_args()
    peak_probe = args.peak or os.path.join(os.path.dirname(os.path.abspath(args.cnnc)), "peak")
    if not os.access(peak_probe, os.X_OK):
        sys.exit(f"compare_torch: no peak probe at {peak_probe} (build it, or pass --peak)")
    torch.set_num_threads(2)
    # Debian's default libblas.so.3 is the reference BLAS: PyTorch's fc
    # layers run about 7 times slower on it (AlexNet's classifier 393 ms at
    # batch 8 against 55 ms with OpenBLAS), a baseline no PyTorch user has.
    blas = torch_blas()
    reference = [b for b in blas if os.path.basename(os.path.dirname(b)) == "blas"
                 and os.path.basename(b).startswith("libblas.so")]  # Debian's .../blas/libblas.so.3
    if reference and not args.reference_blas:
        sys.exit("compare_torch: PyTorch runs on the reference BLAS (" + ", ".join(reference)
                 + "), which makes its fc layers about 7 times slower than a PyTorch user's: "
                 "install libopenblas0-pthread (tools/setup.sh does), or pass --reference-blas")
    print("PyTorch's BLAS: " + ", ".join(blas), flush=True)
    peak = measure_peak(peak_probe)
    print(describe_peak("before", peak) + "; the % column is of this peak", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for net in args.nets.split(","):
            cnn_file = os.path.join(parity.ROOT, "examples", "torchvision", net + ".cnn")
            gen = torch.Generator().manual_seed(1234)
            model = parity.build_torch(net).eval()
            parity.randomize(model, gen)
            tensors, summary = parity.cnnc_weights(args.cnnc, cnn_file, model)
            lib_path = os.path.join(tmp, net + ".so")
            t0 = time.perf_counter()
            subprocess.run([args.cnnc, cnn_file, "-o", lib_path], check=True)
            compile_s = time.perf_counter() - t0
            weights = os.path.join(tmp, net + ".safetensors")
            parity.write_safetensors(weights, tensors)
            lib, handle = load_library(lib_path, weights)
            print(f"{net}: compiled in {compile_s:.1f} s, library {os.path.getsize(lib_path) / 1e6:.2f} MB",
                  flush=True)
            caffe = None if args.no_caffe else caffe_library(args.cnnc, net, tmp)
            # Every library of the comparison per multiply-add is loaded
            # twice: the twins show the run's noise, library by library.
            tv_loads = twin_loads(lib_path, weights, (lib, handle)) if caffe else None
            nolrn = None
            if caffe and args.caffe_without_lrn:
                nolrn = caffe_library(args.cnnc, net, tmp, without_lrn=True)
            for batch in [int(b) for b in args.batches.split(",")]:
                x = torch.randn([batch] + summary["input"], generator=gen)
                engines = {"cnnc": library_engine(lib, handle, x, summary["output"])}
                for name, (m, inp) in torch_variants(model, x).items():
                    def run(m=m, inp=inp):
                        with torch.no_grad():
                            m(inp)
                    engines[name] = run
                samples = {name: [] for name in engines}
                for _ in range(args.rounds):
                    for name, fn in engines.items():
                        samples[name].append(timed(fn, args.seconds))
                med = {name: statistics.median(v) for name, v in samples.items()}
                best_torch = min((v, k) for k, v in med.items() if k.startswith("torch"))
                gflop = 2 * summary["macs"] * batch / 1e9
                for name, t in sorted(med.items(), key=lambda kv: kv[1]):
                    print(f"  {net} batch {batch} {name:24s} {t * 1e3:8.2f} ms "
                          f"{batch / t:8.1f} img/s {gflop / t:7.1f} GFLOP/s "
                          f"{100 * gflop / t / peak['gflops_all']:4.0f} % of peak "
                          f"x{best_torch[0] / t:.2f} vs best torch ({best_torch[1]})", flush=True)
                if caffe:
                    # (label, loads, summary, input) of each library compared
                    caffe_loads, caffe_summary = caffe
                    caffe_x = torch.randn([batch] + caffe_summary["input"], generator=gen)
                    compared = [("cnnc torchvision      ", tv_loads, summary, x),
                                ("cnnc caffe example    ", caffe_loads, caffe_summary, caffe_x)]
                    if nolrn:
                        nolrn_loads, nolrn_summary = nolrn
                        compared.append(("cnnc caffe without LRN", nolrn_loads, nolrn_summary, caffe_x))
                    fns = [library_engine(load_lib, h, inp, lib_summary["output"])
                           for _, loads, lib_summary, inp in compared for load_lib, h in loads]
                    times = alternating(fns, args.pair_seconds)
                    twins = [times[2 * i:2 * i + 2] for i in range(len(compared))]  # two loads each
                    tv_ts = faster_load(twins[0])
                    for (label, _, lib_summary, _), ts in zip(compared[1:], twins[1:]):
                        print(per_mac_line(f"  {net} batch {batch} {label}", faster_load(ts), tv_ts,
                                           lib_summary["macs"], summary["macs"], batch, peak),
                              flush=True)
                    for (label, *_), (ts, twin_ts) in zip(compared, twins):
                        print(twin_line(f"  {net} batch {batch} {label}", ts, twin_ts), flush=True)
    print(describe_peak("after", measure_peak(peak_probe)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
