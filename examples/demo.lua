-- lgrad tour: tensors, views, broadcasting and printing.
-- Run from the checkout with `make demo`, or `lua5.4 examples/demo.lua`
-- after `eval $(make -s env)`.
local lg = require "lgrad"

local function section(title) print(("\n== %s"):format(title)) end
local function list(t)   -- "1, 2.5, 3" from a 1-d tensor
  local parts = {}
  for i, v in ipairs(t:totable()) do parts[i] = ("%g"):format(v) end
  return table.concat(parts, ", ")
end

section("A tensor from a Lua table")
local x = lg.tensor{{1, 2, 3}, {4, 5, 6}}
print(x)
print("shape", table.concat(x:shape(), " x "), "dtype", x:dtype(), "numel", x:numel())

section("Views share storage: a row, a transpose")
local row = x[2]
row[1] = 40
print("x[2] after row[1] = 40:", list(x[2]))
print(x:t())

section("Broadcasting: a column plus a row")
local col = lg.tensor{{0}, {10}, {20}}
print(col + lg.tensor{1, 2, 3})

section("Reductions")
print("sum", x:sum(), "mean of each row", list(x:mean(2)))
local values, index = x:max(2)
print("max of each row", list(values), "at", list(index))

section("Comparisons, where, clamp, cat")
local v = lg.tensor{-2, -0.5, 0.5, 3}
print("v > 0        ", lg.gt(v, 0))
print("where(v > 0) ", lg.where(lg.gt(v, 0), v, 0))
print("clamp(v, -1, 1)", lg.clamp(v, -1, 1))
print(lg.cat({x, lg.tensor{{7, 8, 9}}}))

section("A matrix product")
print(lg.matmul(x, x:t()))

section("Random numbers from a seed")
lg.seed(42)
print(lg.randn(2, 4))

if lg.softmax then
  section("The softmax example of " .. '"AI 系列: 激活函数 & Softmax 函数"')
  print("(ningg.top, 2025-04-12, https://ningg.top/ai-series-softmax-intro/)")
  local z = lg.tensor{2.0, 1.0, 0.1}
  print("logits", list(z))
  print("softmax", lg.softmax(z))
  print("hardmax", lg.hardmax(z))
end

if lg.cross_entropy_grad then
  section("Cross-entropy and its gradient p - y, checked numerically")
  local z = lg.tensor({2.0, 1.0, 0.1}, "float64")
  local grad, loss = lg.cross_entropy_grad(z, 1)
  print("loss", loss)
  print("dL/dz", grad)
  print("p - y", lg.softmax(z) - lg.one_hot(1, 3, "float64"))
  if lg.gradcheck then
    local ok, report = lg.gradcheck(function(v) return lg.cross_entropy(v, 1) end, z, grad)
    print("gradcheck", ok, "max abs error", report.max_abs_err)
  end
end

if lg.accuracy then
  section("Predictions: argmax gives class indices, accuracy counts them")
  local logits = lg.tensor{{2.0, 1.0, 0.1}, {0.2, 0.1, 3.0}, {1.0, 1.5, 0.0}}
  local y = {1, 3, 1}
  print("predicted", logits:argmax(2), "targets", table.concat(y, ", "))
  print(("accuracy %.2f, loss %.4f"):format(lg.accuracy(logits, y), lg.cross_entropy(logits, y)))
end
