-- Why activations: a stack of linear layers is one linear layer, and only a
-- nonlinearity lets a network separate XOR or two spirals.
--
--   lua5.4 examples/nonlinearity.lua [outdir]
--
-- Trains, with plain full-batch gradient descent (lg.optim.sgd) on the
-- gradients lg.grad computes, a linear model and 2-layer networks with relu,
-- tanh and sigmoid. (examples/autograd.lua puts lg.grad beside the backward
-- written by hand from lgrad's kernels.) Seeded: every run prints the same
-- numbers. Writes one decision-region plot per data set and model.
local lg = require "lgrad"
local plot = require "lgrad.plot"
local ex = dofile((arg[0]:match("^(.*[/\\])") or "") .. "common.lua")

ex.need(lg, "nonlinearity.lua", { "cross_entropy", "relu", "tanh", "sigmoid", "grad", "optim" })
local dir = ex.outdir(arg)
local DT = "float64"

-- 1. Two linear layers collapse to one -------------------------------------
lg.seed(1)
local X = lg.randn(5, 2, DT)
local W1, b1 = lg.randn(2, 4, DT), lg.randn(4, DT)
local W2, b2 = lg.randn(4, 3, DT), lg.randn(3, DT)
local two = lg.matmul(lg.matmul(X, W1) + b1, W2) + b2
local W, b = lg.matmul(W1, W2), lg.matmul(b1:view(1, 4), W2):view(3) + b2
local one = lg.matmul(X, W) + b
print("Two linear layers: (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2)")
print(("  max |difference| over 5 random inputs: %.1e (float64 rounding)"):format((two - one):abs():max()))
local r = lg.relu(lg.matmul(X, W1) + b1)
print(("  with relu between them, x W + b is off by up to %.2f: the layers no longer collapse"):format(
  (lg.matmul(r, W2) + b2 - one):abs():max()))
print()

-- 2. Data ------------------------------------------------------------------
-- XOR and two spirals: examples/common.lua.
local function xor_data(n) return ex.xor_data(lg, n, DT) end
local function spiral_data(n) return ex.spiral_data(lg, n, DT) end

-- 3. Models -----------------------------------------------------------------
-- Parameters are float64 tensors; forward returns the logits.
local function init(hidden, act)
  local p = { act = act }
  if act then
    p.W1 = lg.randn(2, hidden, DT) * math.sqrt(2 / 2)
    p.b1 = lg.zeros(hidden, DT)
    p.W2 = lg.randn(hidden, 2, DT) * math.sqrt(1 / hidden)
  else
    p.W2 = lg.randn(2, 2, DT) * 0.5
  end
  p.b2 = lg.zeros(2, DT)
  return p
end

local function forward(p, P)
  if not p.act then return lg.matmul(P, p.W2) + p.b2 end
  local h = lg[p.act](lg.matmul(P, p.W1) + p.b1)
  return lg.matmul(h, p.W2) + p.b2
end

-- The loss of the parameters p (a table: the tensors and the name of the
-- activation, which lg.grad passes through), and its gradient, of p's shape.
local value_and_grad = lg.value_and_grad(function(p, P, y) return lg.cross_entropy(forward(p, P), y) end)

local function step(p, opt, P, y)
  local loss, g = value_and_grad(p, P, y)
  opt:step(p, g)   -- p = p - lr * g, in place
  return loss
end

local function accuracy(p, P, y)
  local logits = forward(p, P)
  local _, idx = logits:max(2)
  local right = 0
  for i = 1, #y do if idx[i] == y[i] then right = right + 1 end end
  return right / #y
end

-- A grid of classes for plot.regions: row 1 is the bottom, column 1 the left.
local function region_grid(p, xlim, ylim, res)
  local G = lg.zeros(res * res, 2, DT)
  for r = 1, res do
    for c = 1, res do
      G:set((r - 1) * res + c, 1, xlim[1] + (c - 0.5) * (xlim[2] - xlim[1]) / res)
      G:set((r - 1) * res + c, 2, ylim[1] + (r - 0.5) * (ylim[2] - ylim[1]) / res)
    end
  end
  local _, idx = forward(p, G):max(2)
  local grid = {}
  for r = 1, res do
    grid[r] = {}
    for c = 1, res do grid[r][c] = math.floor(idx[(r - 1) * res + c] + 0.5) end
  end
  return grid
end

local sets = {
  { name = "xor", title = "XOR", hidden = 8, steps = 1000, lr = 0.5, lim = 2 },
  { name = "spirals", title = "two spirals", hidden = 32, steps = 1500, lr = 2, lim = 2.5 },
}
sets[1].P, sets[1].y = xor_data(200)
sets[2].P, sets[2].y = spiral_data(300)

local models = { { label = "linear" }, { label = "relu", act = "relu" }, { label = "tanh", act = "tanh" },
  { label = "sigmoid", act = "sigmoid" } }

local rows = {}
for _, s in ipairs(sets) do
  for _, m in ipairs(models) do
    lg.seed(10)
    local p = init(s.hidden, m.act)
    local opt = lg.optim.sgd { lr = s.lr }
    local first
    for i = 1, s.steps do
      local loss = step(p, opt, s.P, s.y)
      first = first or loss
    end
    local loss = lg.cross_entropy(forward(p, s.P), s.y)
    local acc = accuracy(p, s.P, s.y)
    rows[#rows + 1] = { s.name, m.label, ("%d"):format(s.steps), ("%.4f"):format(first), ("%.4f"):format(loss),
      ("%.1f%%"):format(100 * acc) }
    local lim = { -s.lim, s.lim }
    local xs, ys = {}, {}
    for i = 1, #s.y do xs[i], ys[i] = s.P:get(i, 1), s.P:get(i, 2) end
    ex.save(dir, ("regions_%s_%s.svg"):format(s.name, m.label), plot.regions {
      title = ("%s, %s: %.1f%% right"):format(s.title, m.label, 100 * acc),
      grid = region_grid(p, lim, lim, 80), xlim = lim, ylim = lim,
      points = { x = xs, y = ys, class = s.y }, labels = { "class 1", "class 2" },
    })
  end
end

print()
ex.table({ "data", "model", "steps", "loss at start", "loss at end", "accuracy" }, rows)
print()
print("A linear model draws one straight boundary: it cannot get XOR right (at best 3 of its 4")
print("clusters). Any of the nonlinear nets bends the boundary and separates it.")
