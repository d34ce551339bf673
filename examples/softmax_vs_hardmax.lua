-- The example of "AI 系列: 激活函数 & Softmax 函数" (ningg.top, 2025-04-12,
-- https://ningg.top/ai-series-softmax-intro/): z = [2.0, 1.0, 0.1] through
-- hardmax and softmax.
--
--   lua5.4 examples/softmax_vs_hardmax.lua [outdir]
--
-- The article says softmax(z) is about [0.65, 0.24, 0.11]. The exact values
-- are 0.6590, 0.2424, 0.0986: rounded, 0.66, 0.24, 0.10; truncated, 0.65,
-- 0.24, 0.09. No rule gives 0.11, and 0.65 needs truncation.
local lg = require "lgrad"
local plot = require "lgrad.plot"
local ex = dofile((arg[0]:match("^(.*[/\\])") or "") .. "common.lua")

ex.need(lg, "softmax_vs_hardmax.lua", { "softmax", "hardmax" })
local dir = ex.outdir(arg)

local labels = { "class 1", "class 2", "class 3" }
local zt = { 2.0, 1.0, 0.1 }
local z = lg.tensor(zt, "float64")
local p, h = lg.softmax(z), lg.hardmax(z)

print("logits z       = [" .. ex.list(z, "%.1f") .. "]")
print("hardmax(z)     = [" .. ex.list(h, "%g") .. "]   (one-hot of the argmax)")
print("softmax(z)     = [" .. ex.list(p, "%.4f") .. "]   (sum " .. ("%.6f"):format(p:sum()) .. ")")

-- The same in plain Lua, from the formula e^z_i / sum_j e^z_j.
local s, want = 0, {}
for i, v in ipairs(zt) do want[i] = math.exp(v); s = s + want[i] end
local err = 0
for i = 1, #zt do want[i] = want[i] / s; err = math.max(err, math.abs(want[i] - p[i])) end
print(("formula in Lua = [%.4f, %.4f, %.4f]   max |difference| %.1e"):format(want[1], want[2], want[3], err))

print()
local seed = { 0.65, 0.24, 0.11 }
local rows = {}
for i = 1, 3 do
  local r2 = math.floor(p[i] * 100 + 0.5) / 100
  rows[i] = { labels[i], ("%.4f"):format(p[i]), ("%.2f"):format(r2), ("%.2f"):format(seed[i]),
    math.abs(r2 - seed[i]) < 1e-9 and "ok" or "WRONG: rounds to " .. ("%.2f"):format(r2) }
end
print("The article: " .. ex.ARTICLE_REF)
ex.table({ "class", "softmax", "rounded", "the article says", "check" }, rows)
print(("truncated to 2 places: %.2f, %.2f, %.2f; no rounding rule gives the article's 0.11"):format(
  math.floor(p[1] * 100) / 100, math.floor(p[2] * 100) / 100, math.floor(p[3] * 100) / 100))

print()
print(plot.text_bar(labels, p, { fmt = "%.4f" }))
print()
print("softmax keeps the runner-up's share (24%); hardmax throws it away.")
print("Adding a constant to every logit changes nothing: softmax(z + 100) = [" ..
  ex.list(lg.softmax(z + 100), "%.4f") .. "]")
print("Scaling the logits sharpens it toward hardmax: softmax(10 z) = [" ..
  ex.list(lg.softmax(z * 10), "%.4f") .. "]  (see temperature.lua)")

ex.save(dir, "softmax_vs_hardmax.svg", plot.bar {
  title = "z = [2.0, 1.0, 0.1]: softmax vs hardmax", ylabel = "probability", labels = labels,
  ylim = { 0, 1 },
  series = { { label = "softmax", values = p }, { label = "hardmax", values = h } },
})
