package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path

local plot = require "lgrad.plot"

local NAN, INF = 0 / 0, math.huge

-- A small XML well-formedness checker: balanced tags, one root element,
-- attributes of the form name="value", no raw '<' or stray '&' in text or
-- attribute values. Returns true or false and a reason.
local function check_entities(s)
  local ok = true
  s:gsub("&([^;]*);?", function(name)
    if not (name == "amp" or name == "lt" or name == "gt" or name == "quot"
            or name == "apos" or name:match("^#%d+$") or name:match("^#x%x+$")) then
      ok = false
    end
  end)
  -- every '&' must be followed by an entity name and ';'
  for amp in s:gmatch("&[^;]*;?") do
    if not amp:match("^&[#%w]+;$") then ok = false end
  end
  return ok
end

local function well_formed(s)
  local stack, roots, pos = {}, 0, 1
  while true do
    local a, b, slash, name, attrs, selfclose = s:find("<(/?)([%w:_%-]+)([^<>]-)(/?)>", pos)
    local text = s:sub(pos, (a or #s + 1) - 1)
    if text:find("<", 1, true) then return false, "raw '<' in text near " .. pos end
    if not check_entities(text) then return false, "bad entity in text near " .. pos end
    if #stack == 0 and text:find("%S") then return false, "text outside the root" end
    if not a then break end
    if slash == "/" then
      if attrs:find("%S") or selfclose == "/" then return false, "bad closing tag " .. name end
      local top = table.remove(stack)
      if top ~= name then return false, ("</%s> closes <%s>"):format(name, tostring(top)) end
    else
      local rest = attrs:gsub('%s+[%w:_%-]+="([^"]*)"', function(v)
        if v:find("<", 1, true) or not check_entities(v) then return "!" end
        return ""
      end)
      if rest:find("%S") then return false, "bad attributes in <" .. name .. ">: " .. attrs end
      if #stack == 0 then roots = roots + 1 end
      if selfclose ~= "/" then stack[#stack + 1] = name end
    end
    pos = b + 1
  end
  if #stack > 0 then return false, "unclosed <" .. stack[#stack] .. ">" end
  if roots ~= 1 then return false, roots .. " root elements" end
  return true
end

local function assert_xml(s)
  local ok, why = well_formed(s)
  assert(ok, why)
end

-- The d attributes of the series paths, in order.
local function paths(svg)
  local t = {}
  for d in svg:gmatch('<path d="([^"]*)"') do t[#t + 1] = d end
  return t
end

local function coords(d)
  local t = {}
  for x, y in d:gmatch("[ML](%-?[%d.]+) (%-?[%d.]+)") do t[#t + 1] = { tonumber(x), tonumber(y) } end
  return t
end

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

local function activations()
  local xs, s, t, r = {}, {}, {}, {}
  for i = 0, 120 do
    local x = -6 + i * 0.1
    xs[#xs + 1] = x
    s[#s + 1] = 1 / (1 + math.exp(-x))
    t[#t + 1] = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    r[#r + 1] = math.max(0, x)
  end
  return {
    { x = xs, y = s, label = "sigmoid" },
    { x = xs, y = t, label = "tanh" },
    { x = xs, y = r, label = "relu" },
  }
end

-- A stand-in for an lgrad tensor: only its totable method matters.
local function fake_tensor(t)
  return setmetatable({}, { __index = { totable = function() return t end } })
end

describe("lgrad.plot", function()
  it("(the spec's XML checker rejects broken documents)", function()
    assert.is_true(well_formed('<svg a="1"><g><text x="1">a &amp; b</text></g><rect/></svg>'))
    for _, bad in ipairs({ "<svg><g></svg>", "<svg></g></svg>", "<svg>a < b</svg>",
                           "<svg>a & b</svg>", '<svg a="<"/>', "<svg a=1/>", "<svg/><svg/>",
                           "<svg>", "x<svg/>", '<svg a="&bogus;"/>' }) do
      assert.is_false((well_formed(bad)), bad)
    end
  end)

  it("writes no globals", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    package.loaded["lgrad.plot"] = nil
    local p = require "lgrad.plot"
    p.line { y = { 1, 2, 3 } }
    p.text { y = { 1, 2, 3 } }
    for k in pairs(_G) do assert.is_true(before[k], "new global " .. tostring(k)) end
  end)

  describe("ticks", function()
    it("steps by 1, 2 or 5 times a power of ten", function()
      local t, step = plot.ticks(0, 1, 5)
      assert.are.same({ 0, 0.2, 0.4, 0.6, 0.8, 1 }, t)
      assert.are.equal(0.2, step)
      assert.are.same({ -6, -4, -2, 0, 2, 4, 6 }, (plot.ticks(-6, 6, 6)))
      assert.are.same({ 0, 100, 200, 300, 400, 500 }, (plot.ticks(0, 500, 5)))
      assert.are.same({ 0, 50, 100 }, (plot.ticks(0, 100, 4)))
      assert.are.same({ -1, 0, 1, 2, 3, 4, 5, 6 }, (plot.ticks(-1, 6, 7)))
    end)

    it("gives round values, not 0.30000000000000004", function()
      assert.are.same({ 0, 0.1, 0.2, 0.3 }, (plot.ticks(0, 0.3, 3)))
      assert.are.same({ 0.001, 0.002, 0.003 }, (plot.ticks(0.001, 0.003, 2)))
    end)

    it("stays within the range", function()
      local t = plot.ticks(0.15, 0.95, 4)
      assert.are.same({ 0.2, 0.4, 0.6, 0.8 }, t)
    end)
  end)

  describe("line", function()
    it("is well-formed SVG with title, axis labels and legend", function()
      local svg = plot.line { title = "Activations", xlabel = "x", ylabel = "f(x)",
                              series = activations() }
      assert_xml(svg)
      assert.truthy(svg:find("^<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"400\""))
      for _, s in ipairs({ ">Activations<", ">x<", ">f(x)<", ">sigmoid<", ">tanh<", ">relu<" }) do
        assert.truthy(svg:find(s, 1, true), s)
      end
    end)

    it("labels the y ticks 0, 0.2, ..., 1 for data in [0, 1]", function()
      local svg, L = plot.line { y = { 0, 0.5, 1 } }
      assert.are.same({ 0, 0.2, 0.4, 0.6, 0.8, 1 }, L.yticks)
      assert.are.same({ 0, 1 }, L.ylim)
      for _, s in ipairs({ ">0.0<", ">0.2<", ">0.4<", ">0.6<", ">0.8<", ">1.0<" }) do
        assert.truthy(svg:find(s, 1, true), s)
      end
    end)

    it("widens the range to whole ticks", function()
      local _, L = plot.line { x = { 0.3, 9.7 }, y = { -0.7, 5.2 } }
      assert.are.same({ 0, 10 }, L.xlim)
      assert.are.same({ -1, 6 }, L.ylim)
    end)

    it("maps points to the expected pixels", function()
      local svg, L = plot.line { x = { 0, 0.5, 1 }, y = { 0, 0.25, 1 }, xlim = { 0, 1 }, ylim = { 0, 1 } }
      assert.are.equal(640, L.left + L.width + 18)
      assert.are.equal(400, L.top + L.height + 26)
      local p = coords(paths(svg)[1])
      assert.are.equal(3, #p)
      local function near(a, b) assert.is_true(math.abs(a - b) <= 0.005, a .. " vs " .. b) end
      near(p[1][1], L.left);               near(p[1][2], L.top + L.height)
      near(p[2][1], L.left + L.width / 2); near(p[2][2], L.top + 0.75 * L.height)
      near(p[3][1], L.left + L.width);     near(p[3][2], L.top)
    end)

    it("maps pixels for a known frame exactly", function()
      -- No title/labels: top 14, bottom 26, right 18; y labels "0".."10" -> left.
      local svg, L = plot.line { x = { 0, 10 }, y = { 0, 10 }, width = 200, height = 140 }
      assert.are.same({ 0, 10 }, L.xlim)
      assert.are.equal(14, L.top)
      assert.are.equal(100, L.height)
      local p = coords(paths(svg)[1])
      assert.are.equal(L.top + L.height, p[1][2])
      assert.are.equal(14, p[2][2])
    end)

    it("breaks the path at NaN and infinite points", function()
      local svg = plot.line { y = { 0, 1, NAN, 1, 0, INF, 2, 3, -INF, 1 } }
      assert_xml(svg)
      local d = paths(svg)[1]
      -- runs 0 1 | 1 0 | 2 3 | and the lone last point, drawn as a dot
      assert.are.equal(4, count(d, "M"))
      assert.are.equal(1, count(d, "h0"))
      assert.falsy(svg:find("nan", 1, true))
      assert.falsy(svg:find("inf", 1, true))
    end)

    it("draws an isolated point as a dot", function()
      local d = paths(plot.line { y = { NAN, 1, NAN }, ylim = { 0, 2 } })[1]
      assert.truthy(d:find("^M[%d.]+ [%d.]+h0$"))
    end)

    it("clips segments that leave the limits", function()
      local svg, L = plot.line { x = { 0, 1, 2 }, y = { 0, 1e300, 0 }, ylim = { 0, 1 } }
      assert_xml(svg)
      for _, p in ipairs(coords(paths(svg)[1])) do
        assert.is_true(p[2] >= L.top - 0.01 and p[2] <= L.top + L.height + 0.01)
      end
    end)

    it("gives each series its own colour", function()
      local svg = plot.line { series = activations() }
      local seen, n = {}, 0
      for c in svg:gmatch('<path d="[^"]*" stroke="([^"]*)"') do
        assert.is_nil(seen[c]); seen[c] = true; n = n + 1
      end
      assert.are.equal(3, n)
    end)

    it("places the legend where no curve passes", function()
      local svg = plot.line { series = activations() }
      local x, y, w, h = svg:match('<g class="legend"><rect x="([%d.]+)" y="([%d.]+)" width="([%d.]+)" height="([%d.]+)"')
      x, y, w, h = tonumber(x), tonumber(y), tonumber(w), tonumber(h)
      assert.truthy(x)
      for _, d in ipairs(paths(svg)) do
        local pts = coords(d)
        for i = 2, #pts do   -- also midpoints of segments
          for _, t in ipairs({ 0, 0.5, 1 }) do
            local px = pts[i - 1][1] + t * (pts[i][1] - pts[i - 1][1])
            local py = pts[i - 1][2] + t * (pts[i][2] - pts[i - 1][2])
            assert.is_false(px >= x and px <= x + w and py >= y and py <= y + h,
              ("curve point %g,%g under the legend"):format(px, py))
          end
        end
      end
    end)

    it("moves the legend outside when every corner is taken", function()
      local xs, ys = {}, {}
      for i = 0, 200 do xs[#xs + 1] = i; ys[#ys + 1] = (i % 2 == 0) and 0 or 1 end
      local svg, L = plot.line { series = { { x = xs, y = ys, label = "zigzag" } } }
      local x = tonumber(svg:match('<g class="legend"><rect x="([%d.]+)"'))
      assert.is_true(x > L.left + L.width)
    end)

    it("draws a zero line only when 0 is inside the range", function()
      assert.truthy(plot.line { y = { -1, 1 } }:find('stroke="#999"', 1, true))
      assert.falsy(plot.line { y = { 1, 2 } }:find('stroke="#999"', 1, true))
    end)

    it("escapes XML specials in titles and labels", function()
      local svg = plot.line { title = 'a < b & "c" > \'d\'', xlabel = "x\1y\0",
                              series = { { y = { 1, 2 }, label = "<b>" } } }
      assert_xml(svg)
      assert.truthy(svg:find("a &lt; b &amp; &quot;c&quot; &gt; 'd'", 1, true))   -- no &apos;: some renderers drop it
      assert.falsy(svg:find("&apos;", 1, true))
      assert.truthy(svg:find(">&lt;b&gt;<", 1, true))
      assert.truthy(svg:find(">xy<", 1, true))
    end)

    it("accepts tensors (anything with totable), nested ones too", function()
      local a = plot.line { x = fake_tensor({ { 1 }, { 2 }, { 3 } }), y = fake_tensor({ 4, 5, 6 }) }
      local b = plot.line { x = { 1, 2, 3 }, y = { 4, 5, 6 } }
      assert.are.equal(b, a)
    end)

    it("is deterministic", function()
      assert.are.equal(plot.line { series = activations() }, plot.line { series = activations() })
    end)

    it("passes xmllint when it is installed", function()
      local h = io.popen("command -v xmllint 2>/dev/null")
      local found = h and h:read("*a") or ""
      if h then h:close() end
      if found == "" then return pending("xmllint not installed") end
      local path = os.tmpname()
      plot.save(path, plot.line { title = "<&>", series = activations() })
      local ok = os.execute("xmllint --noout " .. path .. " 2>/dev/null")
      os.remove(path)
      assert.is_true(ok == true or ok == 0)
    end)

    describe("errors", function()
      it("names the series and the counts", function()
        assert.has_error(function()
          plot.line { series = { { y = { 1, 2 } }, { x = { 1, 2, 3, 4, 5 }, y = { 1, 2, 3, 4 } } } }
        end, "bad argument #1 to 'line' (series 2 has 5 x values but 4 y values)")
      end)

      it("reports at the caller's line", function()
        local ok, err = pcall(function() plot.line(nil) end)
        assert.is_false(ok)
        assert.truthy(err:find("plot_spec.lua:%d+: bad argument #1 to 'line' %(table expected, got nil%)$"), err)
      end)

      it("rejects bad values and options", function()
        assert.has_error(function() plot.line { y = { 1, "2" } } end,
          "bad argument #1 to 'line' (series 1 y[2] is not a number (got string))")
        assert.has_error(function() plot.line { y = { 1 }, xlable = "x" } end,
          "bad argument #1 to 'line' (unknown option 'xlable')")
        assert.has_error(function() plot.line { y = { 1 }, xlim = { 1, 0 } } end,
          "bad argument #1 to 'line' (xlim must be {min, max} with finite min < max)")
        assert.has_error(function() plot.line { series = {} } end,
          "bad argument #1 to 'line' (series is empty)")
        assert.has_error(function() plot.line { title = "t" } end,
          "bad argument #1 to 'line' (no data: give series = {{x = ..., y = ...}, ...} or y = ...)")
        assert.has_error(function() plot.line { y = { 1 }, width = 30 } end,
          "bad argument #1 to 'line' (width must be a number from 50 to 100000, got 30)")
        assert.has_error(function() plot.text { y = { 1 }, height = 1e300 } end,
          "bad argument #1 to 'text' (height must be a number from 2 to 100000, got 1e+300)")
      end)
    end)
  end)

  describe("bar", function()
    it("draws one bar per value with its value label", function()
      local svg = plot.bar { title = "softmax", labels = { "cat", "dog", "bird" },
                             values = { 0.659, 0.242, 0.099 } }
      assert_xml(svg)
      assert.are.equal(3, count(svg, '<rect [^>]*fill="#1f77b4"/>'))
      for _, s in ipairs({ ">0.659<", ">0.242<", ">0.099<", ">cat<", ">dog<", ">bird<" }) do
        assert.truthy(svg:find(s, 1, true), s)
      end
    end)

    it("makes bar heights proportional to the values", function()
      local svg, L = plot.bar { values = { 0.5, 1 }, ylim = { 0, 1 } }
      local h = {}
      for v in svg:gmatch('<rect [^>]*height="([%d.]+)" fill="#1f77b4"/>') do h[#h + 1] = tonumber(v) end
      assert.are.equal(L.height, h[2])
      assert.is_true(math.abs(h[1] - L.height / 2) < 0.01)
    end)

    it("puts groups side by side with a legend", function()
      local svg = plot.bar { labels = { "cat", "dog", "bird" }, series = {
        { label = "softmax", values = { 0.659, 0.242, 0.099 } },
        { label = "hardmax", values = { 1, 0, 0 } } } }
      assert_xml(svg)
      -- softmax: three bars + legend swatch
      assert.are.equal(4, count(svg, '<rect [^>]*fill="#1f77b4"/>'))
      -- hardmax: one visible bar (zero-height bars are not drawn) + legend swatch
      assert.are.equal(2, count(svg, '<rect [^>]*fill="#ff7f0e"/>'))
      assert.truthy(svg:find(">softmax<", 1, true))
      assert.truthy(svg:find(">hardmax<", 1, true))
    end)

    it("labels integers without decimals and honours fmt", function()
      assert.truthy(plot.bar { values = { 3, 7 } }:find(">7<", 1, true))
      assert.truthy(plot.bar { values = { 0.5 }, fmt = "%.1f%%" }:find(">0.5%<", 1, true))
    end)

    it("checks the counts", function()
      assert.has_error(function()
        plot.bar { labels = { "a", "b", "c" }, series = { { values = { 1, 2, 3 } }, { values = { 1, 2, 3, 4 } } } }
      end, "bad argument #1 to 'bar' (series 2 has 4 values but there are 3 labels)")
    end)
  end)

  describe("regions", function()
    it("colours cells by f(x, y) at the cell centres and draws the points", function()
      local calls = 0
      local svg = plot.regions { xlim = { -1, 1 }, ylim = { -1, 1 }, resolution = 10,
        f = function(x, y)
          calls = calls + 1
          assert.is_true(math.abs(x) < 1 and math.abs(y) < 1)
          return x * y > 0 and 1 or 2
        end,
        points = { x = { -0.5, 0.5, 0.5, 5 }, y = { -0.5, 0.5, -0.5, 5 }, class = { 1, 1, 2, 2 } },
        labels = { "same", "opposite" } }
      assert_xml(svg)
      assert.are.equal(100, calls)
      -- each row has two runs of equal class, so 20 rects
      local cells = svg:match('<g class="regions"[^>]*>(.-)</g>')
      assert.are.equal(20, count(cells, "<rect"))
      -- the point at (5, 5) lies outside and is skipped
      assert.are.equal(3, count(svg, "<circle"))
      assert.truthy(svg:find(">same<", 1, true))
    end)

    it("reads a grid with row 1 at the bottom", function()
      local svg, L = plot.regions { xlim = { 0, 1 }, ylim = { 0, 1 }, grid = { { 1, 1 }, { 2, 2 } } }
      local y2 = svg:match('<rect x="[%d.]+" y="([%d.]+)" width="[%d.]+" height="[%d.]+" fill="#ff7f0e" stroke="none"/>')
      assert.are.equal(L.top, tonumber(y2))
      local y1 = svg:match('<rect x="[%d.]+" y="([%d.]+)" width="[%d.]+" height="[%d.]+" fill="#1f77b4" stroke="none"/>')
      assert.is_true(math.abs(tonumber(y1) - (L.top + L.height / 2)) < 0.01)
    end)

    it("derives the limits from the points", function()
      local _, L = plot.regions { points = { x = { 0, 1 }, y = { 0, 2 }, class = { 1, 2 } } }
      assert.are.same({ -0.1, 1.1 }, L.xlim)
      assert.are.same({ -0.2, 2.2 }, L.ylim)
    end)

    it("rejects non-integer classes and missing limits", function()
      assert.has_error(function()
        plot.regions { xlim = { 0, 1 }, ylim = { 0, 1 }, resolution = 1, f = function() return 0.5 end }
      end, "bad argument #1 to 'regions' (f(0.5, 0.5) must be an integer class, got 0.5)")
      assert.has_error(function() plot.regions { f = function() return 1 end } end,
        "bad argument #1 to 'regions' (xlim and ylim are required when there are no points)")
      assert.has_error(function()
        plot.regions { points = { x = { 1, 2 }, y = { 1 }, class = { 1, 1 } } }
      end, "bad argument #1 to 'regions' (points has 2 x, 1 y and 2 class values)")
    end)

    it("passes errors from f through", function()
      assert.has_error(function()
        plot.regions { xlim = { 0, 1 }, ylim = { 0, 1 }, f = function() error("boom", 0) end }
      end, "boom")
    end)
  end)

  describe("save", function()
    it("writes the file and returns its path", function()
      local path = require("spec.support.child").tmpname()
      assert.are.equal(path, plot.save(path, "<svg/>"))
      local f = assert(io.open(path, "rb"))
      assert.are.equal("<svg/>", f:read("*a"))
      f:close()
      os.remove(path)
    end)

    it("says why it cannot write", function()
      local ok, err = pcall(plot.save, "/nonexistent-dir/x.svg", "<svg/>")
      assert.is_false(ok)
      assert.truthy(err:find("plot.save: cannot write /nonexistent-dir/x.svg: No such file or directory", 1, true), err)
      assert.has_error(function() plot.save(1, "x") end,
        "bad argument #1 to 'save' (string expected, got number)")
      assert.has_error(function() plot.save("x", nil) end,
        "bad argument #2 to 'save' (string expected, got nil)")
    end)
  end)

  describe("text", function()
    it("has the documented dimensions", function()
      local s = plot.text { series = activations(), width = 60, height = 15, title = "acts" }
      local lines = {}
      for l in (s .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
      -- title, 15 rows, axis, x labels, legend
      assert.are.equal(1 + 15 + 2 + 1, #lines)
      assert.are.equal("acts", lines[1])
      for i = 2, 16 do assert.are.equal(#"-1 |" + 60, #lines[i]) end
      assert.truthy(lines[2]:find("^ 6 |"))
      assert.truthy(lines[16]:find("^%-1 |"))
      assert.are.equal("   +" .. string.rep("-", 60), lines[17])
      assert.truthy(lines[18]:find("^    %-6 +6$"))
      assert.are.equal("    * sigmoid   + tanh   o relu", lines[19])
    end)

    it("puts the extremes in the corners", function()
      local s = plot.text { x = { 0, 1 }, y = { 0, 1 }, width = 5, height = 3 }
      assert.are.equal(table.concat({
        "1 |    *",
        "  |  ** ",
        "0 |**   ",
        "  +-----",
        "   0   1" }, "\n"), s)
    end)

    it("breaks lines at NaN and marks y = 0", function()
      local s = plot.text { x = { 1, 2, 3 }, y = { 0, NAN, 0 }, width = 3, height = 3 }
      assert.are.equal(table.concat({
        " 1 |   ",
        "   |*.*",
        "-1 |   ",
        "   +---",
        "    1 3" }, "\n"), s)
    end)

    it("draws a horizontal bar chart", function()
      assert.are.equal(table.concat({
        "cat  |########## 0.659",
        "dog  |#### 0.242",
        "bird |## 0.099" }, "\n"),
        plot.text_bar({ "cat", "dog", "bird" }, { 0.659, 0.242, 0.099 }, { width = 10 }))
      assert.are.equal("a |## 0.500\nb | nan",
        plot.text_bar({ "a", "b" }, fake_tensor({ 0.5, NAN }), { width = 4, max = 1 }))
      assert.has_error(function() plot.text_bar({ "a" }, { 1, 2 }) end,
        "bad argument #2 to 'text_bar' (2 values but 1 labels)")
    end)
  end)
end)
