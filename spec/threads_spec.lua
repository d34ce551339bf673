-- lg.set_num_threads / lg.get_num_threads: large calls split over worker
-- threads must give exactly what one thread gives (elementwise and the
-- softmax family bit for bit; cross-entropy's loss too, as its blocks do
-- not depend on the thread count), small calls stay on the caller, and
-- the pool belongs to the lua_State (coroutines share it, closing the
-- state joins it).
local lg = require "lgrad"
local H = require "spec.support.helpers"
require "lgrad.busted"

local C = require "spec.support.child"
local THREADS = {2, 3, 4}
-- Element counts around the inline threshold (65536) and odd ones, so
-- chunk boundaries fall everywhere.
local SIZES = {1000, 65535, 65536, 70001, 262147}

-- f() under n threads, the previous count restored even on error.
local function with(n, f)
  local old = lg.get_num_threads()
  lg.set_num_threads(n)
  local ok, a, b = pcall(f)
  lg.set_num_threads(old)
  assert(ok, a)
  return a, b
end

-- Same shape, dtype and values, with NaN matching NaN.
local function same(a, b, what)
  assert.are.same(a:shape(), b:shape(), what)
  assert.equals(a:dtype(), b:dtype(), what)
  local fa, fb = a:view(a:numel()), b:view(b:numel())
  if not lg.equal(fa, fb) then
    for i = 1, a:numel() do
      local x, y = fa[i], fb[i]
      if not (x == y or (x ~= x and y ~= y)) then
        error(("%s: element %d differs: %.17g vs %.17g"):format(what or "", i, x, y), 2)
      end
    end
  end
end

describe("set_num_threads", function()
  after_each(function() lg.set_num_threads(1) end)

  before_each(function() lg.set_num_threads(1) end)

  it("reads back what was set", function()
    assert.equals(1, lg.get_num_threads())
    lg.set_num_threads(3)
    assert.equals(3, lg.get_num_threads())
    lg.set_num_threads(3)   -- the same count again: nothing changes
    assert.equals(3, lg.get_num_threads())
    lg.set_num_threads(2)
    assert.equals(2, lg.get_num_threads())
    lg.set_num_threads(1)
    assert.equals(1, lg.get_num_threads())
    lg.set_num_threads(64)
    assert.equals(64, lg.get_num_threads())
  end)

  it("refuses a count that is not an integer from 1 to 64", function()
    for _, v in ipairs({0, -1, 65, 2.5, 1 / 0, -1 / 0, 0 / 0, 1e300}) do
      assert.matches("bad argument #1 to 'set_num_threads' %(thread count must be an integer "
        .. "from 1 to 64, got .*%)", H.err(lg.set_num_threads, v))
    end
    assert.equals("bad argument #1 to 'set_num_threads' (number expected, got string)",
      H.err(lg.set_num_threads, "2"))
    assert.equals("bad argument #1 to 'set_num_threads' (number expected, got no value)",
      H.err(lg.set_num_threads))
    assert.equals(1, lg.get_num_threads())
  end)

  it("is one pool per state: a coroutine sets it for its state", function()
    coroutine.wrap(function() lg.set_num_threads(3) end)()
    assert.equals(3, lg.get_num_threads())
    local co = coroutine.create(function()
      coroutine.yield(lg.softmax(lg.randn(300, 301)))
      return lg.get_num_threads()
    end)
    assert.is_true((coroutine.resume(co)))
    assert.same({true, 3}, {coroutine.resume(co)})
  end)

  it("survives collectgarbage and keeps working", function()
    lg.set_num_threads(2)
    collectgarbage()
    collectgarbage()
    assert.equals(2, lg.get_num_threads())
    local x = lg.randn(200000)
    same(with(1, function() return lg.sigmoid(x) end), lg.sigmoid(x))
  end)

  it("is 1 in a fresh state, and joins its threads when the state closes", function()
    -- a child interpreter starts 4 threads, works, and ends: lua_close must
    -- run the pool's __gc and return (a hang here is a join that never ends)
    local script = [[
      local lg = require "lgrad"
      assert(lg.get_num_threads() == 1)
      lg.set_num_threads(4)
      local p = lg.softmax(lg.randn(1000, 300))
      lg.set_num_threads(2)
      io.write(string.format("%d %.6f", lg.get_num_threads(), p:sum()))
    ]]
    local file = C.chunk_file("package.path = " .. ("%q"):format(package.path)
      .. " package.cpath = " .. ("%q"):format(package.cpath) .. " " .. script)
    local out, code = C.run(C.LUA .. " " .. C.q(file) .. " 2>&1")
    os.remove(file)
    out = out:gsub("%s+$", "") .. " exit=" .. tostring(code)
    assert.equals("2 1000.000000 exit=0", out)
  end)
end)

describe("threads give one thread's results", function()
  after_each(function() lg.set_num_threads(1) end)

  for _, dt in ipairs({"float32", "float64"}) do
    it("for activations forward and backward, " .. dt, function()
      for _, n in ipairs(SIZES) do
        local x = lg.randn(n, dt) * 4
        local dy = lg.randn(n, dt)
        for _, case in ipairs({{"relu"}, {"sigmoid"}, {"tanh"}, {"gelu"}, {"gelu", "tanh"},
                               {"softplus"}, {"leaky_relu", 0.1}, {"elu"}}) do
          local name, p = case[1], case[2]
          local f = function()
            return lg[name](x, p), lg[name .. "_backward"](dy, x, p)
          end
          local y1, g1 = f()
          for _, t in ipairs(THREADS) do
            local y, g = with(t, f)
            same(y1, y, ("%s %s n=%d threads=%d"):format(name, dt, n, t))
            same(g1, g, ("%s_backward %s n=%d threads=%d"):format(name, dt, n, t))
          end
        end
      end
    end)

    it("for the softmax family over rows and over a middle dim, " .. dt, function()
      for _, shape in ipairs({{3, 5}, {257, 255}, {1001, 131}, {70001, 1}, {1, 70001},
                              {7, 301, 67}}) do
        local z = lg.randn(shape[1], shape[2], shape[3], dt) * 3
        local g = lg.randn(shape[1], shape[2], shape[3], dt)
        for _, d in ipairs({-1, 2}) do
          local f = function()
            local p, lp = lg.softmax(z, d), lg.log_softmax(z, d)
            return {p, lp, lg.logsumexp(z, d), lg.hardmax(z, d), lg.softmax_backward(g, p, d),
                    lg.log_softmax_backward(g, lp, d)}
          end
          local r1 = f()
          for _, t in ipairs(THREADS) do
            local r = with(t, f)
            for k = 1, #r1 do
              same(r1[k], r[k], ("result %d, shape %s dim %d threads %d"):format(k,
                table.concat(shape, "x"), d, t))
            end
          end
        end
      end
    end)

    it("for cross_entropy and its gradient, " .. dt, function()
      for _, shape in ipairs({{10, 7}, {700, 100}, {65537, 1}, {3001, 129}}) do
        local n, c = shape[1], shape[2]
        local z = lg.randn(n, c, dt) * 3
        local y = {}
        for i = 1, n do y[i] = (i * 7919) % c + 1 end
        local w = lg.rand(c, dt) + 0.5
        for _, opts in ipairs({{}, {reduction = "sum"}, {reduction = "none"}, {weight = w},
                               {label_smoothing = 0.1, weight = w}, {ignore_index = 1}}) do
          local f = function()
            local g, l = lg.cross_entropy_grad(z, y, opts)
            return g, l, lg.cross_entropy(z, y, opts)
          end
          local g1, l1, f1 = f()
          if type(l1) == "number" then assert.is_true(l1 == f1 or (l1 ~= l1 and f1 ~= f1)) end
          for _, t in ipairs(THREADS) do
            local g, l = with(t, f)
            same(g1, g, ("grad %dx%d threads %d"):format(n, c, t))
            if type(l1) == "number" then assert.is_true(l1 == l or (l1 ~= l1 and l ~= l))
            else same(l1, l, "losses") end
          end
        end
      end
    end)
  end

  it("for calls large enough to stream their output (chunks of 2^21 elements)", function()
    local x = lg.randn(2 ^ 21 * 2 + 4099) * 4
    local z = lg.randn(2100, 1001) * 3
    local f = function() return {lg.relu(x), lg.sigmoid(x), lg.softmax(z), lg.log_softmax(z)} end
    local r1 = f()
    for _, t in ipairs({2, 3}) do
      local r = with(t, f)
      for k = 1, #r1 do same(r1[k], r[k], ("result %d threads %d"):format(k, t)) end
    end
  end)

  it("for cross_entropy, as the unsplit kernel: rows alike, the sum within rounding", function()
    -- 2000 x 100 runs in blocks; its first 300 rows alone run in one call
    local z = lg.randn(2000, 100, "float64") * 3
    local y = {}
    for i = 1, 2000 do y[i] = (i * 31) % 100 + 1 end
    local head, yh = lg.zeros(300, 100, "float64"), {}
    for i = 1, 300 do head[i] = z[i]; yh[i] = y[i] end
    local g, total = with(2, function() return lg.cross_entropy_grad(z, y, {reduction = "sum"}) end)
    local gh = lg.cross_entropy_grad(head, yh, {reduction = "sum"})
    for i = 1, 300 do same(gh[i], g[i], "row " .. i) end
    local losses, s = lg.cross_entropy(z, y, {reduction = "none"}), 0
    for i = 1, 2000 do s = s + losses[i] end
    assert.near(s, total, 1e-12 * math.abs(s))
  end)

  it("for elementwise tensor math, broadcast and strided", function()
    for _, dt in ipairs({"float32", "float64"}) do
      local a = lg.rand(301, 257, dt) + 0.5
      local row = lg.rand(257, dt) + 0.5
      local wide = lg.rand(1, 70001, dt) + 0.5
      local f = function()
        return {a + row, a - 2, row * a, a / row, -a, a:exp(), a:log(), (a - 1):abs(), a:sqrt(),
                a ^ 1.5, wide * wide, wide:exp(), a:t() * 3, lg.mul(a:t(), a:t()), a + a:t():t()}
      end
      local r1 = f()
      for _, t in ipairs(THREADS) do
        local r = with(t, f)
        for k = 1, #r1 do same(r1[k], r[k], ("op %d %s threads %d"):format(k, dt, t)) end
      end
    end
  end)

  it("for strided inputs and a strided out", function()
    lg.set_num_threads(2)
    local base = lg.randn(400, 500)
    local x = base:t()   -- [500, 400], not contiguous
    local xc = x:contiguous()
    same(with(1, function() return lg.sigmoid(xc) end), lg.sigmoid(x))
    same(with(1, function() return lg.softmax(xc) end), lg.softmax(x))
    local out = lg.zeros(400, 500):t()
    lg.tanh(x, out)
    same(with(1, function() return lg.tanh(xc) end), out:contiguous())
    lg.softmax(x, 2, out)
    same(with(1, function() return lg.softmax(xc, 2) end), out:contiguous())
  end)

  it("in place (out is the input)", function()
    local x = lg.randn(300000)
    local ref = lg.silu(x)
    with(2, function() lg.silu(x, x) end)
    same(ref, x)
  end)
end)
