-- Printing: torch's set_printoptions names and defaults, rows wrapped at
-- linewidth in aligned columns, enough digits to tell values apart.
local lg = require "lgrad"
local H = require "spec.support.helpers"
local err = H.err

local function lines(s)
  local r = {}
  for l in (s .. "\n"):gmatch("(.-)\n") do r[#r + 1] = l end
  return r
end

-- The element texts of a printed tensor, in order.
local function elements(s)
  local body = s:gsub("^lgrad.Tensor [^\n%]]*%]%s*", "")
  local r = {}
  for e in body:gmatch("[^%[%],%s]+") do r[#r + 1] = e end
  return r
end

describe("printing", function()
  before_each(function() lg.set_printoptions { profile = "default" } end)
  after_each(function() lg.set_printoptions { profile = "default" } end)

  it("has torch's option names and defaults", function()
    assert.are.same({ precision = 4, threshold = 1000, edgeitems = 3, linewidth = 80, sci_mode = "auto" },
      lg.get_printoptions())
  end)

  it("wraps long rows at linewidth in aligned columns", function()
    local s = tostring(lg.range(1, 1000))
    local ls = lines(s)
    assert.is_true(#ls > 10)
    local commas
    for i = 2, #ls do
      assert.is_true(#ls[i] <= 80, "line " .. i .. " has " .. #ls[i] .. " characters")
      -- every full line puts its commas in the same columns
      if i < #ls then
        local c = {}
        for p in ls[i]:gmatch("(),") do c[#c + 1] = p end
        if commas then assert.are.same(commas, c) end
        commas = c
      end
    end
    local e = elements(s)
    assert.are.equal(1000, #e)
    for i = 1, 1000 do assert.are.equal(tostring(i), e[i]) end
  end)

  it("follows linewidth, threshold and edgeitems", function()
    lg.set_printoptions { linewidth = 40 }
    for _, l in ipairs(lines(tostring(lg.range(1, 200)))) do assert.is_true(#l <= 40, l) end
    lg.set_printoptions { threshold = 10, edgeitems = 2 }
    assert.are.same({ "1", "2", "...", "10", "11" }, elements(tostring(lg.range(1, 11))))
    assert.are.same({ "1", "2", "3", "4", "5", "6", "7", "8", "9", "10" }, elements(tostring(lg.range(1, 10))))
    local m = elements(tostring(lg.range(1, 36):view(6, 6)))
    assert.are.same({ "1", "2", "...", "5", "6", "7", "8", "...", "11", "12", "...",
                      "25", "26", "...", "29", "30", "31", "32", "...", "35", "36" }, m)
    lg.set_printoptions { profile = "full" }
    assert.are.equal(5000, #elements(tostring(lg.range(1, 5000))))
  end)

  it("prints 4 decimals by default, as torch", function()
    local e = { math.exp(2), math.exp(1), math.exp(0.1) }
    local s = e[1] + e[2] + e[3]
    local want = {}
    for i = 1, 3 do want[i] = ("%.4f"):format(e[i] / s) end
    assert.are.same(want, elements(tostring(lg.softmax(lg.tensor{ 2, 1, 0.1 }))))
    lg.set_printoptions { precision = 2 }
    assert.are.same({ "0.66", "0.24", "0.10" }, elements(tostring(lg.softmax(lg.tensor{ 2, 1, 0.1 }))))
  end)

  it("shows enough digits to tell different values apart", function()
    local e = elements(tostring(lg.tensor({ 1, 1 + 1e-12, 2 }, "float64")))
    assert.are_not.equal(e[1], e[2])
    assert.are.equal(1, tonumber(e[1]))
    assert.is_true(math.abs(tonumber(e[2]) - (1 + 1e-12)) < 1e-13)
    local f = elements(tostring(lg.tensor{ 1, 1 + 2 ^ -23 }))   -- neighbouring float32s
    assert.are_not.equal(f[1], f[2])
    -- equal values do not ask for more digits
    assert.are.same({ "0.5000", "0.5000", "0.2500" }, elements(tostring(lg.tensor{ 0.5, 0.5, 0.25 })))
    -- an explicit precision is kept even when values then look equal
    lg.set_printoptions { precision = 2 }
    local g = elements(tostring(lg.tensor({ 1, 1 + 1e-12 }, "float64")))
    assert.are.same({ "1.00", "1.00" }, g)
  end)

  it("switches to scientific notation as torch does, or as told", function()
    assert.are.same({ "1.0000e-05", "1.0000e+00", "1.0000e+05" }, elements(tostring(lg.tensor{ 1e-5, 1, 1e5 })))
    assert.are.same({ "0.5000", "2.0000" }, elements(tostring(lg.tensor{ 0.5, 2 })))
    lg.set_printoptions { sci_mode = true }
    assert.are.same({ "5.0000e-01", "2.0000e+00" }, elements(tostring(lg.tensor{ 0.5, 2 })))
    lg.set_printoptions { sci_mode = false, precision = 5 }
    assert.are.same({ "0.00001", "1.00000" }, elements(tostring(lg.tensor({ 1e-5, 1 }, "float64"))))
  end)

  it("prints integers, NaN and infinities plainly", function()
    assert.are.same({ "1", "-2", "3" }, elements(tostring(lg.tensor{ 1, -2, 3 })))
    assert.are.same({ "nan", "inf", "-inf", "1.5000" }, elements(tostring(lg.tensor{ 0 / 0, 1 / 0, -1 / 0, 1.5 })))
  end)

  it("reads well after a label: short tensors on one line", function()
    assert.are.equal("lgrad.Tensor float32 [3] [1, 2, 3]", tostring(lg.tensor{ 1, 2, 3 }))
    assert.are.equal("lgrad.Tensor float64 [] 2.5000", tostring(lg.tensor(2.5, "float64")))
    assert.are.equal("lgrad.Tensor float32 [0] []", tostring(lg.zeros(0)))
    -- matrices: the header, then rows aligned under each other
    assert.are.equal("lgrad.Tensor float32 [2, 2]\n[[ 1.0000, -2.0000],\n [ 3.0000,  4.5000]]",
      tostring(lg.tensor{ { 1, -2 }, { 3, 4.5 } }))
  end)

  it("refuses unknown or bad options", function()
    assert.truthy(err(lg.set_printoptions, { precison = 3 }):find("unknown option 'precison'", 1, true))
    assert.truthy(err(lg.set_printoptions, { precision = -1 }):find("^bad argument #1 to 'set_printoptions' %(precision"))
    assert.truthy(err(lg.set_printoptions, { linewidth = 0 }):find("linewidth must be", 1, true))
    assert.truthy(err(lg.set_printoptions, { sci_mode = "yes" }):find("sci_mode must be", 1, true))
    assert.truthy(err(lg.set_printoptions, { profile = "tiny" }):find("profile must be", 1, true))
    assert.truthy(err(lg.set_printoptions, 3):find("table expected", 1, true))
    assert.are.equal(4, lg.get_printoptions().precision)   -- a refused call changes nothing
  end)
end)
