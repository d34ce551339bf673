-- lgrad.autograd: reverse-mode gradients of Lua functions of lgrad tensors.
--
-- lg.grad(f [, argnums]) and lg.value_and_grad(f [, argnums]) (docs/autograd.md).
--
-- How: while f runs, the arguments being differentiated are replaced by
-- traced values ("proxies": a table holding the tensor or number, with its
-- own metatable), and lg's functions, the tensor metamethods and the few
-- tensor methods that can receive a proxy are swapped for versions that
-- record each operation on a tape. Each recorded node keeps a closure that
-- maps the gradient of its output to the gradients of its traced inputs,
-- written with lgrad's own ops and fused backward kernels. After f returns
-- everything is put back (also when f raises), the tape is walked once
-- backwards and dropped: nothing outside lg.grad changes or slows down, and
-- nothing grows from one call to the next.
local core = require "lgrad.core"

local M = {}

local unpack = table.unpack or unpack
local tensor_mt, methods = core._metatable, core._methods
local function pack(...) return { n = select("#", ...), ... } end
local function is_tensor(v) return getmetatable(v) == tensor_mt end

-- The original functions, taken before anything is patched.
local C = {}
for k, v in pairs(core) do C[k] = v end
local Mth = {}
for k, v in pairs(methods) do Mth[k] = v end
local MT = {}
for _, k in ipairs({ "__add", "__sub", "__mul", "__div", "__unm", "__pow", "__newindex" }) do
  MT[k] = tensor_mt[k]
end

-- C.NAME called from a field of that name, so that an argument error in
-- the traced forward reads "bad argument #2 to 'softmax'" as it does outside.
local load_ = loadstring or load
local function as(name, f)
  return load_(("local T = ... return function(...) local a, b = T.%s(...) return a, b end")
    :format(name), "=lgrad.autograd")({ [name] = f })
end
local named = setmetatable({}, { __index = function(t, name)
  local f = as(name, C[name])
  t[name] = f
  return f
end })

local mnamed = setmetatable({}, { __index = function(t, name)   -- tensor methods
  local f = as(name, Mth[name])
  t[name] = f
  return f
end })
local index = load_("return function(t, k) local v = t[k] return v end", "=lgrad.autograd")()

-- A traced forward call: call(...) through a stub of as(), its error (if
-- any) raised again at the line of f that made the call (run <- rule <- f).
-- m: the call was a method call, so self is not counted among the arguments.
local function renumber(n, name)
  n = tonumber(n) - 1
  if n == 0 then return ("calling '%s' on bad self"):format(name) end
  return ("bad argument #%d to '%s'"):format(n, name)
end

local function run(m, call, ...)
  local ok, a, b = pcall(call, ...)
  if ok then return a, b end
  if type(a) ~= "string" then error(a, 0) end
  a = a:gsub("^lgrad%.autograd:%d+: ", "")
  if m then a = a:gsub("^bad argument #(%d+) to '([^']*)'", renumber) end
  error(a, 3)
end

-- Proxies ----------------------------------------------------------------
-- Fields: v (the value: a tensor or a number), tape (the trace it belongs
-- to), back (gradient closure), p1..p3 (traced inputs or false), leaf.
-- Named fields only, and __lgrad_traced in the metatable: lgrad.core
-- refuses a proxy that reaches it by another path rather than read it as
-- a table of numbers.
local P = {}
local function isp(x) return getmetatable(x) == P end

local tape          -- the innermost active trace, nil outside lg.grad
local shared = setmetatable({}, { __mode = "k" })   -- gradients that alias another

local function fail(msg, level) error("lg.grad: " .. msg, (level or 1) + 1) end

local function check_live(x)
  if x.tape == tape then return end
  if not x.tape.active then
    fail("a traced value from a finished lg.grad call was used (keep tensors, not traced values, "
      .. "across calls)", 4)
  end
  -- An enclosing call's value inside a nested lg.grad: the nested result
  -- would depend on it without the outer call seeing how.
  fail("a value traced by an enclosing lg.grad was used inside a nested one (higher-order "
    .. "gradients are not supported)", 4)
end

local function record(v, back, a, b, c)
  if a then check_live(a) end
  if b then check_live(b) end
  local n = setmetatable({ v = v, tape = tape, back = back, p1 = a or false, p2 = b or false,
    p3 = c or false }, P)
  tape[#tape + 1] = n
  return n
end

local function val(x) if isp(x) then return x.v end return x end

local function no_grad(name) fail(("'%s' has no gradient"):format(name), 3) end
local function no_out(name)
  fail(("'%s' cannot write to an out tensor while it is traced"):format(name), 3)
end

-- The gradient g of a broadcast result, summed back to the shape of the
-- operand value `like` (a tensor or a number).
local function same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

local function sum_to(g, like, fresh)
  if type(like) == "number" then
    if type(g) == "number" then return g end
    return g:sum()
  end
  local s = like:shape()
  if type(g) == "number" then return C.full(s, g, like:dtype()) end
  local gs = g:shape()
  if same_shape(gs, s) then
    if not fresh then shared[g] = true end
    return g
  end
  if #s == 0 then return C.full(s, g:sum(), like:dtype()) end
  local lead = #gs - #s
  if lead > 0 then
    local rest = { -1 }
    for j = lead + 1, #gs do rest[#rest + 1] = gs[j] end
    g = g:reshape(rest):sum(1)
  end
  for j = 1, #s do
    if s[j] == 1 and gs[j + lead] ~= 1 then g = g:sum(j, true) end
  end
  return g
end

local function passed(g) shared[g] = true return g end

-- Tensors-or-numbers arithmetic for gradient formulas.
local function mul(a, b)
  if type(a) == "number" and type(b) == "number" then return a * b end
  return C.mul(a, b)
end

-- Elementwise binary ops -------------------------------------------------

local lua_op = {
  add = function(a, b) return a + b end, sub = function(a, b) return a - b end,
  mul = function(a, b) return a * b end, div = function(a, b) return a / b end,
}

local binback = {
  add = function(g, va, vb, pa, pb)
    return pa and sum_to(g, va), pb and sum_to(g, vb)
  end,
  sub = function(g, va, vb, pa, pb)
    return pa and sum_to(g, va), pb and sum_to(type(g) == "number" and -g or C.neg(g), vb, true)
  end,
  mul = function(g, va, vb, pa, pb)
    return pa and sum_to(mul(g, vb), va, true), pb and sum_to(mul(g, va), vb, true)
  end,
  div = function(g, va, vb, pa, pb, y)
    local ga = pa and (type(g) == "number" and type(vb) == "number" and g / vb or C.div(g, vb))
    local gb
    if pb then   -- d(a/b)/db = -(a/b)/b
      if type(g) == "number" and type(y) == "number" and type(vb) == "number" then gb = -g * y / vb
      else gb = C.neg(C.div(mul(g, y), vb)) end
    end
    return ga and sum_to(ga, va, true), gb and sum_to(gb, vb, true)
  end,
}

-- A constant operand given as a Lua table takes the traced side's dtype.
local function const(x, other)
  if type(x) == "table" and not is_tensor(x) then
    return C.tensor(x, type(other) == "number" and "float32" or other:dtype())
  end
  return x
end

local function binary(name, m)
  local orig, call, lop, bk = C[name], named[name], lua_op[name], binback[name]
  return function(a, b, out)
    local pa, pb = isp(a), isp(b)
    if not (pa or pb) then
      if m then   -- a plain tensor's method (not a tail call: run raises at f's line)
        local y = run(true, call, a, b, out)
        return y
      end
      return orig(a, b, out)
    end
    if out ~= nil then no_out(name) end
    local va, vb = val(a), val(b)
    va, vb = const(va, vb), const(vb, va)
    local y
    if type(va) == "number" and type(vb) == "number" then y = lop(va, vb)
    else y = run(m, call, va, vb) end
    return record(y, function(g) return bk(g, va, vb, pa, pb, y) end, pa and a, pb and b)
  end
end

-- Elementwise unary ops --------------------------------------------------

local function sign(x)
  if type(x) == "number" then return x > 0 and 1 or (x < 0 and -1 or 0) end
  return C.sub(C.heaviside(x), C.heaviside(C.neg(x)))
end

-- name -> { Lua function for a number, gradient (g, x, y) }
local unary_rules = {
  neg = { function(x) return -x end, function(g) return type(g) == "number" and -g or C.neg(g) end },
  exp = { math.exp, function(g, _, y) return mul(g, y) end },
  log = { math.log, function(g, x) return type(g) == "number" and g / x or C.div(g, x) end },
  sqrt = { math.sqrt, function(g, _, y)
    if type(g) == "number" then return g * 0.5 / y end
    return C.mul(C.div(g, y), 0.5)
  end },
  abs = { math.abs, function(g, x) return mul(g, sign(x)) end },
}

local function unary(name, m, unm)
  local orig, call, r = C[name], named[name], unary_rules[name]
  local lua_f, bk = r[1], r[2]
  return function(x, out)
    if unm then out = nil end   -- Lua passes the operand twice to __unm
    if not isp(x) then return orig(x, out) end
    if out ~= nil then no_out(name) end
    local v = x.v
    local y = type(v) == "number" and lua_f(v) or run(m, call, v)
    return record(y, function(g) return bk(g, v, y) end, x)
  end
end

local function make_pow(m) return function(x, p, out)
  if isp(p) then fail("'^' with a traced exponent has no gradient", 2) end
  if not isp(x) then return C.pow(x, p, out) end
  if out ~= nil then no_out("pow") end
  local v = x.v
  local y = type(v) == "number" and v ^ p or run(m, named.pow, v, p)
  return record(y, function(g)
    if p == 0 then return type(v) == "number" and 0 or C.zeros(v:shape(), v:dtype()) end
    if p == 1 then return g end
    if type(v) == "number" then return g * p * v ^ (p - 1) end
    return C.mul(C.mul(C.pow(v, p - 1), p), g)
  end, x)
end end
local pow = make_pow(false)

-- Activations ------------------------------------------------------------
-- lg.NAME(x, params...) with its kernel NAME_backward(g, x, params...);
-- sigmoid and tanh use the saved output instead.

local function activation(name, m)
  local orig, call, bwd = C[name], named[name], C[name .. "_backward"]
  local from_y = C[name .. "_backward_from_output"]
  return function(x, ...)
    if not isp(x) then
      for i = 1, select("#", ...) do
        if isp((select(i, ...))) then
          fail(("no gradient with respect to a parameter of '%s'"):format(name), 2)
        end
      end
      return orig(x, ...)
    end
    local params = pack(...)
    for i = 1, params.n do
      if isp(params[i]) then fail(("no gradient with respect to a parameter of '%s'"):format(name), 2) end
    end
    local last = params.n
    while last > 0 and params[last] == nil do last = last - 1 end
    if last > 0 and is_tensor(params[last]) then no_out(name) end
    local v = x.v
    local num = type(v) == "number"
    if num then v = C.tensor(v, "float64") end
    local y = run(m, call, v, unpack(params, 1, params.n))
    local out = num and y:item() or y
    return record(out, function(g)
      if num then g = C.tensor(g, "float64") end
      local d
      if from_y then d = from_y(g, y) else d = bwd(g, v, unpack(params, 1, params.n)) end
      return num and d:item() or d
    end, x)
  end
end

-- Softmax family ---------------------------------------------------------

local function norm_dim(t, d)
  d = d or -1
  if d < 0 then d = t:dim() + 1 + d end
  return d
end

local function keep_shape(t, d)
  local s = t:shape()
  if #s > 0 then s[d] = 1 end
  return s
end

local function softmax_like(name, back, m)
  local orig, call = C[name], named[name]
  return function(z, dim, out)
    if not isp(z) then return orig(z, dim, out) end
    if out ~= nil then no_out(name) end
    if isp(dim) then no_grad(name) end
    local v = z.v
    local y = run(m, call, v, dim)
    return record(y, function(g) return back(g, y, dim) end, z)
  end
end

local function make_logsumexp(m) return function(z, dim, keepdim, out)
  if not isp(z) then return C.logsumexp(z, dim, keepdim, out) end
  if out ~= nil then no_out("logsumexp") end
  local v = z.v
  local y = run(m, named.logsumexp, v, dim, keepdim)
  return record(y, function(g)
    local p = C.softmax(v, dim)
    if v:dim() == 0 then return C.mul(p, g) end
    if not keepdim then g = g:reshape(keep_shape(v, norm_dim(v, dim))) end
    return C.mul(p, g)
  end, z)
end end

-- Losses -----------------------------------------------------------------
-- The forward calls the fused NAME_grad kernel, which returns dL/dz with
-- the loss (p - y for cross-entropy, sigmoid(z) - y for BCE); the backward
-- only scales it by the incoming gradient.

local function loss(name, per_row)
  local orig, call = C[name], as(name, C[name .. "_grad"])
  return function(z, y, opts, out)
    local traced_opts = false
    if type(opts) == "table" then
      for _, k in ipairs({ "weight", "pos_weight" }) do
        if isp(opts[k]) then traced_opts = k end
      end
    end
    if not isp(z) then
      if isp(y) or traced_opts then
        fail(("no gradient of '%s' with respect to its %s"):format(name,
          isp(y) and "target" or "option " .. traced_opts), 2)
      end
      return orig(z, y, opts, out)
    end
    if isp(y) then fail(("no gradient of '%s' with respect to its target"):format(name), 2) end
    if traced_opts then
      fail(("no gradient of '%s' with respect to its option %s"):format(name, traced_opts), 2)
    end
    if out ~= nil then no_out(name) end
    local v = z.v
    local gz, l = run(false, call, v, y, opts)
    return record(l, function(g)
      if type(g) == "number" then
        if g == 1 then return gz end
        return C.mul(gz, g)
      end
      -- reduction "none": row i of gz is the gradient of loss i alone
      if per_row and v:dim() == 2 then g = g:reshape(g:numel(), 1) end
      return C.mul(gz, g)
    end, z)
  end
end

-- Matrix products ----------------------------------------------------------

local function make_matmul(m) return function(a, b, out)
  local pa, pb = isp(a), isp(b)
  if not (pa or pb) then
    if m then local y = run(true, named.matmul, a, b, out) return y end
    return C.matmul(a, b, out)
  end
  if out ~= nil then no_out("matmul") end
  local va, vb = val(a), val(b)
  va, vb = const(va, vb), const(vb, va)
  local y = run(m, named.matmul, va, vb)
  return record(y, function(g)
    local da, db = va:dim(), vb:dim()
    local ga, gb
    if da == 2 and db == 2 then
      ga = pa and C.matmul(g, vb:t())
      gb = pb and C.matmul(va:t(), g)
    elseif da == 2 then
      ga = pa and C.outer(g, vb)
      gb = pb and C.matmul(g, va)
    elseif db == 2 then
      ga = pa and C.matmul(vb, g)
      gb = pb and C.outer(va, g)
    else
      ga = pa and C.mul(vb, g)
      gb = pb and C.mul(va, g)
    end
    return ga, gb
  end, pa and a, pb and b)
end end

local function make_dot(m) return function(a, b)
  local pa, pb = isp(a), isp(b)
  if not (pa or pb) then
    if m then local y = run(true, named.dot, a, b) return y end
    return C.dot(a, b)
  end
  local va, vb = val(a), val(b)
  va, vb = const(va, vb), const(vb, va)
  local y = run(m, named.dot, va, vb)
  return record(y, function(g) return pa and C.mul(vb, g), pb and C.mul(va, g) end,
    pa and a, pb and b)
end end

local function outer(a, b, out)
  local pa, pb = isp(a), isp(b)
  if not (pa or pb) then return C.outer(a, b, out) end
  if out ~= nil then no_out("outer") end
  local va, vb = val(a), val(b)
  va, vb = const(va, vb), const(vb, va)
  local y = run(false, named.outer, va, vb)
  return record(y, function(g) return pa and C.matmul(g, vb), pb and C.matmul(va, g) end,
    pa and a, pb and b)
end

-- The rules by name, made twice: as functions of lg, and as methods of
-- traced tensors (which number their arguments without self).
local makers = {
  add = function(m) return binary("add", m) end, sub = function(m) return binary("sub", m) end,
  mul = function(m) return binary("mul", m) end, div = function(m) return binary("div", m) end,
  neg = function(m) return unary("neg", m) end, exp = function(m) return unary("exp", m) end,
  log = function(m) return unary("log", m) end, sqrt = function(m) return unary("sqrt", m) end,
  abs = function(m) return unary("abs", m) end, pow = make_pow,
  matmul = make_matmul, dot = make_dot, logsumexp = make_logsumexp,
  outer = function() return outer end,
  softmax = function(m)
    return softmax_like("softmax", function(g, p, dim) return C.softmax_backward(g, p, dim) end, m)
  end,
  log_softmax = function(m)
    return softmax_like("log_softmax", function(g, lp, dim) return C.log_softmax_backward(g, lp, dim) end, m)
  end,
  cross_entropy = function() return loss("cross_entropy", true) end,
  nll_loss = function() return loss("nll_loss", true) end,
  binary_cross_entropy_with_logits = function() return loss("binary_cross_entropy_with_logits", false) end,
}
for _, name in ipairs(core.activations) do makers[name] = function(m) return activation(name, m) end end
local rules, pm = {}, {}
for name, make in pairs(makers) do
  rules[name] = make(false)
  if Mth[name] then pm[name] = make(true) end
end
local unm = unary("neg", false, true)

-- Functions whose results carry no gradient: traced arguments are read.
local reads = { allclose = true, equal = true, seed = true, set_num_threads = true,
  get_num_threads = true }

-- Methods of traced tensors ------------------------------------------------

-- Reads: values, not gradients (like torch's .tolist()).
for _, k in ipairs({ "shape", "size", "dim", "numel", "dtype", "stride", "is_contiguous",
  "is_closed", "totable", "argmax", "argmin" }) do
  local f = Mth[k]
  pm[k] = function(self, ...) return f(self.v, ...) end
end

local function num_or_tensor_shape(v)
  if type(v) == "number" then fail("a number has no tensor methods", 3) end
  return v:shape()
end

-- Views and copies: the gradient takes the way back.
function pm.reshape(self, ...)
  local v = self.v
  local s = num_or_tensor_shape(v)
  return record(run(true, mnamed.reshape, v, ...), function(g) return passed(g:reshape(s)) end, self)
end
function pm.view(self, ...)
  local v = self.v
  local s = num_or_tensor_shape(v)
  return record(run(true, mnamed.view, v, ...), function(g) return passed(g:reshape(s)) end, self)
end
function pm.transpose(self, a, b)
  local v = self.v
  num_or_tensor_shape(v)
  return record(run(true, mnamed.transpose, v, a, b), function(g) return passed(g:transpose(a, b)) end, self)
end
function pm.t(self)
  local v = self.v
  num_or_tensor_shape(v)
  return record(run(true, mnamed.t, v), function(g) return passed(g:dim() == 2 and g:t() or g) end, self)
end
function pm.contiguous(self)
  num_or_tensor_shape(self.v)
  return record(self.v:contiguous(), passed, self)
end
function pm.clone(self)
  num_or_tensor_shape(self.v)
  return record(self.v:clone(), passed, self)
end
function pm.astype(self, dt)
  local v = self.v
  num_or_tensor_shape(v)
  local from = v:dtype()
  return record(run(true, mnamed.astype, v, dt), function(g)
    if g:dtype() == from then return passed(g) end
    return g:astype(from)
  end, self)
end

-- Element reads: a number (or a row view) with its gradient put back in place.
local function put(shape, dtype, g, i)
  local z = C.zeros(shape, dtype)
  z[i] = g
  return z
end
function pm.get(self, ...)
  local v = self.v
  num_or_tensor_shape(v)
  local idx = pack(...)
  local y = run(true, mnamed.get, v, ...)
  return record(y, function(g)
    local z = C.zeros(v:shape(), v:dtype())
    idx[idx.n + 1] = g
    z:set(unpack(idx, 1, idx.n + 1))
    return z
  end, self)
end
function pm.item(self)
  local v = self.v
  num_or_tensor_shape(v)
  return record(run(true, mnamed.item, v), function(g) return C.full(v:shape(), g, v:dtype()) end, self)
end

-- Reductions
local function reduce_all_back(v, scale)
  return function(g) return C.full(v:shape(), g * scale, v:dtype()) end
end

local function spread(v, d, keepdim, g, scale)
  if not keepdim and v:dim() > 0 then g = g:reshape(keep_shape(v, d)) end
  if scale ~= 1 then g = C.mul(g, scale) end
  return C.empty(v:shape(), v:dtype()):copy(g)
end

function pm.sum(self, dim, keepdim)
  local v = self.v
  num_or_tensor_shape(v)
  local y = run(true, mnamed.sum, v, dim, keepdim)
  if dim == nil then return record(y, reduce_all_back(v, 1), self) end
  local d = norm_dim(v, dim)
  return record(y, function(g) return spread(v, d, keepdim, g, 1) end, self)
end

function pm.mean(self, dim, keepdim)
  local v = self.v
  num_or_tensor_shape(v)
  local y = run(true, mnamed.mean, v, dim, keepdim)
  if dim == nil then return record(y, reduce_all_back(v, 1 / v:numel()), self) end
  local d = norm_dim(v, dim)
  local n = v:dim() > 0 and v:size(d) or 1
  return record(y, function(g) return spread(v, d, keepdim, g, 1 / n) end, self)
end

-- max/min: without a dim the gradient is shared evenly by every element
-- equal to the extreme (torch's choice); with a dim it goes to the index
-- returned (the first on ties).
local function extreme(name)
  return function(self, dim, keepdim)
    local v = self.v
    num_or_tensor_shape(v)
    if dim == nil then
      local y = run(true, mnamed[name], v, dim, keepdim)
      return record(y, function(g)
        -- 1 where v equals y: v - y (or y - v) is never > 0 there
        local diff = name == "max" and C.sub(y, v) or C.sub(v, y)
        local mask = C.sub(1, C.heaviside(diff))
        return C.mul(mask, g / mask:sum())
      end, self)
    end
    local y, idx = run(true, mnamed[name], v, dim, keepdim)
    local d = norm_dim(v, dim)
    return record(y, function(g)
      local shape = v:shape()
      local n = #shape > 0 and shape[d] or 1
      local inner = 1
      for j = d + 1, #shape do inner = inner * shape[j] end
      local z = C.zeros(v:numel(), v:dtype())
      local ix = idx:reshape(-1):totable()
      local gv = g:reshape(-1):totable()
      for r = 0, #ix - 1 do
        local o, i = math.floor(r / inner), r % inner
        z[o * n * inner + (ix[r + 1] - 1) * inner + i + 1] = gv[r + 1]
      end
      return z:reshape(shape)
    end, self), idx
  end
end
pm.max, pm.min = extreme("max"), extreme("min")

-- Everything else a tensor has: refuse rather than drop the gradient.
for k in pairs(Mth) do
  if pm[k] == nil then
    pm[k] = function() no_grad(k) end
  end
end

-- Metamethods of traced values
P.__index = function(self, k)
  if type(k) == "number" then   -- x[i]: a number (1-d) or a row view
    local v = self.v
    num_or_tensor_shape(v)
    local y = run(false, index, v, k)
    return record(y, function(g) return put(v:shape(), v:dtype(), g, k) end, self)
  end
  return pm[k]
end
P.__newindex = function() fail("a traced tensor cannot be assigned to (in-place writes have no gradient)", 2) end
P.__add, P.__sub, P.__mul, P.__div = rules.add, rules.sub, rules.mul, rules.div
P.__unm, P.__pow = unm, pow
P.__len = function(self)
  if type(self.v) == "number" then fail("a traced number has no length", 2) end
  return #self.v
end
P.__lgrad_traced = true   -- lgrad.core refuses these as tables of numbers
P.__tostring = function(self) return "traced " .. tostring(self.v) end
P.__concat = function(a, b) return tostring(a) .. tostring(b) end
P.__lt = function(a, b) return val(a) < val(b) end
P.__le = function(a, b) return val(a) <= val(b) end

-- Patching while f runs ------------------------------------------------------

local lg   -- the module table, given by bind()
local depth = 0
local saved = {}   -- { table, key, value } to put back

local function any_traced(...)
  for i = 1, select("#", ...) do
    local a = select(i, ...)
    if isp(a) then return true end
  end
  return false
end

local function refuse(name, f)
  return function(...)
    if any_traced(...) then no_grad(name) end
    return f(...)
  end
end

local function reader(f)
  return function(...)
    local a = pack(...)
    for i = 1, a.n do a[i] = val(a[i]) end
    return f(unpack(a, 1, a.n))
  end
end

local function guard_write(name, f)
  return function(t, ...)
    if any_traced(...) then
      fail("a traced value cannot be written into a tensor (" .. name .. ": in-place writes have no gradient)", 2)
    end
    return f(t, ...)
  end
end

local patch   -- list of { table, key, replacement }

local function build_patch()
  patch = {}
  for k, v in pairs(lg) do
    if C[k] == v and type(v) == "function" then
      local r = rules[k] or (reads[k] and reader(v)) or refuse(k, v)
      patch[#patch + 1] = { lg, k, r }
    end
  end
  patch[#patch + 1] = { lg, "is_tensor", function(v) return is_tensor(v) or isp(v) end }
  for _, k in ipairs({ "add", "sub", "mul", "div", "matmul", "dot" }) do
    patch[#patch + 1] = { methods, k, pm[k] }
  end
  patch[#patch + 1] = { methods, "copy", guard_write("copy", Mth.copy) }
  patch[#patch + 1] = { methods, "set", guard_write("set", Mth.set) }
  patch[#patch + 1] = { methods, "fill", guard_write("fill", Mth.fill) }
  patch[#patch + 1] = { tensor_mt, "__add", rules.add }
  patch[#patch + 1] = { tensor_mt, "__sub", rules.sub }
  patch[#patch + 1] = { tensor_mt, "__mul", rules.mul }
  patch[#patch + 1] = { tensor_mt, "__div", rules.div }
  patch[#patch + 1] = { tensor_mt, "__pow", function(x, p)
    if isp(p) then fail("'^' with a traced exponent has no gradient", 2) end
    return MT.__pow(x, p)
  end }
  patch[#patch + 1] = { tensor_mt, "__newindex", guard_write("assignment", MT.__newindex) }
end

-- The patch as parallel arrays (tables, keys, replacements), walked with a
-- numeric for: this runs twice per lg.grad call.
local PT, PK, PV, np

local function install()
  if not patch then
    build_patch()
    PT, PK, PV, np = {}, {}, {}, #patch
    for i, p in ipairs(patch) do PT[i], PK[i], PV[i] = p[1], p[2], p[3] end
  end
  for i = 1, np do
    local t, k = PT[i], PK[i]
    saved[i] = t[k]
    t[k] = PV[i]
  end
  core._sync_metatables()
end

local function uninstall()
  for i = 1, np do PT[i][PK[i]] = saved[i] end
  core._sync_metatables()
end

-- Arguments -------------------------------------------------------------------

-- Replace the tensors of x (a tensor or nested table) by leaf proxies;
-- the same tensor met twice gets the same proxy.
local function wrap(x, tp, seen)
  if is_tensor(x) then
    local p = seen[x]
    if not p then
      p = setmetatable({ v = x, tape = tp, leaf = true, p1 = false, p2 = false, p3 = false }, P)
      seen[x] = p
    end
    return p
  end
  if type(x) == "table" and not isp(x) then
    if seen[x] then return seen[x] end
    local c = {}
    seen[x] = c
    for k, v in pairs(x) do c[k] = wrap(v, tp, seen) end
    return setmetatable(c, getmetatable(x))
  end
  return x
end

local function has_traced(x, seen)
  if isp(x) then return true end
  if type(x) ~= "table" or is_tensor(x) or seen[x] then return false end
  seen[x] = true
  for _, v in pairs(x) do if has_traced(v, seen) then return true end end
  return false
end

-- The gradient of each tensor of x, in x's structure.
local function collect(x, grads, seen, handed, done)
  if is_tensor(x) then
    local p = seen[x]
    local g = grads[p]
    if g == nil then return C.zeros(x:shape(), x:dtype()) end
    if type(g) == "number" then return C.full(x:shape(), g, x:dtype()) end
    if shared[g] or handed[g] then g = g:clone() end
    handed[g] = true
    return g
  end
  if type(x) == "table" then
    if done[x] then return done[x] end
    local c = {}
    done[x] = c
    for k, v in pairs(x) do
      if is_tensor(v) or type(v) == "table" then c[k] = collect(v, grads, seen, handed, done) end
    end
    return c
  end
  return nil
end

local function accumulate(grads, p, g)
  local v = p.v
  if type(v) == "number" then
    if type(g) ~= "number" then g = g:sum() end
  elseif type(g) == "number" then
    g = C.full(v:shape(), g, v:dtype())
  end
  local old = grads[p]
  if old == nil then grads[p] = g
  elseif type(old) == "number" then grads[p] = old + g
  else grads[p] = C.add(old, g) end
end

local function backward(y, tp)
  local seed
  if type(y.v) == "number" then seed = 1
  else seed = C.ones(y.v:shape(), y.v:dtype()) end
  local grads = { [y] = seed }
  for i = #tp, 1, -1 do
    local n = tp[i]
    tp[i] = nil
    local g = grads[n]
    if g ~= nil then
      grads[n] = nil
      local g1, g2, g3 = n.back(g)
      if n.p1 then accumulate(grads, n.p1, g1) end
      if n.p2 then accumulate(grads, n.p2, g2) end
      if n.p3 then accumulate(grads, n.p3, g3) end
    end
  end
  return grads
end

local function describe(v)
  if is_tensor(v) then
    return ("a %s tensor of shape [%s]"):format(v:dtype(), table.concat(v:shape(), ", "))
  end
  return type(v)
end

local function check_argnums(argnums, fname)
  if argnums == nil then return { 1 }, false end
  local list, multi = argnums, true
  if type(argnums) == "number" then list, multi = { argnums }, false end
  if type(list) ~= "table" or #list == 0 then
    error(("bad argument #2 to '%s' (argument number or list of them expected, got %s)")
      :format(fname, type(argnums)), 3)
  end
  for _, k in ipairs(list) do
    if type(k) ~= "number" or k < 1 or k ~= math.floor(k) then
      error(("bad argument #2 to '%s' (argument numbers are positive integers, got %s)")
        :format(fname, tostring(k)), 3)
    end
  end
  return list, multi
end

local function callable(f)
  if type(f) == "function" then return true end
  local mt = getmetatable(f)
  return type(mt) == "table" and mt.__call ~= nil
end

-- The gradient function: returns value, grads (in argnums order).
local function make(f, argnums, fname, with_value)
  if not callable(f) then
    error(("bad argument #1 to '%s' (function expected, got %s)"):format(fname, type(f)), 3)
  end
  local list = check_argnums(argnums, fname)
  return function(...)
    local args, given = pack(...), pack(...)
    local tp = { active = true }
    local seen = {}
    for _, k in ipairs(list) do
      local a = args[k]
      if not (is_tensor(a) or type(a) == "table") then
        error(("lg.grad: argument %d must be a tensor or a table of tensors, got %s"):format(k,
          describe(a)), 2)
      end
      if has_traced(a, {}) then
        error(("lg.grad: argument %d is traced by an enclosing lg.grad (higher-order gradients "
          .. "are not supported)"):format(k), 2)
      end
      args[k] = wrap(a, tp, seen)
    end
    if depth == 0 then install() end
    depth = depth + 1
    local prev = tape
    tape = tp
    local r = pack(pcall(f, unpack(args, 1, args.n)))
    tape = prev
    tp.active = false
    depth = depth - 1
    if depth == 0 then uninstall() end
    if not r[1] then error(r[2], 0) end
    local y = r[2]
    local grads
    if isp(y) then
      if type(y.v) ~= "number" and y.v:numel() ~= 1 then
        error("lg.grad: f must return a number or a one-element tensor, got " .. describe(y.v), 2)
      end
      grads = backward(y, tp)
    elseif type(y) == "number" or (is_tensor(y) and y:numel() == 1) then
      grads = {}   -- f does not depend on the arguments: zero gradients
    else
      error("lg.grad: f must return a number or a one-element tensor, got " .. describe(y), 2)
    end
    local out, handed = {}, {}
    for i, k in ipairs(list) do out[i] = collect(given[k], grads, seen, handed, {}) end
    if with_value then return val(y), unpack(out, 1, #list) end
    return unpack(out, 1, #list)
  end
end

function M.grad(f, argnums) return make(f, argnums, "grad", false) end
function M.value_and_grad(f, argnums) return make(f, argnums, "value_and_grad", true) end

-- Called once by lgrad/init.lua with the module table it patches.
function M.bind(module)
  lg = module
  return M
end

M.is_traced = isp

return M
