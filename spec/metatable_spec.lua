-- Small tensors and views skip finalization (a metatable without __gc);
-- tensors owning allocated memory keep __gc. Both must look and behave
-- as one type.
local lg = require "lgrad"
local core = require "lgrad.core"

describe("tensor metatables", function()
  local small = lg.zeros(3)                 -- 12 bytes: inline
  local large = lg.zeros(1000)              -- 4000 bytes: allocated
  local view = large:reshape(10, 100)

  it("all give the one public metatable to getmetatable", function()
    for _, t in ipairs({small, large, view, small:reshape(3, 1), lg.zeros(0)}) do
      assert.are.equal(core._metatable, getmetatable(t))
      assert.is_true(lg.is_tensor(t))
    end
  end)

  it("only tensors that own allocated memory are finalized", function()
    assert.is_nil(debug.getmetatable(small).__gc)
    assert.is_nil(debug.getmetatable(view).__gc)
    assert.are.equal("function", type(debug.getmetatable(large).__gc))
  end)

  it("share every field added later by the Lua layer", function()
    assert.truthy(tostring(small):find("^lgrad.Tensor float32 %[3%]"))
    assert.truthy(tostring(view):find("^lgrad.Tensor float32 %[10, 100%]"))
    for k, v in pairs(debug.getmetatable(large)) do
      if k ~= "__gc" then assert.are.equal(v, debug.getmetatable(small)[k], k) end
    end
  end)

  it("are accepted by every binding, and closing still works", function()
    local a = lg.tensor({1, 2, 3})
    local out = lg.zeros(3)
    lg.sigmoid(a, out)
    for i = 1, 3 do assert.is_true(math.abs(out:get(i) - 1 / (1 + math.exp(-i))) < 1e-7) end
    assert.are.equal(0.5, lg.sigmoid(view):get(10, 100))   -- a view of an allocated tensor
    a:close()
    assert.is_true(a:is_closed())
    assert.has_error(function() lg.sigmoid(a) end)
  end)

  it("keep a view's owner alive after the owner is dropped", function()
    local v
    do
      local owner = lg.range(1, 2000)
      v = owner:reshape(2, 1000)
    end
    collectgarbage(); collectgarbage()
    assert.are.equal(2000, v:get(2, 1000))
  end)
end)
