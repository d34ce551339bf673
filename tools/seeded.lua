-- tools/seeded.lua: the numbers docs/platforms.md compares across
-- platforms (every one must print the same lines): seeded draws in both
-- dtypes, and a few float32 kernels at the level lg.simd() names.
local lg = require "lgrad"
local function show(name, v) print(("%-34s %.17g"):format(name, v)) end
lg.seed(42)
local a = lg.randn(3)
show("seed(42) randn(3)[1] float64", a[1])
show("         randn(3)[3] float64", a[3])
local b = lg.randn(2, "float32")
show("then randn(2, float32)[1]", b[1])
lg.seed(7)
show("seed(7) rand(1)[1] float64", lg.rand(1)[1])
show("seed(7) rand(1, float32)[1]", lg.rand(1, "float32")[1])
show("softmax f32 {1,2,3,4}[1]", lg.softmax(lg.tensor({ 1, 2, 3, 4 }, "float32"))[1])
show("exp f32 (-8)", lg.exp(lg.tensor({ -8 }, "float32"))[1])
show("linspace(-8, 8, 37)[19]", lg.linspace(-8, 8, 37)[19])
print("lg.simd() " .. lg.simd())
