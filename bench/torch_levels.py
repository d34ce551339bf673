"""bench/torch_levels.py - lgrad's float32 kernels at one SIMD level beside
PyTorch, in one process, on the same buffers, interleaved.

Usage: /usr/bin/python3 bench/torch_levels.py [level] [rounds] [op ...]
  level: portable | avx2 | avx512 (default avx2); rounds: default 9.
Loads build/ktorch.so (or $KTORCH; bench/ktorch.c: the kernels through ctypes, no Lua;
`make build/ktorch.so`). Each round times every op once for PyTorch and
once for lgrad, each the best of 3 calls; a row is the median over the
rounds, ns per element, and ratio = PyTorch / lgrad. `out` forms on both
sides (torch's out= variants), 1 thread, float32, inputs uniform in
[-8, 8] (and a set of rows in [-100, 100]). Optional, never in CI: needs
Debian's python3-torch."""
import ctypes
import os
import sys
import time

import torch

torch.set_num_threads(1)
here = os.path.dirname(os.path.abspath(__file__))
K = ctypes.CDLL(os.environ.get("KTORCH") or os.path.join(here, "..", "build", "ktorch.so"))
K.kt_set_level.argtypes = [ctypes.c_int]
K.kt_act.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t, ctypes.c_void_p,
                     ctypes.c_void_p]
K.kt_softmax.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p,
                         ctypes.c_void_p]
LEVELS = {"portable": 0, "avx2": 1, "avx512": 2}
args = sys.argv[1:]
level = args.pop(0) if args and args[0] in LEVELS else "avx2"
rounds = int(args.pop(0)) if args and args[0].isdigit() else 9
got = K.kt_set_level(LEVELS[level])
if got != LEVELS[level]:
    sys.exit("this machine has no %s level" % level)

torch.manual_seed(1)
N = 1000000
x = torch.rand(N) * 16 - 8
y = torch.empty_like(x)
nn = torch._C._nn


def act(name, mode=0):
    b = name.encode()
    return lambda: K.kt_act(b, mode, N, y.data_ptr(), x.data_ptr())


def smx(op, z, w):
    r, c = z.shape
    return lambda: K.kt_softmax(op, r, c, w.data_ptr(), z.data_ptr())


OPS = [
    ("memcpy", "1e6", N, lambda: y.copy_(x), lambda: ctypes.memmove(y.data_ptr(), x.data_ptr(), 4 * N)),
    ("relu", "1e6", N, lambda: torch.clamp_min(x, 0, out=y), act("relu")),
    ("sigmoid", "1e6", N, lambda: torch.sigmoid(x, out=y), act("sigmoid")),
    ("silu", "1e6", N, lambda: nn.silu(x, out=y), act("silu")),
    ("elu", "1e6", N, lambda: nn.elu(x, out=y), act("elu")),
    ("tanh", "1e6", N, lambda: torch.tanh(x, out=y), act("tanh")),
    ("softplus", "1e6", N, lambda: nn.softplus(x, out=y), act("softplus")),
    ("gelu_tanh", "1e6", N, lambda: nn.gelu(x, approximate="tanh", out=y), act("gelu", 1)),
    ("gelu", "1e6", N, lambda: nn.gelu(x, out=y), act("gelu")),
    # selu and celu are PyTorch's elu kernel with other scales (its own
    # selu/celu have no out form); softsign is a composite there
    ("selu", "1e6", N, lambda: nn.elu(x, 1.6732632423543772848, 1.0507009873554804934, 1.0, out=y),
     act("selu")),
    ("celu", "1e6", N, lambda: nn.elu(x, 1.0, 1.0, 1.0, out=y), act("celu")),
    ("mish", "1e6", N, lambda: nn.mish(x, out=y), act("mish")),
    ("softsign", "1e6", N, lambda: torch.div(x, torch.abs(x).add_(1), out=y), act("softsign")),
]


def rows(r, c, span, tag, lse):
    """softmax, log_softmax (and logsumexp) over [r, c], inputs uniform in [-span, span]"""
    z = torch.rand(r, c) * (2 * span) - span
    w = torch.empty_like(z)
    l = torch.empty(r)
    sh = "[%d,%d]%s" % (r, c, tag)
    OPS.append(("softmax", sh, r * c, lambda: torch._softmax(z, 1, False, out=w), smx(0, z, w)))
    OPS.append(("log_softmax", sh, r * c, lambda: torch._log_softmax(z, 1, False, out=w),
                smx(1, z, w)))
    if lse:
        OPS.append(("logsumexp", sh, r * c, lambda: torch.logsumexp(z, 1, out=l), smx(2, z, l)))


for r, c in ((4096, 1000), (256, 32000), (65536, 10)):
    rows(r, c, 8, "", True)
# Inputs of large magnitude (uniform in [-100, 100]): lanes past |x| = 87
# have subnormal or zero exps, which cost a microcode assist per
# operation on Intel cores wherever a subnormal is made or read.
xw = torch.rand(N) * 200 - 100
for name, tf in (("sigmoid", lambda: torch.sigmoid(xw, out=y)),
                 ("silu", lambda: nn.silu(xw, out=y)),
                 ("tanh", lambda: torch.tanh(xw, out=y)),
                 ("softplus", lambda: nn.softplus(xw, out=y)),
                 ("gelu", lambda: nn.gelu(xw, out=y))):
    OPS.append((name, "1e6 +-100", N, tf,
                (lambda b: lambda: K.kt_act(b, 0, N, y.data_ptr(), xw.data_ptr()))(name.encode())))
for r, c in ((4096, 1000), (65536, 10)):
    rows(r, c, 100, " +-100", False)
if args:
    OPS = [o for o in OPS if o[0] in args or "%s%s" % (o[0], o[1]) in args]


def best3(fn, n):
    fn()
    b = 1e30
    for _ in range(3):
        t0 = time.perf_counter_ns()
        fn()
        b = min(b, time.perf_counter_ns() - t0)
    return b / n


T = {i: ([], []) for i in range(len(OPS))}
for _ in range(rounds):
    for i, (name, sh, n, ft, fl) in enumerate(OPS):
        T[i][0].append(best3(ft, n))
        T[i][1].append(best3(fl, n))
print("lgrad at %s vs PyTorch %s (1 thread), float32, ns/el, median of %d interleaved rounds"
      % (level, torch.__version__, rounds))
print("%-12s %-18s %8s %8s %8s" % ("op", "shape", "lgrad", "torch", "ratio"))
for i, (name, sh, n, ft, fl) in enumerate(OPS):
    t = sorted(T[i][0])[rounds // 2]
    g = sorted(T[i][1])[rounds // 2]
    print("%-12s %-18s %8.3f %8.3f %8.2f" % (name, sh, g, t, t / g), flush=True)
