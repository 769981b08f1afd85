"""The training step of `cargo xtask bench --only training`, in PyTorch on the CPU.

The same network as scorediff's reference MLP (`train::bench::MLP_REFERENCE`): input
`[x, emb(t)]` with the 32-dimensional sinusoidal time embedding, `depth` SiLU layers of
`width`, a linear output of `d`; the same step: a batch of `batch` records gathered from
noised records drawn once per epoch, the loss `1/(2B) sum ||f - x0||^2`, backward, Adam
(lr 1e-4). Prints one JSON line: {"rows_per_sec": ..., "torch": ..., "threads": ...}.
"""

import argparse
import json
import math
import time

import torch


def embedding(t, dim=32, max_period=10_000.0, time_scale=1_000.0):
    half = dim // 2
    k = torch.arange(half, dtype=torch.float32)
    freqs = time_scale * max_period ** (-k / half)
    phase = t * freqs
    return torch.cat([torch.sin(phase), torch.cos(phase)], dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=110)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    d, w = a.d, a.width
    layers = [torch.nn.Linear(d + 32, w), torch.nn.SiLU()]
    for _ in range(a.depth - 1):
        layers += [torch.nn.Linear(w, w), torch.nn.SiLU()]
    layers.append(torch.nn.Linear(w, d))
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    rows = 2 * a.batch
    x0 = torch.randn(rows, d)
    # One epoch's noised records (Ornstein-Uhlenbeck: alpha = e^-t, h = 1 - e^-2t).
    t = torch.rand(rows, 1) * 3.0 + 1e-3
    x_t = torch.exp(-t) * x0 + torch.sqrt(1.0 - torch.exp(-2.0 * t)) * torch.randn(rows, d)

    def step(i):
        idx = torch.randperm(rows)[: a.batch] if i % 2 == 0 else torch.arange(a.batch)
        xb, tb, xtb = x0[idx], t[idx], x_t[idx]
        f = net(torch.cat([xtb, embedding(tb)], dim=1))
        loss = 0.5 * ((f - xb) ** 2).sum() / a.batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    step(0)  # warm-up, not timed
    start = time.perf_counter()
    for i in range(a.steps):
        loss = step(i + 1)
    secs = max(time.perf_counter() - start, 1e-9)
    assert math.isfinite(loss)
    print(json.dumps({
        "rows_per_sec": a.batch * a.steps / secs,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
