-- Reference activations in plain Lua doubles, written from the formulas
-- (docs/activations.md), independent of the C kernels. Lua 5.4's math has no
-- expm1, log1p, tanh or erf, so they are built here from exp and log with
-- the usual cancellation-free identities. Used by activation_spec.lua.
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

return R
