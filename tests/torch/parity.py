#!/usr/bin/python3
"""PyTorch parity: a torchvision network and the cnnc library compiled from
examples/torchvision/NET.cnn agree on the same weights within 1e-4.

Run by Debian's /usr/bin/python3 (python3-torch, python3-torchvision):
    parity.py --cnnc build/cnnc --net alexnet|googlenet|resnet18|resnet50|squeezenet1_1|vgg16
              [--batches 1,2]

Weights are randomized so that activations stay of order 1 (He-normal conv
and fc weights, small non-zero biases, batchnorm with non-trivial statistics;
torchvision's own GoogLeNet init shrinks activations until the output is just
the last bias, which would hide errors). They are written to safetensors
under the names `cnnc summary --json` lists, pairing weighted layers with
torchvision's modules by position. The library runs through ctypes; torch
runs in float64.
"""
import argparse
import ctypes
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOLERANCE = 1e-4
NETS = ["alexnet", "googlenet", "resnet18", "resnet50", "squeezenet1_1", "vgg16"]


def build_torch(net):
    if net == "googlenet":
        return torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False,
                                            transform_input=False)
    return getattr(torchvision.models, net)(weights=None)


def randomize(model, gen):
    """He-normal weights, small biases, non-trivial batchnorm statistics."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=gen)
                if m.bias is not None:
                    m.bias.uniform_(-0.05, 0.05, generator=gen)
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.uniform_(-0.2, 0.2, generator=gen)
                m.running_mean.uniform_(-0.2, 0.2, generator=gen)
                m.running_var.uniform_(0.5, 1.5, generator=gen)


def weighted_modules(model):
    return [m for m in model.modules()
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.BatchNorm2d))]


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, array in tensors:
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def cnnc_weights(cnnc, cnn_file, model):
    """Pairs the layers `cnnc summary --json` lists with torchvision's modules."""
    summary = json.loads(subprocess.run([cnnc, "summary", "--json", cnn_file], check=True,
                                        capture_output=True, text=True).stdout)
    layers = [l for l in summary["layers"] if l["weights"]]
    modules = weighted_modules(model)
    if len(layers) != len(modules):
        sys.exit(f"{len(layers)} weighted layers in cnnc, {len(modules)} modules in torch")
    tensors = []
    for layer, module in zip(layers, modules):
        for w in layer["weights"]:
            value = getattr(module, w["name"][len(layer["name"]) + 1:])
            array = value.detach().numpy()
            if list(array.shape) != w["shape"]:
                sys.exit(f"{w['name']}: torch shape {list(array.shape)}, cnnc {w['shape']}")
            tensors.append((w["name"], array))
    return tensors, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cnnc", required=True)
    ap.add_argument("--net", required=True, choices=NETS)
    ap.add_argument("--batches", default="1,2")
    args = ap.parse_args()
    torch.set_num_threads(2)
    cnn_file = os.path.join(ROOT, "examples", "torchvision", args.net + ".cnn")
    gen = torch.Generator().manual_seed(1234)
    model = build_torch(args.net).eval()
    randomize(model, gen)
    tensors, summary = cnnc_weights(args.cnnc, cnn_file, model)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        lib_path = os.path.join(tmp, args.net + ".so")
        weights = os.path.join(tmp, "w.safetensors")
        subprocess.run([args.cnnc, cnn_file, "-o", lib_path], check=True)
        write_safetensors(weights, tensors)
        lib = ctypes.CDLL(lib_path)
        lib.cnnc_load.restype = ctypes.c_void_p
        lib.cnnc_load.argtypes = [ctypes.c_char_p]
        lib.cnnc_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p]
        lib.cnnc_last_error.restype = ctypes.c_char_p
        lib.cnnc_free.argtypes = [ctypes.c_void_p]
        handle = lib.cnnc_load(weights.encode())
        if not handle:
            sys.exit("cnnc_load: " + lib.cnnc_last_error().decode())
        reference = model.double()
        c, h, w = summary["input"]
        for batch in [int(b) for b in args.batches.split(",")]:
            x = torch.randn(batch, c, h, w, generator=gen, dtype=torch.float32)
            out = np.zeros([batch] + summary["output"], dtype=np.float32)
            xin = np.ascontiguousarray(x.numpy())
            rc = lib.cnnc_run(handle, xin.ctypes.data, batch, out.ctypes.data)
            if rc != 0:
                sys.exit("cnnc_run: " + lib.cnnc_last_error().decode())
            with torch.no_grad():
                ref = reference(x.double()).numpy().reshape(out.shape)
            rel = np.linalg.norm(out - ref) / np.linalg.norm(ref)
            ok = rel <= TOLERANCE
            failures += not ok
            print(f"{'PASS' if ok else 'FAIL'} torchvision {args.net} batch {batch}: relative "
                  f"error {rel:.3g} against PyTorch float64 (tolerance {TOLERANCE:g}), "
                  f"|ref| {np.linalg.norm(ref):.3g}, top-1 agree: "
                  f"{bool((out.reshape(batch, -1).argmax(1) == ref.reshape(batch, -1).argmax(1)).all())}")
        lib.cnnc_free(handle)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
