-- Every activation and its derivative: one SVG per activation, two overview
-- plots of the article's three (sigmoid, tanh, relu: "AI 系列: 激活函数 &
-- Softmax 函数", https://ningg.top/ai-series-softmax-intro/), and a table of ranges,
-- the derivative's largest value, and how far lg.derivative is from a
-- numeric derivative (lg.numeric_grad, away from the kinks).
--
--   lua5.4 examples/activations.lua [outdir]
--
-- Why sigmoid gradients vanish: sigmoid' = s(1 - s) is at most 1/4 (at 0), so
-- backpropagating through n sigmoid layers scales the signal by at most 4^-n.
local lg = require "lgrad"
local plot = require "lgrad.plot"
local ex = dofile((arg[0]:match("^(.*[/\\])") or "") .. "common.lua")

ex.need(lg, "activations.lua", { "activations", "derivative", "sigmoid", "tanh", "relu" })
local dir = ex.outdir(arg)

local x = lg.linspace(-6, 6, 601, "float64")
-- A grid for the numeric check that misses every kink (0, +-1, +-3, 6).
local xc = lg.linspace(-5.9931, 5.9877, 200, "float64")
-- Far points, to show where each function goes.
local far = lg.tensor({ -1e4, 1e4 }, "float64")

local function fmt(v)
  if v ~= v then return "nan" end
  if v == 0 then return "0" end
  if v == math.huge then return "inf" elseif v == -math.huge then return "-inf" end
  return ("%.4g"):format(v)
end

local rows = {}
for _, name in ipairs(lg.activations) do
  local f = lg[name]
  local y, d = f(x), lg.derivative(name, x)
  ex.save(dir, "activation_" .. name .. ".svg", plot.line {
    title = name .. " and its derivative", xlabel = "x", ylabel = ("%s(x), %s′(x)"):format(name, name),
    series = { { x = x, y = y, label = name }, { x = x, y = d, label = name .. "′" } },
  })
  local dmax, at = d:max(), x[d:argmax()]
  -- numeric check, one point at a time (float64 central differences)
  local dc, err = lg.derivative(name, xc), 0
  for i = 1, xc:numel() do
    local num = lg.numeric_grad(function(v) return f(lg.tensor({ v }, "float64"))[1] end, xc[i])
    err = math.max(err, math.abs(num - dc[i]))
  end
  local fl = f(far)
  rows[#rows + 1] = {
    name, fmt(y:min()), fmt(y:max()), ("%s .. %s"):format(fmt(fl[1]), fmt(fl[2])),
    fmt(dmax), fmt(at), ("%.1e"):format(err),
  }
end

local seed = { "sigmoid", "tanh", "relu" }
local fs, ds = {}, {}
for i, name in ipairs(seed) do
  fs[i] = { x = x, y = lg[name](x), label = name }
  ds[i] = { x = x, y = lg.derivative(name, x), label = name .. "′" }
end
ex.save(dir, "activations.svg", plot.line {
  title = "The activations of \"" .. ex.ARTICLE_EN .. "\"", xlabel = "x", ylabel = "f(x)", series = fs,
  ylim = { -1.5, 3 } })
ex.save(dir, "derivatives.svg", plot.line {
  title = "Their derivatives: sigmoid′ never exceeds 0.25", xlabel = "x", ylabel = "f′(x)", series = ds,
  ylim = { -0.1, 1.1 } })

print()
ex.table({ "activation", "min on [-6,6]", "max on [-6,6]", "f(-1e4) .. f(1e4)", "max f'", "at x",
  "|f' - numeric|" }, rows)

local s = lg.derivative("sigmoid", lg.tensor({ 0 }, "float64"))[1]
print()
print(("sigmoid'(0) = %.4f: the largest a sigmoid layer can pass back; ten layers: at most %.1e")
  :format(s, s ^ 10))
print(plot.text { title = "sigmoid' and tanh' on [-6, 6]", width = 60, height = 10, series = {
  { x = x, y = ds[1].y, label = "sigmoid'" }, { x = x, y = ds[2].y, label = "tanh'" } } })   -- a terminal: ASCII
