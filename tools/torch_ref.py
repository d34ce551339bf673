#!/usr/bin/python3
"""Reference values from PyTorch for the softmax-family and loss kernels.

Run with Debian's /usr/bin/python3 (PyTorch 1.13). Prints one line per case;
with --header FILE it also writes the cases (inputs and torch's float64
outputs) as a C header for test/smx_check.c, so the check itself never
needs torch. Inputs are float32-representable, so the float32 and float64
kernels see the same numbers.
"""
import math
import sys

import torch
import torch.nn.functional as F

INF = float("inf")
NAN = float("nan")
RED = {"none": 0, "mean": 1, "sum": 2}
NO_IGNORE = None

gen = torch.Generator().manual_seed(1234)
# --float32 runs torch itself in float32 (printing only) to compare the
# float32 kernels with torch's float32 path too.
DT = torch.float32 if "--float32" in sys.argv else torch.float64


def cast(t):
    return t if t is None or not t.is_floating_point() else t.to(DT)


def rnd(*shape, scale=2.0):
    t = (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * scale
    return t.float().double()


def f32(vals):
    return torch.tensor(vals, dtype=torch.float32).double()


cases = []


def finite_ok(*ts):
    """True when a naive long-double formula is meaningful (no NaN/+inf)."""
    for t in ts:
        if t is None or t.numel() == 0:
            continue
        if torch.isnan(t).any() or (t == INF).any():
            return False
    return True


# ---------------------------------------------------------------- softmax
def family(name, x, dim_shape):
    outer, n, inner = dim_shape
    x = x.reshape(outer, n, inner)
    rows_ok = finite_ok(x)
    if n > 0 and (x == -INF).all(dim=1).any():
        rows_ok = False          # all -inf rows: a torch convention, not math
    g = cast(rnd(outer, n, inner))
    x = cast(x)
    p = F.softmax(x, 1)
    lp = F.log_softmax(x, 1)
    outs = {
        "softmax": (p, None),
        "log_softmax": (lp, None),
        "logsumexp": (torch.logsumexp(x, 1), None),
        "hardmax": (F.one_hot(x.argmax(1), n).permute(0, 2, 1).double()
                    if n > 0 else torch.zeros_like(x), None),
        "softmax_bw": (torch._softmax_backward_data(g, p, 1, DT), p),
        "log_softmax_bw": (torch._log_softmax_backward_data(g, lp, 1, DT), lp),
    }
    for op, (out, x2) in outs.items():
        xin = g if x2 is not None else x
        cases.append(dict(name=f"{op}/{name}", kind=op, shape=(outer, n, inner),
                          x=xin, x2=x2, out=out, naive=rows_ok and finite_ok(x2)))


def fam_rows():
    rows = {
        "basic": [1, 2, 3],
        "pm1e4": [1e4, -1e4, 0],
        "masked": [-INF, 0, 1, -INF],
        "equal": [5, 5, 5, 5],
        "huge": [3e38, 0, 1],
        "pm88": [88, -88, 87.5, -87.5],
        "tiny": [1e-45, -1e-45, 0.0, -0.0],
        "neg_ties": [-3, -1, -1, -2],
        "all_neginf": [-INF, -INF, -INF],
        "posinf": [INF, 1, 2],
        "two_posinf": [INF, INF, 1],
        "nan": [1, NAN, 3],
        "nan_first_max": [5, NAN, NAN, 7],
        "mixed_inf_nan": [-INF, INF, NAN],
        "one": [0.25],
    }
    for k, v in rows.items():
        family(k, f32(v), (1, len(v), 1))
    family("batch", rnd(3, 5, scale=10), (3, 5, 1))
    family("inner4", rnd(2, 3, 4, scale=5), (2, 3, 4))
    x = rnd(2, 3, 2, scale=5)
    x[0, :, 1] = -INF
    x[1, 2, 0] = NAN
    family("inner_special", x, (2, 3, 2))
    family("empty_dim", torch.zeros(2, 0, 3, dtype=torch.float64), (2, 0, 3))
    family("empty_outer", torch.zeros(0, 3, 1, dtype=torch.float64), (0, 3, 1))


# ---------------------------------------------------------------- losses
def loss_case(name, kind, z, tgt, w=None, pw=None, ignore=None, eps=0.0,
              red="mean", naive=True):
    z, tgt, w, pw = cast(z), cast(tgt), cast(w), cast(pw)
    z = z.clone().requires_grad_(True)
    kw = {}
    if kind == "ce":
        kw = dict(weight=w, label_smoothing=eps,
                  ignore_index=-100 if ignore is None else ignore)
        f = lambda r: F.cross_entropy(z, tgt, reduction=r, **kw)
    elif kind == "ce_prob":
        kw = dict(weight=w, label_smoothing=eps)
        f = lambda r: F.cross_entropy(z, tgt, reduction=r, **kw)
    elif kind == "nll":
        kw = dict(weight=w, ignore_index=-100 if ignore is None else ignore)
        f = lambda r: F.nll_loss(z, tgt, reduction=r, **kw)
    else:
        wf = None if w is None else w.expand_as(z) if w.dim() == 1 else w
        f = lambda r: F.binary_cross_entropy_with_logits(z, tgt, weight=wf,
                                                          pos_weight=pw, reduction=r)
    per = f("none").detach()
    L = f(red)
    L.sum().backward()
    loss = float(L.detach().sum()) if red == "none" else float(L)
    grad = z.grad if z.grad is not None else torch.zeros_like(z)
    cases.append(dict(name=name, kind=kind, shape=tuple(z.shape), x=z.detach(),
                      tgt=tgt, w=w, pw=pw, ignore=ignore, eps=eps, red=red,
                      out=per, loss=loss, grad=grad.detach(),
                      naive=naive and finite_ok(z.detach(), tgt if tgt.is_floating_point() else None)))


def loss_cases():
    N, C = 4, 5
    z = rnd(N, C, scale=4)
    t = torch.tensor([1, 4, 2, 0])
    w = f32([0.5, 2.0, 1.0, 0.25, 3.0])
    for red in ("none", "mean", "sum"):
        for wn, ww in (("now", None), ("w", w)):
            for ign_name, ign in (("noign", None), ("ign2", 2), ("ign1", 1)):
                for eps in (0.0, 0.1, 1.0):
                    loss_case(f"ce/{red}/{wn}/{ign_name}/eps{eps}", "ce", z, t, ww,
                              ignore=ign, eps=eps, red=red)
            # every target ignored
            for eps in (0.0, 0.2):
                loss_case(f"ce/{red}/{wn}/allign/eps{eps}", "ce", z,
                          torch.tensor([3, 3, 3, 3]), ww, ignore=3, eps=eps, red=red)
    # special logits
    zs = f32([[-INF, 1, 2], [1e4, -1e4, 0], [-INF, -INF, 5], [3, 3, 3]])
    ts = torch.tensor([0, 1, 2, 1])
    ws = f32([0.0, 1.0, 2.0])
    for red in ("none", "mean", "sum"):
        for eps in (0.0, 0.3):
            loss_case(f"ce/special/{red}/eps{eps}", "ce", zs, ts, eps=eps, red=red)
            loss_case(f"ce/special_w0/{red}/eps{eps}", "ce", zs, ts, ws, eps=eps, red=red)
    zn = f32([[NAN, 1, 2], [1, 2, 3], [-INF, -INF, -INF], [INF, 0, 1]])
    for red in ("none", "mean"):
        loss_case(f"ce/nan_rows/{red}", "ce", zn, torch.tensor([0, 1, 2, 1]), red=red)
        loss_case(f"ce/nan_rows_ignored/{red}", "ce", zn, torch.tensor([0, 1, 0, 0]),
                  ignore=0, red=red)
    loss_case("ce/zero_weight_sum/mean", "ce", z, torch.tensor([0, 0, 0, 0]),
              f32([0, 1, 1, 1, 1]), red="mean")
    loss_case("ce/ignore_out_of_range", "ce", z, torch.tensor([1, 7, 2, 0]), ignore=7)
    for red in ("mean", "sum"):
        loss_case(f"ce/empty_batch/{red}", "ce", torch.zeros(0, 3, dtype=torch.float64),
                  torch.zeros(0, dtype=torch.long), red=red)
    loss_case("ce/one_class", "ce", f32([[2.0], [-1.0]]), torch.tensor([0, 0]), eps=0.5)
    loss_case("ce/single_sample", "ce", f32([[0.5, -1.0, 2.0]]), torch.tensor([2]))

    # probability targets
    soft = torch.softmax(rnd(N, C, scale=2), 1).float().double()
    onehot = F.one_hot(t, C).double()
    unnorm = f32([[0.5, 0.5, 0.5, 0, 0], [0, 0, 0, 0, 2], [0.1, 0, 0, 0, 0], [1, 1, 1, 1, 1]])
    for tn, tt in (("soft", soft), ("onehot", onehot), ("unnorm", unnorm)):
        for red in ("none", "mean", "sum"):
            for wn, ww in (("now", None), ("w", w)):
                for eps in (0.0, 0.2):
                    loss_case(f"ce_prob/{tn}/{red}/{wn}/eps{eps}", "ce_prob", z, tt, ww,
                              eps=eps, red=red)
    zp = f32([[-INF, 1, 2], [1e4, -1e4, 0]])
    tp = f32([[0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    for eps in (0.0, 0.1):
        loss_case(f"ce_prob/neginf/eps{eps}", "ce_prob", zp, tp, eps=eps, red="sum")
    loss_case("ce_prob/empty_batch/mean", "ce_prob", torch.zeros(0, 3, dtype=torch.float64),
              torch.zeros(0, 3, dtype=torch.float64), red="mean")

    # nll
    lp = F.log_softmax(z, 1).float().double()
    for red in ("none", "mean", "sum"):
        for wn, ww in (("now", None), ("w", w)):
            for ign_name, ign in (("noign", None), ("ign2", 2)):
                loss_case(f"nll/{red}/{wn}/{ign_name}", "nll", lp, t, ww, ignore=ign, red=red)
        loss_case(f"nll/{red}/allign", "nll", lp, torch.tensor([3, 3, 3, 3]), ignore=3, red=red)
    loss_case("nll/neginf", "nll", f32([[-INF, 0.0], [-1, -2]]), torch.tensor([0, 1]), red="sum")

    # BCE with logits
    zb = rnd(3, 4, scale=6)
    yb = f32([[0, 1, 0.3, 1], [1, 0, 0.5, 0], [0.9, 0.1, 1, 0]])
    wfull = rnd(3, 4, scale=1).abs() + 0.1
    wcls = f32([0.5, 1, 2, 0])
    pw = f32([1.0, 3.0, 0.5, 2.0])
    for red in ("none", "mean", "sum"):
        for wn, ww in (("now", None), ("wfull", wfull), ("wcls", wcls)):
            for pn, pp in (("nopw", None), ("pw", pw)):
                loss_case(f"bce/{red}/{wn}/{pn}", "bce", zb, yb, ww, pw=pp, red=red)
    ze = f32([[INF, -INF, INF, -INF], [0, NAN, 1e4, -1e4], [100, -100, 88, -88]])
    ye = f32([[1, 0, 0, 1], [0.5, 1, 0, 1], [0, 1, 0.25, 0.75]])
    for pn, pp in (("nopw", None), ("pw", pw)):
        loss_case(f"bce/special/{pn}", "bce", ze, ye, pw=pp, red="none")
    loss_case("bce/big/pw", "bce", ze[2:], ye[2:], pw=pw, red="sum")
    # targets outside [0, 1] at infinite logits: torch's formula still gives NaN at -inf
    loss_case("bce/y_outside/none", "bce", f32([[-INF, INF, -INF, 3]]), f32([[2, -1, -0.5, 2]]),
              red="none")
    loss_case("bce/empty/mean", "bce", torch.zeros(0, 4, dtype=torch.float64),
              torch.zeros(0, 4, dtype=torch.float64), red="mean")


# ---------------------------------------------------------------- output
def fmt(v):
    v = float(v)
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return repr(v)


def show(c):
    parts = [c["name"]]
    if "loss" in c:
        parts.append("loss=" + fmt(c["loss"]))
    parts.append("out=" + " ".join(fmt(v) for v in c["out"].flatten().tolist()))
    if "grad" in c:
        parts.append("grad=" + " ".join(fmt(v) for v in c["grad"].flatten().tolist()))
    return " | ".join(parts)


def c_array(lines, ident, t, ctype="double"):
    if t is None or t.numel() == 0:
        return "NULL"
    vals = t.flatten().tolist()
    conv = (lambda v: f"{int(v)}") if ctype == "int64_t" else fmt
    lines.append(f"static const {ctype} {ident}[] = {{{', '.join(conv(v) for v in vals)}}};")
    return ident


def header(path):
    lines = ["/* Generated by tools/torch_ref.py from PyTorch " + torch.__version__ +
             " (float64). Do not edit. */", "#include <math.h>", "#include <stdint.h>",
             '#include "smx_case.h"', ""]
    rows = []
    for i, c in enumerate(cases):
        a = lambda key, t, ct="double": c_array(lines, f"c{i}_{key}", t, ct)
        x = a("x", c["x"])
        x2 = a("x2", c.get("x2"))
        out = a("out", c["out"])
        grad = a("grad", c.get("grad"))
        tgt, tprob = "NULL", "NULL"
        if c.get("tgt") is not None:
            if c["tgt"].is_floating_point():
                tprob = a("tp", c["tgt"])
            else:
                tgt = a("t", c["tgt"], "int64_t")
        w = a("w", c.get("w"))
        pw = a("pw", c.get("pw"))
        shape = c["shape"]
        if len(shape) == 2:
            shape = (shape[0], shape[1], 1)
        wlen = 0 if c.get("w") is None else c["w"].numel()
        ign = c.get("ignore")
        rows.append(
            f'  {{"{c["name"]}", SMX_{c["kind"].upper()}, {shape[0]}, {shape[1]}, {shape[2]}, '
            f'{x}, {x2}, {tgt}, {tprob}, {w}, {wlen}, {pw}, '
            f'{"SMX_NO_IGNORE" if ign is None else ign}, {fmt(c.get("eps", 0.0))}, '
            f'{RED[c.get("red", "none")]}, {c["out"].numel()}, {out}, '
            f'{fmt(c.get("loss", 0.0))}, {grad}, {1 if c["naive"] else 0}}},')
    lines.append("")
    lines.append("static const smx_case smx_cases[] = {")
    lines.extend(rows)
    lines.append("};")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    torch.set_printoptions(precision=17)
    fam_rows()
    loss_cases()
    for c in cases:
        print(show(c))
    if len(sys.argv) == 3 and sys.argv[1] == "--header" and DT == torch.float64:
        header(sys.argv[2])
