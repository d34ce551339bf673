-- The learner's conveniences (issue 18): one_hot as torch, comparisons,
-- where, clamp, cat/stack, *_like, module-level reductions, argmax as class
-- indices, accuracy, and errors that keep the caller's line.
local lg = require "lgrad"
local H = require "spec.support.helpers"
local P = require "spec.support.portable"
local it_if = P.it_if(it, pending)
local err, flat = H.err, H.flat
local nan, inf = 0 / 0, math.huge

-- Values chosen exactly representable in float32, so Lua's double
-- comparisons are the reference.
local A = { -inf, -2.5, -1, -0.0, 0, 0.5, 1, 3, inf, nan }
local B = { -3, -2.5, 1, 0, 0, 0.25, 1, 4, inf, 2 }

local function ref(op, a, b)
  local r
  if op == "gt" then r = a > b elseif op == "lt" then r = a < b
  elseif op == "ge" then r = a >= b elseif op == "le" then r = a <= b
  elseif op == "eq" then r = a == b else r = a ~= b end
  return r and 1 or 0
end

describe("one_hot", function()
  it("a number or a 0-d tensor gives [C], as torch", function()
    assert.are.same({ 3 }, lg.one_hot(2, 3):shape())
    assert.are.same({ 0, 1, 0 }, lg.one_hot(2, 3):totable())
    assert.are.same({ 0, 0, 1 }, lg.one_hot(lg.tensor(3), 3):totable())
    -- so softmax(z) - one_hot(k, C) stays 1-d
    assert.are.same({ 3 }, (lg.softmax(lg.tensor{ 2, 1, 0.1 }) - lg.one_hot(1, 3)):shape())
  end)

  it("takes a dtype", function()
    assert.are.equal("float64", lg.one_hot({ 1, 2 }, 2, "float64"):dtype())
    assert.are.equal("float64", lg.one_hot(1, 2, "float64"):dtype())
    assert.are.equal("float32", lg.one_hot(1, 2):dtype())
    assert.are.equal("float64", lg.one_hot({ 3 }, nil, "float64"):dtype())
    assert.are.equal("bad argument #3 to 'one_hot' (dtype must be \"float32\" or \"float64\", got int64)",
      err(lg.one_hot, 1, 2, "int64"))
  end)

  it("indices of shape S give S x C", function()
    local t = lg.one_hot(lg.tensor{ { 1, 2 }, { 3, 1 } })
    assert.are.same({ 2, 2, 3 }, t:shape())
    assert.are.same({ 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 }, flat(t:totable()))
    assert.are.same({ 2, 2, 2 }, lg.one_hot({ { 1, 2 }, { 2, 2 } }):shape())
    assert.are.same({ 0, 3 }, lg.one_hot(lg.zeros(0), 3):shape())
  end)

  it("refuses bad indices by position", function()
    assert.are.equal("bad argument #1 to 'one_hot' (index 4 at position 1 out of range 1..3)",
      err(lg.one_hot, 4, 3))
    assert.truthy(err(lg.one_hot, lg.tensor{ 1.5 }, 3):find("index 1.5 at position 1", 1, true))
    assert.truthy(err(lg.one_hot, "x", 3):find("^bad argument #1 to 'one_hot'"))
    local t = lg.tensor{ 1 }
    t:close()
    assert.are.equal("bad argument #1 to 'one_hot' (tensor is closed)", err(lg.one_hot, t, 3))
  end)
end)

describe("comparisons", function()
  for _, op in ipairs { "gt", "lt", "ge", "le", "eq", "ne" } do
    for _, dt in ipairs { "float32", "float64" } do
      it(("%s gives 0/1 in the input dtype (%s), NaN as IEEE"):format(op, dt), function()
        local a, b = lg.tensor(A, dt), lg.tensor(B, dt)
        local r = lg[op](a, b)
        assert.are.equal(dt, r:dtype())
        for i = 1, #A do assert.are.equal(ref(op, A[i], B[i]), r[i], op .. " at " .. i) end
        local m = a[op](a, b)   -- the method form
        assert.is_true(lg.equal(r, m))
        local s = lg[op](a, 1)   -- a number on either side
        local s2 = lg[op](1, a)
        for i = 1, #A do
          assert.are.equal(ref(op, A[i], 1), s[i])
          assert.are.equal(ref(op, 1, A[i]), s2[i])
        end
      end)
    end
  end

  it("broadcast like arithmetic, strided inputs too", function()
    local col, row = lg.tensor{ { 1 }, { 2 }, { 3 } }, lg.tensor{ 1, 2, 3 }
    assert.are.same({ { 0, 0, 0 }, { 1, 0, 0 }, { 1, 1, 0 } }, lg.gt(col, row):totable())
    local m = lg.tensor{ { 1, 5 }, { 4, 2 } }
    assert.are.same({ { 1, 0 }, { 1, 1 } }, lg.ge(m:t(), m):totable())
    assert.are.same({ 2, 3 }, lg.lt(lg.zeros(3, 1):t(), lg.ones(2, 1)):shape())
  end)

  it("large inputs give the same as element by element", function()
    lg.seed(3)
    local a, b = lg.randn(5000), lg.randn(5000)
    local r = lg.lt(a, b)
    local av, bv, rv = a:totable(), b:totable(), r:totable()
    for i = 1, 5000 do assert.are.equal(av[i] < bv[i] and 1 or 0, rv[i]) end
    assert.are.equal(r:sum(), lg.gt(b, a):sum())
  end)

  it("errors as arithmetic", function()
    assert.are.equal("bad argument #2 to 'gt' (shapes [2] and [3] cannot be broadcast)",
      err(lg.gt, lg.zeros(2), lg.zeros(3)))
    assert.are.equal("bad argument #2 to 'eq' (dtype mismatch: expected float32, got float64)",
      err(lg.eq, lg.zeros(2), lg.zeros(2, "float64")))
    assert.truthy(err(lg.le, lg.zeros(2), "x"):find("^bad argument #2 to 'le'"))
  end)

  it("write into out", function()
    local out = lg.zeros(3)
    assert.are.equal(out, lg.ne({ 1, 2, 3 }, 2, out))
    assert.are.same({ 1, 0, 1 }, out:totable())
  end)
end)

describe("where", function()
  it("picks x where cond is nonzero (NaN counts as true), broadcasting all three", function()
    local c = lg.tensor{ 1, 0, nan, -2 }
    assert.are.same({ 10, -1, 30, 40 }, lg.where(c, lg.tensor{ 10, 20, 30, 40 }, -1):totable())
    local r = lg.where(lg.tensor{ { 1 }, { 0 } }, lg.tensor{ 1, 2, 3 }, 0)
    assert.are.same({ { 1, 2, 3 }, { 0, 0, 0 } }, r:totable())
    -- inf and NaN in the branch not taken do not leak (no cond * x arithmetic)
    assert.are.same({ 1, 0 }, lg.where({ 0, 1 }, { inf, 0 }, { 1, nan }):totable())
  end)

  it("takes its dtype from x or y, and a cond of either dtype", function()
    local c64 = lg.tensor({ 1e-300, 0 }, "float64")   -- nonzero only in float64
    local r = lg.where(c64, lg.tensor{ 1, 2 }, 0)
    assert.are.equal("float32", r:dtype())
    assert.are.same({ 1, 0 }, r:totable())
    assert.are.equal("float64", lg.where({ 1 }, 1, lg.tensor({ 2 }, "float64")):dtype())
    assert.are.equal("float64", lg.where(c64, 1, 2):dtype())
  end)

  it("masks with a comparison", function()
    local x = lg.tensor{ -2, -0.5, 0, 3 }
    assert.are.same({ 0, 0, 0, 3 }, lg.where(lg.gt(x, 0), x, 0):totable())
  end)

  it("errors name the argument", function()
    assert.are.equal("bad argument #3 to 'where' (shapes [2] and [3] cannot be broadcast)",
      err(lg.where, { 1, 0 }, 1, { 1, 2, 3 }))
    assert.truthy(err(lg.where, { 1 }, lg.zeros(1), lg.zeros(1, "float64")):find("^bad argument #3 to 'where' %(dtype"))
    assert.truthy(err(lg.where, { 1 }, 1):find("^bad argument #3 to 'where'"))
  end)
end)

describe("clamp", function()
  it("is min(max(x, lo), hi) with NaN kept, as torch.clamp", function()
    local x = lg.tensor{ -2, 0.25, nan, 3, -inf, inf }
    local r = lg.clamp(x, 0, 1):totable()
    local e = { 0, 0.25, nan, 1, 0, 1 }
    for i = 1, 6 do
      if e[i] ~= e[i] then assert.is_true(r[i] ~= r[i]) else assert.are.equal(e[i], r[i]) end
    end
    assert.are.same({ -2, 0.25, 1, 1 }, lg.clamp({ -2, 0.25, 1, 3 }, nil, 1):totable())
    assert.are.same({ 0, 0.25, 1, 3 }, lg.clamp({ -2, 0.25, 1, 3 }, 0):totable())
    assert.are.same({ 2, 2 }, lg.clamp({ -5, 5 }, 3, 2):totable())   -- lo > hi: hi
    local m = lg.tensor{ 1, 2 }:clamp(1.5, nil)
    assert.are.same({ 1.5, 2 }, m:totable())
  end)

  it("takes tensor bounds and broadcasts them", function()
    local r = lg.clamp(lg.tensor{ 1, 2, 3 }, lg.tensor{ { 0 }, { 2.5 } }, 2.75)
    assert.are.same({ { 1, 2, 2.75 }, { 2.5, 2.5, 2.75 } }, r:totable())
    local b = lg.tensor{ 0, nan }
    local rn = lg.clamp({ 1, 1 }, b):totable()
    assert.are.equal(1, rn[1])
    assert.is_true(rn[2] ~= rn[2])   -- a NaN bound gives NaN
  end)

  it("in place and into an aliased bound", function()
    local x = lg.tensor{ -1, 0.5, 2 }
    assert.are.equal(x, lg.clamp(x, 0, 1, x))
    assert.are.same({ 0, 0.5, 1 }, x:totable())
    local hi = lg.tensor{ 1, 1, 1 }
    lg.clamp({ -1, 0.5, 2 }, 0, hi, hi)   -- out is the upper bound itself
    assert.are.same({ 0, 0.5, 1 }, hi:totable())
  end)

  it("errors name the argument", function()
    assert.are.equal("bad argument #2 to 'clamp' (min or max expected (both are nil))", err(lg.clamp, { 1 }))
    assert.truthy(err(lg.clamp, { 1 }, "a"):find("^bad argument #2 to 'clamp' %(number, table or lgrad.Tensor expected"))
    assert.truthy(err(lg.clamp, { 1, 2 }, 0, { 1, 2, 3 }):find("^bad argument #3 to 'clamp' %(shapes"))
  end)
end)

describe("cat and stack", function()
  it("cat joins along an existing dim (default 1)", function()
    local a, b = lg.tensor{ { 1, 2 }, { 3, 4 } }, lg.tensor{ { 5, 6 } }
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, lg.cat{ a, b }:totable())
    assert.are.same({ { 1, 2, 1, 3 }, { 3, 4, 2, 4 } }, lg.cat({ a, a:t() }, 2):totable())
    assert.are.same({ { 1, 2, 1, 3 }, { 3, 4, 2, 4 } }, lg.cat({ a, a:t() }, -1):totable())
    assert.are.same({ 1, 2, 3 }, lg.cat{ lg.tensor{ 1 }, lg.zeros(0), lg.tensor{ 2, 3 } }:totable())
    assert.are.equal("float64", lg.cat{ lg.zeros(1, "float64") }:dtype())
  end)

  it("stack joins along a new dim", function()
    local a, b = lg.tensor{ 1, 2 }, lg.tensor{ 3, 4 }
    assert.are.same({ { 1, 2 }, { 3, 4 } }, lg.stack{ a, b }:totable())
    assert.are.same({ { 1, 3 }, { 2, 4 } }, lg.stack({ a, b }, 2):totable())
    assert.are.same({ { 1, 3 }, { 2, 4 } }, lg.stack({ a, b }, -1):totable())
    assert.are.same({ 5, 7 }, lg.stack{ lg.tensor(5), lg.tensor(7) }:totable())
    assert.are.same({ 2, 2, 3 }, lg.stack({ lg.zeros(2, 3), lg.ones(2, 3) }):shape())
  end)

  it("write into out, and refuse an out that overlaps an input", function()
    local out = lg.zeros(4)
    assert.are.equal(out, lg.cat({ lg.tensor{ 1, 2 }, lg.tensor{ 3, 4 } }, 1, out))
    assert.are.same({ 1, 2, 3, 4 }, out:totable())
    local src = lg.tensor{ 1, 2 }
    assert.are.same({ 1, 2, 1, 2 }, lg.cat({ src, src }, 1, lg.zeros(4)):totable())
    assert.are.equal("bad argument #3 to 'cat' (out shares storage with entry 1)",
      err(lg.cat, { out:view(2, 2)[1], lg.tensor{ 0, 0 } }, 1, out))
  end)

  it("errors say which entry is wrong", function()
    assert.are.equal("bad argument #1 to 'cat' (non-empty list of tensors expected)", err(lg.cat, {}))
    assert.are.equal("bad argument #1 to 'cat' (entry 2 is a table, expected lgrad.Tensor)",
      err(lg.cat, { lg.zeros(1), { 1 } }))
    assert.truthy(err(lg.cat, { lg.zeros(2, 2), lg.zeros(1, 3) }):find("entry 2 has shape [1, 3], entry 1 [2, 2]", 1, true))
    assert.truthy(err(lg.stack, { lg.zeros(2), lg.zeros(3) }):find("stack needs equal shapes", 1, true))
    assert.are.equal("bad argument #1 to 'cat' (entry 2 is float64, entry 1 float32)",
      err(lg.cat, { lg.zeros(1), lg.zeros(1, "float64") }))
    assert.are.equal("bad argument #1 to 'cat' (0-d tensors cannot be concatenated)", err(lg.cat, { lg.tensor(1) }))
    assert.truthy(err(lg.cat, { lg.zeros(2) }, 2):find("^bad argument #2 to 'cat' %(dim 2 out of range"))
    assert.truthy(err(lg.stack, { lg.zeros(2) }, 3):find("^bad argument #2 to 'stack' %(dim 3 out of range"))
    assert.truthy(err(lg.cat, lg.zeros(2)):find("^bad argument #1 to 'cat' %(list of tensors expected"))
  end)
end)

describe("zeros_like and friends", function()
  it("copy the shape and dtype, or take a dtype", function()
    local t = lg.zeros(2, 3, "float64")
    for _, name in ipairs { "zeros_like", "ones_like", "randn_like", "rand_like" } do
      local r = lg[name](t)
      assert.are.same({ 2, 3 }, r:shape())
      assert.are.equal("float64", r:dtype())
      assert.are.equal("float32", lg[name](t, "float32"):dtype())
    end
    assert.are.same({ 1, 1, 1, 1, 1, 1 }, flat(lg.ones_like(t):totable()))
    assert.are.same({ 7, 7 }, lg.full_like(lg.zeros(2), 7):totable())
    assert.are.equal("float64", lg.full_like(lg.zeros(2), 7, "float64"):dtype())
    assert.are.same({}, lg.zeros_like(lg.tensor(3)):shape())
  end)

  it("refuse what is not a tensor", function()
    assert.are.equal("bad argument #1 to 'zeros_like' (lgrad.Tensor expected, got table)", err(lg.zeros_like, { 1 }))
    assert.are.equal("bad argument #2 to 'full_like' (number expected, got nil)", err(lg.full_like, lg.zeros(1)))
    assert.truthy(err(lg.ones_like, lg.zeros(1), "half"):find("^bad argument #2 to 'ones_like' %(dtype"))
  end)
end)

describe("module-level reductions", function()
  it("lg.sum/mean/max/min/argmax are the methods", function()
    local t = lg.tensor{ { 1, 5, 2 }, { 7, 0, 3 } }
    assert.are.equal(18, lg.sum(t))
    assert.are.equal(3, lg.mean(t))
    assert.are.equal(7, lg.max(t))
    assert.are.equal(0, lg.min(t))
    assert.are.equal(4, lg.argmax(t))   -- flat, 1-based, as torch.argmax without dim
    assert.are.same({ 8, 10 }, lg.sum(t, 2):totable())
    local v, i = lg.max(t, 2)
    assert.are.same({ 5, 7 }, v:totable())
    assert.are.same({ 2, 1 }, i:totable())
    assert.are.same({ { 3 }, { P.f32(10 / 3) } }, lg.mean({ { 1, 5, 3 }, { 7, 0, 3 } }, 2, true):totable())
    assert.truthy(err(lg.sum, t, 3):find("^bad argument #2 to 'sum' %(dim 3 out of range"))
  end)
end)

describe("argmax as class indices", function()
  it("feeds the losses, one_hot and accuracy directly", function()
    local z = lg.tensor{ { 0.1, 2, -1 }, { 3, 0, 0 }, { 0, 0, 5 } }
    local pred = z:argmax(2)
    assert.are.same({ 2, 1, 3 }, pred:totable())
    for i = 1, 3 do assert.are.equal(math.floor(pred[i]), pred[i]) end
    -- cross_entropy of z against its own argmax = the mean of -log softmax at the max
    local ls = lg.log_softmax(z:astype("float64")):totable()
    local e = -(ls[1][2] + ls[2][1] + ls[3][3]) / 3
    assert.is_true(math.abs(lg.cross_entropy(z, pred) - e) < 1e-6)
    assert.are.same({ 3, 3 }, lg.one_hot(pred, 3):shape())
    assert.are.equal(1, lg.accuracy(z, pred))
    assert.are.equal(2, lg.argmax(lg.tensor{ 1, 9, 3 }))   -- 1-d: a number
  end)

  it_if(math.type ~= nil, "math.type is 5.3+")("is a Lua integer without a dim", function()
    assert.are.equal("integer", math.type(lg.argmax(lg.tensor{ 1, 9, 3 })))
  end)
end)

describe("accuracy", function()
  it("counts argmax hits over the samples", function()
    local z = lg.tensor{ { 1, 2 }, { 3, 0 }, { 0, 1 }, { 5, 4 } }
    assert.are.equal(3 / 4, lg.accuracy(z, { 2, 1, 1, 1 }))
    assert.are.equal(3 / 4, lg.accuracy(z, lg.tensor{ 2, 1, 1, 1 }))
    assert.are.equal(3 / 4, lg.accuracy(z, lg.tensor({ 2, 1, 1, 1 }, "float64")))
    assert.are.equal(3 / 4, lg.accuracy(z, lg.one_hot({ 2, 1, 1, 1 }, 2)))   -- probabilities
    assert.are.equal(1, lg.accuracy({ 1, 3, 2 }, 2))                          -- one sample
    assert.are.equal(0, lg.accuracy({ 1, 3, 2 }, 1))
    assert.are.equal(1, lg.accuracy({ 1, 3, 2 }, { 0, 0.9, 0.1 }))
    assert.are.equal(1, lg.accuracy({ 1, 3, 2 }, lg.tensor(2)))
    local r = lg.accuracy(lg.zeros(0, 3), {})
    assert.is_true(r ~= r)   -- a mean of nothing
  end)

  it("errors name the argument", function()
    assert.truthy(err(lg.accuracy, lg.zeros(2, 2, 2), { 1 }):find("^bad argument #1 to 'accuracy' %(1%-d"))
    assert.are.equal("bad argument #2 to 'accuracy' (expected 2 class indices, got a tensor of shape [3])",
      err(lg.accuracy, lg.zeros(2, 3), { 1, 2, 3 }))
    assert.truthy(err(lg.accuracy, lg.zeros(2, 3), { 1, "a" }):find("target at sample 2 is a string", 1, true))
    assert.truthy(err(lg.accuracy, "z", { 1 }):find("^bad argument #1 to 'accuracy'"))
  end)
end)

describe("errors from the Lua layer", function()
  local function line_of(f)
    local ok, msg = pcall(f)
    assert.is_false(ok)
    return tonumber(tostring(msg):match("toolkit_spec%.lua:(%d+):"))
  end

  it("name the caller's line when called plainly", function()
    local here = debug.getinfo(1, "l").currentline
    local l = line_of(function() local r = lg.one_hot(0, 3); return r end)
    assert.are.equal(here + 1, l)
  end)

  it("keep a file:line when tail-called", function()
    local function user() return lg.one_hot(0, 3) end
    local function user2() return lg.accuracy("z", 1) end
    local function user3() return lg.gradcheck(1) end
    local function user4() return require("lgrad.plot").save(1) end
    local here = debug.getinfo(1, "l").currentline
    local function outer(f) local r = f(); return r end
    local function user5() return lg.zeros_like(lg.zeros(1), "half") end
    local function user6() return lg.full_like(lg.zeros(1), 1, "half") end
    for _, f in ipairs { user, user2, user3, user4, user5, user6 } do
      -- the tail-caller's frame is gone: the next one out (outer) is named
      assert.are.equal(here + 1, line_of(function() return outer(f) end))
    end
  end)

  it_if(not P.luajit, "LuaJIT cannot tell a tail call from a C caller")(
    "keep a file:line when tail-called straight from pcall", function()
      local function user() return lg.one_hot(0, 3) end
      local ok, msg = pcall(user)
      assert.is_false(ok)
      assert.truthy(tostring(msg):find("toolkit_spec%.lua:%d+: bad argument #1 to 'one_hot'"), msg)
    end)
end)
