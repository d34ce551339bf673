-- Bad input raises "bad argument #N to 'NAME' (...)", never a crash.
local lg = require "lgrad"
local H = require "spec.support.helpers"
local P = require "spec.support.portable"
local it_if = P.it_if(it, pending)

local err = H.err

describe("argument errors", function()
  it("name the function even when called through pcall", function()
    assert.are.equal("bad argument #1 to 'zeros' (tensor too large)", err(lg.zeros, 2^40, 2^40))
    assert.are.equal("bad argument #1 to 'zeros' (tensor too large)",
      err(function() return lg.zeros(2^40, 2^40) end))
  end)

  it("reject negative, fractional and NaN sizes", function()
    assert.are.equal("bad argument #2 to 'zeros' (size must be a non-negative integer, got -1)",
      err(lg.zeros, 2, -1))
    assert.truthy(err(lg.zeros, 2.5):find("size must be a non-negative integer", 1, true))
    assert.truthy(err(lg.ones, 0 / 0):find("bad argument #1 to 'ones'", 1, true))
    assert.truthy(err(lg.rand, math.huge):find("bad argument #1 to 'rand'", 1, true))
    assert.truthy(err(lg.zeros, {2, "x"}):find("bad argument #1 to 'zeros'", 1, true))
  end)

  it("report allocation failure as a Lua error", function()
    local m = err(lg.zeros, 2^47)   -- a 32-bit size_t cannot count its bytes
    assert.truthy(m == "zeros: not enough memory for a [140737488355328] float32 tensor"
      or m == "zeros: tensor too large ([140737488355328] float32)", m)
  end)

  it("reject more than 8 dims", function()
    assert.truthy(err(lg.zeros, 1, 1, 1, 1, 1, 1, 1, 1, 1):find("more than 8 dims", 1, true))
  end)

  it("reject unknown dtypes", function()
    assert.are.equal("bad argument #2 to 'zeros' (invalid dtype 'int32' (float32 or float64))",
      err(lg.zeros, 3, "int32"))
  end)

  it("reject ragged and non-numeric tables", function()
    assert.truthy(err(lg.tensor, {{1, 2}, {3}}):find("bad argument #1 to 'tensor' (ragged", 1, true))
    assert.truthy(err(lg.tensor, {{1, 2}, 3}):find("ragged", 1, true))
    assert.truthy(err(lg.tensor, {1, "2"}):find("number expected", 1, true))
    -- A hole: #{1, nil, 3} is 3 on PUC Lua (the nil is an error) but may be
    -- 1 (also a border) on LuaJIT, which then takes the elements before it.
    local holey = {1, nil, 3}
    if #holey == 3 then
      assert.truthy(err(lg.tensor, holey):find("bad argument #1 to 'tensor'", 1, true))
    else
      assert.are.same({1}, lg.tensor(holey):totable())
    end
    assert.truthy(err(lg.tensor, "12"):find("bad argument #1 to 'tensor'", 1, true))
  end)

  it("survive cyclic tables", function()
    local t = {}
    t[1] = t
    assert.truthy(err(lg.tensor, t):find("nested deeper than 8", 1, true))
  end)

  it("reject shape mismatches and mixed dtypes", function()
    local a, b = lg.zeros(2, 3), lg.zeros(3, 2)
    assert.are.equal("bad argument #2 to 'add' (shapes [2, 3] and [3, 2] cannot be broadcast)",
      err(function() return a + b end))
    assert.are.equal("bad argument #2 to 'mul' (dtype mismatch: expected float32, got float64)",
      err(function() return a * lg.zeros(3, "float64") end))
    assert.truthy(err(lg.matmul, a, a):find("bad argument #2 to 'matmul' (size mismatch", 1, true))
    assert.truthy(err(lg.dot, {1, 2}, {1, 2, 3}):find("bad argument #2 to 'dot'", 1, true))
  end)

  it("reject dims and indices out of range", function()
    local t = lg.zeros(2, 3)
    assert.are.equal("bad argument #1 to 'sum' (dim 3 out of range for a 2-d tensor)",
      err(function() return t:sum(3) end))
    assert.are.equal("bad argument #2 to 'transpose' (dim -3 out of range for a 2-d tensor)",
      err(function() return t:transpose(1, -3) end))
    assert.truthy(err(function() return t[3] end):find("index 3 out of range", 1, true))
    assert.truthy(err(function() return t:get(1, 4) end):find("index 4 out of range", 1, true))
    assert.truthy(err(function() return t:get(1) end):find("2 indices expected", 1, true))
    assert.truthy(err(function() return t[1.5] end):find("integer index expected", 1, true))
    assert.truthy(err(function() t[1] = {1, 2} end):find("cannot be broadcast", 1, true))
  end)

  it("reject bad out arguments", function()
    local a = lg.zeros(2, 3)
    assert.are.equal("bad argument #3 to 'add' (out has shape [3], expected [2, 3])",
      err(lg.add, a, a, lg.zeros(3)))
    assert.are.equal("bad argument #3 to 'add' (out has dtype float64, expected float32)",
      err(lg.add, a, a, lg.zeros(2, 3, "float64")))
  end)

  it("reject options that would be silently ignored or inexact", function()
    assert.are.equal("bad argument #2 to 'sum' (keepdim needs a dim)",
      err(function() return lg.zeros(3):sum(nil, true) end))
    assert.are.equal("bad argument #3 to 'matmul' (1-d @ 1-d is a number: no out)",
      err(lg.matmul, {1, 2}, {3, 4}, lg.zeros(1)))
    assert.are.equal("bad argument #2 to 'one_hot' (tensor too large)", err(lg.one_hot, {1}, math.huge))
    local x = lg.zeros(2^24 + 3)
    assert.truthy(err(function() return x:max(1) end):find("indices past 2^24", 1, true))
    x[2^24 + 1] = 1
    local _, i = x:astype("float64"):max(1)
    assert.are.equal(2^24 + 1, i:item())
  end)

  it("reject impossible reshapes", function()
    local t = lg.zeros(2, 3)
    assert.truthy(err(function() return t:reshape(4, 2) end):find("shape [4, 2] is invalid for 6 elements", 1, true))
    assert.truthy(err(function() return t:reshape(-1, -1) end):find("only one size can be -1", 1, true))
    assert.truthy(err(function() return t:t():view(6) end):find("contiguous", 1, true))
  end)

  it("reject non-tensors where a tensor is required", function()
    assert.truthy(err(lg.zeros(2).clone, 5):find("lgrad.Tensor expected, got number", 1, true))
    assert.truthy(err(lg.add, nil, 1):find("bad argument #1 to 'add'", 1, true))
    assert.truthy(err(lg.range, 1, 5, 0):find("step must be a non-zero number", 1, true))
    assert.truthy(err(lg.range, 5, 1, 1):find("wrong sign", 1, true))
  end)
end)

describe("closing", function()
  it("frees storage and makes later use an error", function()
    local t = lg.zeros(1000)
    t:close()
    assert.is_true(t:is_closed())
    assert.truthy(err(function() return t + 1 end):find("tensor is closed", 1, true))
    assert.truthy(err(function() return t:sum() end):find("tensor is closed", 1, true))
    assert.are.equal("lgrad.Tensor (closed)", tostring(t))
    t:close()   -- closing twice is harmless
  end)

  it("closes the storage under its views", function()
    local t = lg.zeros(10, 100)
    local row = t[3]
    t:close()
    assert.truthy(err(function() return row[1] end):find("tensor is closed", 1, true))
  end)

  it("closing a view leaves the base usable", function()
    local t = lg.ones(4, 4)
    local v = t[1]
    v:close()
    assert.are.equal(16, t:sum())
    assert.truthy(err(function() return v:sum() end):find("tensor is closed", 1, true))
  end)

  it_if(P.has_close, "`local x <close>` is Lua 5.4 syntax; t:close() works everywhere")(
  "frees at the end of a <close> scope", function()
    local chunk = load([[
      local lg = ...
      local keep
      do
        local t <close> = lg.ones(100, 100)
        keep = t
        assert(keep:sum() == 10000)
      end
      return keep
    ]])
    local t = chunk(lg)
    assert.is_true(t:is_closed())
  end)
end)
