-- Every activation, loss and a small composite network, checked against
-- numeric derivatives with lg.gradcheck (through assert.gradient). The
-- analytic side runs in the dtype under test; the numeric side always in
-- float64. Parts whose functions this build lacks are pending.
require "lgrad.busted"
local lg = require "lgrad"

local DTYPES = { "float32", "float64" }

-- Points away from every kink (0, +-1, +-3, 6) and inside the float range.
local XS = { -7.3, -3.4, -2.9, -1.3, -0.8, -0.35, -0.04, 0.02, 0.3, 0.9, 1.7, 2.6, 3.3, 5.1, 6.4, 12.5 }

local function have(...)
  for _, n in ipairs({ ... }) do if lg[n] == nil then return false, "lg." .. n end end
  return true
end

local function maybe(names, label, fn)
  local ok, what = have(table.unpack(names))
  if ok then it(label, fn) else pending(label .. " (needs " .. what .. ")") end
end

describe("gradcheck over", function()
  describe("every activation", function()
    for _, dtype in ipairs(DTYPES) do
      maybe({ "activations", "derivative" }, "derivative(NAME, x) = NAME'(x), " .. dtype, function()
        for _, name in ipairs(lg.activations) do
          local f = lg[name]
          local x = lg.tensor(XS, dtype)
          assert.gradient(function(t) return f(t):sum() end, x, lg.derivative(name, x), name .. " " .. dtype)
        end
      end)

      maybe({ "activations" }, "NAME_backward(g, x) = g * NAME'(x), " .. dtype, function()
        lg.seed(7)
        for _, name in ipairs(lg.activations) do
          local f, back = lg[name], lg[name .. "_backward"]
          local x = lg.tensor(XS, dtype)
          local g = lg.randn(#XS, dtype)
          local g64 = g:astype("float64")
          -- d/dx sum(g * f(x)) is the backward's output
          assert.gradient(function(t) return (g64 * f(t)):sum() end, x, back(g, x), name .. " " .. dtype)
        end
      end)
    end

    maybe({ "leaky_relu", "elu", "softplus", "hardtanh" }, "with parameters", function()
      local x = lg.tensor(XS, "float64")
      local cases = { { "leaky_relu", 0.2 }, { "elu", 0.5 }, { "celu", 2 }, { "softplus", 2, 5 },
        { "hardtanh", -2, 4 } }
      for _, c in ipairs(cases) do
        local name, a, b = c[1], c[2], c[3]
        assert.gradient(function(t) return lg[name](t, a, b):sum() end, x, lg.derivative(name, x, a, b), name)
      end
      assert.gradient(function(t) return lg.gelu(t, "tanh"):sum() end, x, lg.derivative("gelu", x, "tanh"))
    end)
  end)

  describe("the softmax family", function()
    for _, dtype in ipairs(DTYPES) do
      maybe({ "softmax", "softmax_jacobian" }, "softmax_jacobian is the jacobian of softmax, " .. dtype, function()
        lg.seed(3)
        local z = lg.randn(5, dtype) * 2
        assert.gradient(lg.softmax, z, lg.softmax_jacobian(z))
      end)

      maybe({ "softmax", "softmax_backward", "log_softmax", "log_softmax_backward" },
        "softmax_backward and log_softmax_backward, " .. dtype, function()
        lg.seed(4)
        local z, g = lg.randn(3, 4, dtype), lg.randn(3, 4, dtype)
        local g64 = g:astype("float64")
        assert.gradient(function(t) return (g64 * lg.softmax(t)):sum() end, z, lg.softmax_backward(g, lg.softmax(z)))
        assert.gradient(function(t) return (g64 * lg.log_softmax(t)):sum() end, z,
          lg.log_softmax_backward(g, lg.log_softmax(z)))
      end)
    end
  end)

  describe("the losses", function()
    for _, dtype in ipairs(DTYPES) do
      maybe({ "cross_entropy", "cross_entropy_grad" }, "cross_entropy_grad, every option, " .. dtype, function()
        lg.seed(5)
        local z = lg.randn(4, 3, dtype) * 2
        local y = { 1, 3, 2, 3 }
        local probs = lg.softmax(lg.randn(4, 3, dtype))
        local optsets = {
          {}, { reduction = "sum" }, { reduction = "none" }, { weight = lg.tensor({ 0.2, 1, 3 }, dtype) },
          { ignore_index = 3 }, { label_smoothing = 0.1 },
        }
        for i, opts in ipairs(optsets) do
          local o64 = {}
          for k, v in pairs(opts) do o64[k] = lg.is_tensor(v) and v:astype("float64") or v end
          local function L(t)
            local l = lg.cross_entropy(t, y, o64)
            return type(l) == "number" and l or l:sum()
          end
          assert.gradient(L, z, (lg.cross_entropy_grad(z, y, opts)), "index targets, option set " .. i)
        end
        assert.gradient(function(t) return lg.cross_entropy(t, probs:astype("float64")) end, z,
          (lg.cross_entropy_grad(z, probs)), "probability targets")
        -- one sample: a 1-d logit vector and an integer class
        local z1 = z[2]:clone()
        assert.gradient(function(t) return lg.cross_entropy(t, 2) end, z1, (lg.cross_entropy_grad(z1, 2)))
      end)

      maybe({ "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad" },
        "binary_cross_entropy_with_logits_grad, " .. dtype, function()
        lg.seed(6)
        local z = lg.randn(6, dtype) * 3
        local y = lg.tensor({ 0, 1, 1, 0, 0.3, 1 }, dtype)
        local y64 = y:astype("float64")
        assert.gradient(function(t) return lg.binary_cross_entropy_with_logits(t, y64) end, z,
          (lg.binary_cross_entropy_with_logits_grad(z, y)))
        local pw = lg.tensor({ 2, 0.5, 1, 3, 1, 1 }, dtype)
        assert.gradient(function(t)
          return lg.binary_cross_entropy_with_logits(t, y64, { pos_weight = pw:astype("float64") })
        end, z, (lg.binary_cross_entropy_with_logits_grad(z, y, { pos_weight = pw })))
      end)
    end
  end)

  describe("a composite", function()
    for _, dtype in ipairs(DTYPES) do
      maybe({ "cross_entropy", "cross_entropy_grad", "tanh", "tanh_backward" },
        "linear -> tanh -> linear -> cross-entropy, hand-written chain rule, " .. dtype, function()
        lg.seed(8)
        local X = lg.randn(5, 3, dtype)
        local W1, b1, W2 = lg.randn(3, 4, dtype), lg.randn(4, dtype), lg.randn(4, 2, dtype)
        local y = { 1, 2, 2, 1, 2 }
        -- forward in the dtype under test, and the chain rule by hand
        local z1 = lg.matmul(X, W1) + b1
        local h = lg.tanh(z1)
        local dlogits = lg.cross_entropy_grad(lg.matmul(h, W2), y)   -- (p - y) / N
        local dW2 = lg.matmul(h:t(), dlogits)
        local dz1 = lg.tanh_backward(lg.matmul(dlogits, W2:t()), z1)
        local dW1, db1, dX = lg.matmul(X:t(), dz1), dz1:sum(1), lg.matmul(dz1, W1:t())
        -- the same loss as a function of each parameter, in float64
        local P = { X = X:astype("float64"), W1 = W1:astype("float64"), b1 = b1:astype("float64"),
          W2 = W2:astype("float64") }
        local function loss_of(name)
          return function(t)
            local q = setmetatable({ [name] = t }, { __index = P })
            return lg.cross_entropy(lg.matmul(lg.tanh(lg.matmul(q.X, q.W1) + q.b1), q.W2), y)
          end
        end
        assert.gradient(loss_of("W1"), W1, dW1, "dL/dW1")
        assert.gradient(loss_of("b1"), b1, db1, "dL/db1")
        assert.gradient(loss_of("W2"), W2, dW2, "dL/dW2")
        assert.gradient(loss_of("X"), X, dX, "dL/dX")
      end)
    end
  end)
end)
