-- Regressions found by the fuzzers (docs/reliability.md): each was a
-- crash or an unclear error before its fix.
local lg = require "lgrad"
local H = require "spec.support.helpers"
local core = require "lgrad.core"
local mt = core._metatable

local err = H.err

describe("metamethods called directly on non-tensors", function()
  it("__index with a string key raises instead of crashing", function()
    assert.truthy(err(mt.__index, 1, "sum"):find("^bad argument #1 to '[^']+' %(lgrad.Tensor expected"))
    assert.truthy(err(mt.__index, nil, "x"):find("lgrad.Tensor expected", 1, true))
  end)

  it("__gc leaves other userdata alone", function()
    mt.__gc(io.stdout)
    mt.__gc(nil)
    assert.truthy(io.stdout:write(""))   -- the FILE is intact (5.1 returns true)
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

describe("empty tensors", function()
  it("are contiguous whatever their strides, as in PyTorch", function()
    local t = lg.zeros(0, 2, 3):transpose(2, 3)
    assert.is_true(t:is_contiguous())
    assert.are.same({0, 6}, t:view(0, 6):shape())
  end)

  it("reduce like PyTorch: sum 0, mean NaN, max over an empty dim raises", function()
    local e = lg.zeros(2, 0, 3)
    assert.are.equal(0, lg.zeros(0):sum())
    local m = lg.zeros(0):mean()
    assert.is_true(m ~= m)
    assert.are.same({{0, 0, 0}, {0, 0, 0}}, e:sum(2):totable())
    local mm = e:mean(2):totable()
    assert.is_true(mm[1][1] ~= mm[1][1])
    assert.truthy(err(e.max, e, 2):find("empty", 1, true))
    assert.are.same({0, 3}, e:max(1):shape())
  end)

  it("multiply: [2,0] @ [0,3] is zeros, [0,2] @ [2,3] is empty", function()
    assert.are.same({{0, 0, 0}, {0, 0, 0}}, lg.matmul(lg.zeros(2, 0), lg.zeros(0, 3)):totable())
    assert.are.same({0, 3}, lg.matmul(lg.zeros(0, 2), lg.zeros(2, 3)):shape())
    assert.are.equal(0, lg.dot(lg.zeros(0), lg.zeros(0)))
  end)
end)

describe("a finalizer that closes a tensor in the middle of a call", function()
  -- Any allocation may run the collector, and so a __gc that closes an
  -- argument of the running call. The call must notice: an error naming
  -- the closed tensor, or a correct result, never a read of freed memory.
  local calls = {
    add = function(x) return x + 1 end,
    add_table = function(x) return lg.add(x, {1}) end,
    exp = function(x) return x:exp() end,
    sum_dim = function(x) return x:view(100, 1000):sum(1) end,
    clone = function(x) return x:clone() end,
    transpose_copy = function(x) return x:view(100, 1000):t():contiguous() end,
    relu = function(x) return lg.relu(x) end,
    softmax = function(x) return lg.softmax(x:view(100, 1000)) end,
    cross_entropy = function(x) return lg.cross_entropy(x:view(100, 1000), lg.ones(100)) end,
    matmul = function(x) return lg.matmul(x:view(100, 1000), lg.ones(1000, 2)) end,
    dot = function(x) return lg.dot(x, lg.ones(100000)) end,
    allclose = function(x) return lg.allclose(x, lg.tensor({0}, "float64")) end,
    totable = function(x) return x:view(1000, 100):totable() end,
  }
  for name, call in pairs(calls) do
    it(name, function()
      for _ = 1, 5 do
        local x = lg.rand(100000)
        -- garbage at once; it may also run after the call (5.2 turns an
        -- error in __gc into an error of whatever is running then)
        setmetatable({}, { __gc = function() x:close() end })
        local ok, err = pcall(call, x)
        if not ok then
          assert.truthy(tostring(err):find("closed", 1, true), tostring(err))
        end
        collectgarbage()
      end
    end)
  end
end)
