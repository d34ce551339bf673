-- lgrad.busted: luassert assertions for tensors. `require "lgrad.busted"`
-- in a spec (or in .busted's helper) registers:
--
--   assert.tensor_near(expected, actual [, tol] [, message])
--   assert.tensor_equal(expected, actual [, message])
--   assert.gradient(f, x, grad [, opts] [, message])
--
-- expected and actual may be tensors, nested tables or numbers; tol is a
-- number (absolute) or { rtol =, atol = }. All have negative forms
-- (assert.is_not.tensor_near, ...). A failure names the shapes, the worst
-- element (1-based index), both values and the error. docs/check.md has more.
local assert = require "luassert"
local say = require "say"
local core = require "lgrad.core"
local check = require "lgrad.check"

local M = {}

-- Default tolerances of tensor_near, by the dtype of actual: those of
-- torch.testing.assert_close (float32: rtol 1.3e-6, atol 1e-5;
-- float64: rtol 1e-7, atol 1e-7). Test: |actual - expected| <= atol + rtol * |expected|.
M.TOL = {
  float32 = { rtol = 1.3e-6, atol = 1e-5 },
  float64 = { rtol = 1e-7, atol = 1e-7 },
}
M.MAX_LISTED = 5   -- mismatching elements listed after the worst one

local tensor_mt = core._metatable
local function is_tensor(v) return getmetatable(v) == tensor_mt end

local function shape_str(shape) return "[" .. table.concat(shape, ", ") .. "]" end

local function num(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" elseif v == -math.huge then return "-inf" end
  return ("%.10g"):format(v)
end

-- { shape, dtype, values (flat doubles) } of a tensor, nested table or number.
-- A table takes dtype (default float64, so expected values stay exact).
local function view_of(v, name, argn, level, dtype)
  level = level + 1
  local t = v
  if not is_tensor(v) then
    if type(v) ~= "table" and type(v) ~= "number" then
      error(("bad argument #%d to '%s' (tensor, table or number expected, got %s)")
        :format(argn, name, type(v)), level)
    end
    local ok, r = pcall(core.tensor, v, dtype or "float64")
    if not ok then
      error(("bad argument #%d to '%s' (%s)"):format(argn, name, (tostring(r):gsub("^.-%((.*)%)$", "%1"))), level)
    end
    t = r
  elseif v:is_closed() then
    error(("bad argument #%d to '%s' (tensor is closed)"):format(argn, name), level)
  end
  return {
    shape = t:shape(),
    dtype = is_tensor(v) and t:dtype() or "table",
    values = t:astype("float64"):reshape(-1):totable(),
  }
end

local function same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

local function describe_pair(e, a)
  return ("shape: expected %s (%s), actual %s (%s)"):format(shape_str(e.shape), e.dtype, shape_str(a.shape), a.dtype)
end

-- Compare element by element. NaN matches NaN and an infinity matches the
-- same infinity. Returns the number of mismatches, the worst one (largest
-- error over its tolerance) and the first few.
local function diff(e, a, atol, rtol)
  local bad, worst, worst_score, listed = 0, nil, -1, {}
  local max_err, max_at = 0, nil
  for k = 1, #e.values do
    local x, y = e.values[k], a.values[k]
    local d
    if x == y or (x ~= x and y ~= y) then d = 0 else d = math.abs(y - x) end
    if d ~= d then d = math.huge end   -- NaN against a number, or inf - inf
    local tol = atol + rtol * math.abs(x)
    local score = d == 0 and 0 or (tol > 0 and d / tol or math.huge)
    if d > max_err or not max_at then max_err, max_at = d, k end
    if d > 0 and not (d <= tol) then
      bad = bad + 1
      if #listed < M.MAX_LISTED then listed[#listed + 1] = k end
    end
    if score > worst_score then worst, worst_score = k, score end
  end
  return bad, worst, listed, max_err, max_at
end

local function element(shape, k) return shape_str(check.unflatten(k, shape)) end

local function mismatch_report(e, a, atol, rtol, bad, worst, listed)
  local x, y = e.values[worst], a.values[worst]
  local d = math.abs(y - x)
  local lines = {
    describe_pair(e, a),
    ("%d of %d elements differ by more than atol=%g + rtol=%g*|expected|"):format(bad, #e.values, atol, rtol),
    ("worst element %s: expected %s, actual %s, abs err %s, rel err %s"):format(element(e.shape, worst), num(x),
      num(y), num(d), x ~= 0 and num(d / math.abs(x)) or "inf"),
  }
  if bad > 1 then
    local parts = {}
    for _, k in ipairs(listed) do
      parts[#parts + 1] = ("%s: %s vs %s"):format(element(e.shape, k), num(e.values[k]), num(a.values[k]))
    end
    lines[#lines + 1] = "first mismatches: " .. table.concat(parts, "; ") .. (bad > #listed and "; ..." or "")
  end
  return table.concat(lines, "\n")
end

-- Put our own text in the message: luassert formats arguments[1..n] into
-- the say template unless nofmt says otherwise.
local function set_message(arguments, text)
  for i = 1, arguments.n do arguments[i] = nil end
  arguments[1], arguments.n = text, 1
  arguments.nofmt = { true }
end

local function set_failure_message(state, msg)
  if msg ~= nil then state.failure_message = msg end
end

local function parse_tol(tol, dtype, level)
  if tol == nil then
    local d = M.TOL[dtype] or M.TOL.float64
    return d.atol, d.rtol
  end
  if type(tol) == "number" then
    if not (tol >= 0) then error("bad argument #3 to 'tensor_near' (tolerance must be >= 0)", level) end
    return tol, 0
  end
  if type(tol) == "table" then
    for k in pairs(tol) do
      if k ~= "atol" and k ~= "rtol" then
        error("bad argument #3 to 'tensor_near' (unknown tolerance field '" .. tostring(k) .. "' (atol, rtol))", level)
      end
    end
    local atol, rtol = tol.atol or 0, tol.rtol or 0
    if type(atol) ~= "number" or type(rtol) ~= "number" or not (atol >= 0 and rtol >= 0) then
      error("bad argument #3 to 'tensor_near' (atol and rtol must be numbers >= 0)", level)
    end
    return atol, rtol
  end
  error("bad argument #3 to 'tensor_near' (tolerance number or {atol=, rtol=} expected, got " .. type(tol) .. ")", level)
end

local function tensor_near(state, arguments, level)
  level = (level or 1) + 1
  if arguments.n < 2 then error("bad argument #2 to 'tensor_near' (expected and actual needed)", level) end
  local tol, msg = arguments[3], arguments[4]
  if type(tol) == "string" then tol, msg = nil, tol end
  set_failure_message(state, msg)
  local a = view_of(arguments[2], "tensor_near", 2, level)
  local e = view_of(arguments[1], "tensor_near", 1, level)
  local atol, rtol = parse_tol(tol, a.dtype, level)
  if not same_shape(e.shape, a.shape) then
    set_message(arguments, describe_pair(e, a) .. "\nshapes differ")
    return false
  end
  local bad, worst, listed, max_err, max_at = diff(e, a, atol, rtol)
  if bad > 0 then
    set_message(arguments, mismatch_report(e, a, atol, rtol, bad, worst, listed))
    return false
  end
  local detail = max_at and ("largest abs err %s at %s (expected %s, actual %s)"):format(num(max_err),
    element(e.shape, max_at), num(e.values[max_at]), num(a.values[max_at])) or "both are empty"
  set_message(arguments, ("%s\nall %d elements within atol=%g + rtol=%g*|expected|; %s")
    :format(describe_pair(e, a), #e.values, atol, rtol, detail))
  return true
end

local function tensor_equal(state, arguments, level)
  level = (level or 1) + 1
  if arguments.n < 2 then error("bad argument #2 to 'tensor_equal' (expected and actual needed)", level) end
  set_failure_message(state, arguments[3])
  local a = view_of(arguments[2], "tensor_equal", 2, level)
  -- a table of expected values is rounded to actual's dtype, as lgrad does
  local e = view_of(arguments[1], "tensor_equal", 1, level, a.dtype ~= "table" and a.dtype or nil)
  if not same_shape(e.shape, a.shape) then
    set_message(arguments, describe_pair(e, a) .. "\nshapes differ")
    return false
  end
  if e.dtype ~= "table" and a.dtype ~= "table" and e.dtype ~= a.dtype then
    set_message(arguments, describe_pair(e, a) .. "\ndtypes differ")
    return false
  end
  local bad, worst, listed = diff(e, a, 0, 0)
  if bad > 0 then
    set_message(arguments, mismatch_report(e, a, 0, 0, bad, worst, listed))
    return false
  end
  set_message(arguments, ("%s\nall %d elements are equal"):format(describe_pair(e, a), #e.values))
  return true
end

local function gradient(state, arguments, level)
  level = (level or 1) + 1
  local f, x, grad, opts, msg = arguments[1], arguments[2], arguments[3], arguments[4], arguments[5]
  if type(opts) == "string" then opts, msg = nil, opts end
  set_failure_message(state, msg)
  local ok, okgrad, report = pcall(check.gradcheck, f, x, grad, opts)
  if not ok then
    error((tostring(okgrad):gsub("'gradcheck'", "'gradient'")), level)
  end
  set_message(arguments, tostring(report))
  return okgrad
end

say:set("assertion.tensor_near.positive", "Expected tensors to be near.\n%s")
say:set("assertion.tensor_near.negative", "Expected tensors not to be near, but they are.\n%s")
say:set("assertion.tensor_equal.positive", "Expected tensors to be equal.\n%s")
say:set("assertion.tensor_equal.negative", "Expected tensors not to be equal, but they are.\n%s")
say:set("assertion.gradient.positive", "Expected grad to be the derivative of f at x.\n%s")
say:set("assertion.gradient.negative", "Expected grad not to be the derivative of f at x, but it is.\n%s")

assert:register("assertion", "tensor_near", tensor_near,
  "assertion.tensor_near.positive", "assertion.tensor_near.negative")
assert:register("assertion", "tensor_equal", tensor_equal,
  "assertion.tensor_equal.positive", "assertion.tensor_equal.negative")
assert:register("assertion", "gradient", gradient,
  "assertion.gradient.positive", "assertion.gradient.negative")

return M
