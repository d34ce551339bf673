-- Activations: values and derivatives against references written in plain
-- Lua doubles (spec/support/ref.lua: the formulas, not the module), central
-- differences, PyTorch's kink choices, parameters, out, and bad input.
local lg = require "lgrad"
local H = require "spec.support.helpers"
local R = require "spec.support.ref"

local inf, NaN = math.huge, 0 / 0
local FLT_MAX = 3.4028234663852886e38
local FLT_TRUE_MIN = 2 ^ -149   -- smallest float32 subnormal
local FLT_MIN = 2 ^ -126
local isnan = R.isnan

local err = H.err

-- The 18 names of API.md, in its order.
local NAMES = { "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "celu", "gelu", "silu",
  "mish", "softplus", "softsign", "hardtanh", "relu6", "hardsigmoid", "hardswish",
  "log_sigmoid", "heaviside" }

-- Parameter sets: the defaults (none given) for every name, and non-default
-- values for every parametrised one.
local CASES = {}
for _, name in ipairs(NAMES) do CASES[#CASES + 1] = { name = name } end
for _, c in ipairs {
  { name = "leaky_relu", p = { 0.2 } }, { name = "leaky_relu", p = { -0.5 } },
  { name = "elu", p = { 0.5 } }, { name = "elu", p = { 2.5 } },
  { name = "celu", p = { 0.5 } }, { name = "celu", p = { 2.5 } },
  { name = "gelu", p = { "tanh" } },
  { name = "softplus", p = { 2, 5 } }, { name = "softplus", p = { 0.5, 20 } },
  { name = "softplus", p = { 1, 100 } },
  { name = "hardtanh", p = { -2, 3 } }, { name = "hardtanh", p = { 0.25, 0.75 } },
} do CASES[#CASES + 1] = c end

local function label(c)
  if not c.p then return c.name end
  local s = {}
  for i, v in ipairs(c.p) do s[i] = tostring(v) end
  return c.name .. "(" .. table.concat(s, ", ") .. ")"
end

-- Inputs: a dense grid of [-40, 40], magnitudes from the subnormals to
-- FLT_MAX, and the extremes; every kink of the case's parameters is added.
local GRID = {}
for i = -4000, 4000 do GRID[#GRID + 1] = i / 100 end
for k = -45, 38, 0.25 do
  GRID[#GRID + 1] = 10 ^ k
  GRID[#GRID + 1] = -(10 ^ k) * 1.37
end
local EXTREMES = { 0, -0.0, FLT_TRUE_MIN, -FLT_TRUE_MIN, 3 * FLT_TRUE_MIN, FLT_MIN, -FLT_MIN,
  1e-300, -1e-300, 4.9e-324, -4.9e-324, 88, -88, 88.72, -88.72, 103.9, -103.9, 1e4, -1e4,
  FLT_MAX, -FLT_MAX, inf, -inf }
for _, v in ipairs(EXTREMES) do GRID[#GRID + 1] = v end

local function inputs(name, p)
  local xs = {}
  for i, v in ipairs(GRID) do xs[i] = v end
  for _, k in ipairs(R.kinks(name, p)) do
    for _, d in ipairs { 0, 1e-7, -1e-7, 1e-3, -1e-3 } do xs[#xs + 1] = k + d end
  end
  return xs
end

-- Tolerances. float32: 1e-6 abs + 1e-5 rel of the double truth (the
-- contract). float64: 1e-12 rel; the absolute part is tiny except for the
-- derivatives that cross zero (gelu, silu, mish at x near -0.75, -1.28,
-- -1.19), where a result near 1e-17 carries the rounding of terms near 1.
local SMOOTH_ZERO = { gelu = true, silu = true, mish = true }
local function tol(dtype, name, backward)
  if dtype == "float32" then return 1e-6, 1e-5 end
  if backward and SMOOTH_ZERO[name] then return 1e-15, 1e-12 end
  return 1e-300, 1e-12
end

-- Is got within tolerance of the double truth? NaN must meet NaN, inf must
-- meet the same inf; a finite truth beyond FLT_MAX may round to inf in float32.
local function close(got, want, abs_tol, rel_tol, dtype)
  if isnan(want) then return isnan(got) end
  if isnan(got) then return false end
  if want == inf or want == -inf then return got == want end
  if dtype == "float32" and math.abs(want) > FLT_MAX * (1 + 2 ^ -24) then
    return got == (want > 0 and inf or -inf)
  end
  return math.abs(got - want) <= abs_tol + rel_tol * math.abs(want)
end

-- Check every element; report the first few failures with their inputs.
local function check_all(what, xs, got, want_fn, abs_tol, rel_tol, dtype)
  local bad = {}
  for i = 1, #xs do
    local w = want_fn(i)
    if not close(got[i], w, abs_tol, rel_tol, dtype) then
      bad[#bad + 1] = string.format("x = %.17g: got %.17g, want %.17g", xs[i], got[i], w)
      if #bad == 5 then break end
    end
  end
  assert(#bad == 0, what .. ":\n  " .. table.concat(bad, "\n  "))
end

-- Call lg.NAME / NAME_backward with the positional parameters of case c.
local unpack = table.unpack or unpack
local function fwd(c, x, out)
  local p = c.p or {}
  if out then return lg[c.name](x, unpack(p, 1, #p), out) end
  return lg[c.name](x, unpack(p, 1, #p))
end
local function bwd(c, dy, x, out)
  local p = c.p or {}
  if out then return lg[c.name .. "_backward"](dy, x, unpack(p, 1, #p), out) end
  return lg[c.name .. "_backward"](dy, x, unpack(p, 1, #p))
end

describe("lg.activations", function()
  it("lists exactly API.md's names, in its order", function()
    assert.are.same(NAMES, lg.activations)
  end)

  it("has lg.NAME, lg.NAME_backward and a method for every name", function()
    local t = lg.tensor({ -1, 0, 1 })
    for _, name in ipairs(lg.activations) do
      assert.is_function(lg[name], name)
      assert.is_function(lg[name .. "_backward"], name .. "_backward")
      assert.is_true(lg.equal(lg[name](t), t[name](t)), name)
    end
  end)

  it("has a reference and a test case for every name", function()
    local seen = {}
    for _, c in ipairs(CASES) do seen[c.name] = true end
    for _, name in ipairs(lg.activations) do
      assert.is_table(R.act[name], name)
      assert.is_true(seen[name], name)
    end
  end)
end)

for _, dtype in ipairs { "float32", "float64" } do
  describe("activations in " .. dtype, function()
    for _, c in ipairs(CASES) do
      local ref = R.act[c.name]
      local p = R.params(c.name, c.p)
      local xs0 = inputs(c.name, p)

      describe(label(c), function()
        -- The tensor holds the inputs rounded to dtype; the truth is computed
        -- at the rounded values.
        local x = lg.tensor(xs0, dtype)
        local xs = x:totable()

        it("matches the double reference on the grid and at the extremes", function()
          local y = fwd(c, x)
          assert.are.equal(dtype, y:dtype())
          local a, r = tol(dtype, c.name, false)
          check_all(label(c) .. " forward", xs, y:totable(),
            function(i) return ref.f(xs[i], p) end, a, r, dtype)
        end)

        it("backward with dy = 1 matches the analytic derivative", function()
          local d = bwd(c, lg.ones(#xs, dtype), x)
          assert.are.equal(dtype, d:dtype())
          local a, r = tol(dtype, c.name, true)
          check_all(label(c) .. " backward", xs, d:totable(),
            function(i) return ref.df(xs[i], p) end, a, r, dtype)
        end)

        it("backward scales by grad_output: dy * f'(x)", function()
          lg.seed(7)
          local dy = lg.rand(#xs, dtype) * 6 - 3
          for i, v in ipairs { 1e30, -1e30, 1e-30, -1e-30, 0, inf, -inf } do dy[i * 97] = v end
          local dys = dy:totable()
          local d = bwd(c, dy, x)
          local a, r = tol(dtype, c.name, true)
          -- A zero derivative gives 0 even for an infinite dy (PyTorch's masked backward).
          check_all(label(c) .. " dy * f'", xs, d:totable(), function(i)
            local df = ref.df(xs[i], p)
            if df == 0 and not isnan(dys[i]) then return 0 end
            return dys[i] * df
          end, a, r, dtype)
        end)

        it("NaN in gives NaN out, forward and backward", function()
          local n = lg.tensor({ NaN, 1, NaN }, dtype)
          local y, d = fwd(c, n):totable(), bwd(c, lg.ones(3, dtype), n):totable()
          assert.is_true(isnan(y[1]) and isnan(y[3]) and not isnan(y[2]))
          assert.is_true(isnan(d[1]) and isnan(d[3]) and not isnan(d[2]))
          local g = bwd(c, lg.tensor({ NaN }, dtype), lg.tensor({ 0.5 }, dtype)):totable()
          assert.is_true(isnan(g[1]), "NaN grad_output")
        end)

        it("lg.derivative equals backward with ones", function()
          local d1 = lg.derivative(c.name, x, unpack(c.p or {}))
          local d2 = bwd(c, lg.ones(#xs, dtype), x)
          local a, b = d1:totable(), d2:totable()
          for i = 1, #a do
            assert(a[i] == b[i] or (isnan(a[i]) and isnan(b[i])), "at x = " .. xs[i])
          end
        end)

        if dtype == "float64" then
          it("backward agrees with a central difference of the forward (away from kinks)", function()
            local kinks = R.kinks(c.name, p)
            local pts = {}
            for i = -60, 60 do
              local v = i * 0.1337 + 0.0123
              local near = false
              for _, k in ipairs(kinks) do near = near or math.abs(v - k) < 1e-3 end
              if not near then pts[#pts + 1] = v end
            end
            local hs, plus, minus = {}, {}, {}
            for i, v in ipairs(pts) do
              hs[i] = 1e-6 * math.max(1, math.abs(v))
              plus[i], minus[i] = v + hs[i], v - hs[i]
            end
            local fp = fwd(c, lg.tensor(plus, "float64")):totable()
            local fm = fwd(c, lg.tensor(minus, "float64")):totable()
            local d = bwd(c, lg.ones(#pts, "float64"), lg.tensor(pts, "float64")):totable()
            for i, v in ipairs(pts) do
              -- (plus - minus) is the exact step actually taken.
              local num = (fp[i] - fm[i]) / (plus[i] - minus[i])
              assert(math.abs(num - d[i]) <= 1e-6 + 1e-6 * math.abs(d[i]),
                string.format("%s at x = %.17g: numeric %.17g, backward %.17g", label(c), v, num, d[i]))
            end
          end)
        end
      end)
    end
  end)
end

describe("PyTorch's choices at the kinks", function()
  local function d(name, x, ...) return lg.derivative(name, lg.tensor({ x }, "float64"), ...)[1] end
  local function f(name, x, ...) return lg[name](lg.tensor({ x }, "float64"), ...)[1] end

  it("relu'(0) = 0, leaky_relu'(0) = slope, heaviside(0) = 0 and heaviside' = 0", function()
    assert.are.equal(0, d("relu", 0))
    assert.are.equal(0.01, d("leaky_relu", 0))
    assert.are.equal(0.2, d("leaky_relu", 0, 0.2))
    assert.are.equal(0, f("heaviside", 0))
    assert.are.equal(1, f("heaviside", 1e-300))
    assert.are.equal(0, d("heaviside", 1))
  end)

  it("elu'(0) = alpha, selu'(0) = scale * alpha, celu'(0) = 1", function()
    assert.are.equal(1, d("elu", 0))
    assert.are.equal(2.5, d("elu", 0, 2.5))
    assert.is_true(math.abs(d("selu", 0) - R.SELU_SCALE * R.SELU_ALPHA) < 1e-15)
    assert.are.equal(1, d("celu", 0))
    assert.are.equal(1, d("celu", 0, 2.5))
  end)

  it("hardtanh, relu6 and hardsigmoid have derivative 0 at their bounds", function()
    assert.are.equal(0, d("hardtanh", -1))
    assert.are.equal(0, d("hardtanh", 1))
    assert.are.equal(1, d("hardtanh", 0.999))
    assert.are.equal(0, d("hardtanh", -2, -2, 3))
    assert.are.equal(0, d("hardtanh", 3, -2, 3))
    assert.are.equal(0, d("relu6", 0))
    assert.are.equal(0, d("relu6", 6))
    assert.are.equal(1, d("relu6", 5.5))
    assert.are.equal(0, d("hardsigmoid", -3))
    assert.are.equal(0, d("hardsigmoid", 3))
    assert.are.equal(1 / 6, d("hardsigmoid", 0))
  end)

  it("hardswish'(-3) = -1/2 and hardswish'(3) = 3/2", function()
    assert.are.equal(-0.5, d("hardswish", -3))
    assert.are.equal(1.5, d("hardswish", 3))
    assert.are.equal(0, d("hardswish", -3.001))
    assert.are.equal(1, d("hardswish", 3.001))
  end)

  it("softplus switches to x strictly above beta * x = threshold", function()
    -- at beta x = threshold the log form is used: log(1 + e^20) > 20
    assert.is_true(math.abs(f("softplus", 20) - (20 + R.log1p(math.exp(-20)))) < 1e-14)
    assert.is_true(d("softplus", 20) < 1)
    assert.are.equal(20.0001, f("softplus", 20.0001))
    assert.are.equal(1, d("softplus", 20.0001))
    -- beta = 2, threshold = 5: the switch is at x = 2.5
    assert.is_true(math.abs(f("softplus", 2.5, 2, 5) - R.softplus1(5) / 2) < 1e-15)
    assert.are.equal(2.5001, f("softplus", 2.5001, 2, 5))
    assert.is_true(math.abs(d("softplus", 2.5, 2, 5) - R.sigmoid(5)) < 1e-15)
  end)

  it("keep PyTorch's NaN where its formula meets inf * 0", function()
    for _, name in ipairs { "gelu", "silu", "mish", "hardswish" } do
      assert.is_true(isnan(f(name, -inf)), name)
    end
    assert.is_true(isnan(f("softsign", inf)))
    assert.is_true(isnan(d("silu", inf)))
  end)

  it("a zero derivative times an infinite grad_output is 0; a NaN grad_output stays NaN", function()
    local g = lg.relu_backward(lg.tensor({ inf, -inf, NaN }), lg.tensor({ -1, -1, -1 })):totable()
    assert.are.same({ 0, 0 }, { g[1], g[2] })
    assert.is_true(isnan(g[3]))
  end)
end)

-- float32 piecewise-linear functions compute in float with PyTorch 1.13's
-- formulas, so their float32 results are not the double truth rounded once
-- but these float operations, each rounded to float32 (a float sum, product
-- or quotient done in double and rounded once gives the float result: 53 >=
-- 2 * 24 + 2). hardswish' keeps the double form (2x + 3)/6, rounded once.
describe("float32 piecewise-linear functions", function()
  local P = require "spec.support.portable"
  local spack, sunpack = string.pack, string.unpack
  local f32 = spack and function(v) return (sunpack("f", spack("f", v))) end or P.f32
  local function clampf(x, lo, hi)   -- min(max(x, lo), hi), NaN passes
    if x < lo then x = lo end
    if x > hi then x = hi end
    return x
  end
  local function nan_or(x, v) if isnan(x) then return x end return v end
  local SIXTH = f32(1 / 6)
  -- f(x, a, b) and f'(x, a, b) with the parameters a, b rounded to float;
  -- df nil: no float form (the double one is checked instead)
  local FF = {
    relu = { f = function(x) return nan_or(x, x > 0 and x or 0) end,
             df = function(x) return nan_or(x, x > 0 and 1 or 0) end },
    leaky_relu = { f = function(x, a) return x > 0 and x or f32(x * a) end,
                   df = function(x, a) return nan_or(x, x > 0 and 1 or a) end },
    hardtanh = { f = function(x, a, b) return clampf(x, a, b) end,
                 df = function(x, a, b) return nan_or(x, (x > a and x < b) and 1 or 0) end },
    relu6 = { f = function(x) return clampf(x, 0, 6) end,
              df = function(x) return nan_or(x, (x > 0 and x < 6) and 1 or 0) end },
    hardsigmoid = { f = function(x) return f32(clampf(f32(x + 3), 0, 6) / 6) end,
                    df = function(x) return nan_or(x, (x > -3 and x < 3) and SIXTH or 0) end },
    -- x * 6 overflows for x > FLT_MAX / 6: PyTorch gives inf, lgrad x
    hardswish = { f = function(x)
                    local y = f32(f32(x * clampf(f32(x + 3), 0, 6)) / 6)
                    if y == inf then return x end
                    return y
                  end },
    heaviside = { f = function(x) return nan_or(x, x > 0 and 1 or 0) end,
                  df = function(x) return nan_or(x, 0) end },
  }
  local function nanq(a, b) return a == b or (isnan(a) and isnan(b)) end
  local function exact(what, xs, got, want_fn)
    local bad = {}
    for i = 1, #xs do
      local w = want_fn(i)
      if not nanq(got[i], w) then
        bad[#bad + 1] = string.format("x = %.17g: got %.17g, want %.17g", xs[i], got[i], w)
        if #bad == 5 then break end
      end
    end
    assert(#bad == 0, what .. ":\n  " .. table.concat(bad, "\n  "))
  end

  for _, c in ipairs(CASES) do
    local ff = FF[c.name]
    if ff then
      local p = R.params(c.name, c.p)
      local a, b = f32(tonumber(p[1]) or 0), f32(tonumber(p[2]) or 0)
      local x = lg.tensor(inputs(c.name, p), "float32")
      local xs = x:totable()
      lg.seed(11)
      local dy = lg.rand(#xs) * 6 - 3
      for i, v in ipairs { 1e30, -1e30, 1e-30, -1e-30, 0, inf, -inf } do dy[i * 89] = v end
      local dys = dy:totable()

      it(label(c) .. " gives PyTorch's float formula bit for bit", function()
        exact(label(c) .. " forward", xs, fwd(c, x):totable(), function(i) return ff.f(xs[i], a, b) end)
      end)

      it(label(c) .. "_backward bit for bit", function()
        local d, g = bwd(c, lg.ones(#xs), x):totable(), bwd(c, dy, x):totable()
        local function df(i)
          if ff.df then return ff.df(xs[i], a, b) end
          return R.act[c.name].df(xs[i], p)   -- the double form
        end
        local function grad(i)   -- dy f', 0 where f' = 0 (dy not NaN), rounded once
          local v = df(i)
          if v == 0 and not isnan(dys[i]) then return 0 end
          return f32(dys[i] * v)
        end
        exact(label(c) .. " derivative", xs, d, function(i) return f32(df(i)) end)
        exact(label(c) .. " dy * f'", xs, g, grad)
      end)

      it(label(c) .. ": strided x gives the contiguous bits", function()
        local m = math.floor(#xs / 2)
        local n = 2 * m
        local function rows(t)
          local r1, r2 = {}, {}
          for i = 1, m do r1[i], r2[i] = t[i], t[m + i] end
          return lg.tensor({ r1, r2 }, "float32")
        end
        local xt, gt = rows(xs):t(), rows(dys):t()   -- m x 2, strided
        local xc, gc = xt:contiguous(), gt:contiguous()
        local function same(u, v)
          local ut, vt = u:contiguous():view(n):totable(), v:contiguous():view(n):totable()
          for i = 1, n do assert(nanq(ut[i], vt[i]), "at element " .. i) end
        end
        same(fwd(c, xt), fwd(c, xc))
        same(bwd(c, gt, xt), bwd(c, gc, xc))
      end)
    end
  end
end)

describe('the properties "AI 系列: 激活函数 & Softmax 函数" (ningg.top) states', function()
  for _, dtype in ipairs { "float32", "float64" } do
    -- float32 rounds sigmoid(x) to 1 from x = 17 on and tanh(x) from x = 9.1.
    local lim_s, lim_t = dtype == "float32" and 16 or 36, dtype == "float32" and 9 or 18
    it("sigmoid is in (0, 1) and tanh in (-1, 1) where the dtype can tell (" .. dtype .. ")", function()
      local xs = {}
      for i = -3600, 3600 do xs[#xs + 1] = i / 100 end
      local x = lg.tensor(xs, dtype)
      local s, t = lg.sigmoid(x):totable(), lg.tanh(x):totable()
      for i, v in ipairs(xs) do
        assert(s[i] >= 0 and s[i] <= 1, "sigmoid in [0, 1]")
        assert(t[i] >= -1 and t[i] <= 1, "tanh in [-1, 1]")
        if math.abs(v) <= lim_s then assert(s[i] > 0 and s[i] < 1, "sigmoid at " .. v) end
        if math.abs(v) <= lim_t then assert(t[i] > -1 and t[i] < 1, "tanh at " .. v) end
      end
    end)

    it("tanh is odd and relu(z) = max(0, z) exactly (" .. dtype .. ")", function()
      local xs = {}
      for _, v in ipairs(GRID) do xs[#xs + 1] = v end
      local x = lg.tensor(xs, dtype)
      local v = x:totable()
      local tp, tn = lg.tanh(x):totable(), lg.tanh(-x):totable()
      local r = lg.relu(x):totable()
      for i = 1, #v do
        assert(tn[i] == -tp[i], "tanh(-x) = -tanh(x) at " .. v[i])
        assert(r[i] == math.max(0, v[i]), "relu at " .. v[i])
      end
    end)
  end
end)

describe("calling conventions", function()
  local x = lg.tensor({ { -2, -0.5, 0 }, { 0.5, 2, 7 } })

  it("accept parameters positionally or as one keyword table, with API.md's aliases", function()
    local a = lg.leaky_relu(x, 0.2)
    assert.is_true(lg.equal(a, lg.leaky_relu(x, { negative_slope = 0.2 })))
    assert.is_true(lg.equal(a, lg.leaky_relu(x, { slope = 0.2 })))
    local h = lg.hardtanh(x, -0.25, 3)
    assert.is_true(lg.equal(h, lg.hardtanh(x, { min_val = -0.25, max_val = 3 })))
    assert.is_true(lg.equal(h, lg.hardtanh(x, { min = -0.25, max = 3 })))
    assert.is_true(lg.equal(h, lg.hardtanh(x, { min = -0.25, max_val = 3 })))
    assert.is_true(lg.equal(lg.hardtanh(x, nil, 3), lg.hardtanh(x, { max = 3 })))
    assert.is_true(lg.equal(lg.softplus(x, 2), lg.softplus(x, { beta = 2, threshold = 20 })))
    assert.is_true(lg.equal(lg.gelu(x, "tanh"), lg.gelu(x, { approximate = "tanh" })))
    assert.is_true(lg.equal(lg.gelu(x), lg.gelu(x, "none")))
    assert.is_true(lg.equal(lg.celu_backward(lg.ones(2, 3), x, 2),
      lg.celu_backward(lg.ones(2, 3), x, { alpha = 2 })))
    assert.is_true(lg.equal(lg.derivative("leaky_relu", x, { slope = 0.3 }),
      lg.derivative("leaky_relu", x, 0.3)))
    assert.is_true(lg.equal(x:leaky_relu({ slope = 0.2 }), a))
  end)

  it("return a new tensor, leaving x alone", function()
    local c = x:clone()
    local y = lg.relu(x)
    assert.is_false(rawequal(y, x))
    assert.is_true(lg.equal(c, x))
  end)

  it("write into out and return it; out may be x itself", function()
    local out = lg.zeros(2, 3)
    assert.is_true(rawequal(out, lg.sigmoid(x, out)))
    assert.is_true(lg.equal(out, lg.sigmoid(x)))
    local y = x:clone()
    assert.is_true(rawequal(y, lg.elu(y, 0.5, y)))
    assert.is_true(lg.equal(y, lg.elu(x, 0.5)))
    local z = x:clone()
    assert.is_true(rawequal(z, lg.gelu(z, { approximate = "tanh" }, z)))
    assert.is_true(lg.equal(z, lg.gelu(x, "tanh")))
    local m = x:clone()
    assert.is_true(rawequal(m, m:tanh(m)))
    assert.is_true(lg.equal(m, lg.tanh(x)))
  end)

  it("write backward into out, which may be grad_output or x", function()
    local want = lg.silu_backward(x * 2, x)
    local dy = x * 2
    assert.is_true(rawequal(dy, lg.silu_backward(dy, x, dy)))
    assert.is_true(lg.equal(dy, want))
    local xx = x:clone()
    assert.is_true(rawequal(xx, lg.silu_backward(x * 2, xx, xx)))
    assert.is_true(lg.equal(xx, want))
    local o = lg.zeros(2, 3)
    assert.is_true(rawequal(o, lg.derivative("silu", x, o)))
    assert.is_true(lg.equal(o, lg.derivative("silu", x)))
  end)

  it("handle a non-contiguous x, a non-contiguous out, and out a view of x", function()
    local xt = x:t()                      -- 3 x 2, strided
    local want = lg.relu(xt:contiguous())
    assert.is_true(lg.equal(lg.relu(xt), want))
    local o = lg.zeros(2, 3):t()          -- a strided out
    lg.relu(xt, o)
    assert.is_true(lg.equal(o, want))
    local b = xt:clone()
    local v = b:t():t()                   -- the same strided view of b's storage...
    local w = x:clone()
    lg.relu(w:t(), w:t())                 -- ...and in place through a transposed view
    assert.is_true(lg.equal(w:t(), want))
    -- out aliases x with another layout: x's values are read before any is written
    local s = lg.tensor({ { 1, -2 }, { -3, 4 } })
    lg.leaky_relu(s, 0.5, s:t())
    assert.is_true(lg.equal(s, lg.tensor({ { 1, -1.5 }, { -1, 4 } })))
    assert.is_true(lg.equal(v, b))
  end)

  it("accept plain tables and numbers as x and grad_output", function()
    local y = lg.tanh({ { 0, 1 }, { -1, 2 } })
    assert.are.equal("float32", y:dtype())
    assert.are.same({ 2, 2 }, y:shape())
    assert.is_true(close(y:get(2, 2), R.tanh(2), 1e-6, 1e-5, "float32"))
    local g = lg.sigmoid_backward({ 2, 2 }, { 0, 0 })
    assert.are.same({ 0.5, 0.5 }, g:totable())
    local s = lg.sigmoid(0)
    assert.are.equal(0, s:dim())
    assert.are.equal(0.5, s:totable())
    -- a table x takes the dtype of a tensor grad_output
    assert.are.equal("float64", lg.relu_backward(lg.ones(2, "float64"), { -1, 1 }):dtype())
  end)

  it("keep float64 and handle 0-d and empty tensors", function()
    local d = lg.tensor({ 1, 2 }, "float64")
    assert.are.equal("float64", lg.mish(d):dtype())
    assert.are.equal("float64", lg.mish_backward(lg.ones(2, "float64"), d):dtype())
    assert.are.equal("float64", lg.derivative("mish", d):dtype())
    local z = lg.tensor(0.5, "float64")
    assert.are.equal(0, lg.softsign(z):dim())
    assert.are.equal(0.5 / 1.5, lg.softsign(z):totable())
    assert.are.equal(1 / 2.25, lg.softsign_backward(lg.tensor(1, "float64"), z):totable())
    local e = lg.zeros(0, 3)
    assert.are.same({ 0, 3 }, lg.gelu(e):shape())
    assert.are.same({ 0, 3 }, lg.gelu_backward(e, e):shape())
    assert.are.same({ 0, 3 }, lg.gelu(e, nil, e):shape())
  end)
end)

describe("bad input", function()
  local x = lg.tensor({ { -1, 2, 3 }, { 4, -5, 6 } })

  it("rejects an unknown or non-string name in derivative", function()
    assert.are.equal("bad argument #1 to 'derivative' (unknown activation 'swish')",
      err(lg.derivative, "swish", x))
    assert.are.equal("bad argument #1 to 'derivative' (unknown activation 'relu_backward')",
      err(lg.derivative, "relu_backward", x))
    assert.are.equal("bad argument #1 to 'derivative' (activation name expected, got number)",
      err(lg.derivative, 1, x))
  end)

  it("rejects parameters of the wrong type", function()
    assert.are.equal("bad argument #2 to 'leaky_relu' (negative_slope must be a number, got string)",
      err(lg.leaky_relu, x, "0.2"))
    assert.are.equal("bad argument #2 to 'leaky_relu' (slope must be a number, got boolean)",
      err(lg.leaky_relu, x, { slope = true }))
    assert.are.equal("bad argument #3 to 'softplus' (threshold must be a number, got string)",
      err(lg.softplus, x, 1, "big"))
    assert.are.equal("bad argument #2 to 'softplus' (beta must be a number, got lgrad.Tensor)",
      err(lg.softplus, x, lg.ones(1), 3))
    assert.are.equal("bad argument #2 to 'gelu' (approximate must be a string, got number)",
      err(lg.gelu, x, 1))
    assert.are.equal("bad argument #2 to 'gelu' (invalid approximate 'tan')",
      err(lg.gelu, x, "tan"))
    assert.are.equal("bad argument #3 to 'hardtanh_backward' (min_val must be a number, got table)",
      err(lg.hardtanh_backward, x, x, { min = -1 }, 2))
    assert.are.equal("bad argument #1 to 'leaky_relu' (negative_slope must be a number, got string)",
      err(function() return x:leaky_relu("a") end))
  end)

  it("rejects too many parameters", function()
    assert.are.equal("bad argument #2 to 'relu' (relu takes 0 parameters)", err(lg.relu, x, 1))
    assert.are.equal("bad argument #3 to 'leaky_relu' (leaky_relu takes 1 parameter)",
      err(lg.leaky_relu, x, 0.1, 0.2))
    assert.are.equal("bad argument #5 to 'softplus_backward' (softplus takes 2 parameters)",
      err(lg.softplus_backward, x, x, 1, 20, 3))
    assert.are.equal("bad argument #5 to 'derivative' (hardtanh takes 2 parameters)",
      err(lg.derivative, "hardtanh", x, -1, 1, 0, lg.zeros(2, 3)))
  end)

  it("rejects unknown keywords, non-string keys and both names of one parameter", function()
    assert.are.equal("bad argument #2 to 'leaky_relu' (unknown option 'slop' for leaky_relu)",
      err(lg.leaky_relu, x, { slop = 0.1 }))
    assert.are.equal("bad argument #2 to 'elu' (unknown option 'slope' for elu)",
      err(lg.elu, x, { slope = 0.1 }))
    assert.are.equal("bad argument #2 to 'relu' (option names must be strings, got number)",
      err(lg.relu, x, { 1 }))
    assert.are.equal(
      "bad argument #2 to 'leaky_relu' (slope and negative_slope name the same parameter; give one)",
      err(lg.leaky_relu, x, { slope = 0.1, negative_slope = 0.1 }))
  end)

  it("rejects celu with alpha = 0, as PyTorch does", function()
    assert.are.equal("bad argument #2 to 'celu' (alpha cannot be 0 for celu)", err(lg.celu, x, 0))
    assert.are.equal("bad argument #2 to 'celu' (alpha cannot be 0 for celu)",
      err(lg.celu, x, { alpha = 0 }))
    assert.are.equal("bad argument #3 to 'celu_backward' (alpha cannot be 0 for celu)",
      err(lg.celu_backward, x, x, 0))
  end)

  it("rejects out of the wrong shape, dtype or state", function()
    assert.are.equal("bad argument #2 to 'relu' (out has shape [3, 2], expected [2, 3])",
      err(lg.relu, x, lg.zeros(3, 2)))
    assert.are.equal("bad argument #3 to 'leaky_relu' (out has dtype float64, expected float32)",
      err(lg.leaky_relu, x, 0.1, lg.zeros(2, 3, "float64")))
    assert.are.equal("bad argument #3 to 'sigmoid_backward' (out has shape [6], expected [2, 3])",
      err(lg.sigmoid_backward, x, x, lg.zeros(6)))
    local closed = lg.zeros(2, 3)
    closed:close()
    assert.are.equal("bad argument #2 to 'relu' (tensor is closed)", err(lg.relu, x, closed))
    assert.are.equal("bad argument #1 to 'relu' (tensor is closed)", err(lg.relu, closed))
  end)

  it("rejects a grad_output of the wrong shape or dtype, tensor or table", function()
    assert.are.equal("bad argument #1 to 'relu_backward' (grad_output has shape [3], expected [2, 3])",
      err(lg.relu_backward, lg.ones(3), x))
    assert.are.equal("bad argument #1 to 'relu_backward' (grad_output has shape [2], expected [3])",
      err(lg.relu_backward, { 1, 2 }, { 1, 2, 3 }))
    assert.are.equal("bad argument #1 to 'tanh_backward' (grad_output has shape [2, 2], expected [2, 3])",
      err(lg.tanh_backward, { { 1, 2 }, { 3, 4 } }, x))
    assert.are.equal("bad argument #1 to 'relu_backward' (dtype mismatch: expected float32, got float64)",
      err(lg.relu_backward, lg.ones(2, 3, "float64"), x))
    assert.are.equal("bad argument #1 to 'relu_backward' (ragged nested table: 1 elements at depth 2, expected 2)",
      err(lg.relu_backward, { { 1, 2 }, { 3 } }, x))
  end)

  it("rejects x that is not a tensor, number or table", function()
    assert.are.equal("bad argument #1 to 'relu' (lgrad.Tensor, number or table expected, got no value)",
      err(lg.relu))
    assert.are.equal("bad argument #1 to 'sigmoid' (lgrad.Tensor, number or table expected, got string)",
      err(lg.sigmoid, "x"))
    assert.are.equal("bad argument #2 to 'relu_backward' (lgrad.Tensor, number or table expected, got boolean)",
      err(lg.relu_backward, x, true))
  end)
end)
