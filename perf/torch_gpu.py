#!/usr/bin/python3
"""The PyTorch mirror of our two networks (../shared/bench/torch_same.py) timed on a CUDA GPU: the
peer for perf/trainStep.ts on a machine with a GPU. Same step (forward, cross-entropy, backward,
Adam), same sizes; the median step, with the GPU synchronised around each one. Prints JSON lines.
Usage: torch_gpu.py --mirror DIR_OF_torch_same.py [--width 1] [--cls-batch 32] [--seg-batch 4] [--steps 10]
"""
import argparse, json, statistics, sys, time
import torch
import torch.nn.functional as F


def timed(name, model, x, y, steps):
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
        torch.cuda.synchronize()
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    s = statistics.median(times)
    return {"name": name, "images_per_s": round(x.shape[0] / s, 2), "step_s": round(s, 5), "batch": x.shape[0], "size": x.shape[-1],
            "device": torch.cuda.get_device_name(), "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", required=True)
    ap.add_argument("--width", type=float, default=1)
    ap.add_argument("--cls-size", type=int, default=128)
    ap.add_argument("--cls-batch", type=int, default=32)
    ap.add_argument("--seg-size", type=int, default=256)
    ap.add_argument("--seg-batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    sys.path.insert(0, a.mirror)
    from torch_same import Classifier, UNet
    torch.manual_seed(1)
    dev = torch.device("cuda")
    x = torch.randn(a.cls_batch, 1, a.cls_size, a.cls_size, device=dev)
    y = torch.randint(0, 2, (a.cls_batch,), device=dev)
    print(json.dumps({**timed(f"torch-cuda.resnet18.{a.cls_size}", Classifier(a.width).to(dev).train(), x, y, a.steps), "width": a.width}))
    x = torch.randn(a.seg_batch, 1, a.seg_size, a.seg_size, device=dev)
    y = torch.randint(0, 2, (a.seg_batch, a.seg_size, a.seg_size), device=dev)
    print(json.dumps({**timed(f"torch-cuda.unet18.{a.seg_size}", UNet(a.width).to(dev).train(), x, y, a.steps), "width": a.width}))


if __name__ == "__main__":
    main()
