#!/usr/bin/env python3
"""Differential fuzzing of the backend: random valid networks, compiled with
random schedule parameters (docs/schedules.md), run and compared with the
float64 reference by e2e_check.

    tests/fuzz/random_nets.py --e2e-check build/tests/e2e_check
        [--seed S] [--count N | --seconds T] [--dir D] [--winograd]
        [--arm-runner "qemu-aarch64 -L /usr/aarch64-linux-gnu build/tests/run_library_aarch64"]

Each case is a network of convs (strided, dilated, grouped, padded
asymmetrically, 1x1 with strides that skip columns), pools (ceil mode,
padding), inception-like branches joined by concat, residual adds, LRNs
(their weight, power and offset drawn too; also in conv -> relu -> LRN ->
maxpool chains as Caffe's, and with the pool before the LRN), batchnorm and
activations, ending in a feature map, an fc or a softmax; a
batch of 1 and one of 2-9 images; half the cases with a random schedule,
a quarter for AVX2 (with --arm-runner, every case for AArch64 instead, run
by that command). A failing case's .cnn and schedule stay in --dir (printed
with the command that reproduces it) and the exit status is 1. Needs only
Python 3's standard library.
"""
import argparse
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time


def out_size(n, k, s, lo, hi, d=1, ceil=False):
    span = n + lo + hi - d * (k - 1) - 1
    if span < 0:
        return 0
    if not ceil:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= n + lo:
        out -= 1
    return out


class Net:
    def __init__(self, rng):
        self.rng = rng
        self.lines = []
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def activation(self):
        r = self.rng.random()
        if r < 0.45:
            return " -> relu"
        if r < 0.6:
            return " -> batchnorm -> relu"
        if r < 0.68:
            return " -> sigmoid"
        if r < 0.74:
            return " -> tanh"
        if r < 0.78:
            return " -> dropout(0.3)"
        return ""

    def conv(self, x, shape, out=None, kernel=None, stride=None, pad=None, act=True):
        """A random conv of x; returns (name, shape) or None if none fits."""
        rng = self.rng
        c, h, w = shape
        for _ in range(20):
            o = out or rng.choice([1, 3, 5, 8, 12, 16, 17, 24, 32, 40, 48, 64, 80, 96, 130])
            kh = kernel or rng.choice([1, 1, 3, 3, 3, 5, 7])
            kw = kernel or (kh if rng.random() < 0.8 else rng.choice([1, 3, 5]))
            sh = stride or rng.choice([1, 1, 1, 2, 2, 3])
            sw = stride or (sh if rng.random() < 0.8 else rng.choice([1, 2]))
            d = 1 if kernel or rng.random() < 0.85 else 2
            groups = 1
            if rng.random() < 0.2:
                common = [g for g in (2, 3, 4, 8) if c % g == 0 and o % g == 0]
                if common:
                    groups = rng.choice(common)
            args = [f"{o}", f"kernel={kh}" if kh == kw else f"kernel=[{kh}, {kw}]"]
            if pad is not None:
                top = left = bottom = right = pad
                args.append(f"pad={pad}")
            else:
                r = rng.random()
                ekh, ekw = d * (kh - 1) + 1, d * (kw - 1) + 1
                if r < 0.3 and sh == sw == 1 and ekh % 2 == 1 and ekw % 2 == 1:
                    top, left = (ekh - 1) // 2, (ekw - 1) // 2
                    bottom, right = top, left
                    args.append("pad=same")
                elif r < 0.6:
                    top = left = bottom = right = rng.randint(0, max(kh, kw) // 2)
                    if top:
                        args.append(f"pad={top}")
                else:
                    top, left, bottom, right = (rng.randint(0, kh), rng.randint(0, kw),
                                                rng.randint(0, kh), rng.randint(0, kw))
                    args.append(f"pad=[{top}, {left}, {bottom}, {right}]")
            oh = out_size(h, kh, sh, top, bottom, d)
            ow = out_size(w, kw, sw, left, right, d)
            if oh < 1 or ow < 1:
                continue
            if sh != 1 or sw != 1:
                args.append(f"stride={sh}" if sh == sw else f"stride=[{sh}, {sw}]")
            if d != 1:
                args.append(f"dilation={d}")
            if groups != 1:
                args.append(f"groups={groups}")
            if rng.random() < 0.2:
                args.append("bias=false")
            n = self.name("c")
            tail = self.activation() if act else ""
            self.lines.append(f"    {n} = conv({x}, {', '.join(args)}){tail}")
            return n, (o, oh, ow)
        return None

    def pool(self, x, shape):
        rng = self.rng
        c, h, w = shape
        for _ in range(20):
            op = rng.choice(["maxpool", "maxpool", "avgpool"])
            k = rng.choice([1, 2, 3, 3])
            s = rng.choice([1, 2, 2, 3])
            p = rng.randint(0, k // 2)
            ceil = rng.random() < 0.5
            oh, ow = out_size(h, k, s, p, p, 1, ceil), out_size(w, k, s, p, p, 1, ceil)
            if oh < 1 or ow < 1:
                continue
            args = [f"kernel={k}", f"stride={s}"]
            if p:
                args.append(f"pad={p}")
            if ceil:
                args.append("ceil=true")
            n = self.name("p")
            self.lines.append(f"    {n} = {op}({x}, {', '.join(args)})")
            return n, (c, oh, ow)
        return None

    def lrn(self):
        """An LRN's arguments: mostly a weight larger than Caffe's 0.0001, at
        which the norm changes its input by about the tests' tolerance."""
        rng = self.rng
        args = [f"size={rng.choice([3, 5, 5, 7])}"]
        if rng.random() < 0.8:
            args.append(f"alpha={rng.choice([0.01, 0.1, 0.5, 1])}")
        if rng.random() < 0.5:
            args.append(f"beta={rng.choice([0.5, 0.6, 0.75, 1])}")
        if rng.random() < 0.3:
            args.append(f"k={rng.choice([0.5, 2])}")
        return f"lrn({', '.join(args)})"

    def normed_stage(self, x, shape):
        """A conv -> relu -> lrn -> maxpool chain as Caffe's AlexNet (conv1,
        conv2) and GoogLeNet (conv2) have, or conv -> relu -> maxpool -> lrn
        as GoogLeNet's stem: the pool's row tasks compute the conv's and the
        norm's rows, or the conv is computed at root (lrn_into_pool,
        lrn_conv_at_root, lrn_conv_per_image)."""
        rng = self.rng
        c, h, w = shape
        k = rng.choice([3, 5]) if min(h, w) >= 5 else 3
        step = self.conv(x, shape, out=rng.choice([16, 32, 48, 64]), kernel=k, stride=1,
                         pad=k // 2, act=False)
        if step is None:
            return None
        n, (o, oh, ow) = step
        ceil = rng.random() < 0.5
        ph, pw = out_size(oh, 3, 2, 0, 0, 1, ceil), out_size(ow, 3, 2, 0, 0, 1, ceil)
        pool = f"maxpool(kernel=3, stride=2{', ceil=true' if ceil else ''})"
        if ph < 1 or pw < 1:
            self.lines[-1] += f" -> relu -> {self.lrn()}"
            return n, (o, oh, ow)
        order = [self.lrn(), pool] if rng.random() < 0.7 else [pool, self.lrn()]
        self.lines[-1] += " -> relu -> " + " -> ".join(order)
        return n, (o, ph, pw)

    def inception(self, x, shape):
        """Branches of 1x1, 3x3 and pool+1x1 convs keeping H and W, joined."""
        rng = self.rng
        branches, channels = [], 0
        for _ in range(rng.randint(2, 4)):
            kind = rng.choice(["1x1", "3x3", "pool"])
            if kind == "1x1":
                b = self.conv(x, shape, kernel=1, stride=1, pad=0)
            elif kind == "3x3":
                r = self.conv(x, shape, kernel=1, stride=1, pad=0)
                b = self.conv(r[0], r[1], kernel=3, stride=1, pad=1)
            else:
                n = self.name("p")
                self.lines.append(f"    {n} = maxpool({x}, kernel=3, stride=1, pad=1, ceil=true)")
                b = self.conv(n, shape, kernel=1, stride=1, pad=0)
            branches.append(b[0])
            channels += b[1][0]
        n = self.name("cat")
        self.lines.append(f"    {n} = concat({', '.join(branches)})")
        return n, (channels, shape[1], shape[2])

    def residual(self, x, shape):
        a = self.conv(x, shape, out=shape[0], kernel=3, stride=1, pad=1)
        n = self.name("sum")
        self.lines.append(f"    {n} = add({a[0]}, {x}) -> relu")
        return n, shape

    def strided_reads(self, x, shape):
        """1x1 convs and pools whose strides skip columns (and rows)."""
        c, h, w = shape
        s = self.rng.choice([2, 3, max(w, 2), max(h, 2)])
        oh, ow = out_size(h, 1, s, 0, 0), out_size(w, 1, s, 0, 0)
        n = self.name("s")
        op = self.rng.choice(["conv", "conv", "maxpool"])
        if op == "conv":
            o = self.rng.choice([4, 16, 33])
            self.lines.append(f"    {n} = conv({x}, {o}, kernel=1, stride={s})")
            return n, (o, oh, ow)
        self.lines.append(f"    {n} = maxpool({x}, kernel=1, stride={s})")
        return n, (c, oh, ow)


def random_network(rng, index):
    net = Net(rng)
    c = rng.choice([1, 2, 3, 3, 4, 8, 13, 16, 24])
    h, w = rng.randint(3, 40), rng.randint(3, 40)
    x, shape = "data", (c, h, w)
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.36:
            step = net.conv(x, shape)
        elif r < 0.5:
            step = net.pool(x, shape)
        elif r < 0.64:
            step = net.inception(x, shape)
        elif r < 0.72:
            step = net.residual(x, shape)
        elif r < 0.8:
            step = net.strided_reads(x, shape)
        elif r < 0.85:
            n = net.name("l")
            net.lines.append(f"    {n} = {x} -> {net.lrn()}")
            step = n, shape
        elif r < 0.92:
            step = net.normed_stage(x, shape)
        else:
            n = net.name("b")
            net.lines.append(f"    {n} = batchnorm({x}) -> relu")
            step = n, shape
        if step:
            x, shape = step
    end = rng.random()
    if end < 0.25 and shape[0] * shape[1] * shape[2] <= 40000:
        n = net.name("fc")
        net.lines.append(f"    {n} = fc({x}, {rng.choice([1, 10, 37, 64, 100])})")
        x = n
    elif end < 0.45:
        n = net.name("g")
        net.lines.append(f"    {n} = global_avgpool({x}) -> fc({rng.choice([5, 48, 130])})")
        x = n
    elif end < 0.55:
        n = net.name("sm")
        net.lines.append(f"    {n} = softmax({x})")
        x = n
    body = "\n".join(net.lines)
    return f"network fuzz{index}(data: [{c}, {h}, {w}]) {{\n{body}\n    return {x}\n}}\n"


def random_schedule(rng, winograd=False):
    params = {
        "conv_vectors": rng.randint(1, 4),
        "conv_accumulators": rng.randint(2, 28),
        "conv_max_pixels": rng.randint(1, 16),
        "conv_fmas_per_cycle": rng.randint(1, 4),
        "conv_unroll": rng.choice([1, 2, 3, 4, 8, 16]),
        "conv_prefetch_pixels": rng.choice([0, 1, 28, 100]),
        "conv_block_tasks_below": rng.choice([0, 4, 16, 1000]),
        "conv_into_concat": rng.random() < 0.5,
        "conv_into_add": rng.random() < 0.5,
        "pool_into_conv": rng.random() < 0.5,
        "conv_into_pool_rows": rng.choice([0, 1, 3, 8]),
        "lrn_into_pool": rng.random() < 0.5,
        "pointwise_into_pool": rng.random() < 0.5,
        "pool_channel_tasks": rng.random() < 0.5,
        "lrn_conv_at_root": rng.random() < 0.5,
        "lrn_conv_per_image": rng.random() < 0.5,
        "unroll_channel_vectors": rng.choice([0, 1, 2, 16, 1024]),
        "fc_vectors": rng.randint(1, 3),
        "fc_unroll": rng.choice([1, 2, 4, 8]),
        "fc_prefetch_bytes": rng.choice([0, 256, 4096]),
        "winograd_channels": rng.choice([0, 1, 1, 4, 16, 32]),
        "winograd_width": rng.choice([1, 2, 8]),
        "winograd_4x4": rng.random() < 0.5,
        "winograd_4x4_width": rng.choice([0, 1, 4, 8, 28]),
        "winograd_5x5_3x3": rng.random() < 0.5,
        "winograd_5x5_4x4_width": rng.choice([0, 0, 1, 8, 28]),
        "winograd_5x5_4x4_task_tiles": rng.choice([1, 7, 28]),
        "winograd_5x5_4x4_pool_root": rng.random() < 0.5,
        "winograd_5x5_2x2_below": rng.choice([0, 0, 8, 16]),
        "winograd_5x5_width": rng.choice([0, 0, 1, 8, 13]),
        "winograd_register_tiles": rng.choice([0, 4, 9, 14, 28]),
        "winograd_group_inputs": rng.random() < 0.5,
        "winograd_group_tasks": rng.random() < 0.5,
        "winograd_strided": rng.random() < 0.5,
        "winograd_task_tiles": rng.choice([1, 7, 28, 100]),
        "winograd_channel_tasks_below": rng.choice([0, 16, 64, 1000]),
        "winograd_channel_tasks_floats": rng.choice([0, 1000, 786432]),
        "conv_block_weight_bytes": rng.choice([0, 4096, 100000, 917504]),
        "shares_macs_per_weight": rng.choice([0, 1, 64]),
    }
    chosen = rng.sample(sorted(params), rng.randint(1, len(params)))
    # The default (32 channels and more) rarely applies to these small
    # networks: most random schedules lower the threshold.
    if "winograd_channels" not in chosen and rng.random() < 0.75:
        chosen = sorted(set(chosen) | {"winograd_channels", "winograd_4x4"})
    if winograd:  # every 3x3 and 5x5 conv with stride 1
        params["winograd_channels"] = params["winograd_width"] = 1
        chosen = sorted(set(chosen) | {"winograd_channels", "winograd_width", "winograd_4x4"})
    items = ",\n".join(f'    "{k}": {str(params[k]).lower()}' for k in sorted(chosen))
    return '{\n  "cpu": {\n' + items + "\n  }\n}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--e2e-check", required=True, help="path of the e2e_check program")
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock")
    ap.add_argument("--count", type=int, default=None, help="cases to run (default 10)")
    ap.add_argument("--seconds", type=float, default=None, help="run cases for this long")
    ap.add_argument("--dir", default=None, help="where failing cases are kept")
    ap.add_argument("--arm-runner", default=None,
                    help="build every case for arm-64-linux and run it by this command "
                    "(e2e_check --runner), e.g. \"qemu-aarch64 -L /usr/aarch64-linux-gnu "
                    "build/tests/run_library_aarch64\"")
    ap.add_argument("--winograd", action="store_true",
                    help="every case with a random schedule that computes every 3x3 and 5x5 "
                    "conv with stride 1 by Winograd's minimal filtering")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    keep = args.dir or tempfile.mkdtemp(prefix="cnnc-fuzz-")
    os.makedirs(keep, exist_ok=True)
    count = args.count if args.count is not None else (None if args.seconds else 10)
    deadline = time.time() + args.seconds if args.seconds else None
    print(f"random_nets: seed {seed}", flush=True)
    failures = 0
    i = 0
    with tempfile.TemporaryDirectory() as tmp:
        while (count is None or i < count) and (deadline is None or time.time() < deadline):
            i += 1
            cnn = os.path.join(tmp, f"fuzz{i}.cnn")
            with open(cnn, "w") as f:
                f.write(random_network(rng, i))
            cmd = [args.e2e_check, cnn, "--batches", f"1,{rng.randint(2, 9)}"]
            sched = None
            if rng.random() < 0.5 or args.winograd:
                sched = os.path.join(tmp, f"fuzz{i}.json")
                with open(sched, "w") as f:
                    f.write(random_schedule(rng, args.winograd))
                cmd += ["--schedule", sched]
            avx2 = rng.random() < 0.25  # drawn either way: a seed makes the same networks
            if args.arm_runner:
                cmd += ["--target", "arm-64-linux", "--runner", args.arm_runner]
            elif avx2:
                cmd += ["--target", "x86-64-linux-avx2-fma-f16c-sse41"]
            r = subprocess.run(cmd, capture_output=True, text=True)
            ok = r.returncode == 0
            print(f"{'PASS' if ok else 'FAIL'} case {i}", flush=True)
            if ok:
                continue
            failures += 1
            kept = [os.path.join(keep, os.path.basename(cnn))]
            os.replace(cnn, kept[0])
            if sched:
                kept.append(os.path.join(keep, os.path.basename(sched)))
                os.replace(sched, kept[1])
            repro = [kept[0] if a == cnn else kept[1] if a == sched else a for a in cmd]
            print(f"  kept: {' '.join(kept)}\n  rerun: {shlex.join(repro)}\n"
                  + "".join("  | " + line + "\n" for line in (r.stdout + r.stderr).splitlines()),
                  flush=True)
    print(f"random_nets: {i} cases, {failures} failed (seed {seed})")
    if not args.dir and not failures:
        os.rmdir(keep)  # nothing kept: leave no empty directory behind
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
