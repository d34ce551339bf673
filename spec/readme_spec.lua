-- The documentation keeps working: every ```lua snippet of the README and the
-- manual runs as its own program under the Lua of this suite (make test
-- LUA=...), every relative link of README.md and docs/*.md points to a file
-- that exists and, for "#anchor" links, to a heading of that file, and the
-- README stays a short front door.
--
-- Conventions for snippet authors (also in docs/manual.md, "Development"):
-- each ```lua block is a complete program (it requires what it uses). A
-- comment line right before the fence changes that:
--   <!-- norun -->   the block is a fragment and is not run (keep these rare);
--   <!-- lua5.4 -->  the block uses Lua 5.4 syntax (<close>) and runs on 5.4 only.

-- The files whose ```lua blocks are run; add a docs file when its snippets
-- follow the conventions above.
local RUN = { "README.md", "docs/manual.md", "docs/autograd.md" }

local C = require "spec.support.child"
local LUA, ROOT, read, tempdir = C.LUA, C.ROOT, C.read, C.tempdir

local IS54 = _VERSION == "Lua 5.4" and not rawget(_G, "jit")

local function lines(text)
  local t = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do t[#t + 1] = l end
  return t
end

-- The ```lua blocks of a markdown text: { {line =, code =, mark =}, ... },
-- mark being "norun", "lua5.4" or nil.
local function snippets(text)
  local out, ls, i = {}, lines(text), 1
  while i <= #ls do
    local fence = ls[i]:match("^(```+)%s*lua%s*$")
    if fence then
      local mark, j = nil, i - 1
      while j >= 1 and ls[j]:match("^%s*$") do j = j - 1 end
      if j >= 1 then mark = ls[j]:match("^%s*<!%-%-%s*([%w%.]+)%s*%-%->%s*$") end
      local body, start = {}, i
      i = i + 1
      while i <= #ls and ls[i] ~= fence do body[#body + 1] = ls[i]; i = i + 1 end
      out[#out + 1] = { line = start, code = table.concat(body, "\n") .. "\n", mark = mark }
    end
    i = i + 1
  end
  return out
end

-- Run code as a Lua program in a fresh temporary folder (snippets that save
-- files write there); returns its output and exit status.
local function run(code)
  local dir = tempdir()
  local f = assert(io.open(dir .. "/snippet.lua", "wb"))
  f:write(code)
  f:close()
  local out, status = C.run(C.cd(dir) .. C.env("LUA_PATH", C.LPATH) .. C.env("LUA_CPATH", C.CPATH)
    .. LUA .. " snippet.lua 2>&1")
  C.rmdir(dir)
  return out, status
end

-- GitHub's anchor for a heading: lower case, punctuation dropped (UTF-8
-- letters kept), each space a hyphen; repeats get -1, -2, ...
local function slug(heading)
  local s = heading:gsub("%[([^%]]*)%]%b()", "%1"):lower()
  s = s:gsub("[^%w%s%-_\128-\255]", ""):gsub("%s", "-")
  return s
end

local function anchors(text)
  local set, seen, infence = {}, {}, false
  for _, l in ipairs(lines(text)) do
    if l:match("^%s*```") then infence = not infence
    elseif not infence then
      local h = l:match("^#+%s+(.-)%s*#*%s*$")
      if h then
        local a = slug(h)
        if seen[a] then seen[a] = seen[a] + 1; a = a .. "-" .. seen[a] else seen[a] = 0 end
        set[a] = true
      end
      for name in l:gmatch("<a%s+name=\"([^\"]+)\"") do set[name] = true end
    end
  end
  return set
end

-- The link targets of a markdown text outside code: { {line =, target =}, ... }.
local function links(text)
  local out, infence = {}, false
  for n, l in ipairs(lines(text)) do
    if l:match("^%s*```") then infence = not infence
    elseif not infence then
      local plain = l:gsub("``.-``", ""):gsub("`[^`]*`", "")
      for target in plain:gmatch("%]%(([^%s%)]+)[^%)]*%)") do
        out[#out + 1] = { line = n, target = target }
      end
    end
  end
  return out
end

local function docs_files()
  local files = { "README.md" }
  for _, name in ipairs(C.ls("docs")) do
    if name:match("%.md$") then files[#files + 1] = "docs/" .. name end
  end
  return files
end

local function isdir(path)
  return C.isdir(path)
end

describe("the README", function()
  it("is a front door: under 300 lines", function()
    local n = #lines(assert(read("README.md"))) - 1
    assert.is_true(n < 300, "README.md has " .. n .. " lines")
  end)

  it("names the article the project grew from by its title, with its link", function()
    local text = read("README.md")
    assert.is_truthy(text:find("AI 系列: 激活函数 & Softmax 函数", 1, true))
    assert.is_truthy(text:find("https://ningg.top/ai-series-softmax-intro/", 1, true))
    assert.is_falsy(text:lower():find("seed article", 1, true))
  end)

  it("gives the two commands that the Makefile and CI run", function()
    local text, make = read("README.md"), read("Makefile")
    assert.is_truthy(text:find("\nmake demo ", 1, true))
    assert.is_truthy(text:find("\nmake test ", 1, true))
    assert.is_truthy(make:find("\ndemo:", 1, true) and make:find("\ntest:", 1, true))
    assert.is_truthy(read(".ci/run"):find("\nmake test\n", 1, true))
  end)
end)

describe("docs/embedding.md", function()
  it("shows examples/host/minimal.c as it is", function()
    local text = assert(read("docs/embedding.md"))
    local shown = text:match("\n```c\n(/%* minimal%.c.-\n)```\n")
    assert.is_truthy(shown, "no ```c block starting with /* minimal.c")
    assert.are.equal(read("examples/host/minimal.c"), shown)
  end)
end)

describe("the snippets", function()
  it("are found, with their marks", function()
    local s = snippets("a\n<!-- norun -->\n\n```lua\nx()\n```\n```lua\nprint(1)\n```\n" ..
      "<!-- lua5.4 -->\n```lua\nlocal t <close> = nil\n```\n```sh\nmake\n```\n")
    assert.are.equal(3, #s)
    assert.are.same({ "norun", nil, "lua5.4" }, { s[1].mark, s[2].mark, s[3].mark })
    assert.are.equal("print(1)\n", s[2].code)
    assert.are.equal(7, s[2].line)
  end)

  it("fail when a snippet fails (the runner can fail)", function()
    local out, status = run('error("boom")\n')
    assert.are_not.equal(0, status)
    assert.is_truthy(out:find("boom", 1, true))
    local _, ok = run('local lg = require "lgrad"; assert(lg.tensor{1, 2}:sum() == 3)\n')
    assert.are.equal(0, ok)
  end)

  for _, file in ipairs(RUN) do
    local text = assert(read(file), "cannot read " .. file)
    local list = snippets(text)
    it(file .. " has snippets to run", function()
      assert.is_true(#list > 0)
    end)
    for _, s in ipairs(list) do
      local name = ("%s:%d runs under %s"):format(file, s.line, LUA)
      if s.mark == "norun" or (s.mark == "lua5.4" and not IS54) then
        pending(name .. " (" .. s.mark .. ")")
      else
        it(name, function()
          assert(s.mark == nil or s.mark == "lua5.4", "unknown mark <!-- " .. tostring(s.mark) .. " -->")
          local out, status = run(s.code)
          assert(status == 0, ("%s:%d failed (exit %s):\n%s"):format(file, s.line, tostring(status), out))
        end)
      end
    end
  end
end)

describe("the links", function()
  it("slugs headings as GitHub does", function()
    assert.are.equal("plotting-lgradplot", slug("Plotting (lgrad.plot)"))
    assert.are.equal("kernels-without-lua-lgrad_kernelsh", slug("Kernels without Lua (`lgrad_kernels.h`)"))
    assert.are.equal("why-eps--1e-6", slug("Why eps = 1e-6"))
    local a = anchors("# A\n## A\n```\n# not a heading\n```\n")
    assert.is_true(a["a"] and a["a-1"])
    assert.is_nil(a["not-a-heading"])
  end)

  for _, file in ipairs(docs_files()) do
    it("of " .. file .. " point to files and headings that exist", function()
      local text = assert(read(file))
      local dir = file:match("^(.*)/[^/]*$") or "."
      local bad = {}
      for _, l in ipairs(links(text)) do
        local t = l.target
        if not t:match("^%a[%w+.-]*:") then   -- http:, https:, mailto: are not checked
          local path, anchor = t:match("^([^#]*)#?(.*)$")
          local full = path == "" and file or (dir .. "/" .. path)
          local target = read(full)
          if not target and not isdir(full) then
            bad[#bad + 1] = ("line %d: %s (no such file)"):format(l.line, t)
          elseif anchor ~= "" and full:match("%.md$") and not anchors(target)[anchor] then
            bad[#bad + 1] = ("line %d: %s (no such heading)"):format(l.line, t)
          end
        end
      end
      assert(#bad == 0, file .. ": broken links:\n" .. table.concat(bad, "\n"))
    end)
  end
end)
