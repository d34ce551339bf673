-- lg.optim.sgd and lg.optim.adam against torch.optim's update rules,
-- written out here in Lua doubles, element by element.
local lg = require "lgrad"
local H = dofile("spec/support/helpers.lua")

local D = "float64"

local P0 = { 0.5, -1.25, 2.0, 0.0, 3.5, -0.75 }
local GRADS = {   -- one gradient per step
  { 0.1, -0.2, 0.3, -0.4, 0.5, 0.05 },
  { -0.3, 0.1, 0.2, 0.0, -0.1, 0.7 },
  { 0.25, 0.25, -0.5, 1.0, 0.01, -0.2 },
  { 1e-3, -2.0, 0.4, 0.3, 0.2, 0.1 },
}

-- torch.optim.SGD (dampening 0, nesterov false), one element.
local function sgd_ref(o)
  local p, b = {}, {}
  for i = 1, #P0 do p[i] = P0[i] end
  local out = {}
  for t = 1, #GRADS do
    for i = 1, #p do
      local d = GRADS[t][i]
      if (o.weight_decay or 0) ~= 0 then d = d + o.weight_decay * p[i] end
      if (o.momentum or 0) ~= 0 then
        if t == 1 then b[i] = d else b[i] = o.momentum * b[i] + d end
        d = b[i]
      end
      p[i] = p[i] - o.lr * d
    end
    local snap = {}
    for i = 1, #p do snap[i] = p[i] end
    out[t] = snap
  end
  return out
end

-- torch.optim.Adam (amsgrad false), one element.
local function adam_ref(o)
  local lr, b1, b2 = o.lr or 1e-3, (o.betas or { 0.9, 0.999 })[1], (o.betas or { 0.9, 0.999 })[2]
  local eps, wd = o.eps or 1e-8, o.weight_decay or 0
  local p, m, v = {}, {}, {}
  for i = 1, #P0 do p[i], m[i], v[i] = P0[i], 0, 0 end
  local out = {}
  for t = 1, #GRADS do
    for i = 1, #p do
      local g = GRADS[t][i]
      if wd ~= 0 then g = g + wd * p[i] end
      m[i] = b1 * m[i] + (1 - b1) * g
      v[i] = b2 * v[i] + (1 - b2) * g * g
      local bc1, bc2 = 1 - b1 ^ t, 1 - b2 ^ t
      local denom = math.sqrt(v[i]) / math.sqrt(bc2) + eps
      p[i] = p[i] - lr / bc1 * m[i] / denom
    end
    local snap = {}
    for i = 1, #p do snap[i] = p[i] end
    out[t] = snap
  end
  return out
end

local function near(expect, got, label)
  for i = 1, #expect do
    local e, g = expect[i], got[i]
    assert.is_true(math.abs(e - g) <= 1e-14 * (1 + math.abs(e)),
      ("%s element %d: expected %.17g, got %.17g"):format(label, i, e, g))
  end
end

-- Runs opt over the steps, with the parameter split into a nested table
-- (first 2 elements a [2] tensor, the rest a [2, 2] tensor deeper down).
local function run(opt, label, ref)
  local a = lg.tensor({ P0[1], P0[2] }, D)
  local c = lg.tensor({ { P0[3], P0[4] }, { P0[5], P0[6] } }, D)
  local params = { a = a, deep = { { c = c } }, name = "not a tensor" }
  for t = 1, #GRADS do
    local g = GRADS[t]
    local grads = { a = lg.tensor({ g[1], g[2] }, D), deep = { { c = lg.tensor({ { g[3], g[4] }, { g[5], g[6] } }, D) } } }
    assert.are.equal(params, opt:step(params, grads))
    local got = H.flat({ a:totable(), c:totable() })
    near(ref[t], got, ("%s step %d"):format(label, t))
  end
  -- updated in place: the very same tensors
  assert.are.equal(a, params.a)
  assert.are.equal(c, params.deep[1].c)
end

describe("lg.optim", function()
  describe("sgd follows torch.optim.SGD", function()
    for _, o in ipairs({
      { lr = 0.1 }, { lr = 0.05, momentum = 0.9 }, { lr = 0.1, weight_decay = 0.01 },
      { lr = 0.2, momentum = 0.5, weight_decay = 0.1 },
    }) do
      local label = ("sgd lr=%g momentum=%g weight_decay=%g"):format(o.lr, o.momentum or 0, o.weight_decay or 0)
      it(label, function() run(lg.optim.sgd(o), label, sgd_ref(o)) end)
    end
  end)

  describe("adam follows torch.optim.Adam", function()
    for _, o in ipairs({
      {}, { lr = 0.01 }, { lr = 0.1, betas = { 0.8, 0.99 }, eps = 1e-6 }, { lr = 0.05, weight_decay = 0.1 },
    }) do
      local label = ("adam lr=%g betas=%s eps=%g wd=%g"):format(o.lr or 1e-3,
        o.betas and table.concat(o.betas, ",") or "default", o.eps or 1e-8, o.weight_decay or 0)
      it(label, function() run(lg.optim.adam(o), label, adam_ref(o)) end)
    end
  end)

  it("a single tensor as params", function()
    local p = lg.tensor(P0, D)
    local opt = lg.optim.sgd { lr = 0.1, momentum = 0.9 }
    local ref = sgd_ref { lr = 0.1, momentum = 0.9 }
    for t = 1, #GRADS do
      opt:step(p, lg.tensor(GRADS[t], D))
      near(ref[t], p:totable(), "tensor step " .. t)
    end
  end)

  it("float32 parameters stay float32, within float32 rounding", function()
    local p = lg.tensor(P0)
    local opt = lg.optim.adam { lr = 0.1 }
    local ref = adam_ref { lr = 0.1 }
    for t = 1, #GRADS do opt:step(p, lg.tensor(GRADS[t])) end
    assert.are.equal("float32", p:dtype())
    local got = p:totable()
    for i = 1, #P0 do assert.is_true(math.abs(got[i] - ref[#GRADS][i]) < 1e-5, i) end
  end)

  it("the learning rate can change between steps", function()
    local p = lg.tensor({ 1 }, D)
    local opt = lg.optim.sgd { lr = 0.1 }
    opt:step(p, lg.tensor({ 1 }, D))
    opt.lr = 0.5
    opt:step(p, lg.tensor({ 1 }, D))
    assert.is_true(math.abs(p[1] - (1 - 0.1 - 0.5)) < 1e-15)
  end)

  -- KB the Lua heap grows over 200 calls of step with the collector stopped,
  -- the least of three windows: an allocation per step shows in every
  -- window, a one-time cost (LuaJIT's traces are GC objects, compiled when
  -- the JIT gets round to them) in one.
  local function least_growth(step)
    local least = math.huge
    for _ = 1, 3 do
      collectgarbage()
      collectgarbage("stop")
      local before = collectgarbage("count")
      for _ = 1, 200 do step() end
      least = math.min(least, collectgarbage("count") - before)
      collectgarbage("restart")
    end
    return least
  end

  it("keeps its state tensors from step to step (no allocation per step)", function()
    local p = lg.tensor(P0, D)
    local opt = lg.optim.adam { lr = 0.01, weight_decay = 0.1 }
    local g = lg.tensor(GRADS[1], D)
    for _ = 1, 300 do opt:step(p, g) end   -- past LuaJIT's trace compiling
    local st = opt.state[p]
    local keep = { st.m, st.v, st.s1, st.s2 }
    local grew = least_growth(function() opt:step(p, g) end)
    assert.are.equal(keep[1], st.m)
    assert.are.equal(keep[2], st.v)
    assert.are.equal(keep[3], st.s1)
    assert.are.equal(keep[4], st.s2)
    assert.are.equal(300 + 3 * 200, st.t)
    assert.is_true(grew < 8, ("Lua heap grew %.1f KB over 200 steps"):format(grew))
    -- sgd with momentum too
    local s = lg.optim.sgd { lr = 0.01, momentum = 0.9, weight_decay = 0.1 }
    for _ = 1, 300 do s:step(p, g) end
    grew = least_growth(function() s:step(p, g) end)
    assert.is_true(grew < 8, ("sgd: Lua heap grew %.1f KB over 200 steps"):format(grew))
  end)

  it("trains with lg.grad: least squares reaches its solution", function()
    lg.seed(4)
    local X = lg.randn(20, 3, D)
    local w_true = lg.tensor({ 1.5, -2, 0.5 }, D)
    local y = lg.matmul(X, w_true)
    local w = lg.zeros(3, D)
    local df = lg.grad(function(q) return ((lg.matmul(X, q) - y) ^ 2):mean() end)
    local opt = lg.optim.adam { lr = 0.1 }
    for _ = 1, 500 do opt:step(w, df(w)) end
    assert.is_true((w - w_true):abs():max() < 1e-3, tostring(w))
  end)

  it("rejects bad options and mismatched gradients", function()
    assert.matches("bad argument #1 to 'sgd' (unknown option 'learning_rate' (lr, momentum, weight_decay))",
      H.err(lg.optim.sgd, { learning_rate = 1 }), 1, true)
    assert.matches("bad argument #1 to 'sgd' (lr must be a number in [0, inf), got -1)",
      H.err(lg.optim.sgd, { lr = -1 }), 1, true)
    assert.matches("bad argument #1 to 'adam' (betas[2] must be a number in [0, 1), got 1)",
      H.err(lg.optim.adam, { betas = { 0.9, 1 } }), 1, true)
    assert.matches("bad argument #1 to 'adam' (options table expected, got number)",
      H.err(lg.optim.adam, 3), 1, true)
    local opt = lg.optim.sgd { lr = 0.1 }
    local p = { W = lg.zeros(2, 2, D), layers = { lg.zeros(3, D) } }
    assert.matches("bad argument #2 to 'step' (no gradient tensor for params.layers[1], got nil)",
      H.err(opt.step, opt, p, { W = lg.zeros(2, 2, D), layers = {} }), 1, true)
    assert.matches("bad argument #2 to 'step' (gradient for params.W is float64 [4], expected float64 [2, 2])",
      H.err(opt.step, opt, p, { W = lg.zeros(4, D), layers = { lg.zeros(3, D) } }), 1, true)
    assert.matches("bad argument #2 to 'step' (gradient for params.W is float32 [2, 2], expected float64 [2, 2])",
      H.err(opt.step, opt, p, { W = lg.zeros(2, 2), layers = { lg.zeros(3, D) } }), 1, true)
    assert.matches("bad argument #2 to 'step' (a table of gradients expected for params, got nil)",
      H.err(opt.step, opt, p), 1, true)
    assert.matches("bad argument #1 to 'step' (tensor or table of tensors expected, got number)",
      H.err(opt.step, opt, 1, {}), 1, true)
    assert.matches("lg.optim.sgd{lr=0.1, momentum=0, weight_decay=0}", tostring(opt), 1, true)
  end)
end)
