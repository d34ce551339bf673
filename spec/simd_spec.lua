-- lg.simd() and LGRAD_SIMD: the float32 kernels' level, chosen once per
-- process (src/simd/dispatch.c). Each case runs a fresh interpreter,
-- since a process's level is fixed at the first require.
local lg = require "lgrad"

local C = require "spec.support.child"
-- Every level lgrad knows, and the levels of each architecture in rank
-- order: x86 has avx2 and avx512, AArch64 neon (always there), every
-- other target portable only.
local LEVELS = { portable = true, avx2 = true, avx512 = true, neon = true }
local CHAINS = {
  x86 = { "portable", "avx2", "avx512" },
  aarch64 = { "portable", "neon" },
}

-- Runs script in a new interpreter with LGRAD_SIMD = value (nil: unset);
-- returns what it wrote on stdout and on stderr.
local function child(value, script)
  local err = C.tmpname()
  local file = C.chunk_file("package.path = " .. ("%q"):format(package.path)
    .. " package.cpath = " .. ("%q"):format(package.cpath) .. " local lg = require 'lgrad' " .. script)
  local cmd = ("%s%s %s 2>%s"):format(C.env("LGRAD_SIMD", value or false), C.LUA, C.q(file), C.q(err))
  local p = io.popen(cmd)
  local out = p:read("*a")
  p:close()
  local e = assert(C.read(err))
  os.remove(err)
  os.remove(file)
  return out, e
end

local function level(value)
  return child(value, "io.write(lg.simd())")
end

local BEST = level(nil)

-- The levels this machine has, lowest first: those of BEST's architecture
-- up to BEST (a portable-only machine may be any architecture).
local HAS = {}
for _, chain in pairs(CHAINS) do
  for i, name in ipairs(chain) do
    if name == BEST and i > 1 then
      for j = 1, i do HAS[chain[j]] = true end
    end
  end
end
HAS.portable = true

describe("lg.simd()", function()
  it("names the level in use, the same on every call", function()
    local s = lg.simd()
    assert.is_truthy(LEVELS[s], "lg.simd() = " .. tostring(s))
    assert.equals(s, lg.simd())
  end)

  it("is the machine's best level when LGRAD_SIMD is unset, silently", function()
    local out, err = level(nil)
    assert.is_truthy(LEVELS[out], out)
    assert.equals("", err)
    local want = os.getenv("LGRAD_SIMD")
    -- valgrind's CPU has no AVX-512, so this process may be at a lower
    -- level than its child, which runs on the real CPU
    if (want == nil or want == "") and not os.getenv("LGRAD_VALGRIND") then
      assert.equals(out, lg.simd())
    end
  end)

  it("is what LGRAD_SIMD asks for when the machine has it, else the best with one warning", function()
    for name in pairs(LEVELS) do
      local out, err = level(name)
      if HAS[name] then
        assert.equals(name, out)
        assert.equals("", err)
      else
        assert.equals(BEST, out)
        local _, lines = err:gsub("\n", "")
        assert.equals(1, lines)
        assert.is_truthy(err:find("LGRAD_SIMD=" .. name, 1, true), err)
        assert.is_truthy(err:find("is not supported by this machine; using " .. BEST, 1, true), err)
      end
    end
  end)

  it("has the levels of one architecture: x86's or AArch64's, never both", function()
    assert.is_falsy(HAS.neon and (HAS.avx2 or HAS.avx512))
    if HAS.avx512 then assert.is_true(HAS.avx2) end
  end)

  it("falls back to the best with one warning for a word that is no level", function()
    for _, bad in ipairs({ "AVX2", "sse", "avx512 ", "NEON", "asimd" }) do
      local out, err = level(bad)
      assert.equals(BEST, out)
      local _, lines = err:gsub("\n", "")
      assert.equals(1, lines)
      assert.is_truthy(err:find("LGRAD_SIMD=" .. bad, 1, true), err)
      assert.is_truthy(err:find("is not portable, avx2, avx512 or neon; using " .. BEST, 1, true), err)
    end
    local out, err = level("")   -- set but empty: as unset
    assert.equals(BEST, out)
    assert.equals("", err)
  end)

  it("gives float32 softmax and sigmoid within 2 ulp of the double formulas at every level", function()
    -- the double references, computed here in Lua
    local x = { -8, -1.5, -0.25, 0, 0.5, 3, 7.75 }
    local m, s = -math.huge, 0
    for i = 1, #x do if x[i] > m then m = x[i] end end
    for i = 1, #x do s = s + math.exp(x[i] - m) end
    local script = "local x = lg.tensor({" .. table.concat(x, ",") .. "}, 'float32') "
      .. "local p, g = lg.softmax(x), lg.sigmoid(x) "
      .. "for i = 1, " .. #x .. " do io.write(string.format('%.9g %.9g ', p[i], g[i])) end"
    for name in pairs(HAS) do
      local out, err = child(name, script)
      assert.equals("", err)
      local i = 0
      for pv, gv in out:gmatch("(%S+) (%S+)") do
        i = i + 1
        local p, g = math.exp(x[i] - m) / s, 1 / (1 + math.exp(-x[i]))
        -- 2 ulp of a float in [2^-k, 2^(1-k)): 2^(-k-22)
        assert.is_true(math.abs(tonumber(pv) - p) <= 2 ^ -23 * p * 2, name .. " softmax " .. i)
        assert.is_true(math.abs(tonumber(gv) - g) <= 2 ^ -23 * g * 2, name .. " sigmoid " .. i)
      end
      assert.equals(#x, i)
    end
  end)
end)

-- src/lg_common.h turns FMA contraction off in every file: a build with
-- LuaRocks' flags (no -std, so GNU mode) on a CPU with FMA (aarch64, or
-- x86 with -march) must give these numbers too (make test-flags).
describe("the same numbers whatever the build's flags", function()
  it("gives linspace(-8, 8, 37)[19] == 0 exactly (-8 + 18 * 16/36)", function()
    for _, dt in ipairs({ "float64", "float32" }) do
      local t = lg.linspace(-8, 8, 37, dt)
      assert.equals(0, t[19])
      assert.equals(-8, t[1])
      assert.equals(8, t[37])
    end
  end)
end)
