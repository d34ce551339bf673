-- Peak memory growth of the loops memory_spec.lua bounds, in each
-- collector mode of the running Lua: `make memloops` (LUA=lua5.1 ...).
package.path = "./?.lua;" .. package.path
local M = require "spec.support.memloops"
local function now() return tonumber(io.popen("date +%s.%N"):read("*l")) end

io.write(("%s, each loop in a fresh %s; MB of peak RSS growth (seconds)\n\n"):format(
  jit and jit.version or _VERSION, M.LUA))
io.write("| loop | " .. table.concat(M.MODES, " | ") .. " |\n")
io.write("|---" .. ("|---"):rep(#M.MODES) .. "|\n")
for _, loop in ipairs(M.LOOPS) do
  local cells = {}
  for _, mode in ipairs(M.MODES) do
    local t0 = now()
    local grew, out = M.peak_growth(mode, loop[2], loop[3])
    cells[#cells + 1] = grew and ("%.0f (%.1f s)"):format(grew, now() - t0) or ("error: " .. out)
  end
  io.write("| " .. loop[1] .. " | " .. table.concat(cells, " | ") .. " |\n")
end
