-- raise(msg, level): error(msg, level) for lgrad's Lua-layer functions that
-- still names a file:line when the function was tail-called
-- (`return lg.one_hot(x)`). A tail call removes its caller's frame (Lua 5.1
-- leaves a "(tail call)" marker without a line), so error(msg, 2) may land
-- on the marker or on a C function such as pcall and print no position;
-- raise then reports the nearest frame further out that has a line.
local getinfo = debug.getinfo
local has_t = pcall(getinfo, 1, "t")   -- istailcall: 5.2+

return function(msg, level)
  local l = (level or 1) + 1   -- counted from raise's own frame
  local fn = getinfo(l - 1, has_t and "t" or "S")
  local at = getinfo(l, "Sl")
  if (fn and fn.istailcall) or (at and at.what == "tail") then
    while at and not (at.currentline and at.currentline > 0) do
      l = l + 1
      at = getinfo(l, "Sl")
    end
    if at == nil then l = 0 end
  end
  error(msg, l)
end
