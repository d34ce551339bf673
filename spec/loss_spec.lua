-- Losses and their gradients: cross_entropy (+ _grad), nll_loss (+ _grad),
-- binary_cross_entropy_with_logits (+ _grad). References are PyTorch's
-- formulas in plain Lua doubles (spec/support/ref.lua); every gradient is checked
-- against central differences in float64.
local lg = require "lgrad"
local H = require "spec.support.helpers"

local inf, nan = math.huge, 0 / 0
local DTYPES = {"float32", "float64"}

local function isnan(x) return x ~= x end
local f32 = require("spec.support.portable").f32   -- round to float32, any Lua

local flat = H.flat

local function near(expected, actual, atol, rtol)
  atol, rtol = atol or 1e-6, rtol or 1e-5
  local function items(v)
    if type(v) == "number" then return {v} end
    if type(v) == "table" then return flat(v) end
    return flat(v:totable())
  end
  local e, a = items(expected), items(actual)
  assert.are.equal(#e, #a, "element count")
  for i = 1, #e do
    local x, y = e[i], a[i]
    local ok = (isnan(x) and isnan(y)) or x == y or math.abs(x - y) <= atol + rtol * math.abs(x)
    if not ok then error(("element %d: expected %.17g, got %.17g"):format(i, x, y), 2) end
  end
end

local err = H.err

local numeric_grad = H.numeric_grad

-- ---- plain-Lua references (torch.nn.functional's formulas) -------------

local R = require "spec.support.ref"
local log_softmax, reduce, ce_ref, ce_prob_ref = R.log_softmax, R.reduce, R.cross_entropy,
  R.cross_entropy_prob
local nll_ref, bce_ref = R.nll_loss, R.bce_with_logits

-- ---- data --------------------------------------------------------------

local Z = {{0.3, -1.2, 2.0, 0.5}, {1.5, 0.2, -0.7, 0.1}, {-2.0, 3.0, 0.4, -0.4}}
local T = {2, 4, 1}
local Y = {{0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 0}, {0.7, 0.1, 0.1, 0.1}}   -- soft and one-hot
local W = {0.5, 2.0, 1.0, 3.0}

local function z64() return lg.tensor(Z, "float64") end

describe("losses", function()
  describe('the example of "AI 系列: 激活函数 & Softmax 函数" (ningg.top): z = [2.0, 1.0, 0.1], target class 1', function()
    it("loss = -log softmax(z)[1] and the fused gradient is softmax(z) - y", function()
      for _, dt in ipairs(DTYPES) do
        local z = lg.tensor({2.0, 1.0, 0.1}, dt)
        local grad, loss = lg.cross_entropy_grad(z, 1)
        near(-log_softmax{2.0, 1.0, 0.1}[1], loss)
        assert.are.equal(lg.cross_entropy(z, 1), loss)
        local p = lg.softmax(z)
        local y = lg.one_hot({1}, 3)[1]:astype(dt)
        near(p - y, grad, 1e-7, 0)
        if dt == "float64" then   -- float32 may differ by one rounding of p
          assert.is_true(lg.equal(p - y, grad))
        end
        assert.are.same({3}, grad:shape())
        assert.are.equal(dt, grad:dtype())
        -- the same with the one-hot target given as probabilities
        local g2, l2 = lg.cross_entropy_grad(z, y)
        near(p - y, g2, 1e-7, 0)
        near(loss, l2)
      end
    end)

    it("for a batch with mean reduction the gradient is (p - y) / N", function()
      local z = z64()
      local grad = lg.cross_entropy_grad(z, T)
      local y = lg.one_hot(T, 4):astype("float64")
      near((lg.softmax(z) - y) / 3, grad, 1e-15, 1e-12)
    end)
  end)

  describe("cross_entropy with class-index targets", function()
    for _, dt in ipairs(DTYPES) do
      it("matches the reference for mean, sum and none (" .. dt .. ")", function()
        local z = lg.tensor(Z, dt)
        near(ce_ref(Z, T), lg.cross_entropy(z, T))
        near(ce_ref(Z, T, {reduction = "sum"}), lg.cross_entropy(z, T, {reduction = "sum"}))
        local none = lg.cross_entropy(z, T, {reduction = "none"})
        assert.are.same({3}, none:shape())
        assert.are.equal(dt, none:dtype())
        near(ce_ref(Z, T, {reduction = "none"}), none)
      end)
    end

    it("returns the loss rounded to float32 for float32 logits", function()
      local l = lg.cross_entropy(lg.tensor(Z), T)
      assert.are.equal(f32(l), l)
      local l64 = lg.cross_entropy(z64(), T)
      assert.are_not.equal(f32(l64), l64)
    end)

    it("takes targets as a table, a tensor of either dtype, a number or a 0-d tensor", function()
      local want = ce_ref(Z, T)
      near(want, lg.cross_entropy(z64(), lg.tensor(T)), 1e-12, 1e-12)
      near(want, lg.cross_entropy(z64(), lg.tensor(T, "float64")), 1e-12, 1e-12)
      near(want, lg.cross_entropy(Z, T))   -- logits as a table too (float32)
      local strided = lg.tensor{{2, 9}, {4, 9}, {1, 9}}:t()[1]   -- non-contiguous targets
      near(want, lg.cross_entropy(z64(), strided), 1e-12, 1e-12)
      local row = lg.tensor(Z[2], "float64")
      near(ce_ref({Z[2]}, {4}), lg.cross_entropy(row, 4), 1e-12, 1e-12)
      near(ce_ref({Z[2]}, {4}), lg.cross_entropy(row, lg.tensor(4)), 1e-12, 1e-12)
      local none = lg.cross_entropy(row, 4, {reduction = "none"})
      assert.are.same({}, none:shape())   -- one sample: a 0-d tensor, as torch
    end)

    it("divides the mean by the summed weights of the counted targets", function()
      local o = {weight = W}
      near(ce_ref(Z, T, o), lg.cross_entropy(z64(), T, o), 1e-12, 1e-12)
      near(ce_ref(Z, T, o), lg.cross_entropy(Z, T, {weight = lg.tensor(W)}))
      local ws = ce_ref(Z, T, {weight = W, reduction = "sum"})
      near(ws, lg.cross_entropy(z64(), T, {weight = lg.tensor(W, "float64"), reduction = "sum"}), 1e-12, 1e-12)
      -- mean = sum / (w[2] + w[4] + w[1])
      near(ws / (W[2] + W[4] + W[1]), lg.cross_entropy(z64(), T, o), 1e-12, 1e-12)
    end)

    it("ignores samples whose target is ignore_index (1-based), even out of range", function()
      local t = {2, 3, 3}
      local o = {ignore_index = 3}
      near(ce_ref(Z, t, o), lg.cross_entropy(z64(), t, o), 1e-12, 1e-12)
      near(ce_ref({Z[1]}, {2}), lg.cross_entropy(z64(), t, o), 1e-12, 1e-12)
      local none = lg.cross_entropy(z64(), t, {ignore_index = 3, reduction = "none"})
      assert.are.equal(0, none[2])
      assert.are.equal(0, none[3])
      -- an ignore_index that is no class: targets equal to it are skipped
      near(ce_ref({Z[1], Z[3]}, {2, 1}), lg.cross_entropy(z64(), {2, 0, 1}, {ignore_index = 0}), 1e-12, 1e-12)
      near(ce_ref({Z[1]}, {2}), lg.cross_entropy(z64(), {2, -100, -100}, {ignore_index = -100}), 1e-12, 1e-12)
      -- with weights and smoothing together
      local o2 = {ignore_index = 4, weight = W, label_smoothing = 0.2}
      near(ce_ref(Z, T, o2), lg.cross_entropy(z64(), T, o2), 1e-12, 1e-12)
    end)

    it("gives NaN mean, 0 sum and a zero gradient when every target is ignored", function()
      local t = {2, 2, 2}
      local o = {ignore_index = 2}
      assert.is_true(isnan(lg.cross_entropy(z64(), t, o)))
      assert.are.equal(0, lg.cross_entropy(z64(), t, {ignore_index = 2, reduction = "sum"}))
      local g, l = lg.cross_entropy_grad(Z, t, o)
      assert.is_true(isnan(l))
      near(lg.zeros(3, 4), g, 0, 0)
      assert.are.same({0, 0, 0}, lg.cross_entropy(Z, t, {ignore_index = 2, reduction = "none"}):totable())
    end)

    it("applies label smoothing, with and without weights", function()
      for _, eps in ipairs{0.1, 0.5, 1.0} do
        for _, w in ipairs{false, true} do
          local o = {label_smoothing = eps, weight = w and W or nil}
          near(ce_ref(Z, T, o), lg.cross_entropy(z64(), T, o), 1e-12, 1e-12)
          near(ce_ref(Z, T, o), lg.cross_entropy(Z, T, o))
          o.reduction = "none"
          near(ce_ref(Z, T, o), lg.cross_entropy(z64(), T, o), 1e-12, 1e-12)
        end
      end
    end)

    it("is stable for huge and masked logits", function()
      for _, dt in ipairs(DTYPES) do
        local z = lg.tensor({{1e4, -1e4, 0}, {-inf, 1, 2}, {5, 5, 5}}, dt)
        local none = lg.cross_entropy(z, {1, 3, 2}, {reduction = "none"})
        near({0, ce_ref({{1, 2}}, {2}), math.log(3)}, none)
        -- a -inf logit at the target: infinite loss, finite gradient
        local g, l = lg.cross_entropy_grad(lg.tensor({-inf, 1, 2}, dt), 1)
        assert.are.equal(inf, l)
        near({-1, math.exp(1) / (math.exp(1) + math.exp(2)), math.exp(2) / (math.exp(1) + math.exp(2))}, g)
        near({2e4}, lg.cross_entropy(lg.tensor({1e4, -1e4}, dt), 2))
        near({0}, lg.cross_entropy(lg.tensor({1e4, -1e4}, dt), 1))
        -- a row that is all -inf gives NaN, as in PyTorch
        assert.is_true(isnan(lg.cross_entropy(lg.tensor({-inf, -inf}, dt), 1)))
      end
    end)
  end)

  describe("cross_entropy with probability targets", function()
    it("matches the reference for soft and one-hot rows, mean dividing by N", function()
      for _, red in ipairs{"mean", "sum", "none"} do
        local o = {reduction = red}
        near(ce_prob_ref(Z, Y, o), lg.cross_entropy(z64(), lg.tensor(Y, "float64"), o), 1e-12, 1e-12)
        near(ce_prob_ref(Z, Y, o), lg.cross_entropy(Z, Y, o))
      end
    end)

    it("combines label smoothing and weights (mean still divides by N)", function()
      local o = {label_smoothing = 0.3, weight = W}
      near(ce_prob_ref(Z, Y, o), lg.cross_entropy(z64(), lg.tensor(Y, "float64"), o), 1e-12, 1e-12)
      -- one-hot probabilities with smoothing equal index targets with smoothing (no weights)
      local onehot = lg.one_hot(T, 4):astype("float64")
      near(lg.cross_entropy(z64(), T, {label_smoothing = 0.3}),
        lg.cross_entropy(z64(), onehot, {label_smoothing = 0.3}), 1e-12, 1e-12)
    end)

    it("takes a 1-d probability target for 1-d logits", function()
      near(ce_prob_ref({Z[1]}, {Y[1]}), lg.cross_entropy(lg.tensor(Z[1], "float64"), Y[1]), 1e-6, 1e-6)
    end)
  end)

  describe("cross_entropy_grad", function()
    local cases = {
      {"index, mean", T, {}},
      {"index, sum", T, {reduction = "sum"}},
      {"index, weights", T, {weight = W}},
      {"index, ignore some", {2, 3, 3}, {ignore_index = 3}},
      {"index, smoothing", T, {label_smoothing = 0.25}},
      {"index, weights + smoothing + ignore", T, {weight = W, label_smoothing = 0.4, ignore_index = 4}},
      {"probs, soft", Y, {}},
      {"probs, smoothing + weights, sum", Y, {label_smoothing = 0.1, weight = W, reduction = "sum"}},
    }
    for _, case in ipairs(cases) do
      local name, t, o = case[1], case[2], case[3]
      it("agrees with central differences: " .. name, function()
        local z = z64()
        local g, l = lg.cross_entropy_grad(z, t, o)
        near(lg.cross_entropy(z, t, o), l, 0, 0)
        near(numeric_grad(function(x) return lg.cross_entropy(x, t, o) end, z), g, 1e-8, 1e-6)
        -- float32 within tolerance of the float64 truth
        local g32, l32 = lg.cross_entropy_grad(lg.tensor(Z), t, o)
        assert.are.equal("float32", g32:dtype())
        near(g, g32)
        near(l, l32)
      end)
    end

    it("with reduction 'none' returns the gradient of the summed losses and the losses", function()
      for _, t in ipairs{T, Y} do
        local o = {reduction = "none", label_smoothing = 0.1}
        local z = z64()
        local g, losses = lg.cross_entropy_grad(z, t, o)
        near(lg.cross_entropy(z, t, o), losses, 0, 0)
        near(numeric_grad(function(x) return lg.cross_entropy(x, t, o):sum() end, z), g, 1e-8, 1e-6)
        near(lg.cross_entropy_grad(z, t, {reduction = "sum", label_smoothing = 0.1}), g, 1e-15, 1e-12)
      end
    end)

    it("writes the gradient into out, which may be the logits themselves", function()
      local z = z64()
      local want = lg.cross_entropy_grad(z, T)
      local out = lg.zeros({3, 4}, "float64")
      local g, l = lg.cross_entropy_grad(z, T, nil, out)
      assert.are.equal(out, g)
      near(want, out, 0, 0)
      local zc = z:clone()
      assert.are.equal(zc, (lg.cross_entropy_grad(zc, T, nil, zc)))
      near(want, zc, 0, 0)
      local tr = lg.zeros({4, 3}, "float64")
      lg.cross_entropy_grad(z, T, nil, tr:t())
      near(want, tr:t(), 0, 0)
      near(ce_ref(Z, T), l, 1e-12, 1e-12)
    end)

    it("takes non-contiguous logits", function()
      local zt = lg.tensor({{0.3, 1.5, -2}, {-1.2, 0.2, 3}, {2, -0.7, 0.4}, {0.5, 0.1, -0.4}}, "float64"):t()
      near(ce_ref(Z, T), lg.cross_entropy(zt, T), 1e-12, 1e-12)
      near(lg.cross_entropy_grad(z64(), T), lg.cross_entropy_grad(zt, T), 0, 0)
    end)
  end)

  describe("nll_loss", function()
    it("on log_softmax(z) equals cross_entropy(z), with every option", function()
      local lp = lg.log_softmax(z64())
      for _, o in ipairs{{}, {reduction = "sum"}, {weight = W}, {ignore_index = 4},
                         {weight = W, ignore_index = 2, reduction = "none"}} do
        near(nll_ref(lp:totable(), T, o), lg.nll_loss(lp, T, o), 1e-12, 1e-12)
        near(lg.cross_entropy(z64(), T, o), lg.nll_loss(lp, T, o), 1e-12, 1e-12)
      end
    end)

    it("nll_loss_grad is -w[t] / W at the target, 0 elsewhere", function()
      local lp = lg.log_softmax(z64())
      for _, o in ipairs{{}, {weight = W}, {ignore_index = 4, reduction = "sum"}} do
        local g, l = lg.nll_loss_grad(lp, T, o)
        near(lg.nll_loss(lp, T, o), l, 0, 0)
        near(numeric_grad(function(x) return lg.nll_loss(x, T, o) end, lp), g, 1e-8, 1e-6)
      end
      local g = lg.nll_loss_grad(lg.tensor({-1, -2, -3}), 2)
      assert.are.same({0, -1, 0}, g:totable())
    end)

    it("chains with log_softmax_backward to the cross-entropy gradient", function()
      local z = z64()
      local lp = lg.log_softmax(z)
      local g = lg.log_softmax_backward((lg.nll_loss_grad(lp, T, {weight = W})), lp)
      near(lg.cross_entropy_grad(z, T, {weight = W}), g, 1e-15, 1e-12)
    end)
  end)

  describe("binary_cross_entropy_with_logits", function()
    local YB = {{1, 0, 0.5, 1}, {0, 0, 1, 0.25}, {1, 1, 0, 0}}
    for _, dt in ipairs(DTYPES) do
      it("matches the reference with every option (" .. dt .. ")", function()
        local z, y = lg.tensor(Z, dt), lg.tensor(YB, dt)
        for _, o in ipairs{{}, {reduction = "sum"}, {reduction = "none"}, {weight = W},
                           {pos_weight = {3, 1, 0.5, 2}}, {weight = W, pos_weight = {3, 1, 0.5, 2}, reduction = "sum"}} do
          near(bce_ref(Z, YB, o), lg.binary_cross_entropy_with_logits(z, y, o))
        end
      end)
    end

    it("broadcasts weight and pos_weight: scalar, per class, full", function()
      local z, y = z64(), lg.tensor(YB, "float64")
      near(2 * bce_ref(Z, YB), lg.binary_cross_entropy_with_logits(z, y, {weight = 2}), 1e-12, 1e-12)
      local wt = lg.tensor({{0.5, 2.0, 1.0, 3.0}}, "float64")   -- [1, 4]
      near(bce_ref(Z, YB, {weight = W}), lg.binary_cross_entropy_with_logits(z, y, {weight = wt}), 1e-12, 1e-12)
      local full = lg.tensor({W, W, W}, "float64")
      near(bce_ref(Z, YB, {weight = W}), lg.binary_cross_entropy_with_logits(z, y, {weight = full}), 1e-12, 1e-12)
      near(bce_ref(Z, YB, {pos_weight = {2, 2, 2, 2}}),
        lg.binary_cross_entropy_with_logits(z, y, {pos_weight = 2}), 1e-12, 1e-12)
    end)

    it("takes any shape, tables and 0-d tensors", function()
      near(bce_ref({{0.5}}, {{1}}), lg.binary_cross_entropy_with_logits(0.5, 1))
      near(bce_ref({{0.5, -1}}, {{1, 0}}), lg.binary_cross_entropy_with_logits({0.5, -1}, {1, 0}))
      local z3 = lg.tensor({{{0.5, -1}}, {{2, 0}}}, "float64")
      local none = lg.binary_cross_entropy_with_logits(z3, {{{1, 0}}, {{0, 1}}}, {reduction = "none"})
      assert.are.same({2, 1, 2}, none:shape())
    end)

    it("is stable for large logits", function()
      local z = lg.tensor({1e4, -1e4, 100, -100}, "float64")
      near({0, 0, 0, 0}, lg.binary_cross_entropy_with_logits(z, {1, 0, 1, 0}, {reduction = "none"}), 1e-30, 0)
      near({1e4, 1e4, 100, 100}, lg.binary_cross_entropy_with_logits(z, {0, 1, 0, 1}, {reduction = "none"}))
    end)

    it("has gradient sigmoid(z) - y, and matches central differences with options", function()
      local z, y = z64(), lg.tensor(YB, "float64")
      local g = lg.binary_cross_entropy_with_logits_grad(z, y, {reduction = "sum"})
      local s = (((-z):exp() + 1):pow(-1))
      near(s - y, g, 1e-15, 1e-12)
      for _, o in ipairs{{}, {weight = W, pos_weight = {3, 1, 0.5, 2}}, {reduction = "none", pos_weight = 2}} do
        local gg, l = lg.binary_cross_entropy_with_logits_grad(z, y, o)
        local f = function(x)
          local v = lg.binary_cross_entropy_with_logits(x, y, o)
          return type(v) == "number" and v or v:sum()
        end
        near(numeric_grad(f, z), gg, 1e-8, 1e-6)
        near(lg.binary_cross_entropy_with_logits(z, y, o), l, 0, 0)
        local g32 = lg.binary_cross_entropy_with_logits_grad(lg.tensor(Z), lg.tensor(YB), o)
        near(gg, g32)
      end
      local out = z:clone()
      lg.binary_cross_entropy_with_logits_grad(out, y, nil, out)
      near(lg.binary_cross_entropy_with_logits_grad(z, y), out, 0, 0)
    end)
  end)

  describe("bad input", function()
    local z = lg.tensor(Z)
    it("rejects class indices out of range, non-integral or of the wrong count", function()
      assert.are.equal("bad argument #2 to 'cross_entropy' (target 5 out of range for 4 classes at sample 2)",
        err(lg.cross_entropy, z, {1, 5, 1}))
      assert.are.equal("bad argument #2 to 'cross_entropy' (target 0 out of range for 4 classes at sample 1)",
        err(lg.cross_entropy, z, {0, 1, 1}))
      assert.are.equal("bad argument #2 to 'cross_entropy_grad' (target 1.5 at sample 3 is not an integer)",
        err(lg.cross_entropy_grad, z, {1, 1, 1.5}))
      assert.are.equal("bad argument #2 to 'cross_entropy' (target nan at sample 1 is not an integer)",
        err(lg.cross_entropy, z, lg.tensor{nan, 1, 1}))
      assert.are.equal("bad argument #2 to 'cross_entropy' (target 4 out of range for 3 classes)",
        err(lg.cross_entropy, {1, 2, 3}, 4))
      assert.are.equal("bad argument #2 to 'nll_loss' (target has 2 entries, expected 3 (one per sample))",
        err(lg.nll_loss, z, {1, 2}))
      assert.are.equal("bad argument #2 to 'cross_entropy' (target at sample 2 is a string, expected a class index)",
        err(lg.cross_entropy, z, {1, "2", 3}))
      assert.are.equal("bad argument #2 to 'cross_entropy' (class index, table or lgrad.Tensor expected, got boolean)",
        err(lg.cross_entropy, z, true))
    end)

    it("rejects probability targets of the wrong shape or dtype", function()
      assert.are.equal("bad argument #2 to 'cross_entropy' (target has shape [3, 3], expected the logits' shape [3, 4])",
        err(lg.cross_entropy, z, lg.zeros(3, 3)))
      assert.are.equal("bad argument #2 to 'cross_entropy' (dtype mismatch: expected float32, got float64)",
        err(lg.cross_entropy, z, lg.zeros(3, 4, "float64")))
      assert.are.equal("bad argument #2 to 'cross_entropy' (target is 3-d, expected class indices "
        .. "of shape [3] or probabilities of shape [3, 4])", err(lg.cross_entropy, z, lg.zeros(3, 4, 1)))
      assert.are.equal("bad argument #2 to 'nll_loss' (target is 2-d, expected class indices of shape [3])",
        err(lg.nll_loss, z, Y))
      assert.are.equal("bad argument #2 to 'binary_cross_entropy_with_logits' (target has shape [2], "
        .. "expected the logits' shape [3, 4])", err(lg.binary_cross_entropy_with_logits, z, {1, 0}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (ignore_index is not supported with probability targets)",
        err(lg.cross_entropy, z, Y, {ignore_index = 1}))
    end)

    it("rejects bad logits", function()
      assert.are.equal("bad argument #1 to 'cross_entropy' (1-d [C] or 2-d [N, C] tensor expected, got 3-d)",
        err(lg.cross_entropy, lg.zeros(2, 2, 2), {1, 1}))
      assert.truthy(err(lg.cross_entropy, "z", 1):find("bad argument #1 to 'cross_entropy'", 1, true))
    end)

    it("rejects bad options, naming the key", function()
      assert.are.equal("bad argument #3 to 'cross_entropy' (reduction must be 'mean', 'sum' or 'none', got 'avg')",
        err(lg.cross_entropy, z, T, {reduction = "avg"}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (label_smoothing must be in [0, 1], got 1.5)",
        err(lg.cross_entropy, z, T, {label_smoothing = 1.5}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (label_smoothing must be in [0, 1], got -0.1)",
        err(lg.cross_entropy, z, T, {label_smoothing = -0.1}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (weight has shape [3], expected [4] (one per class))",
        err(lg.cross_entropy, z, T, {weight = {1, 2, 3}}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (weight has dtype float64, expected float32)",
        err(lg.cross_entropy, z, T, {weight = lg.ones(4, "float64")}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (unknown option 'weigth')",
        err(lg.cross_entropy, z, T, {weigth = W}))
      assert.are.equal("bad argument #3 to 'nll_loss' (unknown option 'label_smoothing')",
        err(lg.nll_loss, z, T, {label_smoothing = 0.1}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (unknown option 'pos_weight')",
        err(lg.cross_entropy, z, T, {pos_weight = W}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (ignore_index must be an integer, got 1.5)",
        err(lg.cross_entropy, z, T, {ignore_index = 1.5}))
      assert.are.equal("bad argument #3 to 'cross_entropy' (options table expected, got string)",
        err(lg.cross_entropy, z, T, "sum"))
      assert.are.equal("bad argument #3 to 'binary_cross_entropy_with_logits' (pos_weight of shape [3] "
        .. "does not broadcast to the logits' shape [3, 4])",
        err(lg.binary_cross_entropy_with_logits, z, lg.zeros(3, 4), {pos_weight = {1, 2, 3}}))
    end)

    it("rejects a bad out", function()
      assert.are.equal("bad argument #4 to 'cross_entropy' (out holds per-sample losses: it needs reduction 'none')",
        err(lg.cross_entropy, z, T, nil, lg.zeros(3)))
      assert.are.equal("bad argument #4 to 'cross_entropy_grad' (out has shape [3], expected [3, 4])",
        err(lg.cross_entropy_grad, z, T, nil, lg.zeros(3)))
    end)
  end)
end)
