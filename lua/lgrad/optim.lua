-- lgrad.optim: SGD and Adam for experiments, with torch.optim's update rules.
--
--   local opt = lg.optim.adam{ lr = 1e-3 }
--   opt:step(params, grads)   -- params and grads: tensors or nested tables alike
--
-- Every tensor of params is updated in place. The state (momentum buffers,
-- moments, and scratch tensors) is made on the first step and reused, so a
-- step allocates nothing more. Hyperparameters are fields of the optimizer
-- (opt.lr = 0.01 between steps works).
local core = require "lgrad.core"

local M = {}
local tensor_mt = core._metatable
local add, sub, mul, div, sqrt = core.add, core.sub, core.mul, core.div, core.sqrt

local function is_tensor(v) return getmetatable(v) == tensor_mt end

local function argerror(n, fname, msg, level)
  error(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), level + 1)
end

local function shape_str(t) return "[" .. table.concat(t:shape(), ", ") .. "]" end

local function same_shape(a, b)   -- without :shape(), which makes tables
  local n = a:dim()
  if b:dim() ~= n then return false end
  for i = 1, n do if a:size(i) ~= b:size(i) then return false end end
  return true
end

-- A bad step argument, raised as a marker so step can name it at the caller.
local StepErr = {}
local function bad(msg) error(setmetatable({ msg = msg }, StepErr), 0) end

-- Options: known keys only, numbers in range.
local function options(fname, opts, defaults)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then argerror(1, fname, "options table expected, got " .. type(opts), 3) end
  local o = {}
  for k in pairs(opts) do
    if defaults[k] == nil then
      local names = {}
      for n in pairs(defaults) do names[#names + 1] = n end
      table.sort(names)
      argerror(1, fname, ("unknown option '%s' (%s)"):format(tostring(k), table.concat(names, ", ")), 3)
    end
  end
  for k, d in pairs(defaults) do
    local v = opts[k]
    if v == nil then v = d end
    o[k] = v
  end
  return o
end

local function check_number(fname, name, v, lo, hi, open_hi)
  if type(v) ~= "number" or v ~= v or v < lo or (open_hi and v >= hi) or (not open_hi and v > hi) then
    argerror(1, fname, ("%s must be a number in [%g, %g%s, got %s"):format(name, lo, hi,
      open_hi and ")" or "]", tostring(v)), 3)
  end
end

-- The place being walked, as "params.layers[2].W", for messages.
local function where(path)
  local out = { "params" }
  for i = 1, #path do
    local k = path[i]
    out[#out + 1] = type(k) == "number" and ("[%d]"):format(k) or "." .. tostring(k)
  end
  return table.concat(out)
end

-- Calls update(opt, p, g, state_of_p) for each tensor of params with the
-- gradient at the same place in grads. opt._path and opt._seen are reused
-- so that a step allocates nothing.
local function each(opt, params, grads, update)
  local path = opt._path
  if is_tensor(params) then
    if not is_tensor(grads) then bad(("no gradient tensor for %s, got %s"):format(where(path), type(grads))) end
    if params:dtype() ~= grads:dtype() or not same_shape(params, grads) then
      bad(("gradient for %s is %s %s, expected %s %s"):format(where(path), grads:dtype(),
        shape_str(grads), params:dtype(), shape_str(params)))
    end
    local st = opt.state[params]
    if st == nil then st = {} opt.state[params] = st end
    update(opt, params, grads, st)
    return
  end
  if type(params) ~= "table" or opt._seen[params] then return end
  opt._seen[params] = true
  if type(grads) ~= "table" or is_tensor(grads) then
    bad(("a table of gradients expected for %s, got %s"):format(where(path),
      is_tensor(grads) and "a tensor" or type(grads)))
  end
  for k, v in pairs(params) do
    if is_tensor(v) or type(v) == "table" then
      path[#path + 1] = k
      each(opt, v, grads[k], update)
      path[#path] = nil
    end
  end
end

local function stepper(update)
  return function(self, params, grads)
    if not (is_tensor(params) or type(params) == "table") then
      argerror(1, "step", "tensor or table of tensors expected, got " .. type(params), 2)
    end
    self.steps = self.steps + 1
    local ok, e = pcall(each, self, params, grads, update)
    for k in pairs(self._seen) do self._seen[k] = nil end
    if not ok then
      for i = #self._path, 1, -1 do self._path[i] = nil end
      if getmetatable(e) == StepErr then error("bad argument #2 to 'step' (" .. e.msg .. ")", 2) end
      error(e, 0)
    end
    return params
  end
end

local function scratch(st, key, p)
  local t = st[key]
  if t == nil then t = core.empty(p:shape(), p:dtype()) st[key] = t end
  return t
end

-- SGD as torch.optim.SGD (dampening 0, not Nesterov):
--   d = g + weight_decay * p
--   b = d on the first step, then b = momentum * b + d;  d = b   (momentum > 0)
--   p = p - lr * d
local function sgd_update(o, p, g, st)
  local d = g
  if o.weight_decay ~= 0 then
    d = mul(p, o.weight_decay, scratch(st, "d", p))
    add(d, g, d)
  end
  if o.momentum ~= 0 then
    local b = st.b
    if b == nil then
      b = core.empty(p:shape(), p:dtype()):copy(d)
      st.b = b
    else
      mul(b, o.momentum, b)
      add(b, d, b)
    end
    d = b
  end
  local s = mul(d, o.lr, scratch(st, "s", p))
  sub(p, s, p)
end

-- Adam as torch.optim.Adam (not AMSGrad), t the step count from 1:
--   g = g + weight_decay * p
--   m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g^2
--   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
local function adam_update(o, p, g, st)
  local b1, b2 = o.betas[1], o.betas[2]
  local s1, s2 = scratch(st, "s1", p), scratch(st, "s2", p)
  if st.m == nil then
    st.m, st.v, st.t = core.zeros(p:shape(), p:dtype()), core.zeros(p:shape(), p:dtype()), 0
  end
  local m, v = st.m, st.v
  st.t = st.t + 1
  if o.weight_decay ~= 0 then
    mul(p, o.weight_decay, s1)
    g = add(s1, g, s1)
  end
  mul(m, b1, m)
  add(m, mul(g, 1 - b1, s2), m)
  mul(v, b2, v)
  mul(g, g, s2)
  add(v, mul(s2, 1 - b2, s2), v)
  local bc1, bc2 = 1 - b1 ^ st.t, 1 - b2 ^ st.t
  sqrt(v, s2)
  div(s2, math.sqrt(bc2), s2)
  add(s2, o.eps, s2)
  div(m, s2, s1)
  mul(s1, o.lr / bc1, s1)
  sub(p, s1, p)
end

local Optimizer = {}
Optimizer.__index = Optimizer

function M.sgd(opts)
  local o = options("sgd", opts, { lr = 1e-3, momentum = 0, weight_decay = 0 })
  check_number("sgd", "lr", o.lr, 0, math.huge, true)
  check_number("sgd", "momentum", o.momentum, 0, math.huge, true)
  check_number("sgd", "weight_decay", o.weight_decay, 0, math.huge, true)
  o.state, o.steps, o.step = setmetatable({}, { __mode = "k" }), 0, stepper(sgd_update)
  o._path, o._seen = {}, {}
  o.kind = "sgd"
  return setmetatable(o, Optimizer)
end

function M.adam(opts)
  local o = options("adam", opts, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0 })
  check_number("adam", "lr", o.lr, 0, math.huge, true)
  if type(o.betas) ~= "table" then argerror(1, "adam", "betas must be a table {b1, b2}, got " .. type(o.betas), 2) end
  check_number("adam", "betas[1]", o.betas[1], 0, 1, true)
  check_number("adam", "betas[2]", o.betas[2], 0, 1, true)
  check_number("adam", "eps", o.eps, 0, math.huge, true)
  check_number("adam", "weight_decay", o.weight_decay, 0, math.huge, true)
  o.betas = { o.betas[1], o.betas[2] }
  o.state, o.steps, o.step = setmetatable({}, { __mode = "k" }), 0, stepper(adam_update)
  o._path, o._seen = {}, {}
  o.kind = "adam"
  return setmetatable(o, Optimizer)
end

function Optimizer:__tostring()
  if self.kind == "sgd" then
    return ("lg.optim.sgd{lr=%g, momentum=%g, weight_decay=%g}"):format(self.lr, self.momentum, self.weight_decay)
  end
  return ("lg.optim.adam{lr=%g, betas={%g, %g}, eps=%g, weight_decay=%g}"):format(self.lr, self.betas[1],
    self.betas[2], self.eps, self.weight_decay)
end

return M
