-- The derivation of dL/dz in "AI 系列: 激活函数 & Softmax 函数" (ningg.top,
-- 2025-04-12, https://ningg.top/ai-series-softmax-intro/) for softmax + cross-entropy, checked step by
-- step against numeric derivatives (lg.gradcheck, float64 central differences)
-- on random logits, with reverse-mode autograd (lg.grad) as a third answer
-- beside the hand formula and the numeric one.
--
--   lua5.4 examples/derivation.lua [outdir]
--
-- Step 3 is checked twice: as the article prints it (off the diagonal
-- dp_k/dz_i = +p_k p_i) and corrected (-p_k p_i). The printed form fails; the
-- article's step 4 silently uses the minus sign, so its result p - y is right.
local lg = require "lgrad"
local plot = require "lgrad.plot"
local ex = dofile((arg[0]:match("^(.*[/\\])") or "") .. "common.lua")

ex.need(lg, "derivation.lua", { "softmax", "cross_entropy", "cross_entropy_grad", "softmax_jacobian", "grad" })
local dir = ex.outdir(arg)
local DT = "float64"

-- Formulas written out in plain Lua over arrays, exactly as the article states them.
local function softmax_formula(z)            -- p_i = e^z_i / sum_j e^z_j
  local s, p = 0, {}
  for i = 1, #z do p[i] = math.exp(z[i]); s = s + p[i] end
  for i = 1, #z do p[i] = p[i] / s end
  return p
end

local function jacobian_formula(p, sign)     -- dp_k/dz_i: p_i(1 - p_i) if k = i, sign * p_k p_i otherwise
  local J = {}
  for k = 1, #p do
    J[k] = {}
    for i = 1, #p do J[k][i] = k == i and p[i] * (1 - p[i]) or sign * p[k] * p[i] end
  end
  return J
end

local function chain(y, p, J)                -- dL/dz_i = sum_k (-y_k / p_k) dp_k/dz_i
  local g = {}
  for i = 1, #p do
    g[i] = 0
    for k = 1, #p do g[i] = g[i] + (-y[k] / p[k]) * J[k][i] end
  end
  return g
end

local steps = {
  { "1", "softmax", "p_i = e^z_i / sum_j e^z_j" },
  { "1", "loss", "L = -sum_k y_k log p_k" },
  { "2", "dL/dp", "dL/dp_k = -y_k / p_k" },
  { "3", "dp/dz as printed", "dp_k/dz_i = p_i(1-p_i) if k=i, +p_k p_i if k!=i" },
  { "3", "dp/dz corrected", "dp_k/dz_i = p_i(1-p_i) if k=i, -p_k p_i if k!=i" },
  { "3", "lg.softmax_jacobian", "diag(p) - p p^T" },
  { "4", "chain rule", "dL/dz_i = sum_k (-y_k/p_k) dp_k/dz_i" },
  { "4", "chain with printed 3", "the same with +p_k p_i (not in the article)" },
  { "4", "expanded", "-y_i(1-p_i) + sum_{k!=i} y_k p_i" },
  { "4", "one-hot", "-y_i + y_i p_i + p_i(1 - y_i)" },
  { "5", "result", "dL/dz_i = p_i - y_i" },
  { "5", "lg.cross_entropy_grad", "p - y from one fused pass" },
  { "5", "lg.grad", "autograd of L through softmax and log" },
}
local worst = {}
for i = 1, #steps do worst[i] = { err = 0, rel = 0, ok = true } end

-- The largest |claimed - autograd| of step i (claimed and autograd: arrays,
-- nested arrays or tensors of the same numbers).
local function flat(v) return lg.tensor(v, DT):reshape(-1):totable() end
local function record_autograd(i, claimed, autograd)
  local a, b = flat(claimed), flat(autograd)
  local w = worst[i]
  w.ag = w.ag or 0
  for k = 1, #a do
    local d = math.abs(a[k] - b[k])
    if not (d <= w.ag) then w.ag = d end
  end
end

-- Autograd's softmax jacobian at z: row k is lg.grad of p_k.
local function autograd_jacobian(z)
  local J = {}
  for k = 1, z:numel() do
    J[k] = lg.grad(function(v) return lg.softmax(v)[k] end)(z):totable()
  end
  return J
end

local function record(i, ok, report)
  local w = worst[i]
  w.ok = w.ok and ok
  if not (report.max_abs_err <= w.err) then w.err = report.max_abs_err end
  if not (report.max_rel_err <= w.rel) then w.rel = report.max_rel_err end
end

local function value_report(got, want)   -- for the steps that compare values
  local d = math.abs(got - want)
  return { max_abs_err = d, max_rel_err = want ~= 0 and d / math.abs(want) or 0 }
end

local TRIALS, C = 20, 5
lg.seed(42)
local last
for trial = 1, TRIALS do
  local z = lg.randn(C, DT) * 2
  local zt = z:totable()
  local class = trial % C + 1
  local y = {}
  for k = 1, C do y[k] = k == class and 1 or 0 end
  local yt = lg.tensor(y, DT)
  local p = softmax_formula(zt)
  local function L_of_z(v) return -(yt * lg.softmax(v):log()):sum() end

  -- 1: softmax and the loss, formula against lgrad (values, not derivatives)
  local sm = lg.softmax(z)
  local sm_err = 0
  for i = 1, C do sm_err = math.max(sm_err, math.abs(sm[i] - p[i]) / p[i]) end
  record(1, sm_err <= 1e-12, { max_abs_err = (sm - lg.tensor(p, DT)):abs():max(), max_rel_err = sm_err })
  local L = 0
  for k = 1, C do L = L - y[k] * math.log(p[k]) end
  local Llg = lg.cross_entropy(z, class)
  record(2, math.abs(Llg - L) <= 1e-12 * math.max(1, L), value_report(Llg, L))

  -- 2: dL/dp, with p treated as free variables
  local dLdp = {}
  for k = 1, C do dLdp[k] = -y[k] / p[k] end
  local function L_of_p(q) return -(yt * q:log()):sum() end
  record(3, lg.gradcheck(L_of_p, lg.tensor(p, DT), dLdp))
  record_autograd(3, dLdp, lg.grad(L_of_p)(lg.tensor(p, DT)))

  -- 3: the softmax jacobian, against numeric_jacobian of lg.softmax
  local Jprinted, Jright = jacobian_formula(p, 1), jacobian_formula(p, -1)
  record(4, lg.gradcheck(lg.softmax, z, Jprinted))
  record(5, lg.gradcheck(lg.softmax, z, Jright))
  record(6, lg.gradcheck(lg.softmax, z, lg.softmax_jacobian(z)))
  local J_ag = autograd_jacobian(z)
  record_autograd(4, Jprinted, J_ag)
  record_autograd(5, Jright, J_ag)
  record_autograd(6, lg.softmax_jacobian(z), J_ag)

  -- 4: the chain rule and the article's two rewritings of it
  local g_chain, g_printed = chain(y, p, Jright), chain(y, p, Jprinted)
  record(7, lg.gradcheck(L_of_z, z, g_chain))
  record(8, lg.gradcheck(L_of_z, z, g_printed))
  local g_exp, g_hot = {}, {}
  for i = 1, C do
    local s = 0
    for k = 1, C do if k ~= i then s = s + y[k] * p[i] end end
    g_exp[i] = -y[i] * (1 - p[i]) + s
    g_hot[i] = -y[i] + y[i] * p[i] + p[i] * (1 - y[i])
  end
  record(9, lg.gradcheck(L_of_z, z, g_exp))
  record(10, lg.gradcheck(L_of_z, z, g_hot))

  -- 5: p - y, by hand and from lgrad
  local pmy = {}
  for i = 1, C do pmy[i] = p[i] - y[i] end
  record(11, lg.gradcheck(L_of_z, z, pmy))
  record(12, lg.gradcheck(L_of_z, z, (lg.cross_entropy_grad(z, class))))
  record(13, lg.gradcheck(L_of_z, z))   -- no grad given: lg.grad's
  local g_ag = lg.grad(L_of_z)(z)
  for i, g in ipairs({ g_chain, g_printed, g_exp, g_hot, pmy, (lg.cross_entropy_grad(z, class)) }) do
    record_autograd(6 + i, g, g_ag)
  end
  last = { z = z, class = class, numeric = lg.numeric_grad(L_of_z, z), pmy = pmy, printed = g_printed }
end

local rows, flagged = {}, {}
for i, s in ipairs(steps) do
  local w = worst[i]
  rows[i] = { s[1], s[2], s[3], ("%.1e"):format(w.err), ("%.1e"):format(w.rel),
    w.ag and ("%.1e"):format(w.ag) or "-", w.ok and "ok" or "WRONG" }
  if not w.ok then flagged[#flagged + 1] = ("step %s, %s"):format(s[1], s[2]) end
end
print(("Checked on %d random logit vectors of %d classes, one-hot targets, float64."):format(TRIALS, C))
print("abs/rel err: the largest |claimed - numeric| (and / |numeric|) over all trials and elements;")
print("autograd: the largest |claimed - lg.grad| (reverse mode through lg.softmax and log).")
print("A derivative passes when every element is within 1e-5 + 1e-3 |numeric| (PyTorch's gradcheck")
print("tolerances); the step-1 values must match the plain-Lua formula to 1e-12.")
print()
ex.table({ "step", "what", "claimed formula", "abs err", "rel err", "autograd", "check" }, rows)
print()
if #flagged > 0 then
  print("flagged: " .. table.concat(flagged, "; "))
  print("The article's step 3 prints +p_k p_i off the diagonal; the true term is -p_k p_i")
  print("(d/dz_i of e^z_k / S = -e^z_k e^z_i / S^2). Its step 4 uses -p_k p_i, so p - y stands.")
end

-- A picture of the last trial: numeric dL/dz, p - y, and what the printed step 3 would give.
local labels = {}
for i = 1, C do labels[i] = ("z%d%s"):format(i, i == last.class and " (true)" or "") end
ex.save(dir, "derivation.svg", plot.bar {
  title = "dL/dz: numeric, p - y, and the chain rule with step 3 as printed", ylabel = "dL/dz_i",
  labels = labels, series = {
    { label = "numeric", values = last.numeric }, { label = "p - y", values = last.pmy },
    { label = "step 3 as printed", values = last.printed } },
})
