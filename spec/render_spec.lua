-- Every example's pictures through a real renderer (librsvg's rsvg-convert,
-- Debian's librsvg2-bin): each SVG must become a PNG of its size that is
-- not blank; and the SVG text must avoid what common converters get wrong
-- (&apos;, unstroked-by-default region cells, axes without labels,
-- probability axes past 1).
local lg = require "lgrad"
local P = require "spec.support.portable"
local it_if = P.it_if(it, pending)

local C = require "spec.support.child"
local LUA, ROOT, q, read = C.LUA, C.ROOT, C.q, C.read

local EXAMPLES = { "derivation", "softmax_vs_hardmax", "temperature", "activations", "nonlinearity" }

local function ok_exec(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

local has_rsvg = not C.windows and ok_exec("command -v rsvg-convert >/dev/null 2>&1")

-- Run every example into one temporary folder; the SVG paths it wrote.
local dir, svgs
local function examples_svgs()
  if svgs then return svgs, dir end
  dir = C.tempdir()
  svgs = {}
  for _, name in ipairs(EXAMPLES) do
    local out = C.run(C.cd(dir) .. C.env("LUA_PATH", C.LPATH) .. C.env("LUA_CPATH", C.CPATH)
      .. ("%s %s . 2>&1"):format(LUA, q(ROOT .. "/examples/" .. name .. ".lua")))
    for path in out:gmatch("wrote ([^\n]+)") do svgs[#svgs + 1] = dir .. "/" .. path end
  end
  return svgs, dir
end

-- Width, height and the summed IDAT (compressed pixel) bytes of a PNG.
local function png_info(s)
  if not s or s:sub(1, 8) ~= "\137PNG\r\n\26\n" then return nil end
  local function u32(i) return ((s:byte(i) * 256 + s:byte(i + 1)) * 256 + s:byte(i + 2)) * 256 + s:byte(i + 3) end
  local w, h, idat, i = u32(17), u32(21), 0, 9
  while i + 8 <= #s do
    local len, kind = u32(i), s:sub(i + 4, i + 7)
    if kind == "IDAT" then idat = idat + len end
    i = i + 12 + len
  end
  return w, h, idat
end

describe("the example pictures", function()
  teardown(function() if dir then C.rmdir(dir) end end)

  it("are written, every example", function()
    local list = examples_svgs()
    assert.is_true(#list >= 30, "only " .. #list .. " SVGs")
  end)

  it_if(has_rsvg, C.windows and "rsvg-convert is run on Unix only (a POSIX shell)"
    or "rsvg-convert is not installed (Debian: librsvg2-bin)")(
    "render with rsvg-convert to PNGs of their size that are not blank", function()
      local list, d = examples_svgs()
      local blank = {}   -- IDAT bytes of a white canvas of each size
      for _, svg in ipairs(list) do
        local text = read(svg)
        local w, h = text:match('^<svg[^>]- width="(%d+)" height="(%d+)"')
        assert.truthy(w, svg)
        local png = svg:gsub("%.svg$", ".png")
        assert.is_true(ok_exec(("rsvg-convert -o %s %s 2>&1"):format(q(png), q(svg))), "rsvg-convert failed on " .. svg)
        local pw, ph, idat = png_info(read(png))
        assert.truthy(pw, "no PNG for " .. svg)
        assert.are.same({ tonumber(w), tonumber(h) }, { pw, ph })
        local key = w .. "x" .. h
        if not blank[key] then
          local b = d .. "/blank_" .. key
          local f = assert(io.open(b .. ".svg", "wb"))
          f:write(('<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s"><rect width="%s" height="%s" fill="white"/></svg>')
            :format(w, h, w, h))
          f:close()
          assert.is_true(ok_exec(("rsvg-convert -o %s %s"):format(q(b .. ".png"), q(b .. ".svg"))))
          blank[key] = select(3, png_info(read(b .. ".png")))
        end
        -- A plot's lines, text and fills compress far worse than white.
        assert.is_true(idat > 5 * blank[key], ("%s looks blank: %d IDAT bytes, a white canvas %d")
          :format(svg, idat, blank[key]))
      end
    end)

  it("avoid what converters get wrong", function()
    local list = examples_svgs()
    local regions, probability = 0, 0
    for _, svg in ipairs(list) do
      local text = read(svg)
      assert.falsy(text:find("&apos;", 1, true), svg .. " has &apos;")
      local name = svg:match("([^/]+)%.svg$")
      if name:match("^regions_") then
        regions = regions + 1
        local cells = text:match('<g class="regions"([^>]*)>(.-)</g>')
        assert.truthy(cells and cells:find('stroke="none"', 1, true), svg)
        for rect in text:match('<g class="regions"[^>]*>(.-)</g>'):gmatch("<rect[^>]*>") do
          assert.truthy(rect:find('stroke="none"', 1, true), rect)
        end
        assert.truthy(text:find(">x1</text>", 1, true), svg .. ": no x label")
        assert.truthy(text:find("rotate%(%-90%)\" text%-anchor=\"middle\">x2</text>"), svg .. ": no y label")
      end
      if name:match("^activation_") then
        local fname = name:gsub("^activation_", "")
        assert.truthy(text:find("rotate(-90)\" text-anchor=\"middle\">" .. fname .. "(x), " .. fname .. "\226\128\178(x)</text>", 1, true),
          svg .. ": no y label")
      end
      if name == "softmax_vs_hardmax" or name == "temperature_bars" then
        probability = probability + 1
        -- the top y tick is 1.0 and nothing is drawn above the frame's top
        local ticks = {}
        for v in text:gmatch('text%-anchor="end" dy="[^"]*">([^<]*)</text>') do ticks[#ticks + 1] = tonumber(v) end
        assert.are.equal(1, ticks[#ticks])
      end
      if name == "derivation" then
        -- the data reach -0.98 and 0.74: the axis ends at the first ticks past them
        local ticks = {}
        for v in text:gmatch('text%-anchor="end" dy="[^"]*">([^<]*)</text>') do ticks[#ticks + 1] = tonumber(v) end
        assert.are.equal(-1, ticks[1])
        assert.are.equal(1, ticks[#ticks])
      end
    end
    assert.are.equal(8, regions)
    assert.are.equal(2, probability)
  end)
end)
