-- Regressions found by the fuzzers (docs/reliability.md): each was a
-- crash or an unclear error before its fix.
local lg = require "lgrad"
local core = require "lgrad.core"
local mt = core._metatable

local function err(f, ...)
  local ok, msg = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return (tostring(msg):gsub("^[^:]*:%d+: ", ""))
end

describe("metamethods called directly on non-tensors", function()
  it("__index with a string key raises instead of crashing", function()
    assert.truthy(err(mt.__index, 1, "sum"):find("^bad argument #1 to '[^']+' %(lgrad.Tensor expected"))
    assert.truthy(err(mt.__index, nil, "x"):find("lgrad.Tensor expected", 1, true))
  end)

  it("__gc leaves other userdata alone", function()
    mt.__gc(io.stdout)
    mt.__gc(nil)
    assert.is_true(io.stdout:write("") == io.stdout)
  end)

  it("__tostring raises a bad argument error", function()
    assert.truthy(err(mt.__tostring, 5):find("^bad argument #1 to '__tostring'"))
  end)
end)

describe("empty tensors with huge other dims", function()
  it("reshape bounds the non-zero sizes like zeros does", function()
    assert.truthy(err(lg.zeros(0).reshape, lg.zeros(0), 0, 2^62, 2^62):find("tensor too large", 1, true))
    assert.truthy(err(lg.zeros(0).view, lg.zeros(0), {0, 2^40, 2^40}):find("tensor too large", 1, true))
    assert.are.same({0, 2^20, 4}, lg.zeros(0):reshape(0, 2^20, 4):shape())
  end)
end)
