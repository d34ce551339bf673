-- lgrad.plot: SVG and terminal plots in pure Lua, with no dependencies.
--
-- Runs on Lua 5.1 to 5.4 and LuaJIT and never needs the C module: data is a
-- Lua array of numbers (nested arrays are flattened) or any object with a
-- :totable() method, such as an lgrad tensor. Output is deterministic: the
-- same call gives the same bytes, so plots can be compared in tests.

local floor, ceil, abs, log = math.floor, math.ceil, math.abs, math.log
local max, min, huge = math.max, math.min, math.huge
local format, rep, concat = string.format, string.rep, table.concat
local unpack = table.unpack or unpack
local raise = require "lgrad.raise"

local plot = {}

-- Tableau 10: distinct hues that survive most colour-vision deficiencies.
plot.palette = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }
plot.glyphs = { "*", "+", "o", "x", "#", "@", "%", "=" }

local FONT = 12
local CHAR_W = 0.62   -- average glyph width in em; only used to reserve room

------------------------------------------------------------------------------
-- Errors: helpers raise a tagged table; the public wrapper turns it into a
-- luaL_argerror-style message reported at the caller's line (level 2).

local Bad = {}
local function bad(argn, msg)
  error(setmetatable({ argn = argn, msg = msg }, Bad), 0)
end

local function pack(...) return { n = select("#", ...), ... } end

local function api(name, impl)
  return function(...)
    local r = pack(pcall(impl, ...))
    if r[1] then return unpack(r, 2, r.n) end
    local e = r[2]
    if getmetatable(e) == Bad then
      raise(format("bad argument #%d to '%s' (%s)", e.argn, name, e.msg), 2)
    end
    error(e, 0)   -- an error raised by user code (e.g. f in regions): pass it on
  end
end

------------------------------------------------------------------------------
-- Numbers and text.

local function finite(v) return v == v and v ~= huge and v ~= -huge end

local function log10(v) return log(v) / log(10) end

-- Formats non-finite values the same on every platform ("-nan" is libc's).
local function special(v)
  if v ~= v then return "nan" elseif v == huge then return "inf"
  elseif v == -huge then return "-inf" end
end

-- A number as a person would write it: 3 not 3.0, 0.25, 1e+20.
local function fmt_num(v, spec)
  local s = special(v)
  if s then return s end
  if spec then return format(spec, v) end
  if v == floor(v) and abs(v) < 1e15 then return format("%.0f", v) end
  return format("%.4g", v)
end

-- Pixel coordinates: two decimals, trailing zeros dropped, never "-0".
local function px(v)
  local s = format("%.2f", v):gsub("0+$", ""):gsub("%.$", "")
  if s == "-0" then s = "0" end
  return s
end

local XML = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }
-- Escapes XML specials and drops the control characters XML 1.0 forbids.
-- ' stays as it is (attributes here are in double quotes): some renderers
-- drop &apos;, an HTML 4 unknown, and "f'(x)" would read "f(x)".
local function esc(s)
  s = tostring(s):gsub("[%z\1-\8\11\12\14-\31]", "")
  return (s:gsub("[&<>\"]", XML))
end

-- Width estimate of s in characters (UTF-8: continuation bytes not counted).
local function textw(s, size)
  local _, cont = s:gsub("[\128-\191]", "")
  return (#s - cont) * (size or FONT) * CHAR_W
end

------------------------------------------------------------------------------
-- Arguments.

local function check_opts(o, allowed)
  if type(o) ~= "table" then bad(1, "table expected, got " .. type(o)) end
  for k in pairs(o) do
    if not allowed[k] then bad(1, "unknown option '" .. tostring(k) .. "'") end
  end
end

local function set(...)
  local t = {}
  for _, k in ipairs({ ... }) do t[k] = true end
  return t
end

-- Anything with a totable method (tensors are userdata, so look it up safely).
local function untensor(v)
  local tv = type(v)
  if tv == "table" or tv == "userdata" then
    local ok, f = pcall(function() return v.totable end)
    if ok and type(f) == "function" then return f(v) end
  end
  return v
end

local function flatten(t, out)
  for i = 1, #t do
    local e = t[i]
    if type(e) == "table" then flatten(e, out) else out[#out + 1] = e end
  end
  return out
end

-- A flat array of numbers from an array, nested array or tensor.
local function numbers(v, what, argn)
  v = untensor(v)
  if type(v) ~= "table" then
    bad(argn, format("%s must be an array of numbers or a tensor, got %s", what, type(v)))
  end
  local t = flatten(v, {})
  for i = 1, #t do
    if type(t[i]) ~= "number" then
      bad(argn, format("%s[%d] is not a number (got %s)", what, i, type(t[i])))
    end
  end
  return t
end

local function opt_string(o, k)
  local v = o[k]
  if v == nil then return nil end
  if type(v) ~= "string" and type(v) ~= "number" then
    bad(1, format("%s must be a string, got %s", k, type(v)))
  end
  return tostring(v)
end

local function opt_size(o, k, default, least)
  local v = o[k]
  if v == nil then return default end
  if type(v) ~= "number" or not (v >= least and v <= 100000) then
    bad(1, format("%s must be a number from %d to 100000, got %s", k, least,
      type(v) == "number" and fmt_num(v) or type(v)))
  end
  return floor(v)
end

local function opt_lim(o, k)
  local v = o[k]
  if v == nil then return nil end
  local t = type(v) == "table" and v or nil
  if not (t and type(t[1]) == "number" and type(t[2]) == "number"
          and finite(t[1]) and finite(t[2]) and t[1] < t[2]) then
    bad(1, format("%s must be {min, max} with finite min < max", k))
  end
  return { t[1], t[2] }
end

local function opt_color(v, what)
  if v == nil then return nil end
  if type(v) ~= "string" then bad(1, format("%s must be a colour string, got %s", what, type(v))) end
  return v
end

------------------------------------------------------------------------------
-- Ticks: steps of 1, 2 or 5 times a power of ten.

-- The smallest nice step >= raw, and the decimals its labels need.
local function nice_step(raw)
  local k = floor(log10(raw))
  while 10 ^ (k + 1) <= raw do k = k + 1 end
  while 10 ^ k > raw do k = k - 1 end
  local mag = 10 ^ k
  for _, m in ipairs({ 1, 2, 5, 10 }) do
    if m * mag >= raw * (1 - 1e-9) then
      if m == 10 then k = k + 1 end
      return m * mag, k < 0 and -k or 0
    end
  end
end

-- i * step, rounded to the step's decimals so 3 * 0.1 reads 0.3.
local function snap(i, step, d)
  local v = i * step
  if d <= 15 then v = tonumber(format("%." .. d .. "f", v)) end
  if v == 0 then v = 0 end   -- no -0
  return v
end

local function tick_values(lo, hi, step, d)
  local t = {}
  local i0, i1 = ceil(lo / step - 1e-9), floor(hi / step + 1e-9)
  if i1 - i0 > 1000 then return { lo, hi } end
  for i = i0, i1 do t[#t + 1] = snap(i, step, d) end
  return t
end

local function tick_label(v, d)
  if d > 6 or abs(v) >= 1e7 then return format("%.4g", v) end
  local s = format("%." .. d .. "f", v)
  if tonumber(s) == 0 then s = format("%." .. d .. "f", 0) end
  return s
end

--- Nice tick values covering [lo, hi] with about n intervals.
-- Returns the array of ticks and the step.
function plot.ticks(lo, hi, n)
  n = n or 5
  assert(type(lo) == "number" and type(hi) == "number" and finite(lo) and finite(hi)
         and lo < hi, "plot.ticks: need finite lo < hi")
  local step, d = nice_step((hi - lo) / n)
  return tick_values(lo, hi, step, d), step
end

-- An axis: its range (widened to whole ticks unless fixed), ticks and labels.
local function axis(lo, hi, fixed, n)
  if lo == nil then lo, hi = 0, 1 end
  if lo == hi then
    local w = abs(lo) * 0.1
    if w == 0 then w = 1 end
    lo, hi = lo - w, hi + w
  end
  n = max(2, min(10, n))
  local step, d = nice_step((hi - lo) / n)
  if not finite(step) or step <= 0 then bad(1, "data range too large to plot") end
  if not fixed then
    lo = snap(floor(lo / step + 1e-9), step, d)
    hi = snap(ceil(hi / step - 1e-9), step, d)
  end
  local ax = { lo = lo, hi = hi, ticks = tick_values(lo, hi, step, d), labels = {} }
  for i, v in ipairs(ax.ticks) do ax.labels[i] = tick_label(v, d) end
  return ax
end

------------------------------------------------------------------------------
-- SVG pieces.

local function svg_open(out, w, h)
  out[#out + 1] = format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
    .. 'viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
    .. 'font-size="%d">', w, h, w, h, FONT)
  out[#out + 1] = format('<rect width="%d" height="%d" fill="white"/>', w, h)
end

local function text(out, x, y, s, attrs)
  out[#out + 1] = format('<text x="%s" y="%s"%s>%s</text>', px(x), px(y),
    attrs and (" " .. attrs) or "", esc(s))
end

-- The frame sizes shared by every chart: margins follow the labels present.
local function frame(o, ylabels)
  local L = { W = o.width, H = o.height }
  L.top = o.title and 36 or 14
  L.bottom = 26 + (o.xlabel and 18 or 0)
  local lw = 0
  for _, s in ipairs(ylabels or {}) do lw = max(lw, textw(s)) end
  L.left = 8 + (o.ylabel and 22 or 0) + lw + 8
  L.right = 18 + (o.legend_room or 0)
  L.w = L.W - L.left - L.right
  L.h = L.H - L.top - L.bottom
  if L.w < 20 or L.h < 20 then
    bad(1, format("width %d and height %d leave no room for the plot", L.W, L.H))
  end
  return L
end

local function scales(L)
  local X, Y = L.x, L.y
  function L.px(v) return L.left + (v - X.lo) / (X.hi - X.lo) * L.w end
  function L.py(v) return L.top + (Y.hi - v) / (Y.hi - Y.lo) * L.h end
end

-- Title, axis labels, grid, zero lines, frame and tick labels.
local function axes(out, o, L, skip_xticks)
  local X, Y = L.x, L.y
  local x0, x1, y0, y1 = L.left, L.left + L.w, L.top, L.top + L.h
  if o.title then
    text(out, L.W / 2, 22, o.title, 'text-anchor="middle" font-size="15" font-weight="bold"')
  end
  out[#out + 1] = '<g stroke="#e6e6e6" stroke-width="1">'
  if not skip_xticks then
    for _, v in ipairs(X.ticks) do
      local x = px(L.px(v))
      out[#out + 1] = format('<line x1="%s" y1="%s" x2="%s" y2="%s"/>', x, px(y0), x, px(y1))
    end
  end
  for _, v in ipairs(Y.ticks) do
    local y = px(L.py(v))
    out[#out + 1] = format('<line x1="%s" y1="%s" x2="%s" y2="%s"/>', px(x0), y, px(x1), y)
  end
  out[#out + 1] = '</g>'
  -- Zero lines: darker, so sign changes read at a glance.
  if Y.lo < 0 and Y.hi > 0 then
    local y = px(L.py(0))
    out[#out + 1] = format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999" stroke-width="1"/>',
      px(x0), y, px(x1), y)
  end
  if not skip_xticks and X.lo < 0 and X.hi > 0 then
    local x = px(L.px(0))
    out[#out + 1] = format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999" stroke-width="1"/>',
      x, px(y0), x, px(y1))
  end
  out[#out + 1] = format('<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#333"/>',
    px(x0), px(y0), px(L.w), px(L.h))
  out[#out + 1] = '<g fill="#333">'
  if not skip_xticks then
    for i, v in ipairs(X.ticks) do
      text(out, L.px(v), y1 + 16, X.labels[i], 'text-anchor="middle"')
    end
  end
  for i, v in ipairs(Y.ticks) do
    -- The bottom label sits above the corner so it cannot run into the
    -- first x label below it ("-1" and "-6" read "-1-6").
    local corner = not skip_xticks and abs(L.py(v) - y1) < 1
    text(out, x0 - 6, L.py(v), Y.labels[i], corner and 'text-anchor="end" dy="-0.1em"'
      or 'text-anchor="end" dy="0.35em"')
  end
  if o.xlabel then
    text(out, x0 + L.w / 2, L.H - 8, o.xlabel, 'text-anchor="middle"')
  end
  if o.ylabel then
    out[#out + 1] = format('<text transform="translate(16 %s) rotate(-90)" text-anchor="middle">%s</text>',
      px(y0 + L.h / 2), esc(o.ylabel))
  end
  out[#out + 1] = '</g>'
end

-- Legend: entries {label=, color=}; kind "line" draws a stroke, else a square.
local function legend_size(entries)
  local w = 0
  for _, e in ipairs(entries) do w = max(w, textw(e.label)) end
  return 10 + 22 + 6 + w + 10, 8 + 18 * #entries
end

-- Obstacles are kept as a flat list of rects x0, y0, x1, y1 (points: x0 = x1).
local function push4(t, a, b, c, d)
  local n = #t
  t[n + 1], t[n + 2], t[n + 3], t[n + 4] = a, b, c, d
end

-- The first plot corner (top right, top left, bottom left, bottom right) whose
-- legend box holds none of the obstacle rects (flat x0,y0,x1,y1 lists).
local function free_corner(L, lw, lh, obst)
  if lw > L.w - 16 or lh > L.h - 16 then return nil end
  local xr, xl = L.left + L.w - 8 - lw, L.left + 8
  local yt, yb = L.top + 8, L.top + L.h - 8 - lh
  for _, c in ipairs({ { xr, yt }, { xl, yt }, { xl, yb }, { xr, yb } }) do
    local bx0, by0, bx1, by1 = c[1] - 3, c[2] - 3, c[1] + lw + 3, c[2] + lh + 3
    local hit = false
    for i = 1, #obst, 4 do
      if obst[i] <= bx1 and obst[i + 2] >= bx0 and obst[i + 1] <= by1 and obst[i + 3] >= by0 then
        hit = true
        break
      end
    end
    if not hit then return c[1], c[2] end
  end
end

local function draw_legend(out, entries, x, y, kind)
  local lw, lh = legend_size(entries)
  out[#out + 1] = format('<g class="legend"><rect x="%s" y="%s" width="%s" height="%s" '
    .. 'fill="white" fill-opacity="0.9" stroke="#ccc"/>', px(x), px(y), px(lw), px(lh))
  for i, e in ipairs(entries) do
    local cy = y + 4 + 18 * (i - 1) + 9
    if kind == "line" then
      out[#out + 1] = format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2.5"/>',
        px(x + 10), px(cy), px(x + 32), px(cy), esc(e.color))
    else
      out[#out + 1] = format('<rect x="%s" y="%s" width="12" height="12" fill="%s"/>',
        px(x + 15), px(cy - 6), esc(e.color))
    end
    text(out, x + 38, cy, e.label, 'dy="0.35em" fill="#222"')
  end
  out[#out + 1] = '</g>'
end

------------------------------------------------------------------------------
-- Line plots.

-- Liang-Barsky: the part of segment (x0,y0)-(x1,y1) inside the box, or nil.
local function clip(x0, y0, x1, y1, xa, xb, ya, yb)
  local dx, dy = x1 - x0, y1 - y0
  local t0, t1 = 0, 1
  local p = { -dx, dx, -dy, dy }
  local q = { x0 - xa, xb - x0, y0 - ya, yb - y0 }
  for i = 1, 4 do
    if p[i] == 0 then
      if q[i] < 0 then return nil end
    else
      local r = q[i] / p[i]
      if p[i] < 0 then
        if r > t1 then return nil elseif r > t0 then t0 = r end
      else
        if r < t0 then return nil elseif r < t1 then t1 = r end
      end
    end
  end
  return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy
end

local SERIES_KEYS = set("x", "y", "label", "color", "glyph")

-- Series from opts.series, or the x=/y= shorthand for one series.
local function read_series(o)
  local list = o.series
  if list == nil then
    if o.y == nil then bad(1, "no data: give series = {{x = ..., y = ...}, ...} or y = ...") end
    list = { { x = o.x, y = o.y, label = o.label, color = o.color } }
  elseif o.x ~= nil or o.y ~= nil then
    bad(1, "give either series or x and y, not both")
  end
  if type(list) ~= "table" then bad(1, "series must be a table, got " .. type(list)) end
  if #list == 0 then bad(1, "series is empty") end
  local out = {}
  for i = 1, #list do
    local s = list[i]
    if type(s) ~= "table" then bad(1, format("series %d must be a table, got %s", i, type(s))) end
    for k in pairs(s) do
      if not SERIES_KEYS[k] then bad(1, format("series %d has unknown field '%s'", i, tostring(k))) end
    end
    local y = numbers(s.y, format("series %d y", i), 1)
    local x
    if s.x == nil then
      x = {}
      for j = 1, #y do x[j] = j end
    else
      x = numbers(s.x, format("series %d x", i), 1)
    end
    if #x ~= #y then
      bad(1, format("series %d has %d x values but %d y values", i, #x, #y))
    end
    if s.label ~= nil and type(s.label) ~= "string" and type(s.label) ~= "number" then
      bad(1, format("series %d label must be a string, got %s", i, type(s.label)))
    end
    if s.glyph ~= nil and (type(s.glyph) ~= "string" or #s.glyph ~= 1) then
      bad(1, format("series %d glyph must be one character", i))
    end
    out[i] = {
      x = x, y = y,
      label = s.label ~= nil and tostring(s.label) or nil,
      color = opt_color(s.color, format("series %d color", i))
              or plot.palette[(i - 1) % #plot.palette + 1],
      glyph = s.glyph or plot.glyphs[(i - 1) % #plot.glyphs + 1],
    }
  end
  return out
end

-- Range of one coordinate over finite points, optionally only those whose
-- other coordinate lies within its fixed limits.
local function data_range(series, key, other, olim)
  local lo, hi = huge, -huge
  for _, s in ipairs(series) do
    local a, b = s[key], s[other]
    for j = 1, #a do
      local v, w = a[j], b[j]
      if finite(v) and finite(w) and (not olim or (w >= olim[1] and w <= olim[2])) then
        if v < lo then lo = v end
        if v > hi then hi = v end
      end
    end
  end
  if lo > hi then return nil end
  return lo, hi
end

local LINE_OPTS = set("title", "xlabel", "ylabel", "width", "height", "series",
  "x", "y", "label", "color", "xlim", "ylim", "legend")

-- Path data for one series, plus points along it (flat rects) for the legend
-- to avoid. Non-finite points break the line; isolated points become dots.
local function series_path(s, L, obst)
  local X, Y = L.x, L.y
  local d, pen = {}, nil
  local xs, ys = s.x, s.y
  local prev
  for j = 1, #xs do
    local x, y = xs[j], ys[j]
    if finite(x) and finite(y) then
      if prev then
        local ax, ay, bx, by = clip(xs[prev], ys[prev], x, y, X.lo, X.hi, Y.lo, Y.hi)
        if ax then
          local p0x, p0y, p1x, p1y = L.px(ax), L.py(ay), L.px(bx), L.py(by)
          if finite(p0x) and finite(p0y) and finite(p1x) and finite(p1y) then
            local start = px(p0x) .. " " .. px(p0y)
            if pen ~= start then d[#d + 1] = "M" .. start end
            pen = px(p1x) .. " " .. px(p1y)
            d[#d + 1] = "L" .. pen
            local n = ceil(max(abs(p1x - p0x), abs(p1y - p0y)) / 4)
            for k = 0, n do
              local t = k / max(n, 1)
              local qx, qy = p0x + t * (p1x - p0x), p0y + t * (p1y - p0y)
              push4(obst, qx, qy, qx, qy)
            end
          end
        end
      else
        local nx, ny = xs[j + 1], ys[j + 1]
        local alone = not (nx and finite(nx) and finite(ny))
        if alone and x >= X.lo and x <= X.hi and y >= Y.lo and y <= Y.hi then
          local qx, qy = L.px(x), L.py(y)
          pen = nil
          d[#d + 1] = "M" .. px(qx) .. " " .. px(qy) .. "h0"
          push4(obst, qx, qy, qx, qy)
        end
      end
      prev = j
    else
      prev, pen = nil, nil
    end
  end
  return concat(d)
end

local function line_impl(o)
  check_opts(o, LINE_OPTS)
  local series = read_series(o)
  local oo = {
    title = opt_string(o, "title"), xlabel = opt_string(o, "xlabel"),
    ylabel = opt_string(o, "ylabel"),
    width = opt_size(o, "width", 640, 50), height = opt_size(o, "height", 400, 50),
  }
  local xlim, ylim = opt_lim(o, "xlim"), opt_lim(o, "ylim")
  local legend = o.legend
  if legend ~= nil and type(legend) ~= "boolean" then bad(1, "legend must be a boolean") end
  local entries = {}
  for _, s in ipairs(series) do
    if s.label then entries[#entries + 1] = { label = s.label, color = s.color } end
  end
  if legend == false then entries = {} end
  local xlo, xhi = data_range(series, "x", "y", ylim)
  local ylo, yhi = data_range(series, "y", "x", xlim)
  if xlim then xlo, xhi = xlim[1], xlim[2] end
  if ylim then ylo, yhi = ylim[1], ylim[2] end

  local function build(room)
    oo.legend_room = room
    local L = frame(oo, {})   -- first pass: the plot height fixes the y ticks
    L.y = axis(ylo, yhi, ylim ~= nil, floor(L.h / 45))
    L = frame(oo, L.y.labels)
    L.y = axis(ylo, yhi, ylim ~= nil, floor(L.h / 45))
    L.x = axis(xlo, xhi, xlim ~= nil, floor(L.w / 80))
    scales(L)
    local paths, obst = {}, {}
    for i, s in ipairs(series) do paths[i] = series_path(s, L, obst) end
    return L, paths, obst
  end

  local L, paths, obst = build(0)
  local lx, ly
  if #entries > 0 then
    local lw, lh = legend_size(entries)
    lx, ly = free_corner(L, lw, lh, obst)
    if not lx then
      L, paths = build(lw + 12)
      lx, ly = L.left + L.w + 10, L.top
    end
  end

  local out = {}
  svg_open(out, L.W, L.H)
  axes(out, oo, L)
  out[#out + 1] = '<g fill="none" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">'
  for i, s in ipairs(series) do
    if paths[i] ~= "" then
      out[#out + 1] = format('<path d="%s" stroke="%s"/>', paths[i], esc(s.color))
    end
  end
  out[#out + 1] = '</g>'
  if lx then draw_legend(out, entries, lx, ly, "line") end
  out[#out + 1] = '</svg>\n'
  local layout = { left = L.left, top = L.top, width = L.w, height = L.h,
                   xlim = { L.x.lo, L.x.hi }, ylim = { L.y.lo, L.y.hi },
                   xticks = L.x.ticks, yticks = L.y.ticks }
  return concat(out, "\n"), layout
end

--- A line chart as an SVG string. Also returns the layout: the plot box in
-- pixels (left, top, width, height), xlim, ylim, xticks and yticks.
plot.line = api("line", line_impl)

------------------------------------------------------------------------------
-- Bar charts.

local BAR_OPTS = set("title", "xlabel", "ylabel", "width", "height", "labels",
  "values", "series", "ylim", "fmt", "value_labels", "color", "legend")

local function bar_impl(o)
  check_opts(o, BAR_OPTS)
  local oo = {
    title = opt_string(o, "title"), xlabel = opt_string(o, "xlabel"),
    ylabel = opt_string(o, "ylabel"),
    width = opt_size(o, "width", 640, 50), height = opt_size(o, "height", 400, 50),
  }
  local ylim = opt_lim(o, "ylim")
  if o.fmt ~= nil and (type(o.fmt) ~= "string" or not pcall(format, o.fmt, 1.5)) then
    bad(1, "fmt must be a format string for one number, like \"%.3f\"")
  end
  local list = o.series
  if list == nil then
    if o.values == nil then bad(1, "no data: give values = {...} or series = {{values = ...}, ...}") end
    list = { { values = o.values, color = o.color } }
  elseif o.values ~= nil then
    bad(1, "give either series or values, not both")
  end
  if type(list) ~= "table" or #list == 0 then bad(1, "series must be a non-empty array") end
  local series, all_int = {}, true
  for i = 1, #list do
    local s = list[i]
    if type(s) ~= "table" then bad(1, format("series %d must be a table, got %s", i, type(s))) end
    local what = o.series and format("series %d values", i) or "values"
    local v = numbers(s.values, what, 1)
    for _, x in ipairs(v) do if finite(x) and x ~= floor(x) then all_int = false end end
    series[i] = { values = v, label = s.label ~= nil and tostring(s.label) or nil,
      color = opt_color(s.color, format("series %d color", i))
              or plot.palette[(i - 1) % #plot.palette + 1] }
  end
  local n = #series[1].values
  local labels = {}
  if o.labels ~= nil then
    local l = untensor(o.labels)
    if type(l) ~= "table" then bad(1, "labels must be an array of strings") end
    for i = 1, #l do labels[i] = type(l[i]) == "number" and fmt_num(l[i]) or tostring(l[i]) end
    n = #labels
  else
    for i = 1, n do labels[i] = tostring(i) end
  end
  if n == 0 then bad(1, "no bars to draw") end
  for i, s in ipairs(series) do
    if #s.values ~= n then
      if o.labels ~= nil then
        bad(1, format("series %d has %d values but there are %d labels", i, #s.values, n))
      end
      bad(1, format("series %d has %d values but series 1 has %d", i, #s.values, n))
    end
  end
  local spec = o.fmt or (all_int and "%.0f" or "%.3f")

  local lo, hi = 0, 0
  for _, s in ipairs(series) do
    for _, v in ipairs(s.values) do
      if finite(v) then lo, hi = min(lo, v), max(hi, v) end
    end
  end
  -- The axis ends at the first tick past the data (no headroom: bars of
  -- probabilities end at 1); value labels that would leave the plot go
  -- inside their bar instead.
  if ylim then lo, hi = ylim[1], ylim[2] end

  local entries = {}
  for _, s in ipairs(series) do
    if s.label then entries[#entries + 1] = { label = s.label, color = s.color } end
  end
  if o.legend == false then entries = {} end
  local show_values = o.value_labels ~= false

  local function build(room)
    oo.legend_room = room
    local L = frame(oo, {})
    L.y = axis(lo, hi, ylim ~= nil, floor(L.h / 45))
    L = frame(oo, L.y.labels)
    L.y = axis(lo, hi, ylim ~= nil, floor(L.h / 45))
    L.x = { lo = 0, hi = 1, ticks = {}, labels = {} }
    scales(L)
    local shapes, obst = {}, {}
    local gw = L.w / n
    local bw = gw * 0.8 / #series
    local function clampy(y) return min(max(y, L.top), L.top + L.h) end
    local base = clampy(L.py(0))
    for c = 1, n do
      for si, s in ipairs(series) do
        local v = s.values[c]
        local x = L.left + (c - 1) * gw + gw * 0.1 + (si - 1) * bw
        local top = v == v and clampy(L.py(v)) or base
        local y0, y1 = min(base, top), max(base, top)
        if y1 > y0 then
          shapes[#shapes + 1] = format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>',
            px(x), px(y0), px(bw), px(y1 - y0), esc(s.color))
          push4(obst, x, y0, x + bw, y1)
        end
        local label = fmt_num(v, spec)
        if show_values and textw(label, 11) <= bw + 4 then
          local neg = v == v and v < 0
          local ty, fill = neg and y1 + 13 or y0 - 4, "#222"
          if (neg and ty > L.top + L.h - 2 or not neg and ty < L.top + 11) and y1 - y0 >= 16 then
            ty, fill = neg and y1 - 4 or y0 + 13, "white"
          end
          ty = min(max(ty, L.top + 11), L.top + L.h - 2)
          shapes[#shapes + 1] = format('<text x="%s" y="%s" text-anchor="middle" font-size="11" '
            .. 'fill="%s">%s</text>', px(x + bw / 2), px(ty), fill, esc(label))
          local hw = textw(label, 11) / 2
          push4(obst, x + bw / 2 - hw, ty - 11, x + bw / 2 + hw, ty)
        end
      end
      shapes[#shapes + 1] = format('<text x="%s" y="%s" text-anchor="middle" fill="#333">%s</text>',
        px(L.left + (c - 0.5) * gw), px(L.top + L.h + 16), esc(labels[c]))
    end
    return L, shapes, obst
  end

  local L, shapes, obst = build(0)
  local lx, ly
  if #entries > 0 then
    local lw, lh = legend_size(entries)
    lx, ly = free_corner(L, lw, lh, obst)
    if not lx then
      L, shapes = build(lw + 12)
      lx, ly = L.left + L.w + 10, L.top
    end
  end
  local out = {}
  svg_open(out, L.W, L.H)
  axes(out, oo, L, true)
  out[#out + 1] = '<g class="bars">'
  for _, s in ipairs(shapes) do out[#out + 1] = s end
  out[#out + 1] = '</g>'
  local zy = L.py(0)
  if zy >= L.top and zy <= L.top + L.h then
    out[#out + 1] = format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#333"/>',
      px(L.left), px(zy), px(L.left + L.w), px(zy))
  end
  if lx then draw_legend(out, entries, lx, ly, "box") end
  out[#out + 1] = '</svg>\n'
  return concat(out, "\n"), { left = L.left, top = L.top, width = L.w, height = L.h,
    ylim = { L.y.lo, L.y.hi }, yticks = L.y.ticks }
end

--- A bar chart (one or several groups of bars) as an SVG string.
plot.bar = api("bar", bar_impl)

------------------------------------------------------------------------------
-- Decision regions.

local REGION_OPTS = set("title", "xlabel", "ylabel", "width", "height", "xlim",
  "ylim", "f", "grid", "resolution", "points", "labels", "colors", "legend")

local function check_class(c, what)
  if type(c) ~= "number" or not finite(c) or c ~= floor(c) then
    bad(1, format("%s must be an integer class, got %s", what,
      type(c) == "number" and fmt_num(c) or type(c)))
  end
  return c
end

local function padded(lo, hi)
  local m = (hi - lo) * 0.1
  if m == 0 then m = 1 end
  return { lo - m, hi + m }
end

local function regions_impl(o)
  check_opts(o, REGION_OPTS)
  -- Axis labels default to the two inputs' names (a classifier of (x1, x2)).
  local oo = {
    title = opt_string(o, "title"), xlabel = opt_string(o, "xlabel") or "x1",
    ylabel = opt_string(o, "ylabel") or "x2",
    width = opt_size(o, "width", 520, 50), height = opt_size(o, "height", 440, 50),
  }
  local xlim, ylim = opt_lim(o, "xlim"), opt_lim(o, "ylim")
  if o.f ~= nil and o.grid ~= nil then bad(1, "give either f or grid, not both") end
  if o.f ~= nil and type(o.f) ~= "function" then bad(1, "f must be a function, got " .. type(o.f)) end
  if o.colors ~= nil and type(o.colors) ~= "table" then bad(1, "colors must be a table") end
  if o.labels ~= nil and type(o.labels) ~= "table" then bad(1, "labels must be a table") end

  local P
  if o.points ~= nil then
    local p = o.points
    if type(p) ~= "table" then bad(1, "points must be a table {x = ..., y = ..., class = ...}") end
    P = { x = numbers(p.x, "points.x", 1), y = numbers(p.y, "points.y", 1),
          class = numbers(p.class, "points.class", 1) }
    if #P.x ~= #P.y or #P.x ~= #P.class then
      bad(1, format("points has %d x, %d y and %d class values", #P.x, #P.y, #P.class))
    end
    for i, c in ipairs(P.class) do check_class(c, format("points.class[%d]", i)) end
  end
  if not xlim or not ylim then
    if not P or #P.x == 0 then bad(1, "xlim and ylim are required when there are no points") end
    local s = { { x = P.x, y = P.y } }
    local a, b = data_range(s, "x", "y")
    local c, d = data_range(s, "y", "x")
    if not a then bad(1, "xlim and ylim are required when no point is finite") end
    xlim = xlim or padded(a, b)
    ylim = ylim or padded(c, d)
  end

  -- cells[r][i]: row r counts up from ylim[1], column i from xlim[1].
  local cells, nx, ny
  if o.grid ~= nil then
    local g = untensor(o.grid)
    if type(g) ~= "table" or #g == 0 then bad(1, "grid must be a non-empty array of rows") end
    cells, ny = {}, #g
    for r = 1, ny do
      local row = untensor(g[r])
      if type(row) ~= "table" then bad(1, format("grid row %d must be an array", r)) end
      nx = nx or #row
      if #row ~= nx then bad(1, format("grid row %d has %d cells but row 1 has %d", r, #row, nx)) end
      cells[r] = {}
      for i = 1, nx do
        local c = row[i]
        if c == c then cells[r][i] = check_class(c, format("grid[%d][%d]", r, i)) end
      end
    end
  elseif o.f ~= nil then
    local res = o.resolution or 80
    nx, ny = res, res
    if type(res) == "table" then nx, ny = res[1], res[2] end
    if type(nx) ~= "number" or type(ny) ~= "number" or nx < 1 or ny < 1 or nx > 2000 or ny > 2000 then
      bad(1, "resolution must be a number or {nx, ny} between 1 and 2000")
    end
    nx, ny = floor(nx), floor(ny)
    cells = {}
    for r = 1, ny do
      local y = ylim[1] + (r - 0.5) / ny * (ylim[2] - ylim[1])
      cells[r] = {}
      for i = 1, nx do
        local x = xlim[1] + (i - 0.5) / nx * (xlim[2] - xlim[1])
        local c = o.f(x, y)
        if c ~= nil and c == c then
          cells[r][i] = check_class(c, format("f(%s, %s)", fmt_num(x), fmt_num(y)))
        end
      end
    end
  end

  local seen, classes = {}, {}
  local function see(c)
    if c ~= nil and not seen[c] then seen[c] = true; classes[#classes + 1] = c end
  end
  if P then for _, c in ipairs(P.class) do see(c) end end
  if cells then for r = 1, ny do for i = 1, nx do see(cells[r][i]) end end end
  table.sort(classes)
  local colors = o.colors or {}
  local function color(c)
    return opt_color(colors[c], "colors[" .. fmt_num(c) .. "]")
      or plot.palette[(c - 1) % #plot.palette + 1]
  end
  local entries = {}
  for _, c in ipairs(classes) do
    local name = o.labels and o.labels[c]
    entries[#entries + 1] = { label = name ~= nil and tostring(name) or ("class " .. fmt_num(c)),
                              color = color(c) }
  end
  if o.legend == false then entries = {} end

  -- The legend goes outside: inside it would hide part of the regions.
  oo.legend_room = #entries > 0 and (legend_size(entries) + 12) or 0
  local L = frame(oo, {})
  L.y = axis(ylim[1], ylim[2], true, floor(L.h / 45))
  L = frame(oo, L.y.labels)
  L.y = axis(ylim[1], ylim[2], true, floor(L.h / 45))
  L.x = axis(xlim[1], xlim[2], true, floor(L.w / 80))
  scales(L)

  local out = {}
  svg_open(out, L.W, L.H)
  if cells then
    -- One rect per run of equal cells in a row keeps the file small.
    -- stroke="none" on every cell: some converters stroke rects by default
    -- (black stripes between the runs).
    out[#out + 1] = '<g class="regions" fill-opacity="0.35" stroke="none" shape-rendering="crispEdges">'
    local cw, ch = L.w / nx, L.h / ny
    for r = 1, ny do
      local row, i = cells[r], 1
      while i <= nx do
        local c, j = row[i], i
        while j < nx and row[j + 1] == c do j = j + 1 end
        if c ~= nil then
          out[#out + 1] = format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="none"/>',
            px(L.left + (i - 1) * cw), px(L.top + L.h - r * ch), px((j - i + 1) * cw), px(ch),
            esc(color(c)))
        end
        i = j + 1
      end
    end
    out[#out + 1] = '</g>'
  end
  axes(out, oo, L)
  if P then
    out[#out + 1] = '<g class="points" stroke="#222" stroke-width="0.8">'
    for k = 1, #P.x do
      local x, y = P.x[k], P.y[k]
      if finite(x) and finite(y) and x >= xlim[1] and x <= xlim[2] and y >= ylim[1] and y <= ylim[2] then
        out[#out + 1] = format('<circle cx="%s" cy="%s" r="3.5" fill="%s"/>',
          px(L.px(x)), px(L.py(y)), esc(color(P.class[k])))
      end
    end
    out[#out + 1] = '</g>'
  end
  if #entries > 0 then draw_legend(out, entries, L.left + L.w + 10, L.top, "box") end
  out[#out + 1] = '</svg>\n'
  return concat(out, "\n"), { left = L.left, top = L.top, width = L.w, height = L.h,
    xlim = { L.x.lo, L.x.hi }, ylim = { L.y.lo, L.y.hi }, xticks = L.x.ticks, yticks = L.y.ticks }
end

--- A 2-d decision-region plot: class cells from f(x, y) or a grid, with the
-- data points drawn on top.
plot.regions = api("regions", regions_impl)

------------------------------------------------------------------------------
-- Files.

--- Writes a plot (or any string) to path and returns path.
function plot.save(path, svg)
  if type(path) ~= "string" then
    raise("bad argument #1 to 'save' (string expected, got " .. type(path) .. ")", 2)
  end
  if type(svg) ~= "string" then
    raise("bad argument #2 to 'save' (string expected, got " .. type(svg) .. ")", 2)
  end
  local f, err = io.open(path, "wb")
  local ok, cok
  if f then
    ok, err = f:write(svg)
    cok, err = f:close()
    ok = ok and cok
  end
  if not ok then raise("plot.save: cannot write " .. tostring(err or path), 2) end
  return path
end

------------------------------------------------------------------------------
-- Text plots.

local TEXT_OPTS = set("title", "width", "height", "series", "x", "y", "label",
  "xlim", "ylim")

local function pad_left(s, n) return rep(" ", n - #s) .. s end

local function text_impl(o)
  check_opts(o, TEXT_OPTS)
  local series = read_series(o)
  local W = opt_size(o, "width", 60, 2)
  local H = opt_size(o, "height", 15, 2)
  local title = opt_string(o, "title")
  local xlim, ylim = opt_lim(o, "xlim"), opt_lim(o, "ylim")
  local xlo, xhi = data_range(series, "x", "y", ylim)
  local ylo, yhi = data_range(series, "y", "x", xlim)
  if xlim then xlo, xhi = xlim[1], xlim[2] end
  if ylim then ylo, yhi = ylim[1], ylim[2] end
  if not xlo then xlo, xhi = 0, 1 end
  if not ylo then ylo, yhi = 0, 1 end
  if xlo == xhi then xlo, xhi = xlo - 1, xhi + 1 end
  if ylo == yhi then ylo, yhi = ylo - 1, yhi + 1 end

  local grid = {}
  for r = 1, H do grid[r] = {} for c = 1, W do grid[r][c] = " " end end
  -- Fractional cell positions: row 1 is yhi, row H is ylo.
  local function col(x) return (x - xlo) / (xhi - xlo) * (W - 1) + 1 end
  local function row(y) return (yhi - y) / (yhi - ylo) * (H - 1) + 1 end
  local function put(c, r, g)
    c, r = floor(c + 0.5), floor(r + 0.5)
    if c >= 1 and c <= W and r >= 1 and r <= H then grid[r][c] = g end
  end
  if ylo < 0 and yhi > 0 then
    local r = floor(row(0) + 0.5)
    for c = 1, W do grid[r][c] = "." end
  end
  for _, s in ipairs(series) do
    local xs, ys, prev = s.x, s.y, nil
    for j = 1, #xs do
      local x, y = xs[j], ys[j]
      if finite(x) and finite(y) then
        if prev then
          local ax, ay, bx, by = clip(xs[prev], ys[prev], x, y, xlo, xhi, ylo, yhi)
          if ax then
            local c0, r0, c1, r1 = col(ax), row(ay), col(bx), row(by)
            local n = ceil(max(abs(c1 - c0), abs(r1 - r0)))
            if n ~= n or n > 4 * (W + H) then n = 4 * (W + H) end
            for k = 0, n do
              local t = n > 0 and k / n or 0
              put(c0 + t * (c1 - c0), r0 + t * (r1 - r0), s.glyph)
            end
          end
        elseif x >= xlo and x <= xhi and y >= ylo and y <= yhi then
          put(col(x), row(y), s.glyph)
        end
        prev = j
      else
        prev = nil
      end
    end
  end

  local top, bottom = fmt_num(yhi), fmt_num(ylo)
  local lw = max(#top, #bottom)
  local lines = {}
  if title then lines[#lines + 1] = title end
  for r = 1, H do
    local label = r == 1 and top or r == H and bottom or ""
    lines[#lines + 1] = pad_left(label, lw) .. " |" .. concat(grid[r])
  end
  lines[#lines + 1] = rep(" ", lw) .. " +" .. rep("-", W)
  local left, right = fmt_num(xlo), fmt_num(xhi)
  local gap = max(1, W - #left - #right)
  lines[#lines + 1] = rep(" ", lw + 2) .. left .. rep(" ", gap) .. right
  local keys, any = {}, #series > 1
  for _, s in ipairs(series) do
    if s.label then any = true end
    keys[#keys + 1] = s.glyph .. " " .. (s.label or "")
  end
  if any then lines[#lines + 1] = rep(" ", lw + 2) .. concat(keys, "   ") end
  return concat(lines, "\n")
end

--- A character plot for terminals. width x height is the plotting area; the
-- y axis is labelled with its max (top row) and min (bottom row), the x axis
-- with its min and max. Returns the lines joined by "\n" (no final newline).
plot.text = api("text", text_impl)

local function text_bar_impl(labels, values, o)
  labels = untensor(labels)
  if type(labels) ~= "table" then bad(1, "labels must be an array, got " .. type(labels)) end
  local v = numbers(values, "values", 2)
  if #v ~= #labels then bad(2, format("%d values but %d labels", #v, #labels)) end
  if o ~= nil then check_opts(o, set("width", "fmt", "max")) else o = {} end
  local W = o.width or 40
  if type(W) ~= "number" or not (W >= 1 and W <= 10000) then
    bad(3, "width must be a number from 1 to 10000")
  end
  W = floor(W)
  if o.fmt ~= nil and (type(o.fmt) ~= "string" or not pcall(format, o.fmt, 1.5)) then
    bad(3, "fmt must be a format string for one number")
  end
  local scale = o.max
  if scale ~= nil and (type(scale) ~= "number" or not finite(scale) or scale <= 0) then
    bad(3, "max must be a positive number")
  end
  if not scale then
    scale = 0
    for _, x in ipairs(v) do if finite(x) and x > scale then scale = x end end
    if scale == 0 then scale = 1 end
  end
  local names, lw = {}, 0
  for i = 1, #labels do
    names[i] = type(labels[i]) == "number" and fmt_num(labels[i]) or tostring(labels[i])
    lw = max(lw, #names[i])
  end
  local lines = {}
  for i, x in ipairs(v) do
    local n = 0
    if finite(x) and x > 0 then n = min(W, floor(x / scale * W + 0.5)) end
    if x == huge then n = W end
    lines[i] = names[i] .. rep(" ", lw - #names[i]) .. " |" .. rep("#", n) .. " "
      .. fmt_num(x, o.fmt or "%.3f")
  end
  return concat(lines, "\n")
end

--- A horizontal bar chart for terminals; bars scale to opts.max or the
-- largest value. text_bar(labels, values [, {width = 40, fmt = "%.3f", max = }]).
plot.text_bar = api("text_bar", text_bar_impl)

return plot
