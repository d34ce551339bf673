#!/usr/bin/env python3
"""Compare two outputs in torch_ref.py's line format (no torch needed):
    /usr/bin/python3 tools/torch_ref.py > torch.txt
    ./smx_check --print f32 > c32.txt
    python3 tools/cmp_ref.py torch.txt c32.txt
Tolerance 1e-6 absolute + 1e-5 relative; NaN must match NaN, inf the same inf.
"""
import math
import sys


def parse(path):
    cases = {}
    for line in open(path):
        fields = [f.strip() for f in line.rstrip("\n").split(" | ")]
        d = {}
        for f in fields[1:]:
            key, _, vals = f.partition("=")
            d[key] = [float(v.replace("-INFINITY", "-inf").replace("INFINITY", "inf"))
                      for v in vals.split()]
        cases[fields[0]] = d
    return cases


def close(a, b):
    if math.isnan(b):
        return math.isnan(a)
    if math.isinf(b):
        return a == b
    return math.isfinite(a) and abs(a - b) <= 1e-6 + 1e-5 * abs(b)


ref, got = parse(sys.argv[1]), parse(sys.argv[2])
bad = nums = 0
for name, d in ref.items():
    if name not in got:
        print("missing", name)
        bad += 1
        continue
    for key, vals in d.items():
        g = got[name].get(key, [])
        if len(g) != len(vals):
            print(f"{name} {key}: length {len(g)} != {len(vals)}")
            bad += 1
            continue
        for i, (a, b) in enumerate(zip(g, vals)):
            nums += 1
            if not close(a, b):
                bad += 1
                print(f"{name} {key}[{i}]: got {a!r} torch {b!r}")
print(f"{len(ref)} cases, {nums} numbers compared, {bad} mismatches")
sys.exit(1 if bad else 0)
