-- lgrad.plot: SVG and terminal plots in pure Lua, with no dependencies.
--
-- Runs on Lua 5.1 to 5.4 and LuaJIT and never needs the C module: data is a
-- Lua array of numbers (nested arrays are flattened) or any object with a
-- :totable() method, such as an lgrad tensor. Output is deterministic: the
-- same call gives the same bytes, so plots can be compared in tests.
--
-- lgrad/plot/: util.lua (the plot table, errors, options, ticks), svg.lua
-- (the SVG writer), charts.lua (line, bar, regions), text.lua (terminal
-- plots); this file adds save.

local plot = require("lgrad.plot.util").plot
require "lgrad.plot.charts"   -- plot.line, plot.bar, plot.regions
require "lgrad.plot.text"     -- plot.text, plot.text_bar
local raise = require "lgrad.raise"

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

return plot
