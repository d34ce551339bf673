-- Misuse fuzzing (tools/fuzz_misuse.lua): every public function, method
-- and metamethod called with random and hostile arguments must return a
-- sane result or raise a clear Lua error. `make fuzz` runs it for longer.
local fuzz = dofile("tools/fuzz_misuse.lua")

describe("misuse fuzzer", function()
  -- Under valgrind every call is ~50x slower: keep that run short.
  local n = os.getenv("LGRAD_VALGRIND") and 3000 or 40000

  for _, seed in ipairs { 1, 2 } do
    it(("survives %d hostile calls (seed %d) with clear errors only"):format(n, seed), function()
      local st = fuzz.run { n = n, seed = seed }
      assert.are.equal(n, st.calls)
      assert.is_true(st.returned > n / 10, "too few calls got past argument checks")
      assert.are.same({}, st.findings)
    end)
  end

  it("covers every public function and method", function()
    local lg, core = require "lgrad", require "lgrad.core"
    local st = fuzz.run { n = 20000, seed = 3 }
    for k, v in pairs(lg) do
      if type(v) == "function" then assert.truthy(st.per["lg." .. k], "never called lg." .. k) end
    end
    for k in pairs(core._methods) do
      assert.truthy(st.per["t:" .. k], "never called t:" .. k)
    end
  end)

  it("writes no files here and leaves the print options as they were", function()
    local lg = require "lgrad"
    local function here()
      return table.concat(require("spec.support.child").ls("."), "\n")
    end
    local before = here()
    fuzz.run { n = 5000, seed = 4 }
    assert.are.equal(before, here())   -- save_npy's paths go to a temporary folder
    assert.are.equal(1000, lg.get_printoptions().threshold)
    assert.are.equal(80, lg.get_printoptions().linewidth)
  end)

  it("leaves the generator seeded as a fresh state has it", function()
    local lg = require "lgrad"
    local a = lg.rand(4):totable()
    lg.seed(0)
    assert.are.same(lg.rand(4):totable(), a)
  end)
end)
