-- The specs' shared references in plain Lua doubles, written from the
-- formulas (docs/manual.md; torch.nn.functional's), independent of the C
-- kernels: the activations, then the softmax family, then the losses. Lua 5.4's math has no
-- expm1, log1p, tanh or erf, so they are built here from exp and log with
-- the usual cancellation-free identities.
local exp, log, abs, sqrt = math.exp, math.log, math.abs, math.sqrt
local inf = math.huge
local NaN = 0 / 0

local R = {}

local function isnan(x) return x ~= x end
R.isnan = isnan

-- e^x - 1: Taylor series where exp(x) - 1 would cancel.
function R.expm1(x)
  if abs(x) < 0.5 then
    local term, sum, n = x, x, 1
    repeat
      n = n + 1
      term = term * x / n
      sum = sum + term
    until abs(term) <= 1e-17 * abs(sum)
    return sum
  end
  return exp(x) - 1
end

-- log(1 + x), Goldberg's trick: the rounding of 1 + x cancels out.
function R.log1p(x)
  local u = 1 + x
  if u == 1 then return x end
  if u == inf then return inf end
  return log(u) * x / (u - 1)
end

-- tanh x = expm1(2|x|) / (expm1(2|x|) + 2), odd; 1 beyond 20 (1 - 8e-18 rounds to 1).
function R.tanh(x)
  if isnan(x) then return x end
  local a = abs(x)
  local t = a > 20 and 1 or R.expm1(2 * a) / (R.expm1(2 * a) + 2)
  return x < 0 and -t or t
end

-- sech^2 x = (2 / (e^x + e^-x))^2: no 1 - tanh^2 cancellation.
function R.sech2(x)
  local c = 2 / (exp(x) + exp(-x))
  return c * c
end

-- sigmoid(x) = 1 / (1 + e^-x), with e^-|x| so nothing overflows.
function R.sigmoid(x)
  if isnan(x) then return x end
  local e = exp(-abs(x))
  if x >= 0 then return 1 / (1 + e) end
  return e / (1 + e)
end

-- log(1 + e^x) = max(x, 0) + log1p(e^-|x|).
function R.softplus1(x)
  if isnan(x) then return x end
  return (x > 0 and x or 0) + R.log1p(exp(-abs(x)))
end

-- erfc(t) for t >= 0: 1 - erf(t) from the all-positive series
-- erf t = 2/sqrt(pi) e^-t^2 sum 2^n t^(2n+1) / (1*3*...*(2n+1)) below 2 (where
-- erfc >= 0.0047, so the subtraction loses at most 8 bits); above, the
-- continued fraction erfc t = e^-t^2/sqrt(pi) / (t + (1/2)/(t + 1/(t + (3/2)/(t + ...))))
-- evaluated with the modified Lentz method.
local SQRTPI = sqrt(math.pi)
local function erf_series(t)
  local term, sum, n = t, t, 0
  repeat
    n = n + 1
    term = term * 2 * t * t / (2 * n + 1)
    sum = sum + term
  until term <= 1e-17 * sum
  return 2 / SQRTPI * exp(-t * t) * sum
end
local function erfc_cf(t)
  local tiny = 1e-300
  local f = t
  local C, D = f, 0
  for k = 1, 100000 do
    local a = k / 2
    D = t + a * D
    if D == 0 then D = tiny end
    C = t + a / C
    if C == 0 then C = tiny end
    D = 1 / D
    local delta = C * D
    f = f * delta
    if abs(delta - 1) < 1e-16 then break end
  end
  return exp(-t * t) / SQRTPI / f
end
function R.erfc(x)
  if isnan(x) then return x end
  if x == inf then return 0 end
  if x == -inf then return 2 end
  if x < 0 then return 2 - R.erfc(-x) end
  if x < 2 then return 1 - erf_series(x) end
  return erfc_cf(x)
end
function R.erf(x)
  if isnan(x) then return x end
  if abs(x) < 2 then return x < 0 and -erf_series(-x) or erf_series(x) end
  return x < 0 and R.erfc(-x) - 1 or 1 - R.erfc(x)
end

-- Phi(x) = erfc(-x / sqrt 2) / 2 and phi(x) = e^(-x^2/2) / sqrt(2 pi).
local function Phi(x) return R.erfc(-x / sqrt(2)) / 2 end
local function phi(x) return exp(-x * x / 2) / sqrt(2 * math.pi) end

-- SELU's published constants (Klambauer et al. 2017).
R.SELU_ALPHA = 1.6732632423543772848170429916717
R.SELU_SCALE = 1.0507009873554804934193349852946
local GELU_K = 0.044715
local SQRT_2_PI = sqrt(2 / math.pi)

-- Each entry: f(x, p) and df(x, p), p the positional parameters with the
-- defaults filled in; defaults; kinks(p) lists the points where f' jumps.
local sig, expm1, sp1 = R.sigmoid, R.expm1, R.softplus1
local function nan_or(x, v) if isnan(x) then return x end return v end
local function clamp(x, a, b)   -- min(max(x, a), b), NaN passes
  if isnan(x) then return x end
  local t = x < a and a or x
  return t > b and b or t
end

R.act = {
  sigmoid = { f = function(x) return sig(x) end,
              df = function(x) return sig(x) * sig(-x) end },
  tanh = { f = function(x) return R.tanh(x) end,
           df = function(x) return nan_or(x, R.sech2(x)) end },
  relu = { f = function(x) return nan_or(x, x > 0 and x or 0) end,
           df = function(x) return nan_or(x, x > 0 and 1 or 0) end, kinks = { 0 } },
  leaky_relu = { defaults = { 0.01 },
                 f = function(x, p) return x > 0 and x or x * p[1] end,
                 df = function(x, p) return nan_or(x, x > 0 and 1 or p[1]) end, kinks = { 0 } },
  elu = { defaults = { 1 },
          f = function(x, p) return nan_or(x, x > 0 and x or p[1] * expm1(x)) end,
          df = function(x, p) return nan_or(x, x > 0 and 1 or p[1] * exp(x)) end, kinks = { 0 } },
  selu = { f = function(x) return nan_or(x, R.SELU_SCALE * (x > 0 and x or R.SELU_ALPHA * expm1(x))) end,
           df = function(x) return nan_or(x, x > 0 and R.SELU_SCALE or R.SELU_SCALE * R.SELU_ALPHA * exp(x)) end,
           kinks = { 0 } },
  celu = { defaults = { 1 },
           f = function(x, p) return nan_or(x, x > 0 and x or p[1] * expm1(x / p[1])) end,
           df = function(x, p) return nan_or(x, x > 0 and 1 or exp(x / p[1])) end, kinks = { 0 } },
  -- gelu: x Phi(x), or with approximate = "tanh" x/2 (1 + tanh u),
  -- u = sqrt(2/pi) (x + 0.044715 x^3), written as x sigmoid(2u) (1 + tanh u = 2 sigmoid(2u)).
  gelu = { defaults = { "none" },
           f = function(x, p)
             if p[1] == "tanh" then
               local u = SQRT_2_PI * (x + GELU_K * x * x * x)
               return x * sig(2 * u)
             end
             return x * Phi(x)
           end,
           df = function(x, p)
             if p[1] == "tanh" then
               local u = SQRT_2_PI * (x + GELU_K * x * x * x)
               local du = SQRT_2_PI * (1 + 3 * GELU_K * x * x)
               -- (1 + tanh u)/2 + x/2 sech^2(u) u', sech^2 u = 4 sigmoid(2u) sigmoid(-2u)
               return sig(2 * u) + (2 * x * sig(2 * u) * sig(-2 * u)) * du
             end
             return Phi(x) + x * phi(x)
           end },
  silu = { f = function(x) return x * sig(x) end,
           df = function(x) return sig(x) + x * sig(x) * sig(-x) end },
  mish = { f = function(x) return x * R.tanh(sp1(x)) end,
           df = function(x) local s = sp1(x) return R.tanh(s) + x * sig(x) * R.sech2(s) end },
  softplus = { defaults = { 1, 20 },
               f = function(x, p)
                 if isnan(x) then return x end
                 if p[1] * x > p[2] then return x end
                 return sp1(p[1] * x) / p[1]
               end,
               df = function(x, p)
                 if isnan(x) then return x end
                 if p[1] * x > p[2] then return 1 end
                 return sig(p[1] * x)
               end,
               kinks = function(p) return { p[2] / p[1] } end },
  -- PyTorch: NaN at +-inf (inf / inf), forward and backward.
  softsign = { f = function(x) return x / (1 + abs(x)) end,
               df = function(x)
                 if abs(x) == inf then return NaN end
                 return 1 / ((1 + abs(x)) * (1 + abs(x)))
               end },
  hardtanh = { defaults = { -1, 1 },
               f = function(x, p) return clamp(x, p[1], p[2]) end,
               df = function(x, p) return nan_or(x, (x > p[1] and x < p[2]) and 1 or 0) end,
               kinks = function(p) return { p[1], p[2] } end },
  relu6 = { f = function(x) return clamp(x, 0, 6) end,
            df = function(x) return nan_or(x, (x > 0 and x < 6) and 1 or 0) end, kinks = { 0, 6 } },
  hardsigmoid = { f = function(x) return nan_or(x, clamp(x + 3, 0, 6) / 6) end,
                  df = function(x) return nan_or(x, (x > -3 and x < 3) and 1 / 6 or 0) end,
                  kinks = { -3, 3 } },
  hardswish = { f = function(x) return x * clamp(x + 3, 0, 6) / 6 end,
                df = function(x)
                  if isnan(x) then return x end
                  if x < -3 then return 0 end
                  if x <= 3 then return (2 * x + 3) / 6 end
                  return 1
                end,
                kinks = { -3, 3 } },
  log_sigmoid = { f = function(x) return nan_or(x, (x < 0 and x or 0) - R.log1p(exp(-abs(x)))) end,
                  df = function(x) return sig(-x) end },
  heaviside = { f = function(x) return nan_or(x, x > 0 and 1 or 0) end,
                df = function(x) return nan_or(x, 0) end, kinks = { 0 } },
}

-- The kink points of activation name for parameters p.
function R.kinks(name, p)
  local k = R.act[name].kinks or {}
  if type(k) == "function" then k = k(p) end
  return k
end

-- Positional parameters p with the defaults filled in.
function R.params(name, p)
  local d, q = R.act[name].defaults or {}, {}
  for i = 1, #d do
    if p and p[i] ~= nil then q[i] = p[i] else q[i] = d[i] end
  end
  return q
end

-- ---- the softmax family, over one row (a list of numbers) -------------

-- max of a row; NaN if any element is NaN
function R.row_max(r)
  local m = -inf
  for _, v in ipairs(r) do if v > m or v ~= v then m = v end end
  return m
end
-- torch.logsumexp: an infinite max counts as 0 (all -inf: -inf, any +inf: +inf)
function R.logsumexp(r)
  local m = R.row_max(r)
  if m == inf or m == -inf then m = 0 end
  local s = 0
  for _, v in ipairs(r) do s = s + exp(v - m) end
  return m + log(s)
end
function R.softmax(r)
  local m, s, out = R.row_max(r), 0, {}
  for i, v in ipairs(r) do out[i] = exp(v - m); s = s + out[i] end
  for i = 1, #out do out[i] = out[i] / s end
  return out
end
function R.log_softmax(r)
  local m, s, out = R.row_max(r), 0, {}
  for _, v in ipairs(r) do s = s + exp(v - m) end
  for i, v in ipairs(r) do out[i] = (v - m) - log(s) end
  return out
end
-- one-hot of the first argmax; the first NaN wins (torch.argmax)
function R.hardmax(r)
  local best, out = 1, {}
  for i, v in ipairs(r) do
    out[i] = 0
    if not isnan(r[best]) and (v > r[best] or isnan(v)) then best = i end
  end
  out[best] = 1
  return out
end

-- ---- losses (rows of logits z, 1-based class targets t) --------------

local function reduce(losses, red, denom)
  if red == "none" then return losses end
  local s = 0
  for _, v in ipairs(losses) do s = s + v end
  if red == "sum" then return s end
  return s / denom
end
R.reduce = reduce

-- Class-index targets. Mean divides by the summed weights of the counted
-- targets, also for the smoothing term. o: weight, ignore_index,
-- label_smoothing, reduction (default "mean").
function R.cross_entropy(z, t, o)
  o = o or {}
  local C, eps = #z[1], o.label_smoothing or 0
  local w = o.weight or {}
  local function wt(c) return w[c] or 1 end
  local losses, W = {}, 0
  for i, row in ipairs(z) do
    if o.ignore_index ~= nil and t[i] == o.ignore_index then
      losses[i] = 0
    else
      local lp = R.log_softmax(row)
      local l = -wt(t[i]) * lp[t[i]]
      if eps > 0 then
        local smooth = 0
        for c = 1, C do smooth = smooth - wt(c) * lp[c] end
        l = (1 - eps) * l + eps / C * smooth
      end
      losses[i] = l
      W = W + wt(t[i])
    end
  end
  return reduce(losses, o.reduction or "mean", W)
end

-- Probability targets y: y' = (1 - eps) y + eps / C; mean divides by N.
function R.cross_entropy_prob(z, y, o)
  o = o or {}
  local C, eps = #z[1], o.label_smoothing or 0
  local w = o.weight or {}
  local losses = {}
  for i, row in ipairs(z) do
    local lp, l = R.log_softmax(row), 0
    for c = 1, C do l = l - (w[c] or 1) * ((1 - eps) * y[i][c] + eps / C) * lp[c] end
    losses[i] = l
  end
  return reduce(losses, o.reduction or "mean", #z)
end

-- rows of log-probabilities lp
function R.nll_loss(lp, t, o)
  o = o or {}
  local w = o.weight or {}
  local losses, W = {}, 0
  for i, row in ipairs(lp) do
    if o.ignore_index ~= nil and t[i] == o.ignore_index then
      losses[i] = 0
    else
      losses[i] = -(w[t[i]] or 1) * row[t[i]]
      W = W + (w[t[i]] or 1)
    end
  end
  return reduce(losses, o.reduction or "mean", W)
end

-- -w [pw y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], elementwise over
-- N x C; weight and pos_weight per class (C entries) or nil.
function R.bce_with_logits(z, y, o)
  o = o or {}
  local losses, n = {}, 0
  for i = 1, #z do
    for c = 1, #z[i] do
      local s = 1 / (1 + exp(-z[i][c]))
      local w = o.weight and o.weight[c] or 1
      local pw = o.pos_weight and o.pos_weight[c] or 1
      n = n + 1
      losses[n] = -w * (pw * y[i][c] * log(s) + (1 - y[i][c]) * log(1 - s))
    end
  end
  return reduce(losses, o.reduction or "mean", n)
end

return R
