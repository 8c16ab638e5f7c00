"""cnnc bench --per-layer --json on a network: every conv and fc layer that
`cnnc summary` lists has exactly one entry, no time is negative and each
entry names the profiler samples its time rests on. (The
times themselves are not checked: on networks this small Halide's profiler
puts few or none of its samples in the layers. Its report's parsing is
tests/library/bench_test.cpp.)

usage: check_per_layer.py CNNC NET.cnn [--batch N]
"""
import json
import subprocess
import sys


def main():
    cnnc, net = sys.argv[1], sys.argv[2]
    extra = sys.argv[3:]
    summary = json.loads(subprocess.run([cnnc, "summary", net, "--json"], check=True,
                                        capture_output=True, text=True).stdout)
    weighted = [l["name"] for l in summary["layers"] if l["op"] in ("conv", "fc")]
    bench = json.loads(subprocess.run([cnnc, "bench", net, "--per-layer", "--json",
                                       "--seconds", "0.2"] + extra, check=True,
                                      capture_output=True, text=True).stdout)
    layers = bench["layers"]
    names = [l["name"] for l in layers]
    failures = []
    if len(names) != len(set(names)):
        failures.append("a layer listed twice: %s" % sorted(n for n in names if names.count(n) > 1))
    missing = [n for n in weighted if n not in names]
    if missing:
        failures.append("weighted layers not listed: %s" % missing)
    if any(l["ms"] < 0 for l in layers):
        failures.append("a negative time")
    if any(l.get("samples", -1) < 0 for l in layers):
        failures.append("a layer without its profiler samples")
    if any(l["samples"] > 0 and l["ms"] == 0 for l in layers if "samples" in l):
        failures.append("samples but no time")
    # A rate only from 25 samples on, of work with multiply-adds, as the
    # table prints it ("few", "-"): null otherwise, never a number from a
    # sample or two (it printed 0.00, or 434 % of peak).
    macs = {l["name"]: l["macs"] for l in summary["layers"]}
    for l in layers:
        rated = l["samples"] >= 25 and macs.get(l["name"], 0) > 0
        for key in ("gflops", "percent_of_peak"):
            if (l[key] is not None) != rated:
                failures.append("%s of %s (%d samples): %s" % (key, l["name"], l["samples"], l[key]))
    total = sum(l["ms"] for l in layers)
    for f in failures:
        print("FAIL:", f)
    print("%d layers, %.3f ms in all (median run %.3f ms)" % (len(layers), total, bench["median_ms"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
