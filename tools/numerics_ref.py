#!/usr/bin/env python3
"""numerics_ref.py - reference values for spec/numerics_spec.lua (issue 14).

Computes, with mpmath at 120 digits, the exact value of each function on the
inputs the kernels see (float32 inputs rounded to float32 first), and writes
them at 40 significant digits to spec/support/numerics_ref.lua, so the specs
need no Python. Run from the repository root:

    python3 tools/numerics_ref.py > spec/support/numerics_ref.lua

(Debian: apt-get install python3-mpmath.) Nothing here calls lgrad.
"""
import struct
import mpmath as mp

mp.mp.dps = 120   # headroom: the forms below avoid 1 - (nearly 1) anyway


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def inp(xs, dt):
    return [f32(x) if dt == "float32" else float(x) for x in xs]


def num(v):
    return '"%s"' % mp.nstr(mp.mpf(v), 40, strip_zeros=False, min_fixed=-1, max_fixed=-1)


def lua_list(vs, fmt):
    return "{" + ", ".join(fmt(v) for v in vs) + "}"


def x_lua(x):
    return "%.17g" % x


out = []


def case(fn, dt, x, want, **extra):
    fields = ['fn = "%s"' % fn, 'dtype = "%s"' % dt, "x = " + lua_list(x, x_lua)]
    for k, v in extra.items():
        fields.append("%s = %s" % (k, lua_list(v, x_lua) if isinstance(v, list) else x_lua(v)))
    fields.append("want = " + lua_list(want, num))
    out.append("  {" + ", ".join(fields) + "},")


def lse(xs):
    m = max(xs)
    return m + mp.log(mp.fsum(mp.exp(mp.mpf(v) - m) for v in xs))


def softmax(xs):
    ls = lse(xs)
    return [mp.exp(mp.mpf(v) - ls) for v in xs]


def sig(z):
    return 1 / (1 + mp.exp(-mp.mpf(z)))


# log_softmax / logsumexp: ties at large magnitude (and ordinary rows)
for dt in ("float32", "float64"):
    for row in ([1e30, 1e30, 0.56], [1e12, 88.7, 1e12], [2.0 ** 62, 2.0 ** 62],
                [-3e20, -3e20, -2.9e20], [5e8, 5e8, 5e8 - 1.5], [0.3, -1.7, 2.2]):
        x = inp(row, dt)
        L = lse(x)
        case("log_softmax", dt, x, [mp.mpf(v) - L for v in x])
        case("logsumexp", dt, x, [L])

# softmax and cross_entropy_grad: tiny probabilities, several magnitudes
rows = [[30.1, -35.2], [0.3, 0.3 - 20.3, 0.3 - 45.7, 0.3 - 80.1],
        [1000.7, 1000.7 - 20.3, 1000.7 - 45.7, 1000.7 - 80.1],
        [-300.2, -300.2 - 20.3, -300.2 - 45.7, -300.2 - 80.1],
        [0.17 - 4.3 * i for i in range(20)],
        [3 * mp.sin(1.7 * i) + (25 if i == 0 else 0) for i in range(100)]]
for dt in ("float32", "float64"):
    for row in rows:
        x = inp(row, dt)
        p = softmax(x)
        case("softmax", dt, x, p)
        t = len(x)   # target: the last class (a small p; p_t - 1 does not cancel)
        case("cross_entropy_grad", dt, x, [p[j] - (1 if j == t - 1 else 0) for j in range(len(x))],
             target=t)

# BCE with logits, reduction "none": y = 0, z << 0 (loss = softplus(z));
# y = 1, z >> 0 (grad = sigmoid(z) - 1 = -sigmoid(-z))
for dt in ("float32", "float64"):
    zs = [-10, -30, -50, -87.3, -103.5] + ([-300, -700.5] if dt == "float64" else [])
    x = inp(zs, dt)
    case("bce_loss", dt, x, [mp.log1p(mp.exp(mp.mpf(z))) for z in x], y=[0] * len(x))
    zs = [10, 30, 40, 60.25, 100] + ([300, 700.5] if dt == "float64" else [])
    x = inp(zs, dt)
    case("bce_grad", dt, x, [-sig(-z) for z in x], y=[1] * len(x))
    # pos_weight 3: loss for y = 0 is still softplus(z), grad for y = 1 is -3 sigmoid(-z)
    case("bce_grad_pw3", dt, x, [-3 * sig(-z) for z in x], y=[1] * len(x))

# softmax_jacobian: J = diag(p) - p p^T, diagonal p (1 - p) for a dominant class
for dt in ("float32", "float64"):
    for row in ([40, 0], [25.5, -3, 1], [70, 0.5], [0.2, 0.1, -0.4]):
        x = inp(row, dt)
        p = softmax(x)
        n = len(x)
        case("softmax_jacobian", dt, x,
             [p[i] * (1 - p[i]) if i == j else -p[i] * p[j] for i in range(n) for j in range(n)])

# float32 activation backwards with a large grad_output: dy f'(x)
acts = {
    "sigmoid_backward": lambda x: sig(x) * sig(-x),   # forms without 1 - (nearly 1)
    "tanh_backward": lambda x: mp.sech(x) ** 2,
    "softplus_backward": lambda x: sig(x),
    "log_sigmoid_backward": lambda x: sig(-x),
}
pairs = {
    "sigmoid_backward": [(100, 1e30), (95.5, 3e38), (-100, 1e30), (60, 1e20), (1.5, 1e30)],
    "tanh_backward": [(50, 1e30), (45, 3e38), (-50, 1e30), (30, 1e10), (0.5, 3e38)],
    "softplus_backward": [(-100, 1e30), (-90, 3e38), (-60, 1e20), (-1.5, 1e30), (3, 1e30)],
    "log_sigmoid_backward": [(100, 1e30), (90, 3e38), (60, 1e20), (1.5, 1e30), (-3, 1e30)],
}
for fn, ps in pairs.items():
    x = inp([p[0] for p in ps], "float32")
    dy = inp([p[1] for p in ps], "float32")
    case(fn, "float32", x, [mp.mpf(d) * acts[fn](mp.mpf(v)) for v, d in zip(x, dy)], dy=dy)

print("-- spec/support/numerics_ref.lua: written by tools/numerics_ref.py (mpmath,")
print("-- 120 digits, printed at 40); exact values on the float32/float64 inputs.")
print("-- Do not edit: rerun the tool.")
print("return {")
print("\n".join(out))
print("}")
