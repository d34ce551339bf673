-- Temperature: softmax(z / T) for the article's z = [2.0, 1.0, 0.1] ("AI 系列:
-- 激活函数 & Softmax 函数", https://ningg.top/ai-series-softmax-intro/). High T
-- flattens the distribution toward uniform; as T falls to 0 it sharpens into
-- hardmax(z).
--
--   lua5.4 examples/temperature.lua [outdir]
local lg = require "lgrad"
local plot = require "lgrad.plot"
local ex = dofile((arg[0]:match("^(.*[/\\])") or "") .. "common.lua")

ex.need(lg, "temperature.lua", { "softmax", "hardmax" })
local dir = ex.outdir(arg)

local z = lg.tensor({ 2.0, 1.0, 0.1 }, "float64")
local h = lg.hardmax(z)

local function entropy(p)   -- in nats; 0 log 0 = 0
  local e = 0
  for _, v in ipairs(p:totable()) do if v > 0 then e = e - v * math.log(v) end end
  return e
end

local rows = {}
for _, T in ipairs({ 100, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.01 }) do
  local p = lg.softmax(z / T)
  rows[#rows + 1] = { ("%g"):format(T), ex.list(p, "%.4f"), ("%.4f"):format(entropy(p)),
    ("%.2e"):format((p - h):abs():max()) }
end
ex.table({ "T", "softmax(z / T)", "entropy (nats)", "max |p - hardmax|" }, rows)
print(("uniform entropy is log 3 = %.4f; hardmax's is 0"):format(math.log(3)))
print()
print("As T -> 0, max |p - hardmax| falls like e^-(z1 - z2)/T = e^(-1/T).")
local tie = lg.tensor({ 1, 1, 0 }, "float64")
print("With a tie, z = [1, 1, 0]: softmax(z / 0.01) = [" .. ex.list(lg.softmax(tie / 0.01), "%.4f") ..
  "] shares it, hardmax(z) = [" .. ex.list(lg.hardmax(tie), "%g") .. "] takes the first.")

-- Curves: each class's probability against log10 T.
local n = 241
local lt = lg.linspace(-2, 2, n, "float64")
local P = {}
for i = 1, 3 do P[i] = {} end
for k = 1, n do
  local p = lg.softmax(z / 10 ^ lt[k])
  for i = 1, 3 do P[i][k] = p[i] end
end
local series = {}
for i = 1, 3 do
  series[i] = { x = lt, y = P[i], label = ("class %d (z = %.1f)"):format(i, z[i]) }
end
ex.save(dir, "temperature.svg", plot.line {
  title = "softmax(z / T): sharper as T falls", xlabel = "log10 T", ylabel = "probability",
  series = series, ylim = { 0, 1 },
})

local bars = {}
for i, T in ipairs({ 5, 1, 0.2 }) do
  bars[i] = { label = ("T = %g"):format(T), values = lg.softmax(z / T) }
end
bars[#bars + 1] = { label = "hardmax", values = h }
ex.save(dir, "temperature_bars.svg", plot.bar {
  title = "From flat to hardmax", ylabel = "probability", labels = { "class 1", "class 2", "class 3" },
  series = bars, ylim = { 0, 1 },
})
