-- fuzz_misuse.lua - seeded misuse fuzzer for the Lua API of lgrad.
--
-- Calls every public function of require "lgrad" (found with pairs, so
-- functions added later are covered without editing this file), every
-- tensor method and every metamethod with random and hostile arguments.
-- Each call must either return (tensor results with a sane shape) or raise
-- a string error that starts with "bad argument" / "calling '...' on bad
-- self" or is on the short whitelist below. Anything else - a crash, a
-- non-string error, "attempt to index a nil value" from the Lua layer, a
-- tensor with a negative size - is a finding.
--
--   as a script:  FUZZ_N=200000 FUZZ_SEED=1 lua5.4 tools/fuzz_misuse.lua
--   as a module:  local fuzz = dofile "tools/fuzz_misuse.lua"
--                 local stats = fuzz.run{ n = 5000, seed = 1 }
--
-- Sizes in the pools are either tiny (<= 9) or absurd (>= 2^40), never in
-- between, so a legal request can never allocate gigabytes and a run stays
-- fast and bounded.

local lg = require "lgrad"
local core = require "lgrad.core"

local M = {}
local unpack = table.unpack or unpack
local function pack(...) return { n = select("#", ...), ... } end

-- Errors that are not argument errors but are clear and expected.
M.whitelist = {
  "^not enough memory",   -- Lua's own, for a userdata header
  "^[%w_]+: not enough memory for a %[[%d, ]*%] float%d%d tensor$",
  "^[%w_]+: not enough memory for [%w ]+$",
  "^[%w_]+: tensor too large %(%[[%d, ]*%] float%d%d%)$",
  "^tensor too large",
  "^tensor with more than %d+ dims",
  "^length of a 0%-d tensor",
  "^lg%.grad: ",   -- autograd's own errors name it (a callback misusing a traced value)
}

-- Functions whose (only) job is to take callbacks get simple ones from the
-- pool like every other function; nothing is skipped by name except what
-- would change global state the rest of the run relies on.
M.skip = {}

-- Park-Miller LCG in doubles: the same stream on every Lua version.
local function rng(seed)
  local x = (math.floor(seed) % 2147483646) + 1
  local r = {}
  function r.next()
    x = (16807 * x) % 2147483647
    return x
  end
  function r.int(a, b) return a + r.next() % (b - a + 1) end
  function r.pick(t) return t[r.int(1, #t)] end
  function r.chance(p) return r.next() / 2147483647 < p end
  return r
end

local NAN, INF = 0 / 0, math.huge
local maxint = math.maxinteger or 2 ^ 53
local minint = math.mininteger or -2 ^ 53

local smallsizes = { 0, 1, 1, 2, 2, 3, 3, 4, 5, 7, 8, 9 }
local hugesizes = { 2 ^ 40, 2 ^ 47, 2 ^ 48, 2 ^ 48 + 1, 2 ^ 53, 2 ^ 62, 2 ^ 63, maxint, 1e300, INF }
local badnums = { -1, -2, -0.0, 0.5, 2.5, -2 ^ 40, minint, NAN, -INF }
local values = { 0, 1, -1, 0.25, -3.5, 1e-45, 1e38, 3.4e38, 1e308, -1e308, 5e-324, 88, -88, 1e4,
  -1e4, NAN, INF, -INF }

local function cyclic()
  local t = { 1, 2 }
  t[3] = t
  return t
end

local function deep(n)
  local t = { 1 }
  for _ = 1, n do t = { t } end
  return t
end

-- A random tensor: shapes with 0..4 dims of size 0..4, either dtype,
-- filled with ordinary and extreme values, sometimes as a non-contiguous
-- view, a row view, a 0-d tensor or a closed tensor.
-- dims (when given) is this batch's small set of sizes: tensors built
-- from it broadcast and multiply with each other far more often.
local function rand_tensor(r, dims)
  local nd = r.int(0, dims and 3 or 4)
  local shape = {}
  for i = 1, nd do shape[i] = dims and r.pick(dims) or r.pick { 0, 1, 1, 2, 2, 3, 4 } end
  local dt = r.chance(0.5) and "float32" or "float64"
  local t = lg.zeros(shape, dt)
  local n = t:numel()
  if n > 0 and nd > 0 then
    local flat = t:view(n)
    for i = 1, n do flat[i] = r.chance(0.8) and (r.next() % 200 - 100) / 8 or r.pick(values) end
  end
  local k = r.int(1, 10)
  if k == 1 and nd >= 2 then t = t:transpose(1, nd)
  elseif k == 2 and nd >= 2 and shape[1] > 0 then t = t[r.int(1, shape[1])]
  elseif k == 3 and nd == 2 then t = t:t()
  elseif k == 4 then t:close()
  end
  return t
end

local callbacks = {
  function(x) return x end,
  function(x) return type(x) == "number" and x * x or lg.is_tensor(x) and x * x or x end,
  function(x) return lg.is_tensor(x) and x:sum() or 0 end,
  function() error("callback failed") end,
  function() return nil end,
}

-- One argument: mostly a tensor or a small size, sometimes anything.
local function rand_arg(r, tensors)
  local k = r.int(1, 27)
  if k >= 25 then
    -- class-index targets fitting a pool tensor's first dim (1-based),
    -- as a table or a tensor, sometimes one out of range
    local t = r.pick(tensors)
    local n = (not t:is_closed() and t:dim() >= 1) and t:size(1) or 1
    local idx = {}
    for i = 1, n do idx[i] = r.int(1, 4) end
    if n > 0 and r.chance(0.2) then idx[r.int(1, n)] = r.pick { 0, -1, 5, 100, 1.5, NAN } end
    if k == 25 then return idx end
    local ok, tt = pcall(lg.tensor, idx, r.chance(0.5) and "float64" or nil)
    return ok and tt or idx
  end
  if k <= 6 then return r.pick(tensors)
  elseif k <= 10 then return r.pick(smallsizes)
  elseif k == 11 then return r.pick(hugesizes)
  elseif k == 12 then return r.pick(badnums)
  elseif k == 13 then return r.pick(values)
  elseif k == 14 and r.chance(0.5) and type(lg.activations) == "table" and #lg.activations > 0 then
    return r.pick(lg.activations)   -- names for lg.derivative and friends
  elseif k == 14 then return r.pick { "float32", "float64", "int32", "", "2", "1e3", " 3 ", "0x10",
      "nan", "-1", "sum", "mean", "none" }
  elseif k == 15 then return r.pick { nil, true, false }
  elseif k == 16 then
    return r.pick { {}, { 1, 2, 3 }, { { 1, 2 }, { 3, 4 } }, { 1, nil, 3 }, { [2] = 1 },
      { { 1 }, { 2, 3 } }, { { 1, 2 }, 3 }, { "1", "2" }, { x = 1 }, { {}, {} }, { { {} } },
      { 1, 2, NAN }, { INF, -INF }, { 2, 3 }, { 0, 4 }, { -1, 2 }, { 2 ^ 40, 2 ^ 40 }, { 1.5 },
      { 1, 1, 1, 1, 1, 1, 1, 1, 1 } }
  elseif k == 17 then return cyclic()
  elseif k == 18 then return deep(r.int(7, 12))
  elseif k == 19 then return r.pick(callbacks)
  elseif k == 20 then return r.pick { io.stdout, coroutine.create(function() end), tostring }
  elseif k == 21 then return r.pick { -1, 1, 2, -2, 3, 9, -9 }   -- dims
  else
    -- a table of a tensor's shape, so "out" and shape arguments sometimes fit
    local t = r.pick(tensors)
    return t:is_closed() and {} or t:shape()
  end
end

local function sane_tensor(t)
  if t:is_closed() then return true end
  local nd = t:dim()
  if type(nd) ~= "number" or nd < 0 or nd > 8 then return false, "bad ndim " .. tostring(nd) end
  local shape, n = t:shape(), 1
  if #shape ~= nd then return false, "shape length" end
  for i = 1, nd do
    local s = shape[i]
    if math.type and math.type(s) ~= "integer" or s < 0 or s > 2 ^ 48 then
      return false, "bad size " .. tostring(s)
    end
    n = n * s
  end
  if t:numel() ~= n then return false, "numel " .. t:numel() .. " vs " .. n end
  if n <= 4096 then t:sum() end   -- the elements are readable
  return true
end

local function ok_error(msg)
  if type(msg) ~= "string" then return false end
  msg = msg:gsub("^[^:\n]*:%d+: ", "")
  if msg:find("^bad argument #%d+ to '[^']+' %(") then return true end
  if msg:find("^calling '[^']+' on bad self") then return true end
  if msg == "callback failed" then return true end
  for _, p in ipairs(M.whitelist) do
    if msg:find(p) then return true end
  end
  return false
end

-- lg.save_npy writes where it is told: the fuzzer's strings ("sum",
-- "float64") would become files in the current folder, so its path goes
-- under a temporary folder (other arguments as they are).
local function confined_save(dir)
  return function(t, path, ...)
    if type(path) == "string" then path = dir .. "/" .. path:gsub("[/%z]", "_") end
    return lg.save_npy(t, path, ...)
  end
end

-- The callable targets: {label, function, is_method}.
local function targets(tmpdir)
  local list = {}
  local names = {}
  for k in pairs(lg) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    if type(lg[k]) == "function" and not M.skip[k] then
      local f = lg[k]
      if k == "save_npy" then f = confined_save(tmpdir) end
      list[#list + 1] = { "lg." .. k, f, false }
    end
  end
  names = {}
  for k in pairs(core._methods) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    if type(core._methods[k]) == "function" and not M.skip[k] then
      list[#list + 1] = { "t:" .. k, core._methods[k], true }
    end
  end
  names = {}
  for k, v in pairs(core._metatable) do
    if type(v) == "function" then names[#names + 1] = k end
  end
  table.sort(names)
  for _, k in ipairs(names) do list[#list + 1] = { "mt." .. k, core._metatable[k], true } end
  return list
end

local function show(v)
  if lg.is_tensor(v) then
    if v:is_closed() then return "<closed>" end
    return ("<%s %s%s>"):format(v:dtype(), table.concat(v:shape(), "x"),
      v:is_contiguous() and "" or " nc")
  elseif type(v) == "string" then return ("%q"):format(v)
  elseif type(v) == "table" then return "{#" .. #v .. "}"
  end
  return tostring(v)
end

--- Run n calls from seed; returns {calls=, returned=, errors=, findings={...}, per={}}.
function M.run(opts)
  local n, seed = opts.n or 5000, opts.seed or 1
  local r = rng(seed)
  local tmpdir = os.tmpname()
  os.remove(tmpdir)
  -- Windows' tmpnam names a file in the drive's root: under %TEMP% instead
  local windows = package.config:sub(1, 1) == "\\"
  if windows and tmpdir:match("^[/\\][^/\\]+$") then tmpdir = (os.getenv("TEMP") or ".") .. tmpdir end
  os.execute(windows and ('mkdir "' .. tmpdir .. '"') or ("mkdir -p '" .. tmpdir .. "'"))
  local list = targets(tmpdir)
  local st = { calls = 0, returned = 0, errors = 0, findings = {}, targets = #list, per = {} }
  local tensors = {}
  for i = 1, n do
    if i % 8 == 1 then
      local dims = r.chance(0.6) and { r.int(0, 4), r.int(1, 4), 1 } or nil
      for j = 1, 6 do tensors[j] = rand_tensor(r, dims) end
      -- Views that share storage with another pool tensor, for aliasing.
      local base = tensors[1]
      if not base:is_closed() and base:dim() >= 2 and base:size(1) > 0 then
        tensors[7] = r.chance(0.5) and base:transpose(1, 2) or base[1]
      else
        tensors[7] = base
      end
      tensors[8] = r.chance(0.5) and tensors[2] or lg.zeros(tensors[2]:is_closed() and {} or tensors[2]:shape())
    end
    local tg = list[r.int(1, #list)]
    local argc = r.int(0, 5)
    local args = {}
    -- Half the calls are plausible (tensors first, then nil or small
    -- numbers) to get past the first checks; half are anything at all.
    local plausible = r.chance(0.5)
    for j = 1, argc do
      if plausible and j <= 2 and r.chance(0.75) then args[j] = r.pick(tensors)
      elseif plausible and j > 2 and r.chance(0.6) then args[j] = r.pick { nil, nil, 1, 2, -1, true }
      else args[j] = rand_arg(r, tensors) end
    end
    if (tg[3] or plausible) and r.chance(0.85) then args[1] = r.pick(tensors); if argc < 1 then argc = 1 end end
    if plausible and not tg[3] and r.chance(0.15) and type(lg.activations) == "table" then
      table.insert(args, 1, r.pick(lg.activations))   -- derivative("NAME", x, ...)
      argc = argc + 1
    end
    -- Self-aliasing out: the same tensor as input and output.
    if argc >= 2 and r.chance(0.1) then args[argc] = args[1] end
    if r.chance(0.05) and argc >= 1 then args[argc + 1] = args[1]; argc = argc + 1 end
    local res = pack(pcall(tg[2], unpack(args, 1, argc)))
    st.calls = st.calls + 1
    local per = st.per[tg[1]] or { 0, 0 }
    st.per[tg[1]] = per
    per[1] = per[1] + 1
    if res[1] then per[2] = per[2] + 1 end
    local problem
    if res[1] then
      st.returned = st.returned + 1
      for j = 2, res.n do
        if lg.is_tensor(res[j]) then
          local ok, good, why = pcall(sane_tensor, res[j])
          if not ok then problem = "unreadable result: " .. tostring(good)
          elseif not good then problem = "insane result: " .. tostring(why) end
        end
      end
    else
      st.errors = st.errors + 1
      if not ok_error(res[2]) then problem = "unclear error: " .. tostring(res[2]) end
    end
    if problem and #st.findings < 50 then
      local shown = {}
      for j = 1, argc do shown[j] = show(args[j]) end
      st.findings[#st.findings + 1] = ("%s(%s): %s"):format(tg[1], table.concat(shown, ", "), problem)
    end
  end
  lg.seed(0)   -- leave the generator as a fresh state has it
  if lg.set_num_threads then lg.set_num_threads(1) end   -- and no worker threads
  if lg.set_printoptions then lg.set_printoptions { profile = "default" } end   -- and torch's print options
  os.execute(windows and ('rmdir /s /q "' .. tmpdir .. '"') or ("rm -rf '" .. tmpdir .. "'"))
  collectgarbage()
  return st
end

if arg and arg[0] and arg[0]:find("fuzz_misuse%.lua$") then
  local n = tonumber(os.getenv("FUZZ_N") or "200000")
  local seed = tonumber(os.getenv("FUZZ_SEED") or "1")
  local t0 = os.clock()
  local st = M.run { n = n, seed = seed }
  print(("misuse fuzz: seed %d, %d targets, %d calls (%d returned, %d raised) in %.1f s")
    :format(seed, st.targets, st.calls, st.returned, st.errors, os.clock() - t0))
  if os.getenv("FUZZ_VERBOSE") then
    local names = {}
    for k in pairs(st.per) do names[#names + 1] = k end
    table.sort(names)
    for _, k in ipairs(names) do print(("  %-18s %7d calls %7d returned"):format(k, st.per[k][1], st.per[k][2])) end
  end
  for _, f in ipairs(st.findings) do print("FINDING " .. f) end
  os.exit(#st.findings == 0 and 0 or 1)
end

return M
