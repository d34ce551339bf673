-- lgrad.check: check a derivation numerically.
--
-- numeric_grad(f, x [, eps])        central differences of a scalar f at x
-- numeric_jacobian(f, x [, eps])    numel(f(x)) x numel(x) matrix of them
-- gradcheck(f, x [, grad [, opts]]) ok, report: is grad (default: lg.grad's) the derivative of f at x?
--
-- All three work on a float64 copy of x, so a float32 x (or float32 noise in
-- the caller's data) does not drown the differences; f is called with a fresh
-- float64 tensor of x's shape each time, and anything f builds from it must be
-- float64 too (lgrad does not mix dtypes silently). README.md ("Derivation checks") explains the
-- defaults, which follow PyTorch's torch.autograd.gradcheck.
--
-- This module needs only lgrad.core (not lgrad itself, which re-exports it).
local core = require "lgrad.core"
local raise = require "lgrad.raise"

local M = {}

M.EPS  = 1e-6    -- central-difference step (PyTorch: eps = 1e-6)
M.ATOL = 1e-5    -- pass if |got - expected| <= atol + rtol * |expected|
M.RTOL = 1e-3    -- (PyTorch: atol = 1e-5, rtol = 1e-3)

local unpack = table.unpack or unpack
local tensor_mt = core._metatable

local function is_tensor(v) return getmetatable(v) == tensor_mt end

-- Argument errors are raised as this marker and re-raised by the public
-- wrapper as "bad argument #N to 'NAME' (...)" at the caller's line, so the
-- name is right even when gradcheck reaches the code of numeric_grad.
local ArgErr = {}
local function argerror(n, msg) error(setmetatable({ n = n, msg = msg }, ArgErr), 0) end

local function pack(...) return { n = select("#", ...), ... } end   -- table.pack is 5.2+

local function public(name, impl)
  return function(...)
    local r = pack(pcall(impl, ...))
    if r[1] then return unpack(r, 2, r.n) end
    local e = r[2]
    if getmetatable(e) == ArgErr then
      raise(("bad argument #%d to '%s' (%s)"):format(e.n, name, e.msg), 2)
    end
    error(e, 0)   -- an error raised by f itself: passed on unchanged
  end
end

local function shape_str(shape) return "[" .. table.concat(shape, ", ") .. "]" end

local function describe(v)
  if is_tensor(v) then return ("a %s tensor of shape %s"):format(v:dtype(), shape_str(v:shape())) end
  return type(v)
end

local function callable(f)
  if type(f) == "function" then return true end
  local mt = getmetatable(f)
  return type(mt) == "table" and mt.__call ~= nil
end

local function check_f(f)
  if not callable(f) then argerror(1, "function expected, got " .. type(f)) end
end

local function check_eps(eps, n)
  if eps == nil then return M.EPS end
  if type(eps) ~= "number" or not (eps > 0 and eps < math.huge) then
    argerror(n, "eps must be a positive finite number, got " .. tostring(eps))
  end
  return eps
end

-- A float64 contiguous copy of x (tensor, nested table or number).
local function to_f64(v, n, what)
  if is_tensor(v) then
    if v:is_closed() then argerror(n, what .. " is a closed tensor") end
    return v:astype("float64")
  elseif type(v) == "table" or type(v) == "number" then
    local ok, t = pcall(core.tensor, v, "float64")
    if not ok then argerror(n, what .. ": " .. tostring(t):gsub("^.-%((.*)%)$", "%1")) end
    return t
  end
  argerror(n, what .. " must be a tensor, a table or a number, got " .. type(v))
end

-- f's value at a point as a number (numeric_grad, gradcheck of a scalar f).
local function scalar_of(y)
  if type(y) == "number" then return y end
  if is_tensor(y) and y:numel() == 1 then return y:item() end
  argerror(1, "f must return a number or a one-element tensor, got " .. describe(y))
end

-- f's value at a point as a flat array of doubles (numeric_jacobian).
local function values_of(y)
  if type(y) == "number" then return { y } end
  if is_tensor(y) then return y:astype("float64"):reshape(-1):totable() end
  if type(y) == "table" then
    local ok, t = pcall(core.tensor, y, "float64")
    if ok then return t:reshape(-1):totable() end
  end
  argerror(1, "f must return a number, a tensor or a numeric table, got " .. describe(y))
end

-- Central differences, one coordinate at a time. The step actually taken,
-- (x + eps) - (x - eps), is what we divide by: it is exact in binary while
-- 2 * eps, added to x, is not.
local function differences(f, xt, eps, eval, each)
  local flat = xt:view(-1)
  for j = 1, flat:numel() do
    local v = flat[j]
    local hi, lo = v + eps, v - eps
    flat[j] = hi
    local yp = eval(f(xt:clone()))
    flat[j] = lo
    local ym = eval(f(xt:clone()))
    flat[j] = v
    each(j, yp, ym, hi - lo)
  end
end

local function numeric_grad(f, x, eps)
  check_f(f)
  eps = check_eps(eps, 3)
  if type(x) == "number" then
    local hi, lo = x + eps, x - eps
    return (scalar_of(f(hi)) - scalar_of(f(lo))) / (hi - lo)
  end
  local xt = to_f64(x, 2, "x")
  local g = core.zeros(xt:shape(), "float64")
  local gflat = g:view(-1)
  differences(f, xt, eps, scalar_of, function(j, yp, ym, h) gflat[j] = (yp - ym) / h end)
  return g
end

-- With a number x, f (and a grad function) take numbers too.
local function on_numbers(f, x)
  if type(x) ~= "number" or not callable(f) then return f end
  return function(t) return f(t:item()) end
end

local function numeric_jacobian(f, x, eps)
  check_f(f)
  f = on_numbers(f, x)
  eps = check_eps(eps, 3)
  local xt = to_f64(x, 2, "x")
  local m = #values_of(f(xt:clone()))
  local n = xt:numel()
  local J = core.zeros({ m, n }, "float64")
  local rows = J:view(-1)
  differences(f, xt, eps, values_of, function(j, yp, ym, h)
    if #yp ~= m or #ym ~= m then
      argerror(1, ("f returned %d values at x but %d near it"):format(m, #yp ~= m and #yp or #ym))
    end
    for i = 1, m do rows[(i - 1) * n + j] = (yp[i] - ym[i]) / h end
  end)
  return J
end

-- 1-based flat index -> per-dim index, row-major.
local function unflatten(k, shape)
  local idx, r = {}, k - 1
  for d = #shape, 1, -1 do
    idx[d] = r % shape[d] + 1
    r = math.floor(r / shape[d])
  end
  return idx
end

local report_mt = {}
report_mt.__index = report_mt

local function num(v) return ("%.6g"):format(v) end

function report_mt:__tostring()
  local lines = {}
  local what = self.kind == "jacobian" and "jacobian" or "gradient"
  lines[1] = ("%s check %s: %d of %d elements outside atol=%g + rtol=%g*|expected| (eps=%g)")
    :format(what, self.ok and "passed" or "FAILED", self.failed, self.numel, self.atol, self.rtol, self.eps)
  if self.flat_index then
    lines[2] = ("worst element %s (flat %d) of shape %s: expected %s (numeric), got %s, abs err %s, rel err %s")
      :format(shape_str(self.index), self.flat_index, shape_str(self.shape), num(self.expected), num(self.got),
        num(self.abs_err), num(self.rel_err))
    lines[3] = ("max abs err %s, max rel err %s"):format(num(self.max_abs_err), num(self.max_rel_err))
  end
  return table.concat(lines, "\n")
end

local OPTS = { eps = true, atol = true, rtol = true }

local function tol_opt(v, name)
  if v == nil then return nil end
  if type(v) ~= "number" or not (v >= 0 and v < math.huge) then
    argerror(4, ("opts.%s must be a finite number >= 0, got %s"):format(name, tostring(v)))
  end
  return v
end

-- Compare an analytic derivative with the numeric one. Both are flat arrays.
-- An element passes when |got - expected| <= atol + rtol * |expected| (the
-- test of torch.allclose, with the numeric value as the reference). The
-- worst element is the one that uses up most of its tolerance.
local function compare(numeric, analytic, atol, rtol)
  local r = { max_abs_err = 0, max_rel_err = 0, failed = 0 }
  local worst_score = -1
  for k = 1, #numeric do
    local e, g = numeric[k], analytic[k]
    local d = math.abs(g - e)
    if e == g then d = 0 end                         -- equal infinities
    local rel = d == 0 and 0 or d / math.abs(e)     -- e == 0: inf
    local tol = atol + rtol * math.abs(e)
    local score
    if d ~= d then score, rel = math.huge, d         -- NaN: worst of all
    elseif tol > 0 then score = d / tol
    else score = d > 0 and math.huge or 0 end
    if not (d <= tol) then r.failed = r.failed + 1 end
    if d > r.max_abs_err or d ~= d then r.max_abs_err = d end
    if rel > r.max_rel_err or rel ~= rel then r.max_rel_err = rel end
    if score > worst_score then
      worst_score = score
      r.flat_index, r.expected, r.got, r.abs_err, r.rel_err = k, e, g, d, rel
    end
  end
  r.ok = r.failed == 0
  return r
end

-- Without a grad argument, gradcheck checks lg.grad (lgrad.autograd): the
-- gradient of a scalar f, or the jacobian row by row (one backward pass per
-- output).
local function autograd_of(f, xt, m)
  local grad = require("lgrad.autograd").grad
  if not m then return grad(f)(xt:clone()) end
  local J = core.zeros({ m, xt:numel() }, "float64")
  for i = 1, m do
    local row = grad(function(t)
      local y = f(t)
      if type(y) == "number" then return y end
      return y:reshape(-1)[i]
    end)(xt:clone())
    J[i] = row:reshape(-1)
  end
  return J
end

local function gradcheck(f, x, grad, opts)
  check_f(f)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then argerror(4, "options table expected, got " .. type(opts)) end
  for k in pairs(opts) do
    if not OPTS[k] then argerror(4, "unknown option '" .. tostring(k) .. "' (eps, atol, rtol)") end
  end
  local eps = opts.eps == nil and M.EPS or opts.eps
  if type(eps) ~= "number" or not (eps > 0 and eps < math.huge) then
    argerror(4, "opts.eps must be a positive finite number, got " .. tostring(eps))
  end
  local atol = tol_opt(opts.atol, "atol") or M.ATOL
  local rtol = tol_opt(opts.rtol, "rtol") or M.RTOL

  f, grad = on_numbers(f, x), on_numbers(grad, x)
  local xt = to_f64(x, 2, "x")
  local xshape, n = xt:shape(), xt:numel()
  local y = f(xt:clone())
  local jac = not (type(y) == "number" or (is_tensor(y) and y:numel() == 1))

  if grad == nil then grad = autograd_of(f, xt, jac and #values_of(y)) end
  if callable(grad) then grad = grad(xt:clone()) end
  local gt = to_f64(grad, 3, "grad")
  local numeric, shape
  if jac then
    local m = #values_of(y)
    shape = { m, n }
    if gt:numel() ~= m * n or gt:dim() ~= 2 then
      argerror(3, ("f returns %d values and x has %d, so grad must be the %d x %d jacobian, got shape %s")
        :format(m, n, m, n, shape_str(gt:shape())))
    end
    numeric = numeric_jacobian(f, xt, eps)
  else
    shape = xshape
    local same = gt:dim() == #xshape
    for d = 1, #xshape do same = same and gt:shape()[d] == xshape[d] end
    if n == 1 and gt:numel() == 1 and type(grad) == "number" then same = true end
    if not same then
      argerror(3, ("shape mismatch: grad has shape %s, x has shape %s")
        :format(shape_str(gt:shape()), shape_str(xshape)))
    end
    numeric = numeric_grad(f, xt, eps)
  end

  local r = compare(numeric:reshape(-1):totable(), gt:reshape(-1):totable(), atol, rtol)
  r.kind = jac and "jacobian" or "gradient"
  r.shape, r.numel = shape, jac and shape[1] * shape[2] or n
  r.index = r.flat_index and unflatten(r.flat_index, shape)
  r.eps, r.atol, r.rtol = eps, atol, rtol
  r.numeric = numeric:reshape(shape)
  r.analytic = gt:reshape(shape)
  return r.ok, setmetatable(r, report_mt)
end

M.numeric_grad = public("numeric_grad", numeric_grad)
M.numeric_jacobian = public("numeric_jacobian", numeric_jacobian)
M.gradcheck = public("gradcheck", gradcheck)
M.unflatten = unflatten
M.compare = compare   -- shared with lgrad.busted

return M
