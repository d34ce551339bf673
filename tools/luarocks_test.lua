-- `luarocks test` (the rockspecs' test section): build and run the suite
-- with the Lua luarocks runs this script with, through the busted on PATH
-- (Debian's lua-busted works offline; the busted rock does too), so no
-- test dependency has to be fetched.
local function ok(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end

local lua = (arg and arg[-1] or ""):match("([^/]+)$") or ""
if not (lua:match("^lua5%.[1-4]$") or lua == "luajit") then
  lua = rawget(_G, "jit") and "luajit" or "lua" .. _VERSION:match("%d+%.%d+")
end
if not ok("command -v busted >/dev/null 2>&1") then
  io.stderr:write("luarocks test needs busted on PATH: apt-get install lua-busted "
    .. "(or luarocks install busted)\n")
  os.exit(1)
end
os.exit(ok("make test LUA=" .. lua) and 0 or 1)
