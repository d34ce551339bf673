-- lg.sigmoid_backward_from_output(dy, y) and lg.tanh_backward_from_output(dy, y):
-- the backward from the saved output, as PyTorch's aten sigmoid_backward and
-- tanh_backward. float32 must give PyTorch's bits: its float operations in
-- its order, emulated here in Lua doubles with f32 rounding after each one
-- ((dy (1 - y)) y; dy r, r = 1 - y y rounded once, as PyTorch's FMA does).
-- float64: the same formulas in double, exactly. Runs on Lua 5.1-5.4/LuaJIT.
local lg = require "lgrad"
local H = require "spec.support.helpers"
local P = require "spec.support.portable"

local f32, err = P.f32, H.err
local inf, NaN = math.huge, 0 / 0

local REF32 = {
  sigmoid = function(g, y) return f32(f32(g * f32(1 - y)) * y) end,
  tanh = function(g, y) return f32(g * f32(1 - y * y)) end,
}
local REF64 = {
  sigmoid = function(g, y) return (g * (1 - y)) * y end,
  tanh = function(g, y) return g * (1 - y * y) end,
}
local FN = { sigmoid = lg.sigmoid_backward_from_output, tanh = lg.tanh_backward_from_output }
local NAMES = { "sigmoid", "tanh" }

-- An interpreter doing its double arithmetic on the x87 (Debian's i386
-- lua5.4) rounds each operation twice, to 64 bits then to 53, so the
-- reference itself can be off in its last bit where a result lies within
-- 2^-11 ulp of a halfway point (lgrad is built with SSE2 math: one rounding).
-- Probed: 1 + (2^-53 + 2^-64) rounds up once, but to 1 twice (ties to even).
local one, tiny = 1, 2 ^ -53 + 2 ^ -64
local X87 = one + tiny == one
-- there, a few references may be off by two roundings' last bits (the
-- subtraction's and a product's): within 2 ulp
local function near(a, b)
  if a ~= a or b ~= b or a == b or math.abs(a) == inf or math.abs(b) == inf then return false end
  return math.abs(a - b) <= math.max(2 ^ -51 * math.abs(b), 2 ^ -1073)
end

-- bit equality of two doubles (float32 values widened): NaN matches NaN,
-- and zeros must have the same sign
local function same_bits(a, b)
  if a ~= a then return b ~= b end
  if a == 0 and b == 0 then return 1 / a == 1 / b end
  return a == b
end

-- Inputs: outputs over and beyond [-1, 1], tiny and huge values, +-0, +-inf
-- and NaN, every y against several dy (inf dy meets y = 0 and y = 1).
local SPECIAL = { 0, -0.0, 1, -1, 0.5, -0.5, 1e-30, -1e-30, 2 ^ -149, 0.9999999, 1.0000001,
  2, -3, 1e20, -1e20, 3.4e38, inf, -inf, NaN }
local function inputs(n)
  local ys, gs = {}, {}
  math.randomseed(12)
  for i = 1, #SPECIAL do
    for _, g in ipairs { 1, -2.5, 0, -0.0, inf, -inf, NaN, 1e-40 } do
      ys[#ys + 1], gs[#gs + 1] = SPECIAL[i], g
    end
  end
  for _ = 1, n do
    ys[#ys + 1] = math.random() * 2.4 - 1.2
    gs[#gs + 1] = (math.random() * 2 - 1) * 10 ^ math.random(-6, 6)
  end
  return ys, gs
end

describe("backward from the saved output", function()
  local ys, gs = inputs(5000)
  local n = #ys

  for _, name in ipairs(NAMES) do
    it(name .. ": float32 gives PyTorch's float operations bit for bit", function()
      local y, g = lg.tensor(ys, "float32"), lg.tensor(gs, "float32")
      local yv, gv = y:totable(), g:totable()   -- the inputs rounded to float
      local got = FN[name](g, y):totable()
      for i = 1, n do
        local want = REF32[name](gv[i], yv[i])
        if not same_bits(got[i], want) then
          error(("%s: dy=%.9g y=%.9g: got %.9g, want %.9g"):format(name, gv[i], yv[i],
            got[i], want))
        end
      end
    end)

    it(name .. ": float64 gives the double formula exactly", function()
      local y, g = lg.tensor(ys, "float64"), lg.tensor(gs, "float64")
      local yv, gv = y:totable(), g:totable()   -- floats (Lua 5.3+: 0 is an integer)
      local got = FN[name](g, y):totable()
      local off = 0
      for i = 1, n do
        local want = REF64[name](gv[i], yv[i])
        if not same_bits(got[i], want) and X87 and near(got[i], want) then
          off = off + 1
        else
          assert(same_bits(got[i], want), ("%s: element %d: got %.17g, want %.17g"):format(name, i,
            got[i], want))
        end
      end
      -- double rounding hits only results within 2^-11 ulp of a halfway point
      assert(off <= n / 100, off .. " results off by their last bits")
    end)
  end

  it("propagates NaN and inf as IEEE products do", function()
    local s = lg.sigmoid_backward_from_output({ inf, 1, NaN, 2, 1 }, { 0, NaN, 0.5, inf, -inf })
    local t = lg.tanh_backward_from_output({ inf, 1, NaN, 2, -1 }, { 1, NaN, 0.5, inf, -inf })
    local sv, tv = s:totable(), t:totable()
    assert.is_true(sv[1] ~= sv[1])   -- inf * 1 * 0
    assert.is_true(sv[2] ~= sv[2])
    assert.is_true(sv[3] ~= sv[3])
    assert.are.equal(-inf, sv[4])    -- (2 * -inf) * inf
    assert.are.equal(-inf, sv[5])    -- (1 * (1 + inf)) * -inf
    assert.is_true(tv[1] ~= tv[1])   -- inf * 0
    assert.is_true(tv[2] ~= tv[2])
    assert.is_true(tv[3] ~= tv[3])
    assert.are.equal(-inf, tv[4])
    assert.are.equal(inf, tv[5])     -- -1 * (1 - inf)
  end)

  -- y = f(x): the same gradient as the API.md form from x, up to the error
  -- of y itself, which 1 - y (sigmoid, y near 1) and 1 - y y (tanh, |y|
  -- near 1) magnify; so x stays where that cancellation is mild.
  for _, c in ipairs {
    { name = "sigmoid", lo = -8, hi = 0.5 },
    { name = "tanh", lo = -0.5, hi = 0.5 },
  } do
    it(c.name .. ": agrees with " .. c.name .. "_backward(dy, x) within a few ulp", function()
      local xs, ds = {}, {}
      for i = 1, 2000 do
        xs[i] = c.lo + (c.hi - c.lo) * (i - 0.5) / 2000
        ds[i] = (i % 7) - 3.25
      end
      local x, dy = lg.tensor(xs), lg.tensor(ds)
      local y = lg[c.name](x)
      local a = FN[c.name](dy, y):totable()
      local b = lg[c.name .. "_backward"](dy, x):totable()
      for i = 1, #xs do
        local ulp = 2 ^ -23 * math.abs(b[i])
        assert(math.abs(a[i] - b[i]) <= 8 * ulp,
          ("%s: x=%.9g: %.9g vs %.9g"):format(c.name, xs[i], a[i], b[i]))
      end
      -- float64, over a wider range
      x = lg.tensor(xs, "float64") * 2
      dy = lg.tensor(ds, "float64")
      a = FN[c.name](dy, lg[c.name](x)):totable()
      b = lg[c.name .. "_backward"](dy, x):totable()
      for i = 1, #xs do
        assert(math.abs(a[i] - b[i]) <= 1e-13 * math.abs(b[i]), c.name .. " float64 at " .. i)
      end
    end)
  end

  it("take tables and numbers, and a table y takes a tensor dy's dtype", function()
    local g = lg.sigmoid_backward_from_output({ 2, 2 }, { 0.5, 0.25 })
    assert.are.equal("float32", g:dtype())
    assert.are.same({ 0.5, 0.375 }, g:totable())
    assert.are.equal(0.75, lg.tanh_backward_from_output(1, 0.5):totable())
    local d = lg.tanh_backward_from_output(lg.ones(2, "float64"), { 0.5, 0.1 })
    assert.are.equal("float64", d:dtype())
    assert.are.same({ 0.75, 1 - 0.1 * 0.1 }, d:totable())
    assert.are.same({ 0, 3 }, lg.sigmoid_backward_from_output(lg.ones(0, 3), lg.ones(0, 3)):shape())
  end)

  for _, name in ipairs(NAMES) do
    local f = FN[name]
    local fname = name .. "_backward_from_output"

    it(name .. ": out may be a new tensor or alias dy or y exactly", function()
      local y = lg.tensor({ { 0.1, 0.5, 0.9 }, { -0.3, 0.7, 1 } })
      local g = lg.tensor({ { 1, -2, 3 }, { 4, 0.5, -1 } })
      local want = f(g, y)
      local o = lg.zeros(2, 3)
      assert.are.equal(o, f(g, y, o))
      assert.is_true(lg.equal(o, want))
      local g2, y2 = g:clone(), y:clone()
      assert.are.equal(g2, f(g2, y, g2))
      assert.is_true(lg.equal(g2, want))
      assert.are.equal(y2, f(g, y2, y2))
      assert.is_true(lg.equal(y2, want))
      local s = y:clone()
      assert.is_true(lg.equal(f(s, s, s), f(y, y)))
    end)

    it(name .. ": strided dy, y and out give the contiguous bits", function()
      local y = lg.tensor({ { 0.1, 0.5, 0.9 }, { -0.3, 0.7, 1 } }, "float32")
      local g = lg.tensor({ { 1, -2, 3 }, { 4, 0.5, -1 } }, "float32")
      local want = f(g:t():contiguous(), y:t():contiguous())
      assert.is_true(lg.equal(f(g:t(), y:t()), want))
      local o = lg.zeros(2, 3):t()
      f(g:t(), y:t(), o)
      assert.is_true(lg.equal(o, want))
      -- in place through a transposed view of dy
      local h = g:clone()
      f(h:t(), y:t(), h:t())
      assert.is_true(lg.equal(h:t(), want))
    end)

    it(name .. ": rejects a wrong shape, dtype, type or a closed tensor", function()
      local x = lg.ones(2, 3)
      assert.are.equal("bad argument #1 to '" .. fname .. "' (grad_output has shape [3], expected [2, 3])",
        err(f, lg.ones(3), x))
      assert.are.equal("bad argument #1 to '" .. fname .. "' (grad_output has shape [2], expected [3])",
        err(f, { 1, 2 }, { 1, 2, 3 }))
      assert.are.equal("bad argument #1 to '" .. fname .. "' (dtype mismatch: expected float32, got float64)",
        err(f, lg.ones(2, 3, "float64"), x))
      assert.are.equal("bad argument #2 to '" .. fname .. "' (lgrad.Tensor, number or table expected, got boolean)",
        err(f, x, true))
      assert.are.equal("bad argument #1 to '" .. fname .. "' (lgrad.Tensor, number or table expected, got string)",
        err(f, "g", x))
      assert.are.equal("bad argument #3 to '" .. fname .. "' (out has shape [6], expected [2, 3])",
        err(f, x, x, lg.zeros(6)))
      assert.are.equal("bad argument #3 to '" .. fname .. "' (" .. name .. " takes 0 parameters)",
        err(f, x, x, 2))
      local closed = lg.ones(2, 3)
      closed:close()
      assert.are.equal("bad argument #2 to '" .. fname .. "' (tensor is closed)", err(f, x, closed))
      assert.are.equal("bad argument #1 to '" .. fname .. "' (tensor is closed)", err(f, closed, x))
      assert.are.equal("bad argument #3 to '" .. fname .. "' (tensor is closed)", err(f, x, x, closed))
    end)

    it(name .. ": 2 threads give the bits of 1 thread", function()
      for _, dt in ipairs { "float32", "float64" } do
        local y = lg.rand(262147, dt) * 2.2 - 1.1
        local g = lg.randn(262147, dt)
        local old = lg.get_num_threads()
        lg.set_num_threads(1)
        local a = f(g, y)
        lg.set_num_threads(2)
        local ok, b = pcall(f, g, y)
        lg.set_num_threads(old)
        assert(ok, b)
        assert.is_true(lg.equal(a, b), dt)
      end
    end)
  end
end)
