-- Training with lg.grad: write the loss, get the gradient of every parameter.
--
--   lua5.4 examples/autograd.lua [outdir]
--
-- 1. One gradient three ways for a small tanh net: the backward written by
--    hand from lgrad's kernels, lg.grad, and central differences.
-- 2. XOR and two spirals learned by MLPs whose parameters are a nested table
--    (a list of layers), with lg.value_and_grad and lg.optim.adam.
-- Seeded: every run prints the same numbers. Writes a decision-region plot
-- per data set.
local lg = require "lgrad"
local plot = require "lgrad.plot"
local ex = dofile((arg[0]:match("^(.*[/\\])") or "") .. "common.lua")

ex.need(lg, "autograd.lua", { "grad", "value_and_grad", "optim", "cross_entropy", "tanh" })
local dir = ex.outdir(arg)
local DT = "float64"

-- An MLP as a list of layers { W = [in, out], b = [out] }, tanh between.
local function mlp(sizes)
  local layers = {}
  for i = 1, #sizes - 1 do
    layers[i] = { W = lg.randn(sizes[i], sizes[i + 1], DT) * math.sqrt(1 / sizes[i]),
      b = lg.zeros(sizes[i + 1], DT) }
  end
  return layers
end

local function forward(layers, X)
  local h = X
  for i, l in ipairs(layers) do
    h = lg.matmul(h, l.W) + l.b
    if i < #layers then h = lg.tanh(h) end
  end
  return h
end

local function loss(layers, X, y) return lg.cross_entropy(forward(layers, X), y) end

-- 1. One gradient, three ways ---------------------------------------------
lg.seed(1)
local X = lg.randn(8, 2, DT)
local y = { 1, 2, 2, 1, 1, 2, 1, 2 }
local net = mlp({ 2, 5, 2 })

-- By hand: dz2 = (p - y) / N from the fused kernel, then the chain rule.
local function hand(layers)
  local l1, l2 = layers[1], layers[2]
  local h = lg.tanh(lg.matmul(X, l1.W) + l1.b)
  local dz2 = lg.cross_entropy_grad(lg.matmul(h, l2.W) + l2.b, y)
  local dz1 = lg.tanh_backward_from_output(lg.matmul(dz2, l2.W:t()), h)
  return { { W = lg.matmul(X:t(), dz1), b = dz1:sum(1) }, { W = lg.matmul(h:t(), dz2), b = dz2:sum(1) } }
end

local g_hand = hand(net)
local g_auto = lg.grad(loss)(net, X, y)
local rows = {}
for i = 1, 2 do
  for _, k in ipairs({ "W", "b" }) do
    local numeric = lg.numeric_grad(function(t)
      local saved = net[i][k]
      net[i][k] = t
      local v = loss(net, X, y)
      net[i][k] = saved
      return v
    end, net[i][k])
    rows[#rows + 1] = { ("layers[%d].%s"):format(i, k), table.concat(net[i][k]:shape(), "x"),
      ("%.1e"):format((g_auto[i][k] - g_hand[i][k]):abs():max()),
      ("%.1e"):format((g_auto[i][k] - numeric):abs():max()) }
  end
end
print("The gradient of the loss of a 2-5-2 tanh net on 8 points, float64:")
ex.table({ "parameter", "shape", "|lg.grad - by hand|", "|lg.grad - numeric|" }, rows)
print()

-- 2. Training --------------------------------------------------------------
-- XOR and two spirals: examples/common.lua.
local function xor_data(n) return ex.xor_data(lg, n, DT) end
local function spiral_data(n) return ex.spiral_data(lg, n, DT) end

local function predict(layers, P)
  local _, idx = forward(layers, P):max(2)
  local out = {}
  for i = 1, P:size(1) do out[i] = math.floor(idx[i] + 0.5) end
  return out
end

local function accuracy(layers, P, labels)
  local pred, right = predict(layers, P), 0
  for i = 1, #labels do if pred[i] == labels[i] then right = right + 1 end end
  return right / #labels
end

-- A grid of classes for plot.regions: row 1 is the bottom, column 1 the left.
local function region_grid(layers, lim, res)
  local G = lg.zeros(res * res, 2, DT)
  for r = 1, res do
    for c = 1, res do
      G:set((r - 1) * res + c, 1, -lim + (c - 0.5) * 2 * lim / res)
      G:set((r - 1) * res + c, 2, -lim + (r - 0.5) * 2 * lim / res)
    end
  end
  local pred, grid = predict(layers, G), {}
  for r = 1, res do
    grid[r] = {}
    for c = 1, res do grid[r][c] = pred[(r - 1) * res + c] end
  end
  return grid
end

local sets = {
  { name = "xor", title = "XOR", sizes = { 2, 8, 2 }, steps = 300, lr = 0.05, lim = 2 },
  { name = "spirals", title = "two spirals", sizes = { 2, 32, 32, 2 }, steps = 1500, lr = 0.02, lim = 2.5 },
}
sets[1].P, sets[1].y = xor_data(200)
sets[2].P, sets[2].y = spiral_data(300)

local value_and_grad = lg.value_and_grad(loss)
local results = {}
for _, s in ipairs(sets) do
  lg.seed(10)
  local layers = mlp(s.sizes)
  local opt = lg.optim.adam { lr = s.lr }
  local first, last
  for i = 1, s.steps do
    local l, g = value_and_grad(layers, s.P, s.y)   -- g has the shape of layers
    opt:step(layers, g)
    first, last = first or l, l
  end
  local acc = accuracy(layers, s.P, s.y)
  local extra = ""
  if s.name == "xor" then   -- the four corners (+-1, +-1) themselves
    local corners = lg.tensor({ { 1, 1 }, { -1, 1 }, { -1, -1 }, { 1, -1 } }, DT)
    local pred, right = predict(layers, corners), 0
    for i, want in ipairs({ 1, 2, 1, 2 }) do if pred[i] == want then right = right + 1 end end
    extra = ("%d/4"):format(right)
  end
  results[#results + 1] = { s.name, table.concat(s.sizes, "-"), ("adam lr=%g"):format(s.lr),
    ("%d"):format(s.steps), ("%.4f"):format(first), ("%.4f"):format(loss(layers, s.P, s.y)),
    ("%.1f%%"):format(100 * acc), extra }
  local xs, ys = {}, {}
  for i = 1, #s.y do xs[i], ys[i] = s.P:get(i, 1), s.P:get(i, 2) end
  local lim = { -s.lim, s.lim }
  ex.save(dir, ("autograd_%s.svg"):format(s.name), plot.regions {
    title = ("%s, MLP %s trained with lg.grad: %.1f%% right"):format(s.title, table.concat(s.sizes, "-"), 100 * acc),
    grid = region_grid(layers, s.lim, 80), xlim = lim, ylim = lim,
    points = { x = xs, y = ys, class = s.y }, labels = { "class 1", "class 2" },
  })
end
print()
ex.table({ "data", "MLP", "optimizer", "steps", "loss at start", "loss at end", "accuracy", "corners" }, results)
