-- lgrad.check: numeric derivatives and gradcheck. Expected values are
-- closed forms evaluated in plain Lua doubles.
local lg = require "lgrad"
local check = require "lgrad.check"

local function flat(t)
  local out = {}
  local function walk(v)
    if type(v) == "table" then for i = 1, #v do walk(v[i]) end else out[#out + 1] = v end
  end
  walk(type(t) == "table" and t or t:totable())
  return out
end

local function assert_close_to(expected, got, tol)
  local e, g = flat(expected), flat(got)
  assert.are.equal(#e, #g)
  for i = 1, #e do assert.is_true(math.abs(e[i] - g[i]) <= tol, ("element %d: %.17g vs %.17g"):format(i, e[i], g[i])) end
end

local function sum_sq(x) return (x * x):sum() end

describe("lgrad.check", function()
  it("is re-exported on lg", function()
    assert.are.equal(check.numeric_grad, lg.numeric_grad)
    assert.are.equal(check.numeric_jacobian, lg.numeric_jacobian)
    assert.are.equal(check.gradcheck, lg.gradcheck)
  end)

  it("uses PyTorch's gradcheck defaults", function()
    assert.are.equal(1e-6, check.EPS)
    assert.are.equal(1e-5, check.ATOL)
    assert.are.equal(1e-3, check.RTOL)
  end)

  describe("numeric_grad", function()
    it("gives 2x for the sum of squares, as float64 of x's shape", function()
      local x = { { 1.5, -2 }, { 0.25, 3 } }
      local g = lg.numeric_grad(sum_sq, lg.tensor(x))
      assert.are.equal("float64", g:dtype())
      assert.are.same({ 2, 2 }, g:shape())
      -- x was rounded to float32 first: all four values are exact in float32
      assert_close_to({ { 3, -4 }, { 0.5, 6 } }, g, 1e-8)
    end)

    it("gives cos for sin, elementwise", function()
      local xs = { -3, -1, -0.1, 0, 0.7, 2.5 }
      local g = lg.numeric_grad(function(x)
        local s = 0
        for i = 1, x:numel() do s = s + math.sin(x[i]) end
        return s
      end, lg.tensor(xs, "float64"))
      local want = {}
      for i, v in ipairs(xs) do want[i] = math.cos(v) end
      assert_close_to(want, g, 1e-9)
    end)

    it("takes a number x and returns a number", function()
      local d = lg.numeric_grad(math.exp, 1)
      assert.are.equal("number", type(d))
      assert.is_true(math.abs(d - math.exp(1)) < 1e-9)
    end)

    it("accepts a one-element tensor as f's value and a plain table as x", function()
      local g = lg.numeric_grad(function(x) return (x * x * x):sum(1) end, { 2, -1 })
      assert_close_to({ 12, 3 }, g, 1e-8)
    end)

    it("perturbs float64, not the float32 values of x", function()
      -- In float32 a step of 1e-6 at x = 3 is lost (ulp(3) = 2.4e-7 gives a
      -- 25% error); in float64 the cube's derivative 27 comes out to 1e-8.
      local g = lg.numeric_grad(function(x) return (x * x * x):sum() end, lg.tensor{ 3 })
      assert.is_true(math.abs(g[1] - 27) < 1e-7)
    end)

    it("honours eps", function()
      -- central differences of x^3 have error eps^2 exactly: (x+h)^3-(x-h)^3 = 6x^2h + 2h^3
      local g = lg.numeric_grad(function(x) return (x * x * x):sum() end, lg.tensor({ 1 }, "float64"), 0.1)
      assert.is_true(math.abs(g[1] - 3.01) < 1e-12)
    end)

    it("gives f a fresh copy each time, so f may change its argument", function()
      local g = lg.numeric_grad(function(x)
        local s = sum_sq(x)
        x:fill(1e9)
        return s
      end, { 1, 2 })
      assert_close_to({ 2, 4 }, g, 1e-8)
    end)

    it("returns an empty gradient for an empty x", function()
      assert.are.same({ 0 }, lg.numeric_grad(sum_sq, lg.zeros(0)):shape())
    end)
  end)

  describe("numeric_jacobian", function()
    it("of a linear map is the matrix", function()
      local A = { { 1, 2, 3 }, { -4, 5, 0.5 } }
      local At = lg.tensor(A, "float64")
      local J = lg.numeric_jacobian(function(x) return lg.matmul(At, x) end, { 0.3, -1, 2 })
      assert.are.same({ 2, 3 }, J:shape())
      assert.are.equal("float64", J:dtype())
      assert_close_to(A, J, 1e-9)
    end)

    it("flattens x and f(x) row-major: numel(f(x)) x numel(x)", function()
      -- f(x) = 2x on a 2 x 2 x: the jacobian is 2 I of size 4
      local J = lg.numeric_jacobian(function(x) return x * 2 end, { { 1, 2 }, { 3, 4 } })
      assert_close_to({ { 2, 0, 0, 0 }, { 0, 2, 0, 0 }, { 0, 0, 2, 0 }, { 0, 0, 0, 2 } }, J, 1e-9)
    end)

    it("of the elementwise square is diag(2x)", function()
      local J = lg.numeric_jacobian(function(x) return x * x end, { 1, -2 })
      assert_close_to({ { 2, 0 }, { 0, -4 } }, J, 1e-8)
    end)

    it("takes numbers and tables as f's value", function()
      local J = lg.numeric_jacobian(function(x) return { x[1] * x[2], x[1] } end, { 3, 5 })
      assert_close_to({ { 5, 3 }, { 1, 0 } }, J, 1e-8)
      J = lg.numeric_jacobian(math.sin, 0)
      assert_close_to({ { 1 } }, J, 1e-10)
    end)
  end)

  describe("gradcheck", function()
    it("passes a right gradient and reports tiny errors", function()
      local x = lg.tensor{ { 1, 2 }, { 3, 4 } }
      local ok, r = lg.gradcheck(sum_sq, x, x * 2)
      assert.is_true(ok)
      assert.is_true(r.ok)
      assert.are.equal(0, r.failed)
      assert.is_true(r.max_abs_err < 1e-8)
      assert.is_true(r.max_rel_err < 1e-8)
      assert.are.equal(4, r.numel)
    end)

    it("detects a wrong gradient and reports the worst index", function()
      local ok, r = lg.gradcheck(sum_sq, { { 1, 2, 3 }, { 4, 5, 6 } },
        { { 2, 4, 6 }, { 8, 10.5, 12.02 } })
      assert.is_false(ok)
      assert.are.equal(2, r.failed)
      assert.are.same({ 2, 2 }, r.index)
      assert.are.equal(5, r.flat_index)
      assert.is_true(math.abs(r.expected - 10) < 1e-8)
      assert.are.equal(10.5, r.got)
      assert.is_true(math.abs(r.max_abs_err - 0.5) < 1e-8)
      assert.is_true(math.abs(r.max_rel_err - 0.05) < 1e-8)
      assert.are.same({ 2, 3 }, r.shape)
      assert.are.same({ 2, 3 }, r.numeric:shape())
      local text = tostring(r)
      assert.matches("FAILED", text, 1, true)
      assert.matches("worst element [2, 2]", text, 1, true)
      assert.matches("expected 10 (numeric), got 10.5", text, 1, true)
    end)

    it("catches the sign of a wrong gradient", function()
      local ok = lg.gradcheck(sum_sq, { 1, 2 }, { -2, -4 })
      assert.is_false(ok)
    end)

    it("uses atol + rtol * |numeric| and takes them from opts", function()
      -- expected 2: 2.0019 is inside 1e-5 + 1e-3 * 2 = 2.01e-3, 2.0021 is not
      assert.is_true((lg.gradcheck(sum_sq, { 1 }, { 2.0019 })))
      assert.is_false((lg.gradcheck(sum_sq, { 1 }, { 2.0021 })))
      assert.is_true((lg.gradcheck(sum_sq, { 1 }, { 2.1 }, { rtol = 0.1 })))
      local ok, r = lg.gradcheck(sum_sq, { 1 }, { 2 }, { eps = 1e-3, atol = 1e-12, rtol = 0 })
      assert.is_true(ok, tostring(r))   -- central differences are exact on a quadratic, up to rounding
      assert.are.equal(1e-3, r.eps)
    end)

    it("fails on NaN and names it the worst", function()
      local ok, r = lg.gradcheck(sum_sq, { 1, 2, 3 }, { 2, 0 / 0, 6.5 })
      assert.is_false(ok)
      assert.are.equal(2, r.flat_index)
    end)

    it("takes grad as a function of x", function()
      assert.is_true((lg.gradcheck(sum_sq, { 1, 2 }, function(x) return x * 2 end)))
      assert.is_true((lg.gradcheck(math.sin, 0.5, math.cos)))
      assert.is_false((lg.gradcheck(math.sin, 0.5, math.sin)))
    end)

    it("checks a jacobian when f returns several values", function()
      local A = { { 1, 2 }, { 3, 4 }, { 5, 6 } }
      local At = lg.tensor(A, "float64")
      local f = function(x) return lg.matmul(At, x) end
      local ok, r = lg.gradcheck(f, { 1, 1 }, A)
      assert.is_true(ok)
      assert.are.equal("jacobian", r.kind)
      ok, r = lg.gradcheck(f, { 1, 1 }, { { 1, 2 }, { 3, 4 }, { 5, 7 } })
      assert.is_false(ok)
      assert.are.same({ 3, 2 }, r.index)
    end)

    it("checks a float32 analytic gradient against the float64 numeric one", function()
      local x = lg.tensor{ 0.1, 0.2, 0.3 }
      assert.is_true((lg.gradcheck(sum_sq, x, x * 2)))
    end)
  end)

  describe("errors", function()
    it("rejects a non-callable f", function()
      assert.has_error(function() lg.numeric_grad(nil, { 1 }) end,
        "bad argument #1 to 'numeric_grad' (function expected, got nil)")
      assert.has_error(function() lg.gradcheck(42, { 1 }, { 1 }) end,
        "bad argument #1 to 'gradcheck' (function expected, got number)")
    end)

    it("accepts a callable table as f", function()
      local f = setmetatable({}, { __call = function(_, x) return sum_sq(x) end })
      assert_close_to({ 2 }, lg.numeric_grad(f, { 1 }), 1e-8)
    end)

    it("rejects f returning a non-scalar in numeric_grad", function()
      assert.has_error(function() lg.numeric_grad(function(x) return x end, { 1, 2 }) end,
        "bad argument #1 to 'numeric_grad' (f must return a number or a one-element tensor, "
        .. "got a float64 tensor of shape [2])")
      assert.has_error(function() lg.numeric_grad(function() return "x" end, { 1 }) end,
        "bad argument #1 to 'numeric_grad' (f must return a number or a one-element tensor, got string)")
    end)

    it("rejects a gradient of the wrong shape", function()
      assert.has_error(function() lg.gradcheck(sum_sq, { { 1, 2 } }, { 1, 2 }) end,
        "bad argument #3 to 'gradcheck' (shape mismatch: grad has shape [2], x has shape [1, 2])")
      assert.has_error(function() lg.gradcheck(function(x) return x * 2 end, { 1, 2 }, { 2, 2 }) end,
        "bad argument #3 to 'gradcheck' (f returns 2 values and x has 2, so grad must be the 2 x 2 "
        .. "jacobian, got shape [2])")
    end)

    it("rejects bad x, eps and opts", function()
      assert.has_error(function() lg.numeric_grad(sum_sq, "abc") end,
        "bad argument #2 to 'numeric_grad' (x must be a tensor, a table or a number, got string)")
      assert.has_error(function() lg.numeric_grad(sum_sq, { 1 }, 0) end,
        "bad argument #3 to 'numeric_grad' (eps must be a positive finite number, got 0)")
      assert.has_error(function() lg.gradcheck(sum_sq, { 1 }, { 2 }, { tol = 1 }) end,
        "bad argument #4 to 'gradcheck' (unknown option 'tol' (eps, atol, rtol))")
      assert.has_error(function() lg.gradcheck(sum_sq, { 1 }, { 2 }, { atol = -1 }) end,
        "bad argument #4 to 'gradcheck' (opts.atol must be a finite number >= 0, got -1)")
    end)

    it("rejects f changing its number of outputs", function()
      local n = 0
      assert.has_error(function()
        lg.numeric_jacobian(function(x) n = n + 1; return n == 1 and x or { 1 } end, { 1, 2 })
      end, "bad argument #1 to 'numeric_jacobian' (f returned 2 values at x but 1 near it)")
    end)

    it("passes f's own errors on unchanged", function()
      local ok, err = pcall(lg.numeric_grad, function() error("inside f", 0) end, { 1 })
      assert.is_false(ok)
      assert.are.equal("inside f", err)
    end)
  end)
end)
