-- lgrad.plot.util: what every plot shares: the plot table itself (palette,
-- glyphs), argument errors reported at the caller's line, numbers as text,
-- option checks, tick positions, series reading. Pure Lua, no C module.

local floor = math.floor
local ceil = math.ceil
local abs = math.abs
local log = math.log
local max = math.max
local min = math.min
local huge = math.huge
local format = string.format
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

return {
  FONT = FONT,
  api = api,
  axis = axis,
  bad = bad,
  check_opts = check_opts,
  data_range = data_range,
  esc = esc,
  finite = finite,
  fmt_num = fmt_num,
  numbers = numbers,
  opt_color = opt_color,
  opt_lim = opt_lim,
  opt_size = opt_size,
  opt_string = opt_string,
  plot = plot,
  px = px,
  read_series = read_series,
  set = set,
  textw = textw,
  untensor = untensor,
}
