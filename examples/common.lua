-- Shared by the examples (loaded with dofile, not require, so that
-- `lua5.4 examples/NAME.lua` works from any directory): the output folder,
-- saving SVGs, checking that this lgrad has the functions an example needs,
-- and printing aligned tables.
local plot = require "lgrad.plot"

local M = {}

-- The article lgrad grew from (its text: ../shared/seed/ in the project).
-- Plot titles use the English name: the SVG fonts need not have CJK glyphs.
M.ARTICLE = "AI 系列: 激活函数 & Softmax 函数"
M.ARTICLE_EN = "AI series: activation functions & softmax"
M.ARTICLE_URL = "https://ningg.top/ai-series-softmax-intro/"
M.ARTICLE_REF = ("\"%s\" (ningg.top, 2025-04-12, %s)"):format(M.ARTICLE, M.ARTICLE_URL)

-- The output folder: the first argument, or the current directory.
function M.outdir(args)
  local dir = args and args[1] or "."
  if dir == "." then return dir end
  if package.config:sub(1, 1) == "\\" then   -- Windows: cmd.exe's mkdir makes the parents
    os.execute(('mkdir "%s" 2>nul'):format((dir:gsub("/", "\\"))))
  else
    os.execute(("mkdir -p '%s'"):format(dir:gsub("'", "'\\''")))
  end
  return dir
end

-- Save an SVG under dir and say so.
function M.save(dir, name, svg)
  local path = dir == "." and name or (dir:gsub("/+$", "") .. "/" .. name)
  plot.save(path, svg)
  print("wrote " .. path)
  return path
end

-- Stop with a clear message (exit status 2) when lg lacks a function.
function M.need(lg, script, names)
  local missing = {}
  for _, n in ipairs(names) do
    if lg[n] == nil then missing[#missing + 1] = "lg." .. n end
  end
  if #missing > 0 then
    io.stderr:write(("%s: this lgrad lacks %s (not built in yet); nothing written\n")
      :format(script, table.concat(missing, ", ")))
    os.exit(2)
  end
end

-- Print rows (arrays of strings) under headers, columns padded to fit.
function M.table(headers, rows)
  local w = {}
  for i, h in ipairs(headers) do w[i] = #h end
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do if #c > w[i] then w[i] = #c end end
  end
  local function line(r)
    local parts = {}
    for i, c in ipairs(r) do parts[i] = c .. (" "):rep(w[i] - #c) end
    return (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  print(line(headers))
  local rule = {}
  for i = 1, #headers do rule[i] = ("-"):rep(w[i]) end
  print(line(rule))
  for _, r in ipairs(rows) do print(line(r)) end
end

-- A 1-d tensor as "a, b, c" with a format.
function M.list(t, fmt)
  local parts = {}
  for i, v in ipairs(t:totable()) do parts[i] = (fmt or "%.4f"):format(v) end
  return table.concat(parts, ", ")
end

-- The two data sets nonlinearity.lua and autograd.lua train on, seeded:
-- n points [n, 2] of dtype dt and their 1-based classes.
-- XOR: four noisy clusters at (+-1, +-1); class 2 where x and y differ in sign.
function M.xor_data(lg, n, dt)
  lg.seed(2)
  local P, y = lg.randn(n, 2, dt) * 0.25, {}
  for i = 1, n do
    local sx, sy = (i % 2 == 0) and 1 or -1, (math.floor(i / 2) % 2 == 0) and 1 or -1
    P:set(i, 1, P:get(i, 1) + sx)
    P:set(i, 2, P:get(i, 2) + sy)
    y[i] = sx * sy > 0 and 1 or 2
  end
  return P, y
end

-- Two spirals, each turning 1.25 times out to radius 2, with a little noise.
function M.spiral_data(lg, n, dt)
  lg.seed(3)
  local P, y = lg.zeros(n, 2, dt), {}
  local noise = lg.randn(n, 2, dt) * 0.04
  local half = math.floor(n / 2)
  for i = 1, n do
    local c = i <= half and 1 or 2
    local t = ((i - 1) % half) / half
    local a = t * 1.25 * 2 * math.pi + (c == 2 and math.pi or 0)
    local r = 0.2 + 1.8 * t
    P:set(i, 1, r * math.cos(a) + noise:get(i, 1))
    P:set(i, 2, r * math.sin(a) + noise:get(i, 2))
    y[i] = c
  end
  return P, y
end

return M
