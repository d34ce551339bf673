#!/usr/bin/python3
"""Side-by-side check of lgrad's Lua API against PyTorch (work aid only).

Runs the same cases through lua5.4 (the lgrad module built in build/) and
torch.nn.functional, then compares every value: float64 within 1e-12
absolute + 1e-10 relative, float32 within 1e-6 absolute + 1e-5 relative,
and NaN / inf exactly where torch has them. Class indices are shifted by
one (1-based in Lua). Needs Debian's python3-torch; never used by the
build, the specs or CI.

    make && /usr/bin/python3 tools/torch_compare_lua.py [-v]
"""
import json
import math
import os
import subprocess
import sys

import torch
import torch.nn.functional as F

INF = float("inf")
NAN = float("nan")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lua_value(v):
    """A Python value (number, list, dict, None) as Lua source."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if v != v:
            return "(0/0)"
        if v == INF:
            return "math.huge"
        if v == -INF:
            return "(-math.huge)"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(lua_value(x) for x in v) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join("%s = %s" % (k, lua_value(x)) for k, x in v.items()) + "}"
    raise TypeError(v)


def flat(x):
    if isinstance(x, torch.Tensor):
        return [float(v) for v in x.detach().reshape(-1).tolist()]
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(flat(v))
        return out
    return [float(x)]


# ---- cases -----------------------------------------------------------------
# Each case: (name, lua expression using z, y, o; torch function of dtype
# returning a list of tensors/numbers in the same order).

CASES = []


def case(name, lua, fn):
    CASES.append((name, lua, fn))


ROWS = {
    "seed": [2.0, 1.0, 0.1],
    "pm1e4": [1e4, -1e4, 0.0],
    "mask": [1.0, -INF, 2.0, -INF],
    "allneginf": [-INF, -INF, -INF],
    "posinf": [1.0, INF, 2.0],
    "nan": [1.0, NAN, 5.0],
    "equal": [7.0, 7.0, 7.0, 7.0],
    "huge": [1e30, 1.0, 2.0],
    "tiny": [1e-40, -1e-40, 0.0, -0.0],
    "88": [88.0, -88.0, 87.5],
}
CUBE = [[[math.sin(i * 7 + j * 3 + k) * 3 for k in range(4)] for j in range(3)] for i in range(2)]


def T(v, dt):
    return torch.tensor(v, dtype=dt)


for rname, row in ROWS.items():
    for fname in ("softmax", "log_softmax", "logsumexp", "hardmax"):
        def fn(dt, row=row, fname=fname):
            x = T(row, dt)
            if fname == "hardmax":
                return [F.one_hot(torch.argmax(x, -1), x.shape[-1]).to(dt)]
            if fname == "logsumexp":
                return [torch.logsumexp(x, -1)]
            return [getattr(F, fname)(x, -1)]
        case("%s %s" % (fname, rname), "lg.%s(lg.tensor(%s, dt))" % (fname, lua_value(row)), fn)

for d in (1, 2, 3, -1, -2):
    for fname in ("softmax", "log_softmax", "logsumexp", "hardmax"):
        td = d - 1 if d > 0 else d

        def fn(dt, fname=fname, td=td):
            x = T(CUBE, dt)
            if fname == "hardmax":
                return [F.one_hot(torch.argmax(x, td), x.shape[td]).movedim(-1, td).to(dt)]
            if fname == "logsumexp":
                return [torch.logsumexp(x, td)]
            return [getattr(F, fname)(x, td)]
        case("%s cube dim %d" % (fname, d), "lg.%s(lg.tensor(%s, dt), %d)" % (fname, lua_value(CUBE), d), fn)

case("softmax 0-d", "lg.softmax(lg.tensor(3.5, dt))", lambda dt: [F.softmax(T(3.5, dt), 0)])
case("log_softmax 0-d", "lg.log_softmax(lg.tensor(3.5, dt))", lambda dt: [F.log_softmax(T(3.5, dt), 0)])
case("logsumexp 0-d", "lg.logsumexp(lg.tensor(3.5, dt))", lambda dt: [torch.logsumexp(T(3.5, dt), 0)])

BZ = [[0.3, -1.2, 2.0, 0.5], [1.5, 0.2, -0.7, 0.1], [-2.0, 3.0, 0.4, -0.4]]
BG = [[1.0, -2.0, 0.5, 3.0], [0.1, 0.2, 0.3, 0.4], [-1.0, 2.0, -3.0, 4.0]]
for d in (1, 2):
    def sb(dt, d=d):
        z = T(BZ, dt).requires_grad_()
        p = F.softmax(z, d - 1)
        (gz,) = torch.autograd.grad(p, z, T(BG, dt))
        return [gz]

    def lsb(dt, d=d):
        z = T(BZ, dt).requires_grad_()
        p = F.log_softmax(z, d - 1)
        (gz,) = torch.autograd.grad(p, z, T(BG, dt))
        return [gz]
    case("softmax_backward dim %d" % d,
         "lg.softmax_backward(lg.tensor(%s, dt), lg.softmax(lg.tensor(%s, dt), %d), %d)"
         % (lua_value(BG), lua_value(BZ), d, d), sb)
    case("log_softmax_backward dim %d" % d,
         "lg.log_softmax_backward(lg.tensor(%s, dt), lg.log_softmax(lg.tensor(%s, dt), %d), %d)"
         % (lua_value(BG), lua_value(BZ), d, d), lsb)

for zz in (ROWS["seed"], BZ, [1e4, -1e4, 0.0]):
    def jac(dt, zz=zz):
        z = T(zz, dt)
        if z.dim() == 1:
            return [torch.autograd.functional.jacobian(lambda v: F.softmax(v, -1), z)]
        return [torch.stack([torch.autograd.functional.jacobian(lambda v: F.softmax(v, -1), r) for r in z])]
    case("softmax_jacobian %s" % (zz if len(zz) == 3 else "batch"),
         "lg.softmax_jacobian(lg.tensor(%s, dt))" % lua_value(zz), jac)

# Losses: a grid of options, for index and probability targets.
TIDX = [2, 4, 1]
YPROB = [[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0], [0.7, 0.1, 0.1, 0.1]]
W = [0.5, 2.0, 1.0, 3.0]
OPTSETS = []
for red in ("mean", "sum", "none"):
    for w in (None, W):
        for ign in (None, 4, 2):
            for eps in (0.0, 0.3):
                o = {"reduction": red}
                if w:
                    o["weight"] = w
                if ign is not None:
                    o["ignore_index"] = ign
                if eps:
                    o["label_smoothing"] = eps
                OPTSETS.append(o)


def torch_kw(o, dt, index=True):
    kw = {"reduction": o.get("reduction", "mean")}
    if "weight" in o:
        kw["weight"] = T(o["weight"], dt)
    if "ignore_index" in o and index:
        kw["ignore_index"] = o["ignore_index"] - 1
    if "label_smoothing" in o:
        kw["label_smoothing"] = o["label_smoothing"]
    return kw


def ce_torch(z, target, o, dt, index):
    z = T(z, dt).requires_grad_()
    tgt = torch.tensor(target) - 1 if index else T(target, dt)
    loss = F.cross_entropy(z, tgt, **torch_kw(o, dt, index))
    (g,) = torch.autograd.grad(loss.sum(), z)
    return [g, loss]


def ce_case(name, zv, target, o, index):
    lua = "{lg.cross_entropy_grad(lg.tensor(%s, dt), %s, %s)}" % (
        lua_value(zv), lua_value(target) if index else "lg.tensor(%s, dt)" % lua_value(target), lua_value(o))
    case(name, lua, lambda dt: ce_torch(zv, target, o, dt, index))


for o in OPTSETS:
    ce_case("cross_entropy_grad index %s" % json.dumps(o, sort_keys=True), BZ, TIDX, o, True)
    if "ignore_index" not in o:
        ce_case("cross_entropy_grad probs %s" % json.dumps(o, sort_keys=True), BZ, YPROB, o, False)
ce_case("cross_entropy_grad all ignored mean", BZ, [2, 2, 2], {"ignore_index": 2}, True)
ce_case("cross_entropy_grad all ignored sum", BZ, [2, 2, 2], {"ignore_index": 2, "reduction": "sum"}, True)
ce_case("cross_entropy_grad ignore out of range", BZ, [2, 0, 0], {"ignore_index": 0}, True)
ce_case("cross_entropy_grad -inf at target", [[-INF, 1.0, 2.0]], [1], {}, True)
ce_case("cross_entropy_grad -inf mask", [[-INF, 1.0, 2.0]], [2], {}, True)
ce_case("cross_entropy_grad -inf mask smoothing", [[-INF, 1.0, 2.0]], [2], {"label_smoothing": 0.1}, True)
ce_case("cross_entropy_grad +-1e4", [[1e4, -1e4, 0.0], [5.0, 5.0, 5.0]], [2, 1], {}, True)
ce_case("cross_entropy_grad zero weight", BZ, TIDX, {"weight": [1.0, 0.0, 1.0, 1.0]}, True)


def ce_single(dt):
    z = T(ROWS["seed"], dt).requires_grad_()
    loss = F.cross_entropy(z, torch.tensor(0))
    (g,) = torch.autograd.grad(loss, z)
    return [g, loss]


case("cross_entropy_grad seed, target 1", "{lg.cross_entropy_grad(lg.tensor({2.0, 1.0, 0.1}, dt), 1)}", ce_single)

for o in ({}, {"weight": W}, {"ignore_index": 4, "reduction": "sum"}, {"reduction": "none", "weight": W, "ignore_index": 1}):
    def nll(dt, o=o):
        lp = F.log_softmax(T(BZ, dt), -1).detach().requires_grad_()
        loss = F.nll_loss(lp, torch.tensor(TIDX) - 1, **torch_kw(o, dt))
        (g,) = torch.autograd.grad(loss.sum(), lp)
        return [g, loss]
    case("nll_loss_grad %s" % json.dumps(o, sort_keys=True),
         "{lg.nll_loss_grad(lg.log_softmax(lg.tensor(%s, dt)), %s, %s)}" % (lua_value(BZ), lua_value(TIDX), lua_value(o)),
         nll)

YB = [[1.0, 0.0, 0.5, 1.0], [0.0, 0.0, 1.0, 0.25], [1.0, 1.0, 0.0, 0.0]]
PW = [3.0, 1.0, 0.5, 2.0]
for red in ("mean", "sum", "none"):
    for w in (None, W):
        for pw in (None, PW):
            o = {"reduction": red}
            if w:
                o["weight"] = w
            if pw:
                o["pos_weight"] = pw

            def bce(dt, o=o):
                z = T(BZ, dt).requires_grad_()
                kw = {"reduction": o["reduction"]}
                if "weight" in o:
                    kw["weight"] = T(o["weight"], dt)
                if "pos_weight" in o:
                    kw["pos_weight"] = T(o["pos_weight"], dt)
                loss = F.binary_cross_entropy_with_logits(z, T(YB, dt), **kw)
                (g,) = torch.autograd.grad(loss.sum(), z)
                return [g, loss]
            case("bce_grad %s" % json.dumps(o, sort_keys=True),
                 "{lg.binary_cross_entropy_with_logits_grad(lg.tensor(%s, dt), lg.tensor(%s, dt), %s)}"
                 % (lua_value(BZ), lua_value(YB), lua_value(o)), bce)


def bce_big(dt):
    z = T([1e4, -1e4, 100.0, -100.0, 0.0], dt).requires_grad_()
    loss = F.binary_cross_entropy_with_logits(z, T([0.0, 1.0, 1.0, 0.0, 1.0], dt), reduction="none")
    (g,) = torch.autograd.grad(loss.sum(), z)
    return [g, loss]


case("bce_grad large logits",
     "{lg.binary_cross_entropy_with_logits_grad(lg.tensor({1e4, -1e4, 100, -100, 0}, dt), "
     "lg.tensor({0, 1, 1, 0, 1}, dt), {reduction = 'none'})}", bce_big)

# ---- run -------------------------------------------------------------------

LUA_HEAD = r"""
local lg = require "lgrad"
local function fmt(v)
  if v ~= v then return "nan" elseif v == math.huge then return "inf"
  elseif v == -math.huge then return "-inf" end
  return ("%.17g"):format(v)
end
local function emit(out, v)
  if type(v) == "number" then out[#out + 1] = fmt(v)
  elseif type(v) == "table" and not lg.is_tensor(v) then for _, x in ipairs(v) do emit(out, x) end
  else
    local t = v:totable()
    local function walk(x) if type(x) == "table" then for _, e in ipairs(x) do walk(e) end else out[#out + 1] = fmt(x) end end
    walk(t)
  end
end
local function run(i, dt, f)
  local ok, r = pcall(f)
  local out = {}
  if ok then emit(out, r) else out = {"ERROR", (tostring(r):gsub("%s", "_"))} end
  print(i .. " " .. dt .. " " .. table.concat(out, " "))
end
"""


def main():
    verbose = "-v" in sys.argv
    src = [LUA_HEAD]
    for i, (_, lua, _) in enumerate(CASES):
        for dt in ("float32", "float64"):
            src.append('run(%d, "%s", function() local dt = "%s"; return %s end)' % (i, dt, dt, lua))
    env = dict(os.environ)
    env["LUA_PATH"] = "%s/lua/?.lua;%s/lua/?/init.lua;;" % (ROOT, ROOT)
    env["LUA_CPATH"] = "%s/build/?.so;;" % ROOT
    res = subprocess.run(["lua5.4", "-"], input="\n".join(src), capture_output=True, text=True, env=env, cwd=ROOT)
    if res.returncode != 0:
        sys.exit("lua failed:\n" + res.stderr)
    got = {}
    for line in res.stdout.splitlines():
        parts = line.split()
        got[(int(parts[0]), parts[1])] = parts[2:]
    bad = 0
    checked = 0
    worst = {"float32": (0.0, ""), "float64": (0.0, "")}
    for i, (name, _, fn) in enumerate(CASES):
        for dt, tdt, atol, rtol in (("float32", torch.float32, 1e-6, 1e-5), ("float64", torch.float64, 1e-12, 1e-10)):
            want = []
            for v in fn(tdt):
                want.extend(flat(v))
            have = got[(i, dt)]
            if have and have[0] == "ERROR":
                print("FAIL %s [%s]: lua error %s" % (name, dt, have[1]))
                bad += 1
                continue
            have = [float(x) for x in have]
            if len(have) != len(want):
                print("FAIL %s [%s]: %d values, torch has %d" % (name, dt, len(have), len(want)))
                bad += 1
                continue
            for k, (a, b) in enumerate(zip(have, want)):
                checked += 1
                if math.isnan(b) or math.isnan(a):
                    ok = math.isnan(a) and math.isnan(b)
                    err = 0.0
                elif math.isinf(b) or math.isinf(a):
                    ok = a == b
                    err = 0.0
                else:
                    err = abs(a - b) / (atol + rtol * abs(b))
                    ok = err <= 1.0
                if err > worst[dt][0]:
                    worst[dt] = (err, "%s #%d: lua %.17g torch %.17g" % (name, k + 1, a, b))
                if not ok:
                    print("FAIL %s [%s] value %d: lua %.17g torch %.17g" % (name, dt, k + 1, a, b))
                    bad += 1
            if verbose:
                print("ok   %s [%s]" % (name, dt))
    print("%d cases x 2 dtypes, %d values compared, %d mismatches" % (len(CASES), checked, bad))
    for dt in ("float32", "float64"):
        print("worst %s error (in units of the tolerance): %.3g  %s" % (dt, worst[dt][0], worst[dt][1]))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
