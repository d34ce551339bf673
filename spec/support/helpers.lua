-- Helpers shared by the specs.
local lg = require "lgrad"
local assert = require "luassert"   -- a required module sees the plain global assert
local unpack = table.unpack or unpack

local H = {}

-- The message of the error f(...) raises, without the "file:line: " prefix
-- Lua may add; fails the spec when f does not raise.
function H.err(f, ...)
  local ok, msg = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return (tostring(msg):gsub("^[^:]*:%d+: ", ""))
end

-- The numbers of a nested table, in order, as one flat list.
function H.flat(v, out)
  out = out or {}
  if type(v) == "table" then for i = 1, #v do H.flat(v[i], out) end else out[#out + 1] = v end
  return out
end

-- Central differences of a scalar function of a float64 tensor x, written
-- here so the specs do not lean on lgrad.check, which they also test.
function H.numeric_grad(f, x, eps)
  eps = eps or 1e-6
  local n = x:numel()
  local v, g = x:view(n), lg.zeros(n, "float64")
  for i = 1, n do
    local old = v[i]
    v[i] = old + eps
    local fp = f(x)
    v[i] = old - eps
    local fm = f(x)
    v[i] = old
    g[i] = (fp - fm) / (2 * eps)
  end
  return g:view(unpack(x:shape()))
end

return H
