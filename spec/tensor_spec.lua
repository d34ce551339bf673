-- The tensor type: construction, views, arithmetic, reductions, products.
-- Expected values are computed here in plain Lua doubles.
local lg = require "lgrad"
local P = require "spec.support.portable"
local it_if = P.it_if(it, pending)

local f32 = P.f32   -- round a double to float32 (plain arithmetic, every Lua)

local function flat(t)
  local out = {}
  local function walk(v)
    if type(v) == "table" then for i = 1, #v do walk(v[i]) end else out[#out + 1] = v end
  end
  walk(t:totable())
  return out
end

describe("lgrad tensors", function()
  it("runs under the Lua that make asked for (LGRAD_LUA, lua5.4 by default)", function()
    local want = os.getenv("LGRAD_LUA") or "lua5.4"
    if want == "luajit" then
      assert.is_true(P.luajit)
    else
      assert.is_false(P.luajit)
      assert.are.equal("Lua " .. assert(want:match("^lua(5%.%d)$")), _VERSION)
    end
  end)

  describe("construction", function()
    it("builds from nested tables with shape, dtype and values", function()
      local t = lg.tensor{{1, 2, 3}, {4, 5, 6}}
      assert.are.same({2, 3}, t:shape())
      assert.are.equal("float32", t:dtype())
      assert.are.equal(2, t:dim())
      assert.are.equal(6, t:numel())
      assert.are.equal(2, #t)
      assert.are.equal(3, t:size(2))
      assert.are.equal(3, t:size(-1))
      assert.are.same({{1, 2, 3}, {4, 5, 6}}, t:totable())
    end)

    it("rounds to float32 but keeps float64 exact", function()
      assert.are.equal(f32(0.1), lg.tensor{0.1}[1])
      assert.are_not.equal(0.1, lg.tensor{0.1}[1])
      assert.are.equal(0.1, lg.tensor({0.1}, "float64")[1])
      assert.are.equal("float64", lg.tensor({0.1}, "float64"):dtype())
    end)

    it("makes 0-d tensors from numbers and empty tensors from {}", function()
      local s = lg.tensor(2.5)
      assert.are.equal(0, s:dim())
      assert.are.same({}, s:shape())
      assert.are.equal(2.5, s:item())
      assert.are.equal(2.5, s:totable())
      local e = lg.tensor{}
      assert.are.same({0}, e:shape())
      assert.are.same({2, 0}, lg.tensor{{}, {}}:shape())
    end)

    it("fills zeros, ones, full, empty in either shape form", function()
      assert.are.same({{0, 0, 0}, {0, 0, 0}}, lg.zeros(2, 3):totable())
      assert.are.same({{1, 1}, {1, 1}}, lg.ones({2, 2}):totable())
      assert.are.same({2, 5}, lg.empty(2, 5):shape())
      assert.are.equal("float64", lg.zeros({2}, "float64"):dtype())
      assert.are.equal("float64", lg.ones(3, "float64"):dtype())
      assert.are.same({{7, 7}}, lg.full({1, 2}, 7):totable())
      assert.are.same({0}, lg.zeros(0):shape())
      assert.are.same({}, lg.zeros():shape())
    end)

    it("makes identity matrices", function()
      assert.are.same({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, lg.eye(3):totable())
      assert.are.same({{1, 0, 0}, {0, 1, 0}}, lg.eye(2, 3):totable())
    end)

    it("range is inclusive like a numeric for", function()
      local expected = {}
      for i = 1, 10, 3 do expected[#expected + 1] = i end
      assert.are.same(expected, lg.range(1, 10, 3):totable())
      assert.are.same({5, 4, 3}, lg.range(5, 3, -1):totable())
      assert.are.same({0, 0.25, 0.5, 0.75, 1}, lg.range(0, 1, 0.25):totable())
      assert.are.equal(11, lg.range(0, 1, 0.1, "float64"):numel())
    end)

    it("linspace includes both ends exactly", function()
      local t = lg.linspace(-1, 1, 5, "float64"):totable()
      assert.are.same({-1, -0.5, 0, 0.5, 1}, t)
      local u = lg.linspace(0, 1, 7, "float64")
      assert.are.equal(0, u[1]); assert.are.equal(1, u[7])
      for i = 1, 7 do assert.is_true(math.abs(u[i] - (i - 1) / 6) < 1e-15) end
      assert.are.same({3}, lg.linspace(3, 9, 1):totable())
      assert.are.equal(0, lg.linspace(0, 1, 0):numel())
    end)

    it("one_hot uses 1-based indices", function()
      assert.are.same({{0, 1, 0}, {1, 0, 0}, {0, 0, 1}}, lg.one_hot({2, 1, 3}, 3):totable())
      assert.are.same({0, 0, 1}, lg.one_hot(3, 3):totable())   -- a number gives [C], as torch
      assert.are.same({{1, 0}, {0, 1}}, lg.one_hot(lg.tensor{1, 2}, 2):totable())
      assert.are.same({2, 4}, lg.one_hot({4, 1}):shape())
    end)
  end)

  describe("random numbers", function()
    it("repeat for a seed and differ across seeds", function()
      lg.seed(123); local a = lg.rand(100):totable()
      lg.seed(123); local b = lg.rand(100):totable()
      lg.seed(124); local c = lg.rand(100):totable()
      assert.are.same(a, b)
      assert.are_not.same(a, c)
    end)

    it("rand is uniform on [0, 1)", function()
      lg.seed(1)
      local x = flat(lg.rand(20000, "float64"))
      local sum, sq = 0, 0
      for _, v in ipairs(x) do
        assert.is_true(v >= 0 and v < 1)
        sum = sum + v; sq = sq + v * v
      end
      local mean = sum / #x
      assert.is_true(math.abs(mean - 0.5) < 0.01)
      assert.is_true(math.abs(sq / #x - mean * mean - 1 / 12) < 0.005)
    end)

    it("randn has mean 0 and variance 1", function()
      lg.seed(2)
      local x = flat(lg.randn(20000))
      local sum, sq = 0, 0
      for _, v in ipairs(x) do sum = sum + v; sq = sq + v * v end
      assert.is_true(math.abs(sum / #x) < 0.03)
      assert.is_true(math.abs(sq / #x - 1) < 0.04)
    end)

    -- The reference needs 64-bit integers and bit operators (5.3+); the
    -- chunk is compiled only there since older parsers reject `~ >> <<`.
    it_if(P.has_int64, "needs 64-bit integers (Lua 5.3+)")(
    "gives the documented first numbers for seed 42 on every platform", function()
      assert(load([[
      local lg, assert = ...
      -- xoshiro256** seeded by splitmix64(42); computed here in Lua integers.
      local function splitmix(s)
        s = s + 0x9E3779B97F4A7C15
        local z = s
        z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
        z = (z ~ (z >> 27)) * 0x94D049BB133111EB
        return s, z ~ (z >> 31)
      end
      local function rotl(x, k) return (x << k) | (x >> (64 - k)) end
      local st, s = {}, 42
      for i = 1, 4 do s, st[i] = splitmix(s) end
      local function next_u64()
        local r = rotl(st[2] * 5, 7) * 9
        local t = st[2] << 17
        st[3] = st[3] ~ st[1]; st[4] = st[4] ~ st[2]
        st[2] = st[2] ~ st[3]; st[1] = st[1] ~ st[4]
        st[3] = st[3] ~ t; st[4] = rotl(st[4], 45)
        return r
      end
      lg.seed(42)
      local got = lg.rand(5, "float64")
      for i = 1, 5 do
        assert.are.equal((next_u64() >> 11) * 2.0^-53, got[i])
      end
      ]]))(lg, assert)
    end)
  end)

  describe("views", function()
    it("row views share storage", function()
      local t = lg.zeros(2, 3)
      local row = t[2]
      row[3] = 7
      assert.are.equal(7, t:get(2, 3))
      t[1] = 5
      assert.are.same({{5, 5, 5}, {0, 0, 7}}, t:totable())
      t[2] = {1, 2, 3}
      assert.are.same({1, 2, 3}, t[2]:totable())
    end)

    it("negative indices count from the end", function()
      local t = lg.tensor{10, 20, 30}
      assert.are.equal(30, t[-1])
      assert.are.equal(10, t[-3])
      assert.are.equal(20, lg.tensor{{1, 2}, {10, 20}}:get(-1, -1))
    end)

    it("transpose and t() swap strides without copying", function()
      local t = lg.tensor{{1, 2, 3}, {4, 5, 6}}
      local u = t:t()
      assert.are.same({{1, 4}, {2, 5}, {3, 6}}, u:totable())
      assert.is_false(u:is_contiguous())
      u:set(3, 1, 99)
      assert.are.equal(99, t:get(1, 3))
      local x = lg.zeros(2, 3, 4)
      assert.are.same({4, 3, 2}, x:transpose(1, 3):shape())
      assert.are.same({2, 4, 3}, x:transpose(-1, -2):shape())
    end)

    it("reshape and view share storage of contiguous data, with -1 inferred", function()
      local t = lg.range(1, 6)
      local v = t:view(2, 3)
      assert.are.same({{1, 2, 3}, {4, 5, 6}}, v:totable())
      v:set(1, 1, 100)
      assert.are.equal(100, t[1])
      assert.are.same({3, 2}, t:reshape({-1, 2}):shape())
      local nc = v:t()
      assert.are.same({1, 4, 2, 5, 3, 6}, (function() local r = nc:reshape(6):totable(); r[1] = 1; return r end)())
      assert.has_error(function() nc:view(6) end)
    end)

    it("contiguous, clone and astype copy", function()
      local t = lg.tensor{{1, 2}, {3, 4}}
      local c = t:clone(); c:set(1, 1, 9)
      assert.are.equal(1, t:get(1, 1))
      assert.are.equal(t, t:contiguous())
      local tt = t:t():contiguous()
      assert.is_true(tt:is_contiguous())
      assert.are.same({{1, 3}, {2, 4}}, tt:totable())
      local d = t:astype("float64")
      assert.are.equal("float64", d:dtype())
      assert.are.same(t:totable(), d:totable())
    end)

    it("fill and copy write in place with broadcasting", function()
      local t = lg.zeros(2, 3)
      assert.are.equal(t, t:fill(2))
      assert.are.same({{2, 2, 2}, {2, 2, 2}}, t:totable())
      t:copy({1, 2, 3})
      assert.are.same({{1, 2, 3}, {1, 2, 3}}, t:totable())
      t:copy(lg.tensor({{5}, {6}}, "float64"))
      assert.are.same({{5, 5, 5}, {6, 6, 6}}, t:totable())
    end)

    it("a view keeps its storage alive after the base is dropped", function()
      local row
      do
        local base = lg.range(1, 1000):view(10, 100)
        row = base[10]
      end
      collectgarbage(); collectgarbage()
      assert.are.equal(1000, row[100])
      assert.are.equal(901, row[1])
    end)
  end)

  describe("arithmetic", function()
    it("computes elementwise with numbers on either side", function()
      local a = lg.tensor({{1, 2}, {3, 4}}, "float64")
      assert.are.same({{2, 3}, {4, 5}}, (a + 1):totable())
      assert.are.same({{9, 8}, {7, 6}}, (10 - a):totable())
      assert.are.same({{2, 4}, {6, 8}}, (a * 2):totable())
      assert.are.same({{1, 0.5}, {1 / 3, 0.25}}, (1 / a):totable())
      assert.are.same({{-1, -2}, {-3, -4}}, (-a):totable())
      assert.are.same({{1, 4}, {9, 16}}, (a * a):totable())
      assert.are.same({{1, 8}, {27, 64}}, (a ^ 3):totable())
      assert.are.same({{1, math.sqrt(2)}, {math.sqrt(3), 2}}, (a ^ 0.5):totable())
    end)

    it("broadcasts like NumPy", function()
      local col = lg.tensor{{1}, {2}, {3}}      -- 3 x 1
      local row = lg.tensor{10, 20}             -- 2
      local s = col + row
      assert.are.same({3, 2}, s:shape())
      for i = 1, 3 do for j = 1, 2 do assert.are.equal(i + 10 * j, s:get(i, j)) end end
      local x = lg.ones(2, 1, 3) * lg.tensor{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {1, 1, 1}}
      assert.are.same({2, 4, 3}, x:shape())
      assert.are.equal(8, x:get(2, 3, 2))
    end)

    it("works on non-contiguous views", function()
      local a = lg.tensor{{1, 2, 3}, {4, 5, 6}}
      local r = a:t() - lg.tensor{{1, 1}, {1, 1}, {1, 1}}
      assert.are.same({{0, 3}, {1, 4}, {2, 5}}, r:totable())
    end)

    it("writes into out, including in place", function()
      local a = lg.tensor{1, 2, 3}
      local out = lg.zeros(3)
      assert.are.equal(out, lg.add(a, 1, out))
      assert.are.same({2, 3, 4}, out:totable())
      lg.mul(a, a, a)
      assert.are.same({1, 4, 9}, a:totable())
    end)

    it("is correct when out overlaps an input at other positions", function()
      local a = lg.tensor{{1, 2}, {3, 4}}
      lg.add(a:t(), 0, a)
      assert.are.same({{1, 3}, {2, 4}}, a:totable())
    end)

    it("accepts plain tables as operands", function()
      assert.are.same({5, 7}, lg.add({1, 2}, {4, 5}):totable())
      assert.are.same({2, 4}, (lg.tensor{1, 2} * {2, 2}):totable())
    end)

    it("matches float32 rounding of the double result", function()
      local x, y = 0.1, 0.7
      local r = (lg.tensor{x} + lg.tensor{y})[1]
      assert.are.equal(f32(f32(x) + f32(y)), r)
      assert.are.equal(f32(f32(x) / f32(y)), (lg.tensor{x} / lg.tensor{y})[1])
    end)

    it("follows IEEE for division by zero and NaN", function()
      local r = lg.tensor{1, -1, 0} / 0
      assert.are.equal(math.huge, r[1])
      assert.are.equal(-math.huge, r[2])
      assert.is_true(r[3] ~= r[3])
    end)
  end)

  describe("elementwise math", function()
    it("exp, log, abs, sqrt, pow agree with math.*", function()
      local xs = {0.5, 1, 2, 3.25}
      local t = lg.tensor(xs, "float64")
      for i, x in ipairs(xs) do
        assert.are.equal(math.exp(x), t:exp()[i])
        assert.are.equal(math.log(x), t:log()[i])
        assert.are.equal(math.sqrt(x), t:sqrt()[i])
        assert.are.equal(x ^ 2.5, t:pow(2.5)[i])
        assert.are.equal(x, (-t):abs()[i])
      end
      assert.are.equal(f32(math.exp(f32(0.3))), lg.tensor{0.3}:exp()[1])
      assert.are.equal(-math.huge, lg.tensor{0}:log()[1])
    end)

    it("float32 log (the vector log) within 1 ulp of the double one, special values exact", function()
      local negzero = -1 / math.huge
      local xs = {2 ^ -149, 2 ^ -140, 1.17549435e-38, 1e-30, 0.7034539, 0.999999, 1, 1.000001, 2,
                  1e30, 3.4e38}
      for i = 1, 400 do xs[#xs + 1] = f32(1.0371 ^ (i - 200)) end
      local t = lg.tensor(xs)
      local y, ys = t:log(), lg.tensor({xs, xs}):t():contiguous():t()[1]:log()
      for i, x in ipairs(xs) do
        local e = math.log(f32(x))
        local _, ex = math.frexp(e)
        local ulp = 2 ^ (ex - 24)
        assert.is_true(math.abs(y[i] - e) <= ulp, ("log(%.9g): %.9g vs %.9g"):format(x, y[i], e))
        assert.is_true(math.abs(ys[i] - e) <= ulp)
      end
      local sp = lg.tensor({0, negzero, -1, -math.huge, math.huge, 0 / 0}):log()
      assert.are.equal(-math.huge, sp[1])
      assert.are.equal(-math.huge, sp[2])
      assert.is_true(sp[3] ~= sp[3] and sp[4] ~= sp[4] and sp[6] ~= sp[6])
      assert.are.equal(math.huge, sp[5])
    end)

    it("float32 sqrt (the vector sqrt) is the correctly rounded one, bit for bit", function()
      local negzero = -1 / math.huge
      local xs = {0, negzero, 2 ^ -149, 2 ^ -130, 1e-30, 0.5, 1, 2, 3, 1e30, 3.4e38,
                  math.huge, -1, -math.huge, 0 / 0}
      for i = 1, 500 do xs[#xs + 1] = f32(i * 1.37 + i * i * 0.001) end
      local t = lg.tensor(xs)
      local y, ys = t:sqrt(), lg.tensor({xs, xs}):t():contiguous():t()[1]:sqrt()
      for i, x in ipairs(xs) do
        local e = f32(math.sqrt(f32(x)))
        for _, got in ipairs({y[i], ys[i]}) do
          if e ~= e then assert.is_true(got ~= got)
          else assert.are.equal(e, got); assert.are.equal(1 / e, 1 / got) end   -- -0 stays -0
        end
      end
    end)

    it("float32 exp (the vector exp) within 2 ulp of the double one, extremes exact", function()
      local xs = {-200, -104, -103.9, -87.5, -20, -1e-3, -1e-30, 0, 1e-30, 0.3, 1, 10, 50,
                  88.5, 88.72, 88.8, 1000, math.huge, -math.huge, 0 / 0}
      for i = 1, 300 do xs[#xs + 1] = -100 + i * 0.629 end
      local t = lg.tensor(xs)
      local y = t:exp()
      local ys = lg.tensor({xs, xs}):t():contiguous():t()[1]:exp()   -- strided: scalar path
      for i, x in ipairs(xs) do
        local e, got = f32(math.exp(f32(x))), y[i]
        if e ~= e then
          assert.is_true(got ~= got)
        elseif e == math.huge or e == 0 then
          assert.are.equal(e, got)
        else
          local _, ex = math.frexp(e)
          local ulp = math.max(2 ^ (ex - 24), 2 ^ -149)
          assert.is_true(math.abs(got - e) <= 2 * ulp, ("exp(%.9g): %.9g vs %.9g"):format(x, got, e))
        end
        if e == math.huge or e == 0 then assert.are.equal(e, ys[i])
        elseif e == e then assert.is_true(math.abs(ys[i] - got) <= 2 * math.max(e * 2 ^ -23, 2 ^ -149)) end
      end
    end)
  end)

  describe("reductions", function()
    local m = {{3, -1, 4}, {1, 5, -9}}
    it("sum and mean over everything and over a dim", function()
      local t = lg.tensor(m)
      assert.are.equal(3, t:sum())
      assert.are.equal(0.5, t:mean())
      assert.are.same({4, 4, -5}, t:sum(1):totable())
      assert.are.same({6, -3}, t:sum(2):totable())
      assert.are.same({6, -3}, t:sum(-1):totable())
      assert.are.same({2, 2, -2.5}, t:mean(1):totable())
      assert.are.same({2, 1}, t:sum(2, true):shape())
    end)

    it("sums in double precision", function()
      local n = 1000000
      local t = lg.full({n}, 0.1)
      local e = 0
      for _ = 1, n do e = e + f32(0.1) end   -- the same order, in double
      assert.are.equal(f32(e), t:sum())        -- rounded once, to the dtype
      assert.are.equal(f32(e / n), t:mean())
      assert.are.equal(e, t:astype("float64"):sum())
    end)

    it("max and min return values and 1-based indices", function()
      local t = lg.tensor(m)
      assert.are.equal(5, t:max())
      assert.are.equal(-9, t:min())
      local v, i = t:max(2)
      assert.are.same({4, 5}, v:totable())
      assert.are.same({3, 2}, i:totable())
      local w, j = t:min(1)
      assert.are.same({1, -1, -9}, w:totable())
      assert.are.same({2, 1, 2}, j:totable())
      assert.are.equal(5, t:argmax())
      assert.are.same({3, 2}, t:argmax(2):totable())
      assert.are.same({2, 3}, t:argmin(-1):totable())
    end)

    it("takes the first index on ties and propagates NaN", function()
      assert.are.equal(2, lg.tensor{1, 7, 7}:argmax())
      local t = lg.tensor{1, 0 / 0, 3}
      assert.is_true(t:max() ~= t:max())
      assert.are.equal(2, t:argmax())
    end)

    it("reduces empty tensors like PyTorch", function()
      assert.are.equal(0, lg.zeros(0):sum())
      local m0 = lg.zeros(0):mean()
      assert.is_true(m0 ~= m0)
      assert.has_error(function() lg.zeros(0):max() end)
    end)

    it("reduces a 3-d tensor over the middle dim", function()
      local t = lg.range(1, 24):view(2, 3, 4)
      local s = t:sum(2)
      assert.are.same({2, 4}, s:shape())
      for i = 1, 2 do
        for k = 1, 4 do
          local e = 0
          for j = 1, 3 do e = e + ((i - 1) * 12 + (j - 1) * 4 + k) end
          assert.are.equal(e, s:get(i, k))
        end
      end
    end)
  end)

  describe("products", function()
    it("matmul multiplies matrices and vectors", function()
      local a = {{1, 2, 3}, {4, 5, 6}}
      local b = {{7, 8}, {9, 10}, {11, 12}}
      local c = lg.matmul(lg.tensor(a), lg.tensor(b))
      for i = 1, 2 do
        for j = 1, 2 do
          local e = 0
          for k = 1, 3 do e = e + a[i][k] * b[k][j] end
          assert.are.equal(e, c:get(i, j))
        end
      end
      assert.are.same({14, 32}, lg.matmul(lg.tensor(a), lg.tensor{1, 2, 3}):totable())
      assert.are.same({9, 12, 15}, lg.matmul(lg.tensor{1, 2}, lg.tensor(a)):totable())
      assert.are.equal(14, lg.matmul(lg.tensor{1, 2, 3}, lg.tensor{1, 2, 3}))
      assert.are.same({{1, 4}, {2, 5}, {3, 6}}, lg.matmul(lg.eye(3), lg.tensor(a):t()):totable())
    end)

    it("matmul agrees with a double reference on random matrices", function()
      lg.seed(5)
      local a, b = lg.randn(7, 5, "float64"), lg.randn(5, 3, "float64")
      local c = lg.matmul(a, b)
      for i = 1, 7 do
        for j = 1, 3 do
          local e = 0
          for k = 1, 5 do e = e + a:get(i, k) * b:get(k, j) end
          assert.is_true(math.abs(e - c:get(i, j)) < 1e-12)
        end
      end
    end)

    it("dot and outer", function()
      assert.are.equal(32, lg.dot({1, 2, 3}, {4, 5, 6}))
      assert.are.same({{4, 5}, {8, 10}}, lg.outer({1, 2}, {4, 5}):totable())
    end)
  end)

  describe("comparison", function()
    it("allclose uses |a - b| <= atol + rtol * |b|", function()
      assert.is_true(lg.allclose({1, 2}, {1, 2 + 1e-6}))
      assert.is_false(lg.allclose({1, 2}, {1, 2.1}))
      assert.is_true(lg.allclose({1, 2}, {1, 2.1}, 0, 0.11))
      assert.is_false(lg.allclose({0 / 0}, {0 / 0}))
      assert.is_true(lg.allclose({math.huge}, {math.huge}))
      assert.is_true(lg.allclose(lg.tensor{0.1}, lg.tensor({0.1}, "float64"), 1e-6))
    end)

    it("equal needs the same shape and values", function()
      assert.is_true(lg.equal({1, 2}, {1, 2}))
      assert.is_false(lg.equal({1, 2}, {1, 3}))
      assert.is_false(lg.equal({1, 2}, {{1, 2}}))
    end)
  end)

  describe("printing", function()
    it("shows dtype, shape and values", function()
      local s = tostring(lg.tensor{{1, 2}, {3, 4.5}})
      assert.truthy(s:find("float32", 1, true))
      assert.truthy(s:find("[2, 2]", 1, true))
      assert.truthy(s:find("4.5", 1, true))
    end)

    it("elides the middle of large tensors", function()
      local s = tostring(lg.range(1, 5000))
      assert.truthy(s:find("...", 1, true))
      assert.truthy(s:find("5000", 1, true))
      assert.falsy(s:find("2500", 1, true))
      assert.is_true(#s < 200)
    end)
  end)
end)
