-- lgrad.busted: the tensor assertions themselves. Each must pass when it
-- should, fail when it should, and fail with a message that says why.
require "lgrad.busted"
local lg = require "lgrad"

-- The message of a failing assertion (nil if it passed).
local function failure(fn)
  local ok, err = pcall(fn)
  if ok then return nil end
  return tostring(err)
end

local function has(text, piece)
  assert.is_truthy(text, "the assertion should have failed")
  assert.is_truthy(text:find(piece, 1, true), ("%q not in:\n%s"):format(piece, text))
end

local function sum_sq(x) return (x * x):sum() end

describe("lgrad.busted", function()
  describe("tensor_near", function()
    it("passes for near tensors, tables and numbers", function()
      assert.tensor_near({ { 1, 2 }, { 3, 4 } }, lg.tensor{ { 1, 2 }, { 3, 4 } })
      assert.tensor_near(lg.tensor{ 0.1, 0.2 }, lg.tensor({ 0.1, 0.2 }, "float64"))
      assert.tensor_near({ 1, 2 }, { 1, 2.05 }, 0.1)
      assert.tensor_near(2.5, lg.tensor(2.5))
      assert.tensor_near({ 0 / 0, math.huge }, lg.tensor{ 0 / 0, math.huge })
    end)

    it("defaults to torch.testing's tolerances for the actual dtype", function()
      -- float32: atol 1e-5 + rtol 1.3e-6 * |expected|
      assert.tensor_near({ 1 }, lg.tensor({ 1 + 1.1e-5 }, "float64"), { atol = 1e-5, rtol = 1.3e-6 })
      assert.tensor_near({ 1 }, lg.tensor{ 1 + 1.1e-5 })
      assert.is_not.tensor_near({ 1 }, lg.tensor{ 1 + 1.5e-5 })
      -- float64: atol 1e-7 + rtol 1e-7 * |expected|
      assert.tensor_near({ 1 }, lg.tensor({ 1 + 1.9e-7 }, "float64"))
      assert.is_not.tensor_near({ 1 }, lg.tensor({ 1 + 2.1e-7 }, "float64"))
    end)

    it("takes a number as an absolute tolerance and a table as atol/rtol", function()
      assert.tensor_near({ 100 }, { 100.5 }, 0.6)
      assert.is_not.tensor_near({ 100 }, { 100.5 }, 0.4)
      assert.tensor_near({ 100 }, { 100.5 }, { rtol = 0.01 })
      assert.is_not.tensor_near({ 100 }, { 100.5 }, { atol = 0.1, rtol = 0.001 })
    end)

    it("fails with shape, worst element, both values and the error", function()
      local msg = failure(function()
        assert.tensor_near({ { 1, 2, 3 }, { 4, 5, 6 } }, lg.tensor({ { 1, 2.5, 3 }, { 4, 5, 9 } }, "float64"), 0.1)
      end)
      has(msg, "Expected tensors to be near.")
      has(msg, "shape: expected [2, 3] (table), actual [2, 3] (float64)")
      has(msg, "2 of 6 elements differ by more than atol=0.1 + rtol=0*|expected|")
      has(msg, "worst element [2, 3]: expected 6, actual 9, abs err 3, rel err 0.5")
      has(msg, "first mismatches: [1, 2]: 2 vs 2.5; [2, 3]: 6 vs 9")
    end)

    it("reports at the spec's line", function()
      local msg = failure(function() assert.tensor_near({ 1 }, { 2 }) end)
      has(msg, "busted_spec.lua:")
    end)

    it("fails on different shapes, even with the same elements", function()
      local msg = failure(function() assert.tensor_near({ 1, 2 }, lg.tensor{ { 1, 2 } }) end)
      has(msg, "shape: expected [2] (table), actual [1, 2] (float32)")
      has(msg, "shapes differ")
    end)

    it("fails on NaN against a number", function()
      local msg = failure(function() assert.tensor_near({ 1, 2 }, lg.tensor{ 1, 0 / 0 }) end)
      has(msg, "worst element [2]: expected 2, actual nan")
    end)

    it("has a negative form that says how close they are", function()
      assert.is_not.tensor_near({ 1, 2 }, { 1, 3 })
      local msg = failure(function() assert.is_not.tensor_near({ 1, 2 }, lg.tensor{ 1, 2 }) end)
      has(msg, "Expected tensors not to be near, but they are.")
      has(msg, "all 2 elements within")
    end)

    it("puts a user message first", function()
      local msg = failure(function() assert.tensor_near({ 1 }, { 2 }, 0.5, "softmax row 3") end)
      has(msg, "softmax row 3\nExpected tensors to be near.")
      msg = failure(function() assert.tensor_near({ 1 }, { 2 }, "no tolerance given") end)
      has(msg, "no tolerance given\nExpected tensors to be near.")
    end)

    it("raises argument errors rather than failing", function()
      assert.has_error(function() assert.tensor_near("a", { 1 }) end,
        "bad argument #1 to 'tensor_near' (tensor, table or number expected, got string)")
      assert.has_error(function() assert.tensor_near({ 1 }, { 1 }, { tol = 1 }) end,
        "bad argument #3 to 'tensor_near' (unknown tolerance field 'tol' (atol, rtol))")
      assert.has_error(function() assert.tensor_near({ 1 }, { 1 }, -1) end,
        "bad argument #3 to 'tensor_near' (tolerance must be >= 0)")
      assert.has_error(function() assert.tensor_near({ { 1 }, { 1, 2 } }, { 1 }) end,
        "bad argument #1 to 'tensor_near' (ragged nested table: 2 elements at depth 2, expected 1)")
    end)
  end)

  describe("tensor_equal", function()
    it("rounds a table to the actual dtype before comparing", function()
      assert.tensor_equal({ 0.1, 2 }, lg.tensor{ 0.1, 2 })
      assert.tensor_equal({ 0.1, 2 }, lg.tensor({ 0.1, 2 }, "float64"))
      assert.tensor_equal({ 0 / 0, -math.huge }, lg.tensor{ 0 / 0, -math.huge })
    end)

    it("fails on any difference, naming it", function()
      local msg = failure(function() assert.tensor_equal({ 1, 2, 3 }, lg.tensor{ 1, 2, 3.5 }) end)
      has(msg, "Expected tensors to be equal.")
      has(msg, "worst element [3]: expected 3, actual 3.5, abs err 0.5")
      assert.is_not.tensor_equal(lg.tensor{ 1 }, lg.tensor{ 1 + 2 ^ -20 })
    end)

    it("fails on different dtypes of two tensors", function()
      local msg = failure(function() assert.tensor_equal(lg.tensor{ 1 }, lg.tensor({ 1 }, "float64")) end)
      has(msg, "dtypes differ")
    end)

    it("fails on different shapes", function()
      assert.is_not.tensor_equal({ { 1, 2 } }, lg.tensor{ 1, 2 })
    end)
  end)

  describe("gradient", function()
    it("passes a right gradient and fails a wrong one", function()
      assert.gradient(sum_sq, { 1, -2, 3 }, { 2, -4, 6 })
      assert.is_not.gradient(sum_sq, { 1, -2, 3 }, { 2, 4, 6 })
      assert.gradient(math.sin, 1, math.cos)
    end)

    it("fails with gradcheck's report", function()
      local msg = failure(function() assert.gradient(sum_sq, { { 1, 2 }, { 3, 4 } }, { { 2, 4 }, { 6, 9 } }) end)
      has(msg, "Expected grad to be the derivative of f at x.")
      has(msg, "gradient check FAILED: 1 of 4 elements")
      has(msg, "worst element [2, 2] (flat 4) of shape [2, 2]: expected 8 (numeric), got 9")
    end)

    it("takes gradcheck's opts and a message", function()
      assert.gradient(sum_sq, { 1 }, { 2.1 }, { rtol = 0.1 })
      local msg = failure(function() assert.gradient(sum_sq, { 1 }, { 3 }, "d/dx x^2") end)
      has(msg, "d/dx x^2\nExpected grad")
    end)

    it("raises gradcheck's argument errors under its own name", function()
      assert.has_error(function() assert.gradient(42, { 1 }, { 1 }) end,
        "bad argument #1 to 'gradient' (function expected, got number)")
    end)
  end)
end)
