-- The loops memory_spec.lua and tools/memloops.lua run: each in a fresh
-- interpreter, as a user's script would be (the standalone lua5.4 starts in
-- generational mode, which a busted process may not be in, and one loop's
-- garbage must not hide another's).
local M = {}

local C = require "spec.support.child"
M.LUA = C.LUA
local q, LPATH, CPATH = C.q, C.LPATH, C.CPATH

-- The modes a user of this Lua can be in: "default" is what the standalone
-- interpreter starts in (generational on 5.4, incremental before).
M.MODES = { "default" }
if _VERSION == "Lua 5.4" then
  M.MODES = { "default", "incremental", "generational" }
elseif _VERSION == "Lua 5.2" and not jit then
  M.MODES = { "default", "generational" }
end

-- Run src (Lua source; lg and mode are locals) in a fresh interpreter in
-- mode, after the shell command prefix (a ulimit) if given; its output.
local PRELUDE = [[
local lg = require "lgrad"
local mode = ...
if mode ~= "default" then collectgarbage(mode) end
]]
function M.run(mode, src, prefix)
  local file = os.tmpname()
  local f = assert(io.open(file, "w"))
  f:write(PRELUDE, src, "\n")
  f:close()
  local p = io.popen(("%sLUA_PATH=%s LUA_CPATH=%s %s %s %s 2>&1"):format(
    prefix and "(" .. prefix .. "; " or "", q(LPATH), q(CPATH), M.LUA, q(file),
    mode) .. (prefix and ")" or ""))
  local out = p:read("*a")
  p:close()
  os.remove(file)
  return out
end

-- The growth of peak resident memory in MB while body runs after setup,
-- and what the interpreter printed.
local HWM = [[
local function hwm()
  local f = io.open("/proc/self/status"); local s = f:read("*a"); f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)")) / 1024
end
]]
function M.peak_growth(mode, setup, body)
  local out = M.run(mode, HWM .. setup .. "\nlocal before = hwm()\n" .. body ..
    "\nio.write(('%.1f'):format(hwm() - before))")
  return tonumber(out), out
end

-- Each loop drops far more than the bound (1.5-3 GB) through tensors that
-- the collector sees only as small userdata.
M.LOOPS = {
  { "two 4 MB tensors an iteration", "", [[
for i = 1, 250 do local t = lg.zeros(1e6); local u = lg.zeros(1e6) end]] },
  { "an expression of activations and arithmetic", "local x = lg.randn(1e6)", [[
for i = 1, 100 do local y = lg.sigmoid(x) * 2 + x - lg.tanh(x) end]] },
  { "a tanh MLP trained with a hand-written backward", [[
lg.seed(1)
local X = lg.randn(1024, 64)
local y = {}
for i = 1, 1024 do y[i] = i % 10 + 1 end
local W1, W2 = lg.randn(64, 128) * 0.1, lg.randn(128, 10) * 0.1]], [[
for step = 1, 120 do
  local a = lg.matmul(X, W1)
  local h = lg.tanh(a)
  local g = lg.cross_entropy_grad(lg.matmul(h, W2), y)
  local gW2 = lg.matmul(h:t(), g)
  local ga = lg.tanh_backward(lg.matmul(g, W2:t()), a)
  W1 = W1 - lg.matmul(X:t(), ga) * 0.01
  W2 = W2 - gW2 * 0.01
end]] },
  { "the same MLP trained with lg.grad and lg.optim.sgd", [[
lg.seed(1)
local X = lg.randn(1024, 64)
local y = {}
for i = 1, 1024 do y[i] = i % 10 + 1 end
local p = { W1 = lg.randn(64, 128) * 0.1, W2 = lg.randn(128, 10) * 0.1 }
local df = lg.grad(function(q) return lg.cross_entropy(lg.matmul(lg.tanh(lg.matmul(X, q.W1)), q.W2), y) end)
local opt = lg.optim.sgd { lr = 0.01, momentum = 0.9 }]], [[
for step = 1, 120 do opt:step(p, df(p)) end]] },
  { "views that outlive their dropped bases", "", [[
for i = 1, 200 do local a = lg.zeros(1000, 1000):t(); local b = lg.ones(1000, 1000)[3] end]] },
  { "float64 reductions and softmax rows", "local z = lg.randn(1000, 500, 'float64')", [[
for i = 1, 120 do local p = lg.softmax(z, 2); local s = p:sum(2); local l = lg.log_softmax(z) end]] },
  { "many medium tensors (64 KB)", "", [[
for i = 1, 40000 do local t = lg.ones(16384) end]] },
}

return M
