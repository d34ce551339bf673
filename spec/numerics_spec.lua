-- Issue 14: results close to the exact value of the inputs where rounding
-- used to lose most digits. References: spec/support/numerics_ref.lua
-- (mpmath, written by tools/numerics_ref.py) and closed forms in Lua
-- doubles. Bounds: float32 within 4 ulp, float64 within 1e-13 relative.
local lg = require "lgrad"
local P = require "spec.support.portable"
local REF = require "spec.support.numerics_ref"
local H = require "spec.support.helpers"

local f32 = P.f32

-- distance of got from want in ulps of the float32 at |want| (2^-149 at
-- the subnormals), or relative for float64
local function err(dt, got, want)
  if want == 0 then return got == 0 and 0 or math.huge end
  if dt == "float64" then return math.abs(got - want) / math.abs(want) end
  local _, e = math.frexp(want)
  local ulp = e - 24 < -149 and 2 ^ -149 or 2 ^ (e - 24)
  return math.abs(got - want) / ulp
end
local function bound(dt) return dt == "float64" and 1e-13 or 4 end

local function near(dt, got, want, what)
  local e = err(dt, got, want)
  assert(e <= bound(dt), ("%s: got %.17g want %.17g (%s %.3g)"):format(
    what, got, want, dt == "float64" and "relative" or "ulp", e))
end

-- log_softmax near 0 is a difference (x - m) - log s: there the bound is
-- on the absolute error, 4 ulp of 1 (float32) or 1e-13 (float64)
local function near_log(dt, got, want, what)
  if math.abs(want) < 1 then
    local tol = dt == "float64" and 1e-13 or 4 * 2 ^ -23
    assert(math.abs(got - want) <= tol, ("%s: got %.17g want %.17g"):format(what, got, want))
  else
    near(dt, got, want, what)
  end
end

local function wants(c)
  local w = {}
  for i, s in ipairs(c.want) do w[i] = tonumber(s) end
  return w
end

local function cases(fn)
  local r = {}
  for _, c in ipairs(REF) do if c.fn == fn then r[#r + 1] = c end end
  assert(#r > 0, "no reference cases for " .. fn)
  return r
end

-- the row x as a column of an n x 3 tensor (dim 1: the strided layout),
-- and as a row of a transposed (non-contiguous) 3 x n view
local function as_column(x, dt)
  local t = {}
  for i, v in ipairs(x) do t[i] = {v, v, v} end
  return lg.tensor(t, dt)
end

-- the values v as a 1-d view with stride 2 (a row of a transposed n x 2)
local function strided(v, dt)
  local t = {}
  for i, x in ipairs(v) do t[i] = {x, -1} end
  local s = lg.tensor(t, dt):t()[1]
  assert(s:stride()[1] == 2)
  return s
end

describe("numerics (issue 14)", function()
  it("log_softmax and logsumexp keep log 2 when the largest entries tie at large magnitude", function()
    for _, c in ipairs(cases("log_softmax")) do
      local w, dt = wants(c), c.dtype
      local y = lg.log_softmax(lg.tensor(c.x, dt))
      local yc = lg.log_softmax(as_column(c.x, dt), 1)
      local yt = lg.log_softmax(as_column(c.x, dt):t())   -- rows of a transposed view
      for i = 1, #c.x do
        near_log(dt, y[i], w[i], ("log_softmax %s {%g, ...}[%d]"):format(dt, c.x[1], i))
        near_log(dt, yc:get(i, 2), w[i], "log_softmax dim 1")
        near_log(dt, yt:get(3, i), w[i], "log_softmax of a transposed view")
      end
    end
    for _, c in ipairs(cases("logsumexp")) do
      local w, dt = wants(c), c.dtype
      near(dt, lg.logsumexp(lg.tensor(c.x, dt)):item(), w[1], "logsumexp")
      near(dt, lg.logsumexp(as_column(c.x, dt), 1)[2], w[1], "logsumexp dim 1")
    end
    -- the issue's examples, in Lua doubles: log 2 exactly
    assert.is_true(math.abs(lg.log_softmax(lg.tensor{1e30, 1e30, 0.56})[1] + math.log(2)) <= 4 * 2 ^ -24)
    assert.is_true(math.abs(lg.log_softmax(lg.tensor{2 ^ 62, 2 ^ 62})[2] + math.log(2)) <= 4 * 2 ^ -24)
  end)

  it("softmax keeps tiny probabilities (the exp of the exact z - max), any layout", function()
    for _, c in ipairs(cases("softmax")) do
      local w, dt = wants(c), c.dtype
      local y = lg.softmax(lg.tensor(c.x, dt))
      local yc = lg.softmax(as_column(c.x, dt), 1)
      local yt = lg.softmax(as_column(c.x, dt):t())
      local rows = {}   -- 50 copies of the row: the multi-row vector paths
      for r = 1, 50 do rows[r] = c.x end
      local ym = lg.softmax(lg.tensor(rows, dt))
      for i = 1, #c.x do
        local what = ("softmax %s n=%d [%d]"):format(dt, #c.x, i)
        near(dt, y[i], w[i], what)
        near(dt, yc:get(i, 2), w[i], what .. " dim 1")
        near(dt, yt:get(1, i), w[i], what .. " transposed")
        near(dt, ym:get(50, i), w[i], what .. " row 50 of 50")
      end
    end
    -- the issue's example: p_2 = 1 / (1 + e^(30.1 - (-35.2))) on the float32 inputs
    local d = f32(30.1) - f32(-35.2)
    near("float32", lg.softmax(lg.tensor{30.1, -35.2})[2], math.exp(-d) / (1 + math.exp(-d)), "softmax{30.1, -35.2}")
  end)

  it("cross_entropy_grad keeps tiny probabilities, one row and many", function()
    for _, c in ipairs(cases("cross_entropy_grad")) do
      local w, dt = wants(c), c.dtype
      local rows, ts = {}, {}
      for r = 1, 40 do rows[r], ts[r] = c.x, c.target end
      local g1 = lg.cross_entropy_grad(lg.tensor({c.x}, dt), {c.target}, {reduction = "sum"})
      local g = lg.cross_entropy_grad(lg.tensor(rows, dt), ts, {reduction = "sum"})
      for i = 1, #c.x do
        local what = ("cross_entropy_grad %s n=%d [%d]"):format(dt, #c.x, i)
        near(dt, g1:get(1, i), w[i], what)
        near(dt, g:get(40, i), w[i], what .. " row 40")
      end
    end
  end)

  it("binary_cross_entropy_with_logits: no cancellation for y = 0, z << 0 (loss) and y = 1, z >> 0 (grad)", function()
    for _, c in ipairs(cases("bce_loss")) do
      local w, dt = wants(c), c.dtype
      local l = lg.binary_cross_entropy_with_logits(lg.tensor(c.x, dt), lg.tensor(c.y, dt), {reduction = "none"})
      local l2 = lg.binary_cross_entropy_with_logits(as_column(c.x, dt):t(), lg.zeros({3, #c.x}, dt),
                                                     {reduction = "none"})
      for i = 1, #c.x do
        near(dt, l[i], w[i], ("bce loss %s z=%g"):format(dt, c.x[i]))
        near(dt, l2:get(2, i), w[i], "bce loss of a transposed view")
      end
    end
    for _, c in ipairs(cases("bce_grad")) do
      local w, dt = wants(c), c.dtype
      local g = lg.binary_cross_entropy_with_logits_grad(lg.tensor(c.x, dt), lg.tensor(c.y, dt), {reduction = "sum"})
      for i = 1, #c.x do near(dt, g[i], w[i], ("bce grad %s z=%g"):format(dt, c.x[i])) end
    end
    for _, c in ipairs(cases("bce_grad_pw3")) do
      local w, dt = wants(c), c.dtype
      local g = lg.binary_cross_entropy_with_logits_grad(lg.tensor(c.x, dt), lg.tensor(c.y, dt),
        {reduction = "sum", pos_weight = lg.tensor({3}, dt)})
      for i = 1, #c.x do near(dt, g[i], w[i], ("bce grad pos_weight 3 %s z=%g"):format(dt, c.x[i])) end
    end
    -- the issue's examples, closed forms in Lua doubles: log1p(e^-30) and -1/(1 + e^30)
    local z = f32(-30)
    local function log1p(u) local w = 1 + u; return w == 1 and u or math.log(w) * u / (w - 1) end
    near("float32", lg.binary_cross_entropy_with_logits(lg.tensor{-30}, lg.tensor{0}, {reduction = "none"})[1],
         log1p(math.exp(z)), "bce z=-30")
    near("float32", lg.binary_cross_entropy_with_logits_grad(lg.tensor{40}, lg.tensor{1}, {reduction = "sum"})[1],
         -1 / (1 + math.exp(40)), "bce grad z=40")
  end)

  it("softmax_jacobian: the dominant class's diagonal p (1 - p), rows summing to 0", function()
    for _, c in ipairs(cases("softmax_jacobian")) do
      local w, dt, n = wants(c), c.dtype, #c.x
      local J = lg.softmax_jacobian(lg.tensor(c.x, dt))
      local J2 = lg.softmax_jacobian(lg.tensor({c.x, c.x}, dt))
      for i = 1, n do
        local s, a = 0, 0
        for j = 1, n do
          near(dt, J:get(i, j), w[(i - 1) * n + j], ("jacobian %s {%g, ...}[%d][%d]"):format(dt, c.x[1], i, j))
          near(dt, J2:get(2, i, j), w[(i - 1) * n + j], "jacobian of row 2")
          s, a = s + J:get(i, j), a + math.abs(J:get(i, j))
        end
        assert.is_true(math.abs(s) <= 4 * a * (dt == "float64" and 2 ^ -53 or 2 ^ -24))
      end
    end
    -- the issue's example: p_2 (1 - p_2) = e^-40 / (1 + e^-40)^2
    local e = math.exp(-40)
    near("float32", lg.softmax_jacobian(lg.tensor{40, 0}):get(1, 1), e / (1 + e) ^ 2, "jacobian{40, 0}")
  end)

  it("float32 sigmoid/tanh/softplus/log_sigmoid backward: a large grad_output times a tiny f'(x)", function()
    for _, fn in ipairs({"sigmoid_backward", "tanh_backward", "softplus_backward", "log_sigmoid_backward"}) do
      for _, c in ipairs(cases(fn)) do
        local w = wants(c)
        local g = lg[fn](lg.tensor(c.dy), lg.tensor(c.x))
        local gs = lg[fn](strided(c.dy, "float32"), strided(c.x, "float32"))
        for i = 1, #c.x do
          near("float32", g[i], w[i], ("%s(dy=%g, x=%g)"):format(fn, c.dy[i], c.x[i]))
          near("float32", gs[i], w[i], fn .. " strided")
        end
      end
    end
    -- the issue's example: 1e30 sigmoid'(100) = 1e30 e^-100 / (1 + e^-100)^2
    near("float32", lg.sigmoid_backward(lg.tensor{1e30}, lg.tensor{100})[1], f32(1e30) * math.exp(-100),
         "sigmoid_backward(1e30, 100)")
    -- an infinite dy where f' = 0 exactly (x = +-inf) still gives 0, NaN dy NaN
    local inf = math.huge
    assert.are.equal(0, lg.sigmoid_backward(lg.tensor{inf}, lg.tensor{inf})[1])
    assert.are.equal(0, lg.tanh_backward(lg.tensor{inf}, lg.tensor{-inf})[1])
    assert.are.equal(0, lg.softplus_backward(lg.tensor{inf}, lg.tensor{-inf})[1])
    local nan = lg.sigmoid_backward(lg.tensor{0 / 0}, lg.tensor{inf})[1]
    assert.is_true(nan ~= nan)
  end)

  it("float64 sum and mean, with and without dim, and float64 loss means, are not running sums", function()
    -- closed forms: n copies of v sum to n v (one rounding in Lua)
    for _, v in ipairs({0.1, 3.3e-5, 7e12}) do
      local n = 5000000
      local t = lg.full({n, 2}, v, "float64")
      near("float64", t:sum(1)[1], n * v, "sum(1) of " .. v)   -- dim != last: column sums
      near("float64", t:sum(1)[2], n * v, "sum(1)[2]")
      near("float64", t:sum(), 2 * n * v, "sum()")
      near("float64", t:mean(), v, "mean()")
      near("float64", t:mean(1)[1], v, "mean(1)")
      local u = lg.full({2, n}, v, "float64")
      near("float64", u:sum(2)[2], n * v, "sum(2)")           -- dim = last: contiguous rows
      near("float64", u:t():sum(1)[1], n * v, "sum(1) of a transposed view")
    end
    -- a loss mean over many equal rows is the one row's loss
    local n = 1000000
    local z = lg.full({n, 2}, 0.1, "float64")
    local ce = lg.cross_entropy(z, lg.ones(n, "float64"), {reduction = "mean"})
    near("float64", ce, math.log(2), "cross_entropy mean of {0.1, 0.1} rows")
    local zb, yb = lg.full({n, 2}, 0.3, "float64"), lg.full({n, 2}, 0.7, "float64")
    local bce = lg.binary_cross_entropy_with_logits(zb, yb, {reduction = "mean"})
    near("float64", bce, (1 - 0.7) * 0.3 + math.log(1 + math.exp(-0.3)), "bce mean")
  end)

  it("float32 dot and 1-d matmul return the float32-rounded value, as sum() does", function()
    local xs, ys = {1.1, 2.2, 3.3, -7.7, 1e-3}, {0.3, -0.1, 2.9, 0.05, 1e4}
    local a, b = lg.tensor(xs), lg.tensor(ys)
    local s = 0
    for i = 1, #xs do s = s + f32(xs[i]) * f32(ys[i]) end   -- float products are exact in double
    assert.are.equal(f32(s), lg.dot(a, b))
    assert.are.equal(f32(s), lg.matmul(a, b))
    assert.are.equal(f32(s), lg.dot(strided(xs, "float32"), strided(ys, "float32")))
    local a64, b64 = lg.tensor(xs, "float64"), lg.tensor(ys, "float64")
    local s64 = 0
    for i = 1, #xs do s64 = s64 + xs[i] * ys[i] end
    near("float64", lg.dot(a64, b64), s64, "float64 dot")
    -- float64: compensated, so a cancelling sum keeps its small part
    local c = lg.tensor({1e16, 1, -1e16}, "float64")
    assert.are.equal(1, lg.dot(c, lg.ones(3, "float64")))
  end)

  it("number ^ tensor and tensor ^ tensor work with broadcasting, as + - * / do", function()
    for _, dt in ipairs({"float32", "float64"}) do
      local t = lg.tensor({1, 2, 3}, dt)
      local y = 2 ^ t
      assert.are.equal(dt, y:dtype())
      assert.are.same({2, 4, 8}, {y[1], y[2], y[3]})
      local h = 0.5 ^ t
      assert.are.same({0.5, 0.25, 0.125}, {h[1], h[2], h[3]})
      local b = lg.tensor({{1}, {2}}, dt) ^ t   -- [2,1] ^ [3] -> [2,3]
      assert.are.same({2, 3}, b:shape())
      assert.are.same({1, 1, 1, 2, 4, 8}, {b:get(1, 1), b:get(1, 2), b:get(1, 3), b:get(2, 1), b:get(2, 2), b:get(2, 3)})
      local tt = t ^ t
      assert.are.same({1, 4, 27}, {tt[1], tt[2], tt[3]})
      local p = t ^ 0.5   -- tensor ^ number: pow, exponent kept in double
      near(dt, p[2], math.sqrt(2), "t ^ 0.5")
    end
    assert.matches("cannot be broadcast", H.err(function() return lg.tensor{1, 2} ^ lg.tensor{1, 2, 3} end))
    assert.matches("bad argument", H.err(function() return "x" ^ lg.tensor{1} end))
  end)
end)

-- Inputs of large magnitude take the kernels' wide paths: past |x| = 87 an
-- exp is subnormal or 0, and the fast levels compute those results in
-- integer arithmetic rather than in subnormal floating point (src/simd/,
-- V_SCALEF_SMALL, a2_scale_tiny). The bound is the same 4 ulp, counted in
-- steps of 2^-149 where the truth is subnormal.
describe("float32 at inputs of large magnitude (|x| up to 200)", function()
  local R = require "spec.support.ref"
  local xs = {}
  for i = 0, 2047 do xs[#xs + 1] = -200 + i * (400 / 2047) end
  for _, v in ipairs { -87, -87.3, -87.34, -87.5, -88.7, -100, -103.9, -104, -108, -109.5, -110,
                       -111, -150, -1e4, 87.5, 100, 110, 1e4 } do xs[#xs + 1] = v end
  local x = lg.tensor(xs, "float32")
  local fns = {
    sigmoid = R.sigmoid,
    silu = function(v) return v * R.sigmoid(v) end,
    tanh = R.tanh,
    softplus = R.softplus1,
    log_sigmoid = function(v) return -R.softplus1(-v) end,
  }
  for name, ref in pairs(fns) do
    it(name .. " (level " .. lg.simd() .. ")", function()
      local y = lg[name](x)
      for i = 1, #xs do near("float32", y[i], ref(x[i]), name .. "(" .. x[i] .. ")") end
    end)
  end

  it("softmax and log_softmax over rows that span 200 (lengths 3 to 1000)", function()
    lg.seed(11)
    for _, n in ipairs { 3, 10, 13, 16, 33, 1000 } do
      local z = lg.rand(64, n, "float32") * 200 - 100
      local p, lp = lg.softmax(z, 2), lg.log_softmax(z, 2)
      for r = 1, 64 do
        local row = {}
        for j = 1, n do row[j] = z[r][j] end
        local wp, wl = R.softmax(row), R.log_softmax(row)
        for j = 1, n do
          near("float32", p[r][j], wp[j], ("softmax n=%d [%d][%d]"):format(n, r, j))
          near_log("float32", lp[r][j], wl[j], ("log_softmax n=%d [%d][%d]"):format(n, r, j))
        end
      end
    end
  end)
end)
