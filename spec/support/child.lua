-- What the specs that run a fresh interpreter share: the interpreter make
-- asked for (make test LUA=...), the checkout, the folder of the lgrad.core
-- this suite loads, shell quoting, and small file helpers.
local C = {}

C.LUA = os.getenv("LGRAD_LUA") or "lua5.4"
C.ROOT = io.popen("pwd"):read("*l")

local function searchpath(name, path)   -- package.searchpath is 5.2+
  for pat in path:gmatch("[^;]+") do
    local file = pat:gsub("%?", (name:gsub("%.", "/")))
    local f = io.open(file)
    if f then f:close() return file end
  end
end
C.CORE_DIR = assert(searchpath("lgrad.core", package.cpath)):gsub("/lgrad/core%.so$", "")
if C.CORE_DIR:sub(1, 1) ~= "/" then C.CORE_DIR = C.ROOT .. "/" .. C.CORE_DIR:gsub("^%./", "") end

function C.q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- LUA_PATH and LUA_CPATH for a command line: this checkout's lgrad.
C.LPATH = C.ROOT .. "/lua/?.lua;" .. C.ROOT .. "/lua/?/init.lua;;"
C.CPATH = C.CORE_DIR .. "/?.so;;"

function C.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")   -- "*a": 5.1/5.2 need the star
  f:close()
  return s
end

function C.tempdir()
  local name = os.tmpname()
  os.remove(name)
  assert(os.execute("mkdir -p " .. C.q(name)))
  return name
end

return C
