-- lgrad.plot.svg: the SVG writer under the charts: the document, text,
-- the frame and axes, legends placed in a free corner, line clipping.

local abs = math.abs
local max = math.max
local format = string.format
local U = require "lgrad.plot.util"
local FONT, bad, esc, px, textw = U.FONT, U.bad, U.esc, U.px, U.textw

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

return {
  axes = axes,
  clip = clip,
  draw_legend = draw_legend,
  frame = frame,
  free_corner = free_corner,
  legend_size = legend_size,
  push4 = push4,
  scales = scales,
  svg_open = svg_open,
}
