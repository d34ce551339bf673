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
  if dir ~= "." then os.execute(("mkdir -p '%s'"):format(dir:gsub("'", "'\\''"))) end
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

return M
