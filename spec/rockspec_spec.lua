-- The rockspecs: every C source and Lua module of the checkout is built and
-- installed by both, and the versioned one differs from scm-1 only in its
-- version and source.
local function load_rockspec(path)
  local f = assert(io.open(path))
  local text = f:read("*a")
  f:close()
  local env = {}
  local chunk
  if setfenv then   -- 5.1 / LuaJIT
    chunk = assert(loadstring(text, "=" .. path))
    setfenv(chunk, env)
  else
    chunk = assert(load(text, "=" .. path, "t", env))
  end
  chunk()
  return env
end

-- The files in dir and in its folders one level down whose names end in
-- ext, as "dir/name" and "dir/sub/name" (what `ls dir/*ext dir/*/*ext` lists).
local function files(dir, ext)
  local C = require "spec.support.child"
  local r = {}
  for _, name in ipairs(C.ls(dir)) do
    local path = dir .. "/" .. name
    if C.isdir(path) then
      for _, sub in ipairs(C.ls(path)) do
        if sub:sub(-#ext) == ext then r[#r + 1] = path .. "/" .. sub end
      end
    elseif name:sub(-#ext) == ext then
      r[#r + 1] = path
    end
  end
  return r
end

local function same(a, b)   -- deep equality of plain tables
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

describe("the rockspecs", function()
  local scm = load_rockspec("lgrad-scm-1.rockspec")
  local rel = load_rockspec("rockspecs/lgrad-0.1.0-1.rockspec")

  it("build every C source and install every Lua module", function()
    local sources = {}
    for _, s in ipairs(scm.build.modules["lgrad.core"].sources) do sources[s] = true end
    for _, c in ipairs(files("src", ".c")) do
      assert.is_true(sources[c] == true, c .. " is not in the rockspec's sources")
    end
    for _, l in ipairs(files("lua/lgrad", ".lua")) do
      local name = l:match("^lua/(.*)%.lua$"):gsub("/init$", ""):gsub("/", ".")
      assert.are.equal(l, scm.build.modules[name], name .. " is not installed")
    end
  end)

  it("agree except for version and source", function()
    assert.are.equal("scm-1", scm.version)
    assert.are.equal("0.1.0-1", rel.version)
    assert.truthy(rel.source.url:find("^https://.*v0%.1%.0%.tar%.gz$"))
    assert.are.equal("lgrad-0.1.0", rel.source.dir)
    for _, k in ipairs { "package", "rockspec_format", "description", "dependencies", "build", "test" } do
      assert.is_true(same(scm[k], rel[k]), k .. " differs")
    end
  end)

  it("link pthread on Unix only (Windows: src/core/pool.c uses Win32 threads)", function()
    assert.is_nil(scm.build.modules["lgrad.core"].libraries)
    assert.is_true(same({ unix = { modules = { ["lgrad.core"] = { libraries = { "pthread" } } } } },
      scm.build.platforms))
  end)

  it("test without the busted rock", function()
    assert.are.equal("command", scm.test.type)
    assert.is_nil(scm.test_dependencies)
  end)
end)
