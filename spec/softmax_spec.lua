-- The softmax family: softmax, log_softmax, logsumexp, hardmax, their
-- backwards and the Jacobian. References are plain-Lua doubles
-- (spec/support/ref.lua); gradients are checked against central differences in float64.
local lg = require "lgrad"
local H = require "spec.support.helpers"
require "lgrad.busted"

local inf, nan = math.huge, 0 / 0
local DTYPES = {"float32", "float64"}

local function isnan(x) return x ~= x end

local flat = H.flat

-- Each entry within 1e-6 absolute + 1e-5 relative of the double truth
-- (equal infinities and NaN where NaN is expected count as close).
local function near(expected, actual, atol, rtol)
  local e = flat(type(expected) == "number" and {expected}
    or type(expected) == "table" and expected or expected:totable())
  local a = flat(type(actual) == "number" and {actual} or actual:totable())
  assert.tensor_near(e, a, {atol = atol or 1e-6, rtol = rtol or 1e-5})
end

-- Plain-Lua references over one row (spec/support/ref.lua).
local R = require "spec.support.ref"
local row_max, ref_logsumexp, ref_softmax = R.row_max, R.logsumexp, R.softmax
local ref_log_softmax, ref_hardmax = R.log_softmax, R.hardmax

local numeric_grad = H.numeric_grad

local function sum_prod(a, b)   -- sum(a * b) as a Lua number
  return (a * b):sum()
end

-- A 3-d float64 tensor with distinct values and its nested table.
local function cube(dtype)
  local t = {}
  for i = 1, 2 do
    t[i] = {}
    for j = 1, 3 do
      t[i][j] = {}
      for k = 1, 4 do t[i][j][k] = math.sin(i * 7 + j * 3 + k) * 3 end
    end
  end
  return lg.tensor(t, dtype), t
end

-- Apply a row reference along dim d (1-based) of a nested 3-d table.
local function along(t, d, f)
  local sz = {#t, #t[1], #t[1][1]}
  local out = {}
  for i = 1, sz[1] do
    out[i] = {}
    for j = 1, sz[2] do out[i][j] = {} end
  end
  local function idx(a, b, pos)   -- the two fixed coordinates + the walked one
    local c = {}
    local fixed = {a, b}
    local k = 1
    for dd = 1, 3 do
      if dd == d then c[dd] = pos else c[dd] = fixed[k]; k = k + 1 end
    end
    return c
  end
  local others, red = {}, {}
  for dd = 1, 3 do if dd ~= d then others[#others + 1] = sz[dd] end end
  for a = 1, others[1] do
    red[a] = {}
    for b = 1, others[2] do
      local row = {}
      for p = 1, sz[d] do local c = idx(a, b, p); row[p] = t[c[1]][c[2]][c[3]] end
      local r = f(row)
      if type(r) == "table" then
        for p = 1, sz[d] do local c = idx(a, b, p); out[c[1]][c[2]][c[3]] = r[p] end
      else
        red[a][b] = r
      end
    end
  end
  return next(red[1]) and red or out
end

local err = H.err

describe("softmax family", function()
  describe('the example of "AI 系列: 激活函数 & Softmax 函数" (ningg.top): z = [2.0, 1.0, 0.1]', function()
    it("gives softmax [0.6590, 0.2424, 0.0986] and hardmax [1, 0, 0]", function()
      local p = lg.softmax(lg.tensor{2.0, 1.0, 0.1})
      local want = {0.6590, 0.2424, 0.0986}
      for i = 1, 3 do
        assert.are.equal(want[i], tonumber(("%.4f"):format(p[i])))
      end
      near(ref_softmax{2.0, 1.0, 0.1}, p)
      assert.are.same({1, 0, 0}, lg.hardmax(lg.tensor{2.0, 1.0, 0.1}):totable())
      near(1, p:sum())
    end)
  end)

  for _, dt in ipairs(DTYPES) do
    describe(dt, function()
      local function tt(v) return lg.tensor(v, dt) end

      it("computes along every dim of a 3-d tensor, default the last", function()
        local x, t = cube(dt)
        for _, d in ipairs{1, 2, 3, -1, -2, -3} do
          local dd = d > 0 and d or 4 + d
          near(along(t, dd, ref_softmax), lg.softmax(x, d))
          near(along(t, dd, ref_log_softmax), lg.log_softmax(x, d))
          near(along(t, dd, ref_logsumexp), lg.logsumexp(x, d))
          near(along(t, dd, ref_hardmax), lg.hardmax(x, d), 0, 0)
        end
        near(along(t, 3, ref_softmax), lg.softmax(x))
        near(along(t, 3, ref_logsumexp), lg.logsumexp(x))
        assert.are.equal(dt, lg.softmax(x):dtype())
        assert.are.same({2, 3}, lg.logsumexp(x, 3):shape())
        assert.are.same({2, 1, 4}, lg.logsumexp(x, 2, true):shape())
      end)

      it("treats a 0-d tensor as one element, as PyTorch does", function()
        local s = tt(3.5)
        assert.are.equal(1, lg.softmax(s):item())
        assert.are.equal(0, lg.log_softmax(s, 1):item())
        assert.are.equal(3.5, lg.logsumexp(s):item())
        assert.are.equal(1, lg.hardmax(s, -1):item())
        assert.are.same({}, lg.softmax(s):shape())
      end)

      it("works on non-contiguous inputs", function()
        local x, t = cube(dt)
        local xt = x:transpose(1, 3)   -- 4 x 3 x 2, softmax over its dim 3 = x's dim 1
        local want = along(t, 1, ref_softmax)
        local got = lg.softmax(xt, 3)
        for i = 1, 2 do for j = 1, 3 do for k = 1, 4 do
          near({want[i][j][k]}, got:get(k, j, i))
        end end end
      end)

      it("is stable for huge, masked, equal and infinite rows", function()
        near({1, 0, 0}, lg.softmax(tt{1e4, -1e4, 0}))
        near({0, -2e4, -1e4}, lg.log_softmax(tt{1e4, -1e4, 0}))
        near({1e4}, lg.logsumexp(tt{1e4, -1e4, 0}))
        near({-1e4 + math.log(1 + 2 * math.exp(0))}, lg.logsumexp(tt{-1e4, -1e4, -1e4}))
        -- one huge entry
        near({1, 0, 0}, lg.softmax(tt{1e30, 1, 2}))
        near({0, 1 - 1e30, 2 - 1e30}, lg.log_softmax(tt{1e30, 1, 2}))
        -- -inf masks
        local masked = ref_softmax{1, 2}
        near({masked[1], 0, masked[2]}, lg.softmax(tt{1, -inf, 2}))
        local lm = ref_log_softmax{1, 2}
        near({lm[1], -inf, lm[2]}, lg.log_softmax(tt{1, -inf, 2}))
        near({ref_logsumexp{1, 2}}, lg.logsumexp(tt{1, -inf, 2}))
        -- all equal
        near({0.25, 0.25, 0.25, 0.25}, lg.softmax(tt{7, 7, 7, 7}))
        near({-math.log(4), -math.log(4), -math.log(4), -math.log(4)}, lg.log_softmax(tt{7, 7, 7, 7}))
        near({7 + math.log(4)}, lg.logsumexp(tt{7, 7, 7, 7}))
        assert.are.same({1, 0, 0, 0}, lg.hardmax(tt{7, 7, 7, 7}):totable())
        -- all -inf: softmax and log_softmax NaN (as PyTorch), logsumexp -inf
        near({nan, nan}, lg.softmax(tt{-inf, -inf}))
        near({nan, nan}, lg.log_softmax(tt{-inf, -inf}))
        assert.are.equal(-inf, lg.logsumexp(tt{-inf, -inf}):item())
        assert.are.same({1, 0}, lg.hardmax(tt{-inf, -inf}):totable())
        -- +inf and NaN spread to the row; hardmax picks them
        near({nan, nan, nan}, lg.softmax(tt{1, inf, 2}))
        assert.are.equal(inf, lg.logsumexp(tt{1, inf, 2}):item())
        assert.are.same({0, 1, 0}, lg.hardmax(tt{1, inf, 2}):totable())
        near({nan, nan, nan}, lg.softmax(tt{1, nan, 2}))
        assert.is_true(isnan(lg.logsumexp(tt{1, nan, 2}):item()))
        assert.are.same({0, 1, 0}, lg.hardmax(tt{1, nan, 5}):totable())
      end)

      it("takes the first maximum on ties in hardmax", function()
        assert.are.same({{0, 1, 0, 0}, {1, 0, 0, 0}}, lg.hardmax(tt{{1, 3, 3, 2}, {5, 5, 1, 5}}):totable())
        assert.are.same({{0, 1}, {1, 0}}, lg.hardmax(tt{{1, 3}, {3, 2}}, 1):totable())
      end)

      it("writes into out, also when out is the input or not contiguous", function()
        local z = tt{{1, 2, 3}, {3, 1, 0}}
        local want = {ref_softmax{1, 2, 3}, ref_softmax{3, 1, 0}}
        local out = lg.zeros({2, 3}, dt)
        assert.are.equal(out, lg.softmax(z, -1, out))
        near(want, out)
        local zc = z:clone()
        assert.are.equal(zc, lg.softmax(zc, nil, zc))
        near(want, zc)
        local o2 = lg.zeros({3, 2}, dt)
        lg.log_softmax(z, 2, o2:t())
        near({ref_log_softmax{1, 2, 3}, ref_log_softmax{3, 1, 0}}, o2:t())
        local l = lg.zeros({2}, dt)
        assert.are.equal(l, lg.logsumexp(z, 2, false, l))
        near({ref_logsumexp{1, 2, 3}, ref_logsumexp{3, 1, 0}}, l)
        -- out as the trailing argument in keepdim's place (API.md): written, not a keepdim
        local l3 = lg.zeros({2}, dt)
        assert.are.equal(l3, lg.logsumexp(z, 2, l3))
        near({ref_logsumexp{1, 2, 3}, ref_logsumexp{3, 1, 0}}, l3)
        local lk = lg.zeros({2, 1}, dt)
        assert.are.equal(lk, lg.logsumexp(z, -1, true, lk))
        near({{ref_logsumexp{1, 2, 3}}, {ref_logsumexp{3, 1, 0}}}, lk)
        assert.is_false(pcall(lg.logsumexp, z, 2, lg.zeros({2, 1}, dt)))   -- shape [2] expected
        local h = lg.zeros({2, 3}, dt)
        lg.hardmax(z, 1, h)
        assert.are.same({{0, 1, 1}, {1, 0, 0}}, h:totable())
      end)

      it("accepts plain tables (as float32) and works as methods", function()
        near(ref_softmax{2, 1, 0.1}, lg.softmax({2, 1, 0.1}))
        assert.are.equal("float32", lg.softmax({2, 1, 0.1}):dtype())
        local z = tt{2, 1, 0.1}
        near(ref_softmax{2, 1, 0.1}, z:softmax())
        near(ref_log_softmax{2, 1, 0.1}, z:log_softmax(1))
        near({ref_logsumexp{2, 1, 0.1}}, z:logsumexp())
        assert.are.same({1, 0, 0}, z:hardmax():totable())
      end)
    end)
  end

  describe("backwards", function()
    it("softmax_backward = p * (g - sum(g * p)), the gradient of sum(g * softmax(z))", function()
      local z = lg.tensor({{0.3, -1.2, 2.0, 0.5}, {1, 1, 1, 1}, {-3, 0, 4, 1e-3}}, "float64")
      local g = lg.tensor({{1, -2, 0.5, 3}, {0.1, 0.2, 0.3, 0.4}, {-1, 2, -3, 4}}, "float64")
      for _, d in ipairs{2, 1} do
        local p = lg.softmax(z, d)
        local gx = lg.softmax_backward(g, p, d)
        near(numeric_grad(function(x) return sum_prod(g, lg.softmax(x, d)) end, z), gx, 1e-8, 1e-6)
        -- the closed form, in Lua
        local pt, gt, want = p:totable(), g:totable(), {}
        if d == 2 then
          for i = 1, 3 do
            local s = 0
            for j = 1, 4 do s = s + gt[i][j] * pt[i][j] end
            want[i] = {}
            for j = 1, 4 do want[i][j] = pt[i][j] * (gt[i][j] - s) end
          end
          near(want, gx, 1e-15, 1e-12)
        end
      end
    end)

    it("log_softmax_backward = g - exp(logp) * sum(g)", function()
      local z = lg.tensor({{0.3, -1.2, 2.0}, {1e3, 1e3 - 1, -1e3}}, "float64")
      local g = lg.tensor({{1, -2, 0.5}, {0.1, 0.2, 0.3}}, "float64")
      for _, d in ipairs{-1, 1} do
        local lp = lg.log_softmax(z, d)
        local gx = lg.log_softmax_backward(g, lp, d)
        near(numeric_grad(function(x) return sum_prod(g, lg.log_softmax(x, d)) end, z), gx, 1e-8, 1e-6)
      end
    end)

    it("works in float32 within tolerance of the float64 truth", function()
      local zt = {{0.3, -1.2, 2.0}, {4, 4, -4}}
      local gt = {{1, -2, 0.5}, {0.1, 0.2, 0.3}}
      local p64 = lg.softmax(lg.tensor(zt, "float64"))
      local p32 = lg.softmax(lg.tensor(zt))
      local want = lg.softmax_backward(lg.tensor(gt, "float64"), p64)
      local got = lg.softmax_backward(lg.tensor(gt), p32)
      assert.are.equal("float32", got:dtype())
      near(want, got, 1e-6, 1e-5)
      local lwant = lg.log_softmax_backward(lg.tensor(gt, "float64"), lg.log_softmax(lg.tensor(zt, "float64")))
      near(lwant, lg.log_softmax_backward(lg.tensor(gt), lg.log_softmax(lg.tensor(zt))), 1e-6, 1e-5)
    end)

    it("writes into out, which may alias the gradient", function()
      local p = lg.softmax(lg.tensor({1, 2, 3}, "float64"))
      local g = lg.tensor({1, 0, 0}, "float64")
      local want = lg.softmax_backward(g, p)
      assert.are.equal(g, lg.softmax_backward(g, p, -1, g))
      near(want, g, 0, 0)
    end)

    it("rejects mismatched shapes and dtypes", function()
      assert.are.equal("bad argument #2 to 'softmax_backward' (shape [2], expected the "
        .. "gradient's shape [3])", err(lg.softmax_backward, lg.zeros(3), lg.zeros(2)))
      assert.are.equal("bad argument #2 to 'log_softmax_backward' (dtype mismatch: expected "
        .. "float32, got float64)", err(lg.log_softmax_backward, lg.zeros(3), lg.zeros(3, "float64")))
    end)
  end)

  describe("softmax_jacobian", function()
    it("is diag(p) - p p^T: the off-diagonal entries are -p_i p_j", function()
      for _, dt in ipairs(DTYPES) do
        local zt = {2.0, 1.0, 0.1}
        local p = ref_softmax(zt)
        local J = lg.softmax_jacobian(lg.tensor(zt, dt))
        assert.are.same({3, 3}, J:shape())
        assert.are.equal(dt, J:dtype())
        local want = {}
        for i = 1, 3 do
          want[i] = {}
          for j = 1, 3 do want[i][j] = (i == j and p[i] or 0) - p[i] * p[j] end
        end
        near(want, J)
        assert.is_true(J:get(1, 2) < 0 and J:get(2, 1) == J:get(1, 2))
        -- each row sums to 0: softmax stays normalised
        near({0, 0, 0}, J:sum(2), 1e-7, 0)
      end
    end)

    it("matches central differences of softmax, and stacks rows for 2-d input", function()
      local z = lg.tensor({{0.5, -1, 2, 0}, {3, 3, 3, 3}}, "float64")
      local J = lg.softmax_jacobian(z)
      assert.are.same({2, 4, 4}, J:shape())
      for r = 1, 2 do
        local zr = z[r]:clone()
        for i = 1, 4 do
          -- row i of J[r] = d p_i / d z
          local g = numeric_grad(function(x) return lg.softmax(x)[i] end, zr)
          near(g, J[r][i], 1e-8, 1e-6)
        end
      end
      near(lg.softmax_jacobian(z[2]), J[2], 0, 0)
    end)

    it("is stable for huge logits, writes into out and is a method", function()
      near({{0, 0}, {0, 0}}, lg.softmax_jacobian(lg.tensor{1e4, -1e4}))
      local out = lg.zeros(2, 2)
      assert.are.equal(out, lg.softmax_jacobian({0, 0}, out))
      near({{0.25, -0.25}, {-0.25, 0.25}}, out)
      near({{0.25, -0.25}, {-0.25, 0.25}}, lg.tensor{0, 0}:softmax_jacobian())
    end)

    it("rejects other ranks", function()
      assert.are.equal("bad argument #1 to 'softmax_jacobian' (1-d or 2-d tensor expected, got 3-d)",
        err(lg.softmax_jacobian, lg.zeros(2, 2, 2)))
    end)
  end)

  describe("one row", function()
    -- A single short row takes its own path (no chunk buffers); its bits
    -- must be those of the same row inside a batch, at every level.
    local function vals(t)   -- a number, a 0-d or an n-d tensor, as a list
      if type(t) == "number" then return {t} end
      if t:dim() == 0 then return {t:item()} end
      return flat(t:totable())
    end
    it("gives the bits of the same row in a batch, specials included", function()
      lg.seed(11)
      local bad = 0
      for n = 1, 17 do
        for trial = 1, 40 do
          local x = lg.randn({n}, "float32") * (trial % 5 == 0 and 60 or 4)
          if trial == 1 then x[1] = nan elseif trial == 2 then x[n] = inf
          elseif trial == 3 then x:fill(-inf) end
          local xb = lg.zeros({3, n}, "float32")
          for r = 1, 3 do xb[r]:copy(x) end
          for _, f in ipairs{"softmax", "log_softmax", "logsumexp"} do
            local a, b = vals(lg[f](x, 1)), vals(lg[f](xb, 2)[2])
            for i = 1, #a do
              if not (a[i] == b[i] or (isnan(a[i]) and isnan(b[i]))) then bad = bad + 1 end
            end
          end
        end
      end
      assert.are.equal(0, bad)
    end)
  end)

  describe("errors", function()
    it("name the function, the argument and the dim", function()
      assert.are.equal("bad argument #2 to 'softmax' (dim 3 out of range for a 2-d tensor)",
        err(lg.softmax, lg.zeros(2, 2), 3))
      assert.are.equal("bad argument #2 to 'log_softmax' (dim -3 out of range for a 2-d tensor)",
        err(lg.log_softmax, lg.zeros(2, 2), -3))
      assert.are.equal("bad argument #2 to 'hardmax' (dim must be an integer, got 1.5)",
        err(lg.hardmax, lg.zeros(2, 2), 1.5))
      assert.are.equal("bad argument #1 to 'softmax' (dim 0 out of range for a 1-d tensor)",
        err(function() return lg.zeros(2):softmax(0) end))
      assert.are.equal("bad argument #3 to 'softmax' (out has shape [3], expected [2])",
        err(lg.softmax, lg.zeros(2), 1, lg.zeros(3)))
      assert.are.equal("bad argument #3 to 'softmax' (out has dtype float64, expected float32)",
        err(lg.softmax, lg.zeros(2), 1, lg.zeros(2, "float64")))
      assert.truthy(err(lg.softmax, "x"):find("bad argument #1 to 'softmax'", 1, true))
      assert.truthy(err(lg.logsumexp, {{1, 2}, {3}}):find("ragged", 1, true))
    end)
  end)
end)
