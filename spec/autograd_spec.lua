-- lg.grad / lg.value_and_grad: every differentiable op against central
-- differences in float64 (spec/support/helpers.lua's, not lgrad.check), on
-- several shapes, broadcasts and dims; nested tables; errors; and that
-- nothing of the tracing is left behind.
local lg = require "lgrad"
local core = require "lgrad.core"
local H = dofile("spec/support/helpers.lua")
local unpack = table.unpack or unpack

local D = "float64"

local function num(y)
  if type(y) == "number" then return y end
  assert(y:numel() == 1, "f must be scalar")
  return y:reshape(1)[1]
end

-- The largest |a - b| over |b| + 1 (a mixed absolute/relative error).
local function err(a, b)
  assert.are.same(b:shape(), a:shape())
  local d = (a - b):abs()
  local s = b:abs() + 1
  return (d / s):max()
end

-- f(args...) with args[k] replaced by t (for the numeric side).
local function with(args, k, t)
  local c = { unpack(args, 1, args.n or #args) }
  c[k] = t
  return c
end

-- Autograd of f with respect to each tensor argument in `ks` against
-- numeric differences; every tensor argument in args is float64.
local function check(label, f, args, ks, tol)
  tol = tol or 1e-6
  args.n = args.n or #args
  ks = ks or { 1 }
  local grads = { lg.grad(f, ks)(unpack(args, 1, args.n)) }
  assert.are.equal(#ks, #grads, label)
  for i, k in ipairs(ks) do
    local x = args[k]:clone()
    local numeric = H.numeric_grad(function(t)
      return num(f(unpack(with(args, k, t), 1, args.n)))
    end, x)
    local g = grads[i]
    assert.is_true(lg.is_tensor(g), label)
    assert.are.equal(D, g:dtype(), label)
    local e = err(g, numeric)
    assert.is_true(e < tol, ("%s: argument %d off by %g\nautograd %s\nnumeric %s"):format(label, k, e,
      tostring(g), tostring(numeric)))
  end
end

-- Random float64 values in [lo, hi] (seeded).
local function rnd(shape, lo, hi)
  lo, hi = lo or -2, hi or 2
  return lg.rand(shape, D) * (hi - lo) + lo
end

local SHAPES = { { 5 }, { 3, 4 }, { 2, 3, 4 } }

describe("lg.grad", function()
  before_each(function() lg.seed(17) end)

  describe("elementwise math", function()
    for _, s in ipairs(SHAPES) do
      local tag = "[" .. table.concat(s, ",") .. "]"
      it("exp, log, sqrt, abs, pow, neg and ^ on " .. tag, function()
        local W = rnd(s)
        check("exp", function(x) return (x:exp() * W):sum() end, { rnd(s) })
        check("lg.exp", function(x) return (lg.exp(x) * W):sum() end, { rnd(s) })
        check("log", function(x) return (x:log() * W):sum() end, { rnd(s, 0.5, 3) })
        check("sqrt", function(x) return (lg.sqrt(x) * W):sum() end, { rnd(s, 0.5, 3) })
        -- abs away from its kink at 0
        local xa = rnd(s, 0.2, 2) * (lg.heaviside(rnd(s)) * 2 - 1)
        check("abs", function(x) return (x:abs() * W):sum() end, { xa })
        for _, p in ipairs({ 2, 3, 0.5, -1, 1, 0 }) do
          check("pow " .. p, function(x) return (x:pow(p) * W):sum() end, { rnd(s, 0.5, 2) })
          check("^ " .. p, function(x) return (lg.pow(x, p) * W):sum() + (x ^ p):mean() end, { rnd(s, 0.5, 2) })
        end
        check("neg", function(x) return (-x * W):sum() + lg.neg(x):mean() end, { rnd(s) })
      end)
    end

    it("x:pow(0) has a zero gradient even at 0 (as torch)", function()
      local g = lg.grad(function(x) return x:pow(0):sum() end)(lg.zeros(3, D))
      assert.are.same({ 0, 0, 0 }, g:totable())
    end)

    it("abs'(0) = 0 (as torch)", function()
      local g = lg.grad(function(x) return x:abs():sum() end)(lg.tensor({ -1, 0, 2 }, D))
      assert.are.same({ -1, 0, 1 }, g:totable())
    end)
  end)

  describe("+ - * / with broadcasting", function()
    local pairs_ = {
      { { 3, 4 }, { 3, 4 } }, { { 3, 4 }, { 4 } }, { { 3, 4 }, { 3, 1 } }, { { 3, 4 }, { 1, 4 } },
      { { 4 }, { 3, 4 } }, { { 2, 3, 4 }, { 3, 1 } }, { { 2, 1, 4 }, { 3, 1 } }, { { 3, 4 }, {} },
      { {}, { 2, 3 } },
    }
    for _, sh in ipairs(pairs_) do
      local tag = ("[%s] and [%s]"):format(table.concat(sh[1], ","), table.concat(sh[2], ","))
      it("gradients summed back to " .. tag, function()
        local a, b = rnd(sh[1]), rnd(sh[2], 0.5, 2)
        local ops = {
          add = function(x, y) return x + y end, sub = function(x, y) return x - y end,
          mul = function(x, y) return x * y end, div = function(x, y) return x / y end,
          ladd = function(x, y) return lg.add(x, y) end, lsub = function(x, y) return lg.sub(x, y) end,
          lmul = function(x, y) return lg.mul(x, y) end, ldiv = function(x, y) return lg.div(x, y) end,
          madd = function(x, y) return x:add(y) end, mdiv = function(x, y) return x:div(y) end,
        }
        for name, op in pairs(ops) do
          local W = rnd(op(a, b):shape())
          check(name .. " " .. tag, function(x, y) return (op(x, y) * W):sum() end, { a, b }, { 1, 2 })
          check(name .. " first " .. tag, function(x, y) return (op(x, y) * W):sum() end, { a, b }, { 1 })
          check(name .. " second " .. tag, function(x, y) return (op(x, y) * W):sum() end, { a, b }, { 2 })
        end
      end)
    end

    it("Lua numbers on either side", function()
      local x = rnd({ 3, 4 }, 0.5, 2)
      check("numbers", function(t)
        return ((2 * t + 1) / 3 - (1 - t) * 0.5 + 2 / t - t / 4 + (t - 2) * (t + 3)):sum()
      end, { x })
    end)

    it("a plain tensor or table on the left of a traced one", function()
      local x, c = rnd({ 2, 3 }), rnd({ 2, 3 })
      check("tensor - traced", function(t) return ((c - t) * (c * t) + c / (t + 3) + c:mul(t)):sum() end, { x })
      check("table * traced", function(t)
        return (lg.mul({ 1, 2, 3 }, t) + lg.add(t, { { 1, 2, 3 }, { 4, 5, 6 } }) * t):sum()
      end, { x })
    end)

    it("numbers from losses and reductions combine", function()
      local x = rnd({ 4, 3 })
      check("scalars", function(t)
        local a, b = t:sum(), lg.cross_entropy(t, { 1, 2, 3, 1 })
        return a * b + a / (b + 1) - 2 * b ^ 2 + (-a) + a * a * 1e-3
      end, { x })
    end)
  end)

  describe("matrix products", function()
    it("matmul of 2-d x 2-d, 2-d x 1-d, 1-d x 2-d, 1-d x 1-d, dot and outer", function()
      local A, B, v, w = rnd({ 3, 4 }), rnd({ 4, 5 }), rnd({ 4 }), rnd({ 3 })
      local W35, W3, W5 = rnd({ 3, 5 }), rnd({ 3 }), rnd({ 5 })
      check("mm", function(a, b) return (lg.matmul(a, b) * W35):sum() end, { A, B }, { 1, 2 })
      check("mm method", function(a, b) return (a:matmul(b) * W35):sum() end, { A, B }, { 1, 2 })
      check("mv", function(a, x) return (lg.matmul(a, x) * W3):sum() end, { A, v }, { 1, 2 })
      check("vm", function(x, b) return (lg.matmul(x, b) * W5):sum() end, { v, B }, { 1, 2 })
      check("vv", function(x, y) return lg.matmul(x, y) end, { v, v:clone() * 2 }, { 1, 2 })
      check("dot", function(x, y) return lg.dot(x, y) + x:dot(y) end, { v, v:clone() + 1 }, { 1, 2 })
      local W34 = rnd({ 3, 4 })
      check("outer", function(x, y) return (lg.outer(x, y) * W34):sum() end, { w, v }, { 1, 2 })
      check("mm constant left", function(b) return (lg.matmul(A, b) * W35):sum() end, { B })
      check("transposed", function(a) return (lg.matmul(a:t(), a) * 0.5):sum() end, { A })
    end)
  end)

  describe("reductions", function()
    for _, s in ipairs({ { 5 }, { 3, 4 }, { 2, 3, 4 } }) do
      local tag = "[" .. table.concat(s, ",") .. "]"
      it("sum, mean, max, min with and without dims on " .. tag, function()
        local x = rnd(s)
        check("sum", function(t) return t:sum() end, { x })
        check("mean", function(t) return t:mean() * 3 end, { x })
        check("max", function(t) return t:max() end, { x })
        check("min", function(t) return t:min() end, { x })
        for _, d in ipairs({ 1, #s, -1 }) do
          for _, keep in ipairs({ false, true }) do
            local W = rnd(x:sum(d, keep):shape())
            for _, r in ipairs({ "sum", "mean", "max", "min" }) do
              check(("%s(%d, %s)"):format(r, d, tostring(keep)), function(t)
                local y = t[r](t, d, keep)
                return (y * W):sum()
              end, { x })
            end
          end
        end
      end)
    end

    it("max without a dim shares the gradient among ties; with a dim it goes to the index", function()
      local x = lg.tensor({ { 1, 3, 3 }, { 2, 0, 2 } }, D)
      assert.are.same({ { 0, 0.5, 0.5 }, { 0, 0, 0 } }, lg.grad(function(t) return t:max() end)(x):totable())
      assert.are.same({ { 0, 1, 0 }, { 1, 0, 0 } },
        lg.grad(function(t) return t:max(2):sum() end)(x):totable())
      assert.are.same({ { 1, 0, 0 }, { 0, 1, 0 } },
        lg.grad(function(t) return t:min(2):sum() end)(x):totable())
    end)

    it("max with a dim also returns the indices, untraced", function()
      lg.grad(function(t)
        local v, i = t:max(1)
        assert.is_true(getmetatable(i) == core._metatable)
        assert.are.same({ 2, 1 }, i:totable())
        return v:sum()
      end)(lg.tensor({ { 1, 5 }, { 3, 2 } }, D))
    end)
  end)

  describe("views and copies", function()
    it("reshape, view, transpose, t, contiguous, clone, astype", function()
      local x = rnd({ 2, 3, 4 })
      local W = rnd({ 4, 6 })
      check("reshape", function(t) return (t:reshape(4, 6) * W):sum() end, { x })
      check("reshape table", function(t) return (t:reshape({ -1, 6 }) * W):sum() end, { x })
      check("view", function(t) return (t:view(4, 6) * W):sum() end, { x })
      local W2 = rnd({ 4, 3, 2 })
      check("transpose", function(t) return (t:transpose(1, 3) * W2):sum() end, { x })
      check("transpose contiguous view", function(t)
        return (t:transpose(1, 3):contiguous():view(24) * W2:reshape(24)):sum()
      end, { x })
      local y, Wt = rnd({ 3, 5 }), rnd({ 5, 3 })
      check("t", function(t) return (t:t() * Wt):sum() end, { y })
      check("clone", function(t) return (t:clone() * t):sum() end, { y })
      check("astype", function(t) return (t:astype("float64") * t):sum() end, { y })
    end)

    it("astype to float32 gives a float64 gradient for a float64 input", function()
      local g = lg.grad(function(t) return t:astype("float32"):sum() end)(lg.ones(2, D))
      assert.are.equal(D, g:dtype())
      assert.are.same({ 1, 1 }, g:totable())
    end)

    it("indexing: rows, elements, get and item", function()
      local x = rnd({ 3, 4 })
      check("x[i]", function(t) return (t[2] * t[3]):sum() + t[1][2] * t[3][4] end, { x })
      check("get", function(t) return t:get(1, 2) * t:get(3, 1) + t:get(2, 2) ^ 2 end, { x })
      check("item", function(t) return t:sum(1, true):sum(2):item() * 2 end, { x })
      local v = rnd({ 5 })
      check("1-d", function(t) local s = 0 for i = 1, t:size(1) do s = s + t[i] * i end return s end, { v })
    end)

    it("reads pass through: shape, size, dim, numel, dtype, totable, argmax", function()
      lg.grad(function(t)
        assert.are.same({ 2, 3 }, t:shape())
        assert.are.equal(3, t:size(2))
        assert.are.equal(2, t:dim())
        assert.are.equal(6, t:numel())
        assert.are.equal(D, t:dtype())
        if _VERSION ~= "Lua 5.1" then assert.are.equal(2, #t) end   -- 5.1, LuaJIT: no __len on tables
        assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, t:totable())
        assert.are.same({ 3, 3 }, t:argmax(2):totable())
        assert.is_true(lg.is_tensor(t))
        assert.is_true(lg.allclose(t, t))
        assert.matches("^traced lgrad.Tensor", tostring(t))
        return t:sum()
      end)(lg.tensor({ { 1, 2, 3 }, { 4, 5, 6 } }, D))
    end)
  end)

  describe("activations", function()
    -- Points away from every kink (0, +-1, +-3, 6); the parameters move the
    -- kinks of leaky_relu, hardtanh only inside the gaps.
    local XS = { -7.3, -3.4, -2.9, -1.3, -0.8, -0.35, -0.04, 0.02, 0.3, 0.9, 1.7, 2.6, 3.3, 5.1, 6.4, 12.5 }
    local PARAMS = {
      leaky_relu = { 0.2 }, elu = { 0.7 }, celu = { 1.5 }, gelu = { "tanh" }, softplus = { 2, 5 },
      hardtanh = { -0.5, 0.7 },
    }
    it("every activation, its parameters, as a function and a method", function()
      local x = lg.tensor(XS, D)
      local W = rnd({ #XS })
      for _, name in ipairs(lg.activations) do
        check(name, function(t) return (lg[name](t) * W):sum() end, { x })
        local W44 = W:reshape(4, 4)
        check(name .. " method", function(t) return (t[name](t) * W44):sum() end, { x:reshape(4, 4) })
        local p = PARAMS[name]
        if p then
          check(name .. " params", function(t) return (lg[name](t, unpack(p)) * W):sum() end, { x })
        end
      end
      check("keyword", function(t) return (lg.leaky_relu(t, { slope = 0.3 }) * W):sum() end, { x })
      check("keyword 2", function(t) return (lg.gelu(t, { approximate = "tanh" }) * W):sum() end, { x })
    end)
  end)

  describe("softmax family", function()
    for _, s in ipairs({ { 6 }, { 3, 5 }, { 2, 3, 4 } }) do
      local tag = "[" .. table.concat(s, ",") .. "]"
      it("softmax, log_softmax, logsumexp over every dim of " .. tag, function()
        local x = rnd(s, -3, 3)
        local W = rnd(s)
        local dims = { -1 }
        for d = 1, #s do dims[#dims + 1] = d end
        for _, d in ipairs(dims) do
          check("softmax " .. d, function(t) return (lg.softmax(t, d) * W):sum() end, { x })
          check("log_softmax " .. d, function(t) return (t:log_softmax(d) * W):sum() end, { x })
          for _, keep in ipairs({ false, true }) do
            local Wl = rnd(lg.logsumexp(x, d, keep):shape())
            check("logsumexp " .. d, function(t) return (lg.logsumexp(t, d, keep) * Wl):sum() end, { x })
          end
        end
        check("default dims", function(t)
          return (lg.softmax(t) * W):sum() + lg.logsumexp(t):sum()
        end, { x })
      end)
    end
  end)

  describe("losses", function()
    local z = lg.tensor({ { 0.2, -1.1, 2.0, 0.5 }, { 1.5, 0.3, -0.7, 0.1 }, { -0.4, 0.9, 0.0, 1.2 } }, D)
    local y = { 3, 1, 4 }
    local w = lg.tensor({ 0.5, 2, 1, 1.5 }, D)
    local P = lg.softmax(lg.tensor({ { 1, 0, 2, 0 }, { 0, 1, 0, 0 }, { 0.5, 0.5, 0.5, 3 } }, D))
    local Wn = lg.tensor({ 0.3, -1.2, 2.0 }, D)
    -- (inside lg.grad a loss is a traced number, so its type is not "number")
    local function reducer(o)
      return function(l) if o.reduction ~= "none" then return l end return (l * Wn):sum() end
    end

    it("cross_entropy with every option", function()
      local optss = {
        {}, { reduction = "sum" }, { reduction = "none" }, { weight = w }, { weight = w, reduction = "sum" },
        { ignore_index = 2 }, { ignore_index = 1, weight = w }, { label_smoothing = 0.1 },
        { label_smoothing = 0.2, weight = w, reduction = "none" }, { ignore_index = 4, reduction = "none" },
      }
      for i, o in ipairs(optss) do
        local reduce = reducer(o)
        check("ce " .. i, function(t) return reduce(lg.cross_entropy(t, y, o)) end, { z })
        check("ce prob " .. i, function(t)
          if o.ignore_index then return reduce(lg.cross_entropy(t, y, o)) end
          return reduce(lg.cross_entropy(t, P, o))
        end, { z })
      end
      check("ce without opts", function(t) return lg.cross_entropy(t, lg.tensor({ 3, 1, 4 }, D)) end, { z })
      check("one sample", function(t) return lg.cross_entropy(t, 2) end, { z[1]:clone() })
      check("one sample none", function(t) return lg.cross_entropy(t, 2, { reduction = "none" }) * 3 end,
        { z[1]:clone() })
    end)

    it("nll_loss after log_softmax", function()
      for i, o in ipairs({ {}, { reduction = "sum" }, { reduction = "none" }, { weight = w }, { ignore_index = 1 } }) do
        local reduce = reducer(o)
        check("nll " .. i, function(t) return reduce(lg.nll_loss(lg.log_softmax(t), y, o)) end, { z })
        check("nll raw " .. i, function(t) return reduce(lg.nll_loss(t, y, o)) end, { z })
      end
    end)

    it("binary_cross_entropy_with_logits with every option", function()
      local T = lg.tensor({ { 1, 0, 1, 0 }, { 0, 0, 1, 1 }, { 0.3, 0.7, 1, 0 } }, D)
      local W12 = rnd({ 3, 4 })
      for i, o in ipairs({ {}, { reduction = "sum" }, { reduction = "none" }, { weight = w },
        { pos_weight = lg.tensor({ 2, 1, 0.5, 3 }, D) }, { weight = w, pos_weight = w * 2, reduction = "none" } }) do
        check("bce " .. i, function(t)
          local l = lg.binary_cross_entropy_with_logits(t, T, o)
          if o.reduction ~= "none" then return l end
          return (l * W12):sum()
        end, { z })
      end
    end)

    it("uses the fused kernel: the gradient of cross_entropy is (p - y) / N", function()
      local g = lg.grad(function(t) return lg.cross_entropy(t, y) end)(z)
      local expect = (lg.softmax(z) - lg.one_hot(y, 4):astype(D)) / 3
      assert.is_true(err(g, expect) < 1e-15)
    end)
  end)

  describe("a composite", function()
    it("an MLP with a weight penalty, float64", function()
      local X = rnd({ 6, 3 })
      local p = { W1 = rnd({ 3, 5 }), b1 = rnd({ 5 }), W2 = rnd({ 5, 4 }), b2 = rnd({ 4 }) }
      local function f(q)
        local h = lg.tanh(lg.matmul(X, q.W1) + q.b1)
        local z = h:matmul(q.W2) + q.b2
        return lg.cross_entropy(z, { 1, 2, 3, 4, 1, 2 }) + 0.01 * ((q.W1 ^ 2):sum() + (q.W2 * q.W2):sum())
      end
      local g = lg.grad(f)(p)
      for _, k in ipairs({ "W1", "b1", "W2", "b2" }) do
        local numeric = H.numeric_grad(function(t)
          local q = { W1 = p.W1, b1 = p.b1, W2 = p.W2, b2 = p.b2 }
          q[k] = t
          return f(q)
        end, p[k]:clone())
        assert.is_true(err(g[k], numeric) < 1e-6, k)
      end
    end)
  end)
end)

describe("lg.grad's arguments and results", function()
  before_each(function() lg.seed(5) end)

  it("nested tables: the gradient has the same structure; other leaves are left out", function()
    local p = { act = "tanh", layers = { { W = rnd({ 2, 2 }) }, { W = rnd({ 2, 2 }), scale = 3 } }, b = rnd({ 2 }) }
    local x = rnd({ 2 })
    local function f(q, v)
      local h = v
      for _, l in ipairs(q.layers) do h = lg[q.act](lg.matmul(l.W, h) * (l.scale or 1)) end
      return (h + q.b):sum()
    end
    local g = lg.grad(f)(p, x)
    assert.is_nil(g.act)
    assert.is_nil(g.layers[2].scale)
    assert.are.same({ 2, 2 }, g.layers[1].W:shape())
    for _, path in ipairs({ { "layers", 1, "W" }, { "layers", 2, "W" }, { "b" } }) do
      local function get(t) for _, k in ipairs(path) do t = t[k] end return t end
      local numeric = H.numeric_grad(function(t)
        local old = get(p)
        local parent = p
        for i = 1, #path - 1 do parent = parent[path[i]] end
        parent[path[#path]] = t
        local v = f(p, x)
        parent[path[#path]] = old
        return v
      end, get(p):clone())
      assert.is_true(err(get(g), numeric) < 1e-6)
    end
    assert.are.equal("tanh", p.act)   -- the caller's table is not touched
    assert.is_true(getmetatable(p.b) == core._metatable)
  end)

  it("a tensor met twice in the arguments gets the whole gradient at each place", function()
    local W = rnd({ 3 })
    local ga, gb = lg.grad(function(q) return (q.a * q.b):sum() end)({ a = W, b = W })
    local g = ga.a
    assert.is_true(err(g, W * 2) < 1e-15)
    assert.is_true(err(ga.b, W * 2) < 1e-15)
    assert.is_nil(gb)
    g:fill(0)
    assert.is_true(ga.b:abs():max() > 0)   -- not the same storage
  end)

  it("argnums picks and orders the arguments; the others pass through", function()
    local a, b = rnd({ 3 }), rnd({ 3 })
    local f = function(x, tag, y, k)
      assert.are.equal("t", tag)
      assert.are.equal(2, k)
      return (x * y * k):sum()
    end
    local gy, gx = lg.grad(f, { 3, 1 })(a, "t", b, 2)
    assert.is_true(err(gy, a * 2) < 1e-15)
    assert.is_true(err(gx, b * 2) < 1e-15)
    local only = { lg.grad(f, 3)(a, "t", b, 2) }
    assert.are.equal(1, #only)
    assert.is_true(err(only[1], a * 2) < 1e-15)
  end)

  it("value_and_grad returns f's value first", function()
    local x = rnd({ 2, 3 })
    local v, g = lg.value_and_grad(function(t) return lg.cross_entropy(t, { 1, 3 }) end)(x)
    assert.are.equal(lg.cross_entropy(x, { 1, 3 }), v)
    assert.are.equal("number", type(v))
    local v2, g2 = lg.value_and_grad(function(t) return t:sum(1, true):sum(2, true) end)(x)
    assert.is_true(lg.is_tensor(v2) and not lg.grad(function() return 0 end)(x):abs():max() ~= 0)
    assert.is_true(math.abs(v2:get(1, 1) - x:sum()) < 1e-12)
    assert.are.same({ { 1, 1, 1 }, { 1, 1, 1 } }, g2:totable())
    assert.are.same({ 2, 3 }, g:shape())
  end)

  it("an argument f does not use has a zero gradient, as does a constant f", function()
    local a, b = rnd({ 2 }), rnd({ 3 })
    local ga, gb = lg.grad(function(x, y) return x:sum() end, { 1, 2 })(a, b)
    assert.are.same({ 1, 1 }, ga:totable())
    assert.are.same({ 0, 0, 0 }, gb:totable())
    assert.are.same({ 0, 0 }, lg.grad(function() return 7 end)(a):totable())
  end)

  it("gradients are ordinary tensors of the input's dtype (float32 too)", function()
    local x = lg.tensor({ { 1, 2 }, { 3, 4 } })
    local g = lg.grad(function(t) return (lg.tanh(t) * t):sum() end)(x)
    assert.is_true(getmetatable(g) == core._metatable)
    assert.are.equal("float32", g:dtype())
    local x64 = x:astype(D)
    local expect = lg.tanh(x64) + x64 * lg.tanh_backward(lg.ones(2, 2, D), x64)
    assert.is_true(err(g:astype(D), expect) < 1e-6)
  end)

  it("gradients of (a + b) are separate tensors", function()
    local ga, gb = lg.grad(function(a, b) return (a:reshape(4) + b:reshape(4)):sum() end, { 1, 2 })(
      lg.ones(2, 2, D), lg.ones(2, 2, D))
    ga:fill(5)
    assert.are.same({ { 1, 1 }, { 1, 1 } }, gb:totable())
    assert.is_true(gb:is_contiguous())
  end)

  it("a one-element tensor result is seeded with ones", function()
    local g = lg.grad(function(t) return (t * 3):sum(1, true) end)(lg.ones(1, 1, D))
    assert.are.same({ { 3 } }, g:totable())
  end)

  it("lg.grad inside f works on plain tensors (no higher order)", function()
    local inner = lg.grad(function(t) return (t * t):sum() end)
    local g = lg.grad(function(t)
      local c = inner(lg.ones(2, D))   -- a constant to the outer trace
      return (t * c):sum()
    end)(lg.ones(2, D))
    assert.are.same({ 2, 2 }, g:totable())
  end)
end)

describe("lg.grad errors", function()
  local x = lg.tensor({ { 1, 2 }, { 3, 4 } }, D)
  local function grad_err(f, ...) return H.err(lg.grad(f), ...) end

  it("an op without a gradient names itself", function()
    assert.matches("lg.grad: 'hardmax' has no gradient", grad_err(function(t) return lg.hardmax(t):sum() end, x), 1, true)
    assert.matches("'softmax_jacobian' has no gradient",
      grad_err(function(t) return lg.softmax_jacobian(t):sum() end, x), 1, true)
    assert.matches("'tanh_backward' has no gradient",
      grad_err(function(t) return lg.tanh_backward(t, t):sum() end, x), 1, true)
    assert.matches("'hardmax' has no gradient", grad_err(function(t) return t:hardmax():sum() end, x), 1, true)
    assert.matches("'fill' has no gradient", grad_err(function(t) return t:fill(1):sum() end, x), 1, true)
    assert.matches("traced exponent", grad_err(function(t) return (2 ^ t):sum() end, x), 1, true)
    assert.matches("traced exponent", grad_err(function(t) return (x ^ t):sum() end, x), 1, true)
  end)

  it("lgrad's own argument errors read as outside lg.grad, at f's line", function()
    local cases = {
      function(t) local y = lg.softmax(t, 5) return y end,
      function(t) local y = t:softmax(5) return y end,
      function(t) local y = t:pow("a") return y end,
      function(t) local y = lg.pow(t, "a") return y end,
      function(t) local y = t:transpose(1, 9) return y end,
      function(t) local y = t:sum(7) return y end,
      function(t) local y = t:max(9) return y end,
      function(t) local y = t[9] return y end,
      function(t) local y = t:get(9, 9) return y end,
      function(t) local y = t:reshape(7) return y end,
      function(t) local y = t:tanh(3) return y end,
      function(t) local y = lg.elu(t, { bogus = 1 }) return y end,
      function(t) local y = t + lg.ones(2) return y end,
      function(t) local y = lg.matmul(t, lg.ones(3, 3, D)) return y end,
      function(t) local y = lg.cross_entropy(t, { 1, 9 }) return y end,
      function(t) local y = t:mul(lg.ones(3, D)) return y end,
      function(t) local y = lg.ones(3, D):mul(t) return y end,
      function(t) local y = lg.ones(3, D):add(lg.ones(2, D)) return y end,
      function(t) local y = lg.ones(3, 3, D):matmul(t) return y end,
      function(t) local y = t:dot(t) return y end,
    }
    for i, f in ipairs(cases) do
      local _, plain = pcall(f, x)
      local _, traced = pcall(lg.grad(f), x)
      assert.matches("autograd_spec%.lua:%d+: ", traced, 1, false, "case " .. i)
      assert.are.equal((plain:gsub("^[^:]*:%d+: ", "")), (traced:gsub("^[^:]*:%d+: ", "")), "case " .. i)
    end
  end)

  it("targets, options, out tensors and in-place writes", function()
    assert.matches("no gradient of 'cross_entropy' with respect to its target",
      grad_err(function(t) return lg.cross_entropy(x, lg.softmax(t)) end, x), 1, true)
    assert.matches("option weight",
      grad_err(function(t) return lg.cross_entropy(x, { 1, 2 }, { weight = t[1] }) end, x), 1, true)
    assert.matches("'tanh' cannot write to an out tensor",
      grad_err(function(t) return lg.tanh(t, lg.zeros(2, 2, D)):sum() end, x), 1, true)
    assert.matches("'add' cannot write to an out tensor",
      grad_err(function(t) return lg.add(t, 1, lg.zeros(2, 2, D)):sum() end, x), 1, true)
    assert.matches("cannot be assigned",
      grad_err(function(t) t[1] = 3 return t:sum() end, x), 1, true)
    assert.matches("cannot be written into a tensor",
      grad_err(function(t) local z = lg.zeros(2, 2, D) z[1] = t[1] return z:sum() end, x), 1, true)
    assert.matches("cannot be written into a tensor",
      grad_err(function(t) return lg.zeros(2, 2, D):copy(t):sum() end, x), 1, true)
    assert.matches("no gradient with respect to a parameter of 'elu'",
      grad_err(function(t) return lg.elu(x, t:sum()):sum() end, x), 1, true)
  end)

  it("f's result and the arguments", function()
    assert.matches("f must return a number or a one-element tensor, got a float64 tensor of shape [2, 2]",
      grad_err(function(t) return t * 2 end, x), 1, true)
    assert.matches("f must return a number or a one-element tensor, got string",
      grad_err(function() return "a" end, x), 1, true)
    assert.matches("argument 1 must be a tensor or a table of tensors, got number",
      grad_err(function(t) return t end, 3), 1, true)
    assert.matches("bad argument #1 to 'grad' (function expected, got nil)", H.err(lg.grad, nil), 1, true)
    assert.matches("bad argument #2 to 'value_and_grad' (argument numbers are positive integers, got 0)",
      H.err(lg.value_and_grad, print, { 0 }), 1, true)
    assert.matches("bad argument #2 to 'grad'", H.err(lg.grad, print, "x"), 1, true)
  end)

  it("a traced value kept past its call is refused", function()
    local kept
    lg.grad(function(t) kept = t * 2 return t:sum() end)(x)
    assert.matches("from a finished lg.grad call", H.err(function() return kept + 1 end), 1, true)
    assert.matches("from a finished lg.grad call",
      grad_err(function(t) return (t + kept):sum() end, x), 1, true)
  end)

  it("a function saved before lg.grad ran refuses a traced tensor", function()
    local tanh = core.tanh
    assert.matches("bad argument #1 to 'tanh' (a tensor traced by lg.grad, given to a function saved before",
      grad_err(function(t) return tanh(t):sum() end, x), 1, true)
  end)

  it("higher-order use is refused", function()
    assert.matches("higher-order gradients are not supported", grad_err(function(t)
      return lg.grad(function(u) return u:sum() end)(t):sum()
    end, x), 1, true)
    -- an outer traced value captured by a nested f
    assert.matches("used inside a nested one (higher-order", grad_err(function(t)
      local v = lg.value_and_grad(function(u) return (u * t):sum() end)(lg.ones(2, 2, D))
      return v + t:sum()
    end, x), 1, true)
  end)

  it("outside lg.grad, lg's functions and the tensor metamethods are lgrad.core's own", function()
    local mul = getmetatable(x).__mul
    lg.grad(function(t) return (lg.tanh(t) * 2 + t:exp()):sum() end)(x)
    for k, v in pairs(core) do
      if k:sub(1, 1) ~= "_" and type(v) == "function" then assert.are.equal(v, lg[k], k) end
    end
    assert.are.equal(mul, getmetatable(x).__mul)
    assert.are.equal("cfunction", debug.getinfo(mul, "S").what == "C" and "cfunction" or "lua")
  end)

  it("an error inside f leaves nothing patched, and the next call works", function()
    local fns = {}
    for k, v in pairs(lg) do fns[k] = v end
    local mth, mt = {}, {}
    for k, v in pairs(core._methods) do mth[k] = v end
    for k, v in pairs(core._metatable) do mt[k] = v end
    local ok, e = pcall(lg.grad(function(t) error("boom") end), x)
    assert.is_false(ok)
    assert.matches("boom", e)
    ok = pcall(lg.grad(function(t) return lg.hardmax(t):sum() end), x)
    assert.is_false(ok)
    for k, v in pairs(lg) do assert.are.equal(fns[k], v, k) end
    for k, v in pairs(core._methods) do assert.are.equal(mth[k], v, k) end
    for k, v in pairs(core._metatable) do assert.are.equal(mt[k], v, k) end
    assert.are.equal(core.tanh, lg.tanh)
    -- small tensors use a second metatable kept in sync: arithmetic is C again
    local s = lg.ones(2)
    assert.are.equal("function", type(getmetatable(s).__index))
    local sum = s + s
    assert.are.same({ 2, 2 }, sum:totable())
    assert.are.same({ { 2, 4 }, { 6, 8 } }, lg.grad(function(t) return (t * t):sum() end)(x):totable())
  end)

  it("memory stays bounded over many training steps", function()
    lg.seed(3)
    local X = lg.randn(64, 20, D)
    local p = { W = lg.randn(20, 10, D), b = lg.zeros(10, D) }
    local y = {}
    for i = 1, 64 do y[i] = i % 10 + 1 end
    local df = lg.grad(function(q) return lg.cross_entropy(lg.tanh(lg.matmul(X, q.W) + q.b), y) end)
    for _ = 1, 50 do df(p) end
    collectgarbage() collectgarbage()
    local before = collectgarbage("count")
    for _ = 1, 500 do
      local g = df(p)
      p.W = p.W - g.W * 0.1
    end
    collectgarbage() collectgarbage()
    assert.is_true(collectgarbage("count") - before < 200, ("Lua heap grew %.0f KB"):format(collectgarbage("count") - before))
  end)
end)

describe("lg.gradcheck without a gradient", function()
  it("uses autograd and passes for a correct f", function()
    local ok, r = lg.gradcheck(function(t) return lg.cross_entropy(lg.tanh(t), { 1, 2 }) end,
      lg.tensor({ { 0.1, 0.5, -0.3 }, { 1, -1, 0.2 } }))
    assert.is_true(ok, tostring(r))
    assert.are.equal("gradient", r.kind)
    assert.is_true(r.max_abs_err < 1e-7)
  end)

  it("checks a vector-valued f by its jacobian, one backward pass per output", function()
    local ok, r = lg.gradcheck(function(t) return lg.softmax(t) end, lg.tensor({ 0.3, -1, 2 }))
    assert.is_true(ok, tostring(r))
    assert.are.equal("jacobian", r.kind)
    assert.are.same({ 3, 3 }, r.analytic:shape())
    assert.is_true(r.max_abs_err < 1e-8)
  end)

  it("fails a function whose gradient autograd cannot see (a saved C function)", function()
    local ok, e = pcall(lg.gradcheck, function(t) return core.tanh(t):sum() end, lg.tensor({ 1, 2 }))
    assert.is_false(ok)
    assert.matches("traced by lg.grad", e)
  end)

  it("accepts a number x", function()
    local ok = lg.gradcheck(function(t) return t * t * 3 end, 2)
    assert.is_true(ok)
  end)
end)
