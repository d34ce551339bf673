-- Runs each example in examples/ in a fresh temporary folder, as a user
-- would, and checks its exit status, what it prints and the SVGs it writes.
-- An example whose lg functions this build lacks is pending, not failed.
local lg = require "lgrad"

-- The interpreter and the core this suite runs on (make test LUA=lua5.1 ...).
local C = require "spec.support.child"
local LUA, ROOT, q, read, tempdir = C.LUA, C.ROOT, C.q, C.read, C.tempdir

-- Run examples/NAME.lua inside a temp folder; returns output, status, folder.
local function run(name, args)
  local dir = tempdir()
  local cmd = C.cd(dir) .. C.env("LUA_PATH", C.LPATH) .. C.env("LUA_CPATH", C.CPATH)
    .. ("%s %s %s 2>&1"):format(LUA, q(ROOT .. "/examples/" .. name .. ".lua"), args or "")
  local out, status = C.run(cmd)
  return out, status, dir
end

-- Every "wrote X" line names a file that exists and is a complete SVG.
local function check_written(out, dir, at_least)
  local n = 0
  for path in out:gmatch("wrote ([^\n]+)") do
    n = n + 1
    local full = path:sub(1, 1) == "/" and path or dir .. "/" .. path
    local svg = read(full)
    assert.is_truthy(svg, "missing " .. full)
    assert.is_truthy(svg:match("^<svg") or svg:match("^<%?xml"), "not an SVG: " .. full)
    assert.is_truthy(svg:match("</svg>%s*$"), "unterminated SVG: " .. full)
  end
  assert.is_true(n >= at_least, ("wrote %d files, expected at least %d"):format(n, at_least))
  return n
end

local function missing(names)
  local m = {}
  for _, n in ipairs(names) do if lg[n] == nil then m[#m + 1] = "lg." .. n end end
  return #m > 0 and table.concat(m, ", ") or nil
end

local function example(name, needs, body)
  local lacks = missing(needs)
  if lacks then
    pending(name .. ".lua needs " .. lacks .. ", not in this build yet")
    return
  end
  it(name .. ".lua runs, exits 0 and writes its SVGs", function()
    local out, status, dir = run(name)
    assert.are.equal(0, status, out)
    body(out, dir)
    C.rmdir(dir)
  end)
end

local function row(out, first)   -- the printed table row that starts with `first`
  return out:match("\n(" .. first:gsub("%p", "%%%0") .. "[^\n]*)")
end

describe("examples", function()
  example("derivation", { "softmax", "cross_entropy", "cross_entropy_grad", "softmax_jacobian", "grad" },
    function(out, dir)
      check_written(out, dir, 1)
      assert.matches("WRONG$", row(out, "3     dp/dz as printed"))
      assert.matches("ok$", row(out, "3     dp/dz corrected"))
      assert.matches("ok$", row(out, "3     lg.softmax_jacobian"))
      assert.matches("ok$", row(out, "5     result"))
      assert.matches("ok$", row(out, "5     lg.cross_entropy_grad"))
      assert.matches("ok$", row(out, "5     lg.grad"))
      -- the autograd column: lg.grad agrees with the right formulas to rounding
      local function ag(r) return tonumber(row(out, r):match("(%S+)%s+%S+$")) end
      assert.is_true(ag("3     dp/dz corrected") < 1e-14)
      assert.is_true(ag("5     result") < 1e-14)
      assert.is_true(ag("3     dp/dz as printed") > 0.1)
      local _, wrong = out:gsub("WRONG\n", "")
      assert.are.equal(2, wrong, out)   -- printed step 3, and the chain rule fed with it
      assert.matches("flagged: step 3, dp/dz as printed", out, 1, true)
    end)

  example("autograd", { "grad", "value_and_grad", "optim", "cross_entropy", "tanh" }, function(out, dir)
    assert.are.equal(2, check_written(out, dir, 2))
    for _, k in ipairs({ "layers[1].W", "layers[1].b", "layers[2].W", "layers[2].b" }) do
      local by_hand, numeric = row(out, k .. " "):match("(%S+)%s+(%S+)$")
      assert.is_true(tonumber(by_hand) <= 1e-15, k .. " against the hand-written backward")
      assert.is_true(tonumber(numeric) < 1e-8, k .. " against central differences")
    end
    local function acc(data) return tonumber(row(out, data .. " "):match("([%d.]+)%%")) end
    assert.are.equal(100, acc("xor"))
    assert.matches("4/4$", row(out, "xor "))
    assert.is_true(acc("spirals") >= 97, "spirals")
  end)

  example("softmax_vs_hardmax", { "softmax", "hardmax" }, function(out, dir)
    check_written(out, dir, 1)
    assert.matches("softmax(z)     = [0.6590, 0.2424, 0.0986]", out, 1, true)
    assert.matches("hardmax(z)     = [1, 0, 0]", out, 1, true)
    assert.matches("WRONG: rounds to 0.10", out, 1, true)
  end)

  example("temperature", { "softmax", "hardmax" }, function(out, dir)
    assert.are.equal(2, check_written(out, dir, 2))
    -- at T = 0.01 the distance to hardmax is e^-100 = 3.7e-44
    assert.matches("^0%.01%s+1%.0000, 0%.0000, 0%.0000%s+0%.0000%s+3%.72e%-44", row(out, "0.01 "))
    assert.matches("^1%s+0%.6590, 0%.2424, 0%.0986", row(out, "1 "))
  end)

  example("activations", { "activations", "derivative", "sigmoid", "tanh", "relu" }, function(out, dir)
    check_written(out, dir, #lg.activations + 2)
    for _, name in ipairs(lg.activations) do
      assert.is_truthy(read(dir .. "/activation_" .. name .. ".svg"), name)
    end
    -- sigmoid' peaks at 1/4, at 0; tanh' at 1
    assert.matches("^sigmoid%s+%S+%s+%S+%s+0 %.%. 1%s+0%.25%s+0%s", row(out, "sigmoid "))
    assert.matches("^tanh%s+%-1%s+1%s+%-1 %.%. 1%s+1%s+0%s", row(out, "tanh "))
    -- every derivative agrees with the numeric one
    for _, name in ipairs(lg.activations) do
      local err = tonumber(row(out, name .. " "):match("(%S+)$"))
      assert.is_true(err < 1e-6, name)
    end
  end)

  example("nonlinearity", { "cross_entropy", "relu", "tanh", "sigmoid", "grad", "optim" }, function(out, dir)
    assert.are.equal(8, check_written(out, dir, 8))
    local collapse = tonumber(out:match("max |difference| over 5 random inputs: (%S+)"))
    assert.is_true(collapse < 1e-12)
    local function acc(data, model)
      return tonumber(row(out, ("%-7s  %-7s"):format(data, model)):match("([%d.]+)%%$"))
    end
    assert.is_true(acc("xor", "linear") <= 75, "linear must fail XOR")
    for _, m in ipairs({ "relu", "tanh", "sigmoid" }) do
      assert.is_true(acc("xor", m) >= 99, m .. " must solve XOR")
      assert.is_true(acc("spirals", m) >= 97, m .. " on the spirals")
    end
    assert.is_true(acc("spirals", "linear") < 75)
  end)

  it("write into the folder given as the first argument", function()
    local lacks = missing({ "activations", "derivative" })
    if lacks then return pending("needs " .. lacks) end
    local out, status, dir = run("activations", "sub/plots")
    assert.are.equal(0, status, out)
    assert.matches("wrote sub/plots/activations.svg", out, 1, true)
    assert.is_truthy(read(dir .. "/sub/plots/activations.svg"))
    C.rmdir(dir)
  end)
end)
