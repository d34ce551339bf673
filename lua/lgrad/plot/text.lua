-- lgrad.plot.text: plots for terminals: plot.text, plot.text_bar.

local floor = math.floor
local ceil = math.ceil
local abs = math.abs
local max = math.max
local min = math.min
local huge = math.huge
local format = string.format
local rep = string.rep
local concat = table.concat
local U = require "lgrad.plot.util"
local api, bad, check_opts, data_range = U.api, U.bad, U.check_opts, U.data_range
local finite, fmt_num, numbers, opt_lim = U.finite, U.fmt_num, U.numbers, U.opt_lim
local opt_size, opt_string, plot = U.opt_size, U.opt_string, U.plot
local read_series, set, untensor = U.read_series, U.set, U.untensor
local S = require "lgrad.plot.svg"
local clip = S.clip

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

return true
