-- Helpers that let the specs run unchanged on Lua 5.1, 5.2, 5.3, 5.4 and
-- LuaJIT. Loaded with require "spec.support.portable" (busted runs from
-- the checkout root, and ./?.lua is on every default package.path).
local M = {}

M.luajit = rawget(_G, "jit") ~= nil
M.version = M.luajit and "LuaJIT" or _VERSION:match("^Lua (%d+%.%d+)$")
-- `local x <close>` is 5.4 syntax; elsewhere t:close() is the way.
M.has_close = not M.luajit and tonumber(M.version) >= 5.4
-- A 64-bit integer subtype with bit operators (5.3+).
M.has_int64 = math.type ~= nil and (math.maxinteger or 0) >= 2^62

-- local it_if = P.it_if(it, pending) in a spec file (busted's it and
-- pending live in the spec's environment, not here); then
-- it_if(cond, reason)(name, fn) is `it` where the feature exists, else a
-- pending test whose name carries the reason: reported, never silently
-- skipped.
function M.it_if(it, pending)
  return function(cond, reason)
    if cond then return it end
    return function(name) pending(name .. " [pending: " .. reason .. "]") end
  end
end

local huge = math.huge

-- Round a double to the nearest float32 (ties to even), with float32's
-- subnormals and overflow to inf, in plain double arithmetic: a / q and
-- f * q are exact because q is a power of two and the results stay in
-- range. No string.pack (5.3+) and nothing from lgrad.
function M.f32(x)
  if x ~= x or x == 0 or x == huge or x == -huge then return x end
  local a = x < 0 and -x or x
  local e = 0                         -- 2^e <= a < 2^(e+1)
  while a >= 2 ^ (e + 1) do e = e + 1 end
  while a < 2 ^ e do e = e - 1 end
  if e < -126 then e = -126 end       -- subnormal: fixed spacing 2^-149
  local q = 2 ^ (e - 23)              -- spacing of float32 numbers here
  local r = a / q
  local f = math.floor(r)
  local d = r - f
  if d > 0.5 or (d == 0.5 and f % 2 == 1) then f = f + 1 end
  local y = f * q
  if y >= 2 ^ 128 then y = huge end
  return x < 0 and -y or y
end

return M
