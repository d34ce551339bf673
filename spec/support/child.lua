-- What the specs that run a fresh interpreter share: the interpreter make
-- asked for (make test LUA=...), the checkout, the folder of the lgrad.core
-- this suite loads, shell quoting, and small file helpers. On Windows
-- (tools/wine.sh) io.popen and os.execute go through cmd.exe, so the
-- command lines are built here for either shell.
local C = {}

C.windows = package.config:sub(1, 1) == "\\"
C.LUA = os.getenv("LGRAD_LUA") or "lua5.4"
C.ROOT = io.popen(C.windows and "cd" or "pwd"):read("*l")
C.SO = C.windows and "dll" or "so"

local function searchpath(name, path)   -- package.searchpath is 5.2+
  for pat in path:gmatch("[^;]+") do
    local file = pat:gsub("%?", (name:gsub("%.", "/")))
    local f = io.open(file)
    if f then f:close() return file end
  end
end
C.CORE_DIR = assert(searchpath("lgrad.core", package.cpath)):gsub("[/\\]lgrad[/\\]core%.%w+$", "")
if not (C.CORE_DIR:match("^[/\\]") or C.windows and C.CORE_DIR:match("^%a:")) then
  C.CORE_DIR = C.ROOT .. "/" .. C.CORE_DIR:gsub("^%./", "")
end

-- One word for the shell: sh's single quotes; cmd.exe's double quotes (a
-- word with a double quote in it cannot be passed there, and none is).
function C.q(s)
  if C.windows then
    assert(not s:find('"', 1, true), "a double quote in a cmd.exe word")
    return '"' .. s .. '"'
  end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The start of a command line that sets the environment variable name to
-- value (a string) or unsets it (value false) for the command after it.
function C.env(name, value)
  if C.windows then return 'set "' .. name .. "=" .. (value or "") .. '"&& ' end
  if value then return name .. "=" .. C.q(value) .. " " end
  return "env -u " .. name .. " "
end

-- The start of a command line that runs the rest in folder dir.
function C.cd(dir) return (C.windows and "cd /d " or "cd ") .. C.q(dir) .. " && " end

-- Runs cmd (stderr is the command's business); its stdout and exit status.
-- Lua 5.1's close gives no status, so sh echoes it; cmd.exe's %errorlevel%
-- is expanded before the line runs, so there the status is close's (the
-- Windows interpreter is 5.4).
function C.run(cmd)
  if C.windows then
    local p = io.popen(cmd)
    local out = p:read("*a")
    local _, _, code = p:close()
    return out, code
  end
  local p = io.popen(cmd .. '; echo "exit=$?"')
  local out = p:read("*a")
  p:close()
  local code = tonumber(out:match("exit=(%d+)%s*$"))
  return (out:gsub("exit=%d+%s*$", "")), code
end

-- LUA_PATH and LUA_CPATH for a command line: this checkout's lgrad.
C.LPATH = C.ROOT .. "/lua/?.lua;" .. C.ROOT .. "/lua/?/init.lua;;"
C.CPATH = C.CORE_DIR .. "/?." .. C.SO .. ";;"

function C.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")   -- "*a": 5.1/5.2 need the star
  f:close()
  return s
end

-- A fresh file name. Windows' tmpnam (os.tmpname there) names a file in
-- the root of the current drive, which users may not write: it goes under
-- %TEMP% instead, skipping names taken there (tmpnam checks the root only).
function C.tmpname()
  local name = os.tmpname()
  if C.windows and name:match("^[/\\][^/\\]+$") then
    local lfs = require "lfs"
    local temp = os.getenv("TEMP") or os.getenv("TMP") or "."
    while lfs.attributes(temp .. name) do name = os.tmpname() end
    name = temp .. name
  end
  return name
end

-- A file holding the Lua chunk src, for `LUA file` (a chunk cannot be
-- quoted for cmd.exe's command line); remove it after use.
function C.chunk_file(src)
  local name = C.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(src)
  f:close()
  return name
end

local function ok(r) return r == true or r == 0 end

function C.tempdir()
  local name = C.tmpname()
  os.remove(name)
  assert(ok(os.execute((C.windows and "mkdir " or "mkdir -p ") .. C.q(name))))
  return name
end

-- (Windows may refuse while a child that just ended still has the folder
-- as its current one: a few more tries)
function C.rmdir(dir)
  for _ = 1, C.windows and 5 or 1 do
    os.execute((C.windows and "rmdir /s /q " or "rm -rf ") .. C.q(dir) .. (C.windows and " 2>nul" or ""))
    if not C.windows or not C.isdir(dir) then return end
  end
end

-- The names in folder dir, sorted (lfs: busted itself needs it).
function C.ls(dir)
  local lfs = require "lfs"
  local names = {}
  for name in lfs.dir(dir) do
    if name ~= "." and name ~= ".." then names[#names + 1] = name end
  end
  table.sort(names)
  return names
end

-- (Windows' stat refuses a trailing slash)
function C.isdir(path)
  return require("lfs").attributes((path:gsub("(.)[/\\]+$", "%1")), "mode") == "directory"
end

return C
