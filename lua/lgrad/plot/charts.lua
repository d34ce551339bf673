-- lgrad.plot.charts: the SVG charts: plot.line, plot.bar, plot.regions.

local floor = math.floor
local ceil = math.ceil
local abs = math.abs
local max = math.max
local min = math.min
local format = string.format
local concat = table.concat
local U = require "lgrad.plot.util"
local api, axis, bad, check_opts = U.api, U.axis, U.bad, U.check_opts
local data_range, esc, finite, fmt_num = U.data_range, U.esc, U.finite, U.fmt_num
local numbers, opt_color, opt_lim = U.numbers, U.opt_color, U.opt_lim
local opt_size, opt_string, plot, px = U.opt_size, U.opt_string, U.plot, U.px
local read_series, set, textw, untensor = U.read_series, U.set, U.textw, U.untensor
local S = require "lgrad.plot.svg"
local axes, clip, draw_legend, frame = S.axes, S.clip, S.draw_legend, S.frame
local free_corner, legend_size, push4 = S.free_corner, S.legend_size, S.push4
local scales, svg_open = S.scales, S.svg_open

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

return true
