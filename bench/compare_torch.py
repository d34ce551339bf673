"""bench/compare_torch.py - the bench shapes through PyTorch, 1 thread (the
large ones then on 2, as "op@2" rows).
Optional, never in CI: needs Debian's python3-torch (/usr/bin/python3).
Prints "op shape ns_per_element" lines that bench_kernels reads."""
import time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
REPS = 15


def med(fn, n):
    fn()
    inner = max(1, 2000000 // n)
    ts = []
    for _ in range(REPS):
        t0 = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter_ns() - t0) / inner)
    ts.sort()
    return ts[REPS // 2] / n


def row(name, shape, fn, n):
    print(name, shape, "%.4f" % med(fn, n), flush=True)


x = torch.rand(1000000) * 16 - 8
y = torch.empty_like(x)
g = torch.rand(1000000) * 2 - 1
row("memcpy", "1e+06", lambda: y.copy_(x), 1000000)
row("relu", "1e+06", lambda: torch.relu(x, out=y) if False else torch.clamp_min(x, 0, out=y), 1000000)
row("relu_backward", "1e+06", lambda: torch.ops.aten.threshold_backward(g, x, 0), 1000000)
row("leaky_relu", "1e+06", lambda: F.leaky_relu(x), 1000000)
row("hardswish", "1e+06", lambda: F.hardswish(x), 1000000)
row("sigmoid", "1e+06", lambda: torch.sigmoid(x, out=y), 1000000)
row("silu", "1e+06", lambda: F.silu(x), 1000000)
row("tanh", "1e+06", lambda: torch.tanh(x, out=y), 1000000)
row("gelu", "1e+06", lambda: F.gelu(x), 1000000)
row("gelu_tanh", "1e+06", lambda: F.gelu(x, approximate="tanh"), 1000000)
row("softplus", "1e+06", lambda: F.softplus(x), 1000000)
row("elu", "1e+06", lambda: F.elu(x), 1000000)
row("log_sigmoid", "1e+06", lambda: F.logsigmoid(x), 1000000)
xb = torch.rand(16000000) * 16 - 8
yb = torch.empty_like(xb)
row("relu", "1.6e+07", lambda: torch.clamp_min(xb, 0, out=yb), 16000000)
row("sigmoid", "1.6e+07", lambda: torch.sigmoid(xb, out=yb), 16000000)
del xb, yb
s = torch.sigmoid(x)
t = torch.tanh(x)
row("sigmoid_backward", "1e+06", lambda: torch.ops.aten.sigmoid_backward(g, s), 1000000)
row("tanh_backward", "1e+06", lambda: torch.ops.aten.tanh_backward(g, t), 1000000)
for r, c in ((4096, 1000), (65536, 10)):
    z = torch.rand(r, c) * 16 - 8
    tg = torch.randint(0, c, (r,))
    sh = "[%d,%d]" % (r, c)
    row("softmax", sh, lambda: torch.softmax(z, 1), r * c)
    if c == 1000:
        row("log_softmax", sh, lambda: torch.log_softmax(z, 1), r * c)
        row("logsumexp", sh, lambda: torch.logsumexp(z, 1), r * c)
    zz = z.clone().requires_grad_()

    def ce():
        zz.grad = None
        F.cross_entropy(zz, tg).backward()
    row("cross_entropy_fb", sh, ce, r * c)
z3 = torch.rand(3)
row("softmax", "3", lambda: torch.softmax(z3, 0), 3)
# The large rows again on 2 threads (bench_kernels' "threads 2" rows).
torch.set_num_threads(2)
xb = torch.rand(16000000) * 16 - 8
yb = torch.empty_like(xb)
row("relu@2", "1.6e+07", lambda: torch.clamp_min(xb, 0, out=yb), 16000000)
row("sigmoid@2", "1.6e+07", lambda: torch.sigmoid(xb, out=yb), 16000000)
del xb, yb
z = torch.rand(4096, 1000) * 16 - 8
tg = torch.randint(0, 1000, (4096,))
row("softmax@2", "[4096,1000]", lambda: torch.softmax(z, 1), 4096 * 1000)
zz = z.clone().requires_grad_()


def ce2():
    zz.grad = None
    F.cross_entropy(zz, tg).backward()


row("cross_entropy_fb@2", "[4096,1000]", ce2, 4096 * 1000)
row("sigmoid@2", "1e+06", lambda: torch.sigmoid(x, out=y), 1000000)
row("gelu@2", "1e+06", lambda: F.gelu(x), 1000000)
z = torch.rand(65536, 10) * 16 - 8
tg = torch.randint(0, 10, (65536,))
row("softmax@2", "[65536,10]", lambda: torch.softmax(z, 1), 65536 * 10)
zz = z.clone().requires_grad_()
row("cross_entropy_fb@2", "[65536,10]", ce2, 65536 * 10)
