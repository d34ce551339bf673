-- What must hold on every Lua lgrad supports (5.1, 5.2, 5.3, 5.4, LuaJIT),
-- and the spec helper that makes the other specs portable.
local lg = require "lgrad"
local P = require "spec.support.portable"
local it_if = P.it_if(it, pending)
local f32 = P.f32

describe("the float32 rounding helper", function()
  it("rounds to 24 significant bits, ties to even", function()
    assert.are.equal(1, f32(1 + 2 ^ -24))                  -- tie: to even (1)
    assert.are.equal(1 + 2 ^ -22, f32(1 + 3 * 2 ^ -24))    -- tie: to even (..10)
    assert.are.equal(1 + 2 ^ -23, f32(1 + 2 ^ -24 + 2 ^ -40))
    assert.are.equal(16777216, f32(16777217))
    assert.are.equal(-16777220, f32(-16777219))
    assert.are.equal(13421773 * 2 ^ -27, f32(0.1))          -- 0x3dcccccd
  end)

  it("keeps float32 subnormals, zeros, overflow and NaN", function()
    assert.are.equal(2 ^ -149, f32(2 ^ -149))
    assert.are.equal(0, f32(2 ^ -150))                       -- tie: to even (0)
    assert.are.equal(2 ^ -148, f32(3 * 2 ^ -150))           -- tie: to even (2)
    assert.are.equal(2 ^ -149, f32(2 ^ -150 + 2 ^ -200))
    assert.are.equal(1 / 0, 1 / f32(0.0))
    local negzero = -1 / math.huge   -- 5.1 merges constants 0.0 and -0.0 in a function
    assert.are.equal(-1 / 0, 1 / f32(negzero))
    local fmax = (2 - 2 ^ -23) * 2 ^ 127
    assert.are.equal(fmax, f32(fmax))
    assert.are.equal(fmax, f32(2 ^ 128 - 2 ^ 103 - 2 ^ 80))  -- just below the tie
    assert.are.equal(math.huge, f32(2 ^ 128 - 2 ^ 103))      -- the tie: to inf
    assert.are.equal(-math.huge, f32(-1e300))
    local nan = f32(0 / 0)
    assert.is_true(nan ~= nan)
  end)

  it_if(string.pack ~= nil, "string.pack is Lua 5.3+")(
  "agrees with string.pack on 100,000 random doubles", function()
    local pack, unpack = string.pack, string.unpack
    math.randomseed(7)
    for _ = 1, 100000 do
      local x = (math.random() - 0.5) * 2 ^ math.random(-160, 135)
      local want = unpack("f", pack("f", x))
      if f32(x) ~= want then assert.are.equal(want, f32(x)) end
    end
  end)
end)

describe("every Lua", function()
  it("loads lgrad.core built for this interpreter", function()
    assert.are.equal("function", type(lg.zeros))
    assert.are.equal(6, lg.ones(2, 3):sum())
  end)

  it("has # on tensors (the size of dim 1) and t:size(1)", function()
    local t = lg.zeros(4, 2)
    assert.are.equal(4, #t)
    assert.are.equal(4, t:size(1))
    assert.are.equal(2, t:size(-1))
  end)

  it("gives sizes and indices as integral numbers (integers on 5.3+)", function()
    local t = lg.tensor{3, 9, 1}
    for _, v in ipairs{t:size(1), t:numel(), t:argmax(), t:dim()} do
      assert.are.equal(math.floor(v), v)
      if math.type then assert.are.equal("integer", math.type(v)) end
    end
    assert.are.equal(2, t:argmax())
  end)

  it("accepts integral floats as sizes and indices, rejects fractions", function()
    local t = lg.zeros(2.0, 3.0)
    assert.are.same({2, 3}, t:shape())
    assert.are.equal(0, t:get(2.0, 3.0))
    assert.is_false(pcall(lg.zeros, 2.5))
  end)

  it("closes a tensor with t:close() and reports it", function()
    local t = lg.ones(300)
    t:close()
    assert.is_true(t:is_closed())
    t:close()   -- twice is fine
  end)

  it_if(P.has_close, "`local x <close>` is Lua 5.4 syntax")(
  "has __close in the metatable on 5.4", function()
    assert.are.equal("function", type(getmetatable(lg.zeros(1)).__close))
  end)

  it("does not offer __close where the syntax does not exist", function()
    if P.has_close then return end
    assert.is_nil(rawget(getmetatable(lg.zeros(1)), "__close"))
  end)

  it("names the tensor type in the metatable (__name) and in type errors", function()
    assert.are.equal("lgrad.Tensor", getmetatable(lg.zeros(1)).__name)
    local ok, msg = pcall(lg.matmul, {1}, "x")
    assert.is_false(ok)
    assert.truthy(tostring(msg):find("bad argument #2 to 'matmul'", 1, true), msg)
  end)

  it("names metamethods and methods in argument errors", function()
    local a, b = lg.zeros(2, 3), lg.zeros(3, 2)
    local _, m1 = pcall(function() return a - b end)
    assert.truthy(m1:find("bad argument #2 to 'sub'", 1, true), m1)
    local _, m2 = pcall(function() return a:sum(5) end)   -- a tail call on LuaJIT
    assert.truthy(m2:find("bad argument #1 to 'sum'", 1, true), m2)
    local _, m3 = pcall(function() return a[0.5] end)
    assert.truthy(m3:find("bad argument #2 to 'index'", 1, true), m3)
  end)

  it("keeps a base alive through views of views, and frees it after", function()
    local owners = debug.getregistry()["lgrad.owners"]   -- 5.1/5.2 only
    local function count()
      local n = 0
      for _ in pairs(owners or {}) do n = n + 1 end
      return n
    end
    collectgarbage(); collectgarbage()
    local before = count()   -- other specs' views may still be alive: compare, not assume empty
    local leaf
    do
      local base = lg.range(1, 600):view(2, 3, 100)
      leaf = base[2][3]
    end
    collectgarbage(); collectgarbage()
    assert.are.equal(600, leaf[100])
    if owners then
      assert.is_not_nil(owners[leaf])
      leaf = nil
      collectgarbage(); collectgarbage()
      assert.is_true(count() <= before, ("%d owner links left, %d before"):format(count(), before))
    end
  end)
end)
