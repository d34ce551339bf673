-- lg.save_npy / lg.load_npy: NumPy's .npy format, checked against files
-- NumPy wrote (spec/data/npy/, made by tools/npy_record.py) and, when
-- /usr/bin/python3 has numpy, by a round trip through NumPy itself.
local lg = require "lgrad"
local H = require "spec.support.helpers"
local P = require "spec.support.portable"
local it_if = P.it_if(it, pending)
local err, flat = H.err, H.flat
local DIR = "spec/data/npy/"

-- A fresh path ending in .npy (np.save appends .npy to any other name).
local C = require "spec.support.child"
local function tmpname()
  local p = C.tmpname()
  os.remove(p)
  return p .. ".npy"
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function same_bits(a, b)   -- equal, or both NaN; -0 and 0 told apart
  if a ~= a then return b ~= b end
  if a == 0 and b == 0 then return 1 / a == 1 / b end
  return a == b
end

local has_numpy = not C.windows and os.execute("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1")
has_numpy = has_numpy == true or has_numpy == 0   -- 5.1 returns a status number

describe("load_npy reads what NumPy wrote", function()
  it("float32, little-endian, C order", function()
    local t = lg.load_npy(DIR .. "f4_c_2x3.npy")
    assert.are.equal("float32", t:dtype())
    assert.are.same({ 2, 3 }, t:shape())
    assert.are.same({ 0, 0.25, 0.5, 0.75, 1, 1.25 }, flat(t:totable()))
  end)

  it("float64, big-endian, Fortran order, 3-d", function()
    local t = lg.load_npy(DIR .. "f8_big_fortran_2x3x4.npy")
    assert.are.equal("float64", t:dtype())
    assert.are.same({ 2, 3, 4 }, t:shape())
    for i = 1, 2 do for j = 1, 3 do for k = 1, 4 do
      assert.are.equal(((i - 1) * 12 + (j - 1) * 4 + (k - 1)) - 11.5, t:get(i, j, k))
    end end end
    assert.is_true(t:is_contiguous())
  end)

  it("big-endian specials bit for bit", function()
    local v = lg.load_npy(DIR .. "f4_big_specials.npy"):totable()
    local negzero = -1 / math.huge   -- Lua 5.1 folds the literal -0.0 to 0
    local want = { 0 / 0, math.huge, -math.huge, negzero, 2 ^ -149, (2 - 2 ^ -23) * 2 ^ 127 }
    for i = 1, #want do assert.is_true(same_bits(want[i], v[i]), "element " .. i) end
  end)

  it("0-d, empty, 8-d, and a version 2.0 header", function()
    local s = lg.load_npy(DIR .. "f8_scalar.npy")
    assert.are.same({}, s:shape())
    assert.are.equal(-2.25, s:get())
    assert.are.same({ 0, 3 }, lg.load_npy(DIR .. "f4_empty_0x3.npy"):shape())
    local e = lg.load_npy(DIR .. "f4_8d.npy")
    assert.are.same({ 1, 2, 1, 2, 1, 2, 1, 2 }, e:shape())
    local want = {}
    for i = 1, 16 do want[i] = i - 1 end
    assert.are.same(want, flat(e:totable()))
    local v2 = lg.load_npy(DIR .. "f8_v2_fortran_3x2.npy")
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, v2:totable())
  end)

  it("refuses other dtypes by name", function()
    assert.truthy(err(lg.load_npy, DIR .. "i8_refused.npy"):find("dtype '<i8' is not float32 or float64", 1, true))
  end)
end)

describe("save_npy", function()
  it("writes NumPy's version 1.0 header, padded to 64 bytes", function()
    local p = tmpname()
    lg.save_npy(lg.tensor{ { 1, 2, 3 }, { 4, 5, 6 } }, p)
    local s = read(p)
    os.remove(p)
    local hlen = s:byte(9) + 256 * s:byte(10)
    assert.are.equal("\147NUMPY\1\0", s:sub(1, 8))
    assert.are.equal(0, (10 + hlen) % 64)
    local h = s:sub(11, 10 + hlen)
    assert.truthy(h:find("^{'descr': '[<>]f4', 'fortran_order': False, 'shape': %(2, 3%), } *\n$"), h)
    assert.are.equal(10 + hlen + 6 * 4, #s)
  end)

  it("round-trips every shape and dtype through lgrad, strided inputs too", function()
    local p = tmpname()
    lg.seed(5)
    local shapes = { {}, { 0 }, { 1 }, { 7 }, { 2, 3 }, { 3, 0, 2 }, { 1, 2, 1, 2, 1, 2, 1, 2 } }
    for _, dt in ipairs { "float32", "float64" } do
      for _, sh in ipairs(shapes) do
        local t = lg.randn(sh, dt)
        assert.are.equal(p, lg.save_npy(t, p))
        local u = lg.load_npy(p)
        assert.are.equal(dt, u:dtype())
        assert.are.same(sh, u:shape())
        assert.is_true(lg.equal(t, u))
      end
      local m = lg.randn({ 3, 4 }, dt):t()   -- not contiguous
      lg.save_npy(m, p)
      assert.is_true(lg.equal(m, lg.load_npy(p)))
    end
    os.remove(p)
  end)

  it("errors name the argument", function()
    assert.are.equal("bad argument #1 to 'save_npy' (lgrad.Tensor expected, got table)", err(lg.save_npy, { 1 }, "x.npy"))
    assert.are.equal("bad argument #2 to 'save_npy' (string expected, got nil)", err(lg.save_npy, lg.zeros(1)))
    assert.truthy(err(lg.save_npy, lg.zeros(1), "/nonexistent-dir/x.npy"):find("^bad argument #2 to 'save_npy' %(cannot write"))
  end)
end)

describe("load_npy on bad files", function()
  local good = read(DIR .. "f4_c_2x3.npy")
  local p = tmpname()
  teardown(function() os.remove(p) end)

  local function load_bytes(s)
    write(p, s)
    return err(lg.load_npy, p)
  end

  local function header(h, version)   -- a v1 file around header text h
    return "\147NUMPY" .. string.char(version or 1, 0, #h % 256, math.floor(#h / 256)) .. h
  end

  it("says what is wrong", function()
    assert.truthy(load_bytes(""):find("not a .npy file", 1, true))
    assert.truthy(load_bytes("PK\3\4 a zip"):find("not a .npy file", 1, true))
    assert.truthy(load_bytes(good:sub(1, 9)):find("truncated header", 1, true))
    assert.truthy(load_bytes(good:sub(1, 60)):find("truncated header", 1, true))
    assert.truthy(load_bytes(good:sub(1, #good - 1)):find("truncated: 23 data bytes, 24 needed", 1, true))
    assert.truthy(load_bytes("\147NUMPY\9\0" .. good:sub(9)):find("unsupported .npy version 9", 1, true))
    assert.truthy(load_bytes(header("{'descr': '<f4', 'shape': (2,), }\n")):find("with 'descr', 'fortran_order' and 'shape'", 1, true))
    assert.truthy(load_bytes(header("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }\n") .. "\0\0")
      :find("dtype '<f2'", 1, true))
    assert.truthy(load_bytes(header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }\n"))
      :find("fortran_order must be True or False", 1, true))
    assert.truthy(load_bytes(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n"))
      :find("is not a tuple of sizes", 1, true))
    assert.truthy(load_bytes(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }\n"))
      :find("9 dims, lgrad has at most 8", 1, true))
    assert.truthy(load_bytes(header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999,99999999999999), }\n"))
      :find("too large", 1, true))
    assert.truthy(load_bytes(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000,), }\n"))
      :find("truncated: 0 data bytes, 4000000 needed", 1, true))
    -- more bytes than a 32-bit size_t holds: still a truncated file, not a wrap
    assert.truthy(load_bytes(header("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967297,), }\n"))
      :find("truncated: 0 data bytes, 34359738376 needed", 1, true))
    assert.truthy(err(lg.load_npy, "/nonexistent.npy"):find("^bad argument #1 to 'load_npy' %(cannot open"))
    assert.truthy(err(lg.load_npy, 3):find("string expected", 1, true))
  end)

  it("never crashes on cut or corrupted files (a small fuzz)", function()
    local files = { good, read(DIR .. "f8_big_fortran_2x3x4.npy"), read(DIR .. "f8_v2_fortran_3x2.npy") }
    local r = 12345
    local function rnd(n) r = (r * 1103515245 + 12345) % 2147483648; return r % n end
    for k = 1, 600 do
      local s = files[k % #files + 1]
      if k % 3 == 0 then
        s = s:sub(1, rnd(#s + 1))
      else
        local b = {}
        for i = 1, #s do b[i] = s:sub(i, i) end
        for _ = 1, 1 + rnd(4) do
          local i = 1 + rnd(k % 2 == 0 and 128 or #s)
          b[i] = string.char(rnd(256))
        end
        s = table.concat(b)
      end
      write(p, s)
      local ok, e = pcall(lg.load_npy, p)
      if ok then
        assert.is_true(lg.is_tensor(e))
      else
        assert.truthy(tostring(e):find("bad argument #1 to 'load_npy' (", 1, true), tostring(e))
      end
    end
  end)
end)

describe("through NumPy", function()
  it_if(has_numpy, C.windows and "NumPy is run as /usr/bin/python3 on Unix only"
    or "/usr/bin/python3 has no numpy (Debian: python3-numpy)")(
    "NumPy reads what lgrad wrote and lgrad reads NumPy's answer back", function()
      local a, b = tmpname(), tmpname()
      local t = lg.tensor{ { 0.1, -2, 3e-8 }, { 1 / 0, 0 / 0, 2 ^ 100 } }
      local d = lg.tensor({ { 0.1, 1 / 3 }, { -1e300, 5e-324 } }, "float64")
      lg.save_npy(t, a)
      lg.save_npy(d, b)
      -- NumPy checks the values it read (as float32/float64) and writes
      -- t * 2 as big-endian Fortran order and d as float64 back.
      local py = ([[
import numpy as np, math
t = np.load('%s'); d = np.load('%s')
# lgrad writes its host's byte order ('>' on s390x): any order is float32/64
assert t.dtype.kind == 'f' and t.dtype.itemsize == 4 and t.shape == (2, 3), (t.dtype, t.shape)
assert d.dtype.kind == 'f' and d.dtype.itemsize == 8 and d.shape == (2, 2)
assert t[0, 0] == np.float32(0.1) and t[0, 2] == np.float32(3e-8) and t[1, 2] == np.float32(2.0**100)
assert math.isinf(t[1, 0]) and math.isnan(t[1, 1])
assert d[0, 1] == 1/3 and d[1, 0] == -1e300 and d[1, 1] == 5e-324
np.save('%s', np.asfortranarray((t * 2).astype('>f4')))
np.save('%s', d.astype('>f8'))
]]):format(a, b, a, b)
      local script = tmpname()
      write(script, py)
      local st = os.execute("/usr/bin/python3 " .. script)
      os.remove(script)
      assert.is_true(st == true or st == 0, "numpy side failed")
      local t2, d2 = lg.load_npy(a), lg.load_npy(b)
      os.remove(a)
      os.remove(b)
      local tv, t2v = flat(t:totable()), flat(t2:totable())
      for i = 1, #tv do assert.is_true(same_bits(tv[i] * 2, t2v[i]), "t element " .. i) end
      assert.is_true(lg.equal(d, d2))
    end)
end)
