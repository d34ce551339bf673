-- lgrad: float tensors and the math at the top of a classifier.
-- The C module lgrad.core does the work; this layer adds what reads
-- better in Lua (printing, one_hot) and is what users require.
local core = require "lgrad.core"

local lg = {}
for k, v in pairs(core) do
  if k:sub(1, 1) ~= "_" then lg[k] = v end
end

local methods, mt = core._methods, core._metatable

lg._VERSION = "lgrad scm"

--- Is v an lgrad tensor?
function lg.is_tensor(v)
  return getmetatable(v) == mt
end

local raise = require "lgrad.raise"
-- Raised at the caller of the public function; depth counts the helper
-- levels between that function and argerror.
local function argerror(n, fname, msg, depth)
  raise(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), 3 + (depth or 0))
end

local function check_dtype(n, fname, dtype, depth)
  if dtype ~= nil and dtype ~= "float32" and dtype ~= "float64" then
    argerror(n, fname, "dtype must be \"float32\" or \"float64\", got " .. tostring(dtype), 1 + (depth or 0))
  end
end

local function check_open(n, fname, t)
  if not lg.is_tensor(t) then
    argerror(n, fname, "lgrad.Tensor expected, got " .. type(t), 1)
  elseif t:is_closed() then
    argerror(n, fname, "tensor is closed", 1)
  end
end

-- one_hot(indices [, num_classes [, dtype]]), as torch.nn.functional.one_hot
-- with 1-based indices: a number or 0-d tensor gives [C], indices of shape
-- S give S x C; num_classes defaults to the largest index; float32 unless
-- dtype says otherwise.
function lg.one_hot(indices, num_classes, dtype)
  local list, shape
  check_dtype(3, "one_hot", dtype)
  if type(indices) == "number" then
    list, shape = { indices }, {}
  elseif type(indices) == "table" and not lg.is_tensor(indices) and type(indices[1]) == "table" then
    local ok, t = pcall(core.tensor, indices, "float64")
    if not ok then argerror(1, "one_hot", (tostring(t):gsub("^.-%((.*)%)$", "%1"))) end
    indices = t
  end
  if lg.is_tensor(indices) then
    check_open(1, "one_hot", indices)
    shape = indices:shape()
    local n = indices:numel()
    list = n == 0 and {} or indices:reshape(n):totable()
  elseif type(indices) == "table" then
    list, shape = indices, { #indices }
  elseif list == nil then
    argerror(1, "one_hot", "integer, table or lgrad.Tensor expected, got " .. type(indices))
  end
  local n = #list
  if num_classes == nil then   -- like PyTorch: infer from the largest index
    num_classes = 0
    for i = 1, n do
      local c = list[i]
      if type(c) == "number" and c > num_classes then num_classes = c end
    end
  end
  if type(num_classes) ~= "number" or num_classes < 1 or num_classes ~= math.floor(num_classes) then
    argerror(2, "one_hot", "positive integer expected")
  end
  if num_classes * math.max(n, 1) > 2^48 then   -- lgrad's size limit, before zeros says it
    argerror(2, "one_hot", "tensor too large")
  end
  local ok, t = pcall(lg.zeros, n, num_classes, dtype)
  if not ok then   -- zeros' message, as one_hot's and at the caller's line
    raise((tostring(t):gsub("^.-zeros: ", "one_hot: ")), 2)
  end
  for i = 1, n do
    local c = list[i]
    if type(c) ~= "number" or c ~= math.floor(c) or c < 1 or c > num_classes then
      argerror(1, "one_hot", ("index %s at position %d out of range 1..%d")
        :format(tostring(c), i, num_classes))
    end
    t:set(i, c, 1)
  end
  shape[#shape + 1] = num_classes
  return #shape == 2 and t or t:reshape(shape)
end

-- zeros_like(t [, dtype]) and friends: t's shape, t's dtype unless given.
-- An allocation failure names the _like function, at the caller's line.
local function like(fname, make, dtype_arg)
  return function(t, ...)
    check_open(1, fname, t)
    local dtype = select(dtype_arg - 1, ...)
    check_dtype(dtype_arg, fname, dtype)
    if fname == "full_like" and type((...)) ~= "number" then
      argerror(2, fname, "number expected, got " .. type((...)))
    end
    local ok, r = pcall(make, t:shape(), dtype or t:dtype(), ...)
    if not ok then raise((tostring(r):gsub("^.-%f[%w_][%w_]+: not enough memory", fname .. ": not enough memory")), 2) end
    return r
  end
end
lg.zeros_like = like("zeros_like", function(shape, dt) return lg.zeros(shape, dt) end, 2)
lg.ones_like = like("ones_like", function(shape, dt) return lg.ones(shape, dt) end, 2)
lg.randn_like = like("randn_like", function(shape, dt) return lg.randn(shape, dt) end, 2)
lg.rand_like = like("rand_like", function(shape, dt) return lg.rand(shape, dt) end, 2)
lg.full_like = like("full_like", function(shape, dt, value) return lg.full(shape, value, dt) end, 3)

-- accuracy(z, y): the fraction of samples whose argmax over the last dim
-- of z is the target; y as the losses take it (a class index for 1-d z,
-- N class indices, or probabilities / one-hot rows of z's shape, compared
-- by their argmax). A number in [0, 1]; NaN for N = 0, as a mean of nothing.
function lg.accuracy(z, y)
  if type(z) == "table" and not lg.is_tensor(z) then
    local ok, t = pcall(core.tensor, z)
    if not ok then argerror(1, "accuracy", (tostring(t):gsub("^.-%((.*)%)$", "%1"))) end
    z = t
  end
  check_open(1, "accuracy", z)
  local nd = z:dim()
  if nd ~= 1 and nd ~= 2 then
    argerror(1, "accuracy", ("1-d [C] or 2-d [N, C] tensor expected, got %d-d"):format(nd))
  end
  if z:size(nd) == 0 then argerror(1, "accuracy", "no classes (the last dim is empty)") end
  local n = nd == 2 and z:size(1) or 1
  local pred = z:argmax(nd)   -- float indices, exact (argmax refuses dims past 2^24 in float32)
  if type(y) == "number" then y = { y } end
  if type(y) == "table" and not lg.is_tensor(y) then
    for i = 1, #y do
      if type(y[i]) ~= "number" then
        argerror(2, "accuracy", ("target at sample %d is a %s, expected a class index"):format(i, type(y[i])))
      end
    end
    y = core.tensor(y, "float64")
  end
  check_open(2, "accuracy", y)
  if y:dim() == nd and nd > 0 and y:size(nd) == z:size(nd) and (nd == 1 and y:numel() > 1 or nd == 2) then
    for d = 1, nd do
      if y:size(d) ~= z:size(d) then
        argerror(2, "accuracy", "probability targets must have the logits' shape")
      end
    end
    y = y:argmax(nd)
  end
  if y:numel() ~= n or y:dim() > 1 then
    argerror(2, "accuracy", ("expected %d class %s, got a tensor of shape [%s]")
      :format(n, n == 1 and "index" or "indices", table.concat(y:shape(), ", ")))
  end
  y = y:reshape(n):astype("float64")
  pred = pred:reshape(n):astype("float64")
  if n == 0 then return 0 / 0 end
  return lg.eq(pred, y):sum() / n
end

-- .npy files -----------------------------------------------------------
-- NumPy's format (numpy.lib.format): "\x93NUMPY", version, header length,
-- a Python dict literal {'descr': '<f4', 'fortran_order': False,
-- 'shape': (2, 3), } padded with spaces to a multiple of 64 bytes, then the
-- elements. lgrad reads float32/float64 of either byte order, C or Fortran
-- order, 0-8 dims (versions 1-3), and writes version 1.0, C order, native.

function lg.save_npy(t, path)
  check_open(1, "save_npy", t)
  if type(path) ~= "string" then argerror(2, "save_npy", "string expected, got " .. type(path)) end
  local data, order = core._npy_encode(t)
  local dims = {}
  for i, n in ipairs(t:shape()) do dims[i] = ("%d"):format(n) end
  local shape = #dims == 1 and "(" .. dims[1] .. ",)" or "(" .. table.concat(dims, ", ") .. ")"
  local h = ("{'descr': '%s%s', 'fortran_order': False, 'shape': %s, }")
    :format(order, t:dtype() == "float64" and "f8" or "f4", shape)
  h = h .. (" "):rep((64 - (10 + #h + 1) % 64) % 64) .. "\n"
  local f, e = io.open(path, "wb")
  local ok = f and f:write("\147NUMPY\1\0", string.char(#h % 256, math.floor(#h / 256)), h, data)
  if f then
    local cok, ce = f:close()
    if ok then ok, e = cok, ce end
  end
  if not ok then argerror(2, "save_npy", "cannot write " .. tostring(e or path)) end
  return path
end

local NATIVE = select(2, core._npy_encode(core.zeros(0)))

local function le_int(s, i, n)   -- n bytes at i, little-endian
  local v = 0
  for k = n - 1, 0, -1 do v = v * 256 + s:byte(i + k) end
  return v
end

function lg.load_npy(path)
  if type(path) ~= "string" then argerror(1, "load_npy", "string expected, got " .. type(path)) end
  local f, e = io.open(path, "rb")
  if not f then argerror(1, "load_npy", "cannot open " .. tostring(e)) end
  local s = f:read("*a")
  f:close()
  local function bad(msg) argerror(1, "load_npy", path .. ": " .. msg, 1) end
  if s == nil then bad("cannot read") end
  if s:sub(1, 6) ~= "\147NUMPY" then bad("not a .npy file (no \\x93NUMPY magic)") end
  local major = s:byte(7)
  local hl = major == 1 and 2 or 4
  if major ~= 1 and major ~= 2 and major ~= 3 then bad("unsupported .npy version " .. tostring(major)) end
  if #s < 8 + hl then bad("truncated header") end
  local hlen = le_int(s, 9, hl)
  local start = 8 + hl + hlen   -- 0-based offset of the data
  if #s < start then bad("truncated header") end
  local h = s:sub(9 + hl, start)
  local function field(name, pat)
    return h:match("['\"]" .. name .. "['\"]%s*:%s*" .. pat)
  end
  local descr, fortran, shape = field("descr", "['\"]([^'\"]*)['\"]"), field("fortran_order", "(%a+)"),
    field("shape", "%(([^%)]*)%)")
  if not h:match("^%s*{") or not (descr and fortran and shape) then
    bad("header is not a dict with 'descr', 'fortran_order' and 'shape'")
  end
  local order, kind = descr:match("^([<>=]?)(f[48])$")
  if not order then
    bad(("dtype '%s' is not float32 or float64 ('<f4', '>f4', '<f8', '>f8')"):format(descr))
  end
  if order == "" or order == "=" then order = NATIVE end
  if fortran ~= "True" and fortran ~= "False" then bad("fortran_order must be True or False") end
  local dims, list = {}, shape:gsub("%s", ""):gsub(",$", "")
  if list ~= "" then
    for item in (list .. ","):gmatch("([^,]*),") do
      if not item:match("^%d+L?$") or #item > 16 then bad("shape (" .. shape .. ") is not a tuple of sizes") end
      dims[#dims + 1] = tonumber((item:gsub("L", "")))
    end
  end
  if #dims > 8 then bad(("%d dims, lgrad has at most 8"):format(#dims)) end
  local n = #dims
  local stored = dims
  if fortran == "True" then   -- Fortran order is C order of the reversed shape
    stored = {}
    for i = 1, n do stored[i] = dims[n + 1 - i] end
  end
  local ok, t = pcall(core._npy_decode, s, start, order, kind == "f8" and "float64" or "float32", stored)
  if not ok then bad((tostring(t):gsub("^.-%((.*)%)$", "%1"))) end
  if fortran == "True" and n > 1 then
    for i = 1, math.floor(n / 2) do t = t:transpose(i, n + 1 - i) end
    t = t:contiguous()
  end
  return t
end

-- Printing ------------------------------------------------------------
-- torch.set_printoptions' names and defaults. precision is digits after
-- the point (fixed) or of the mantissa (scientific); left at its default,
-- it grows (to 8 for float32, 16 for float64) until the shown elements that
-- differ print differently. sci_mode: true, false or "auto" (nil in torch).

local unpack = table.unpack or unpack   -- 5.1 and LuaJIT
local PROFILES = {
  default = { precision = 4, threshold = 1000, edgeitems = 3, linewidth = 80 },
  short = { precision = 2, threshold = 1000, edgeitems = 2, linewidth = 80 },
  full = { precision = 4, threshold = math.huge, edgeitems = 3, linewidth = 80 },
}
local popt = { precision = 4, threshold = 1000, edgeitems = 3, linewidth = 80, sci_mode = "auto",
               auto_precision = true }

function lg.set_printoptions(o)
  if type(o) ~= "table" then argerror(1, "set_printoptions", "table expected, got " .. type(o)) end
  local new = {}
  for k, v in pairs(popt) do new[k] = v end
  for k, v in pairs(o) do
    local bad
    if k == "profile" then
      if not PROFILES[v] then bad = "profile must be \"default\", \"short\" or \"full\"" end
    elseif k == "precision" or k == "edgeitems" or k == "linewidth" or k == "threshold" then
      local lo = k == "linewidth" and 1 or 0
      if type(v) ~= "number" or v < lo or (v ~= math.floor(v) and v ~= math.huge)
          or (k == "precision" and v > 30) then
        bad = ("%s must be an integer >= %d%s, got %s"):format(k, lo, k == "precision" and " and <= 30" or "", tostring(v))
      end
    elseif k == "sci_mode" then
      if v ~= true and v ~= false and v ~= "auto" then bad = "sci_mode must be true, false or \"auto\"" end
    else
      bad = "unknown option '" .. tostring(k) .. "' (precision, threshold, edgeitems, linewidth, sci_mode, profile)"
    end
    if bad then argerror(1, "set_printoptions", bad) end
  end
  if o.profile then
    for k, v in pairs(PROFILES[o.profile]) do new[k] = v end
    new.sci_mode, new.auto_precision = "auto", o.profile ~= "short"
  end
  for k, v in pairs(o) do if k ~= "profile" then new[k] = v end end
  if o.precision ~= nil then new.auto_precision = false end
  popt = new
end

function lg.get_printoptions()
  local r = {}
  for k, v in pairs(popt) do if k ~= "auto_precision" then r[k] = v end end
  return r
end

-- The shown elements in order (false marks an elided run), by walking the
-- dims; `elide` keeps edgeitems at each end of every long dim.
local function collect(t, shape, depth, prefix, elide, vals)
  local n, e = shape[depth], popt.edgeitems
  local keep = {}
  if elide and n > 2 * e then
    for i = 1, e do keep[#keep + 1] = i end
    keep[#keep + 1] = false
    for i = n - e + 1, n do keep[#keep + 1] = i end
  else
    for i = 1, n do keep[i] = i end
  end
  local node = {}
  for _, i in ipairs(keep) do
    if not i then
      node[#node + 1] = false
    elseif depth == #shape then
      prefix[depth] = i
      local v = t:get(unpack(prefix, 1, depth))
      vals[#vals + 1] = v
      node[#node + 1] = v
    else
      prefix[depth] = i
      node[#node + 1] = collect(t, shape, depth + 1, prefix, elide, vals)
    end
  end
  return node
end

local function special(x)
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
end

-- One format for all shown elements, as torch's _Formatter: integers as
-- integers, scientific when the magnitudes span more than 1000x or leave
-- [1e-4, 1e8), else fixed.
local function formatter(vals, dtype)
  local int, lo, hi = true, math.huge, 0
  for _, x in ipairs(vals) do
    if not special(x) then
      local a = math.abs(x)
      if x ~= math.floor(x) or a >= 1e16 then int = false end
      if a ~= 0 then lo, hi = math.min(lo, a), math.max(hi, a) end
    end
  end
  local fmt_of
  if int then
    fmt_of = function() return "%.0f" end
  else
    local sci = popt.sci_mode
    if sci == "auto" then sci = hi / lo > 1000 or hi >= 1e8 or lo < 1e-4 end
    fmt_of = function(p) return sci and ("%." .. p .. "e") or ("%." .. p .. "f") end
  end
  local function fmt_all(p)
    local f, out = fmt_of(p), {}
    for i, x in ipairs(vals) do out[i] = special(x) or f:format(x) end
    return out
  end
  local p = popt.precision
  local strs = fmt_all(p)
  if not int and popt.auto_precision then
    -- More digits until distinct values print distinctly (a float32 needs at
    -- most 9 significant digits, a float64 17).
    local cap = dtype == "float64" and 16 or 8
    while p < cap do
      local seen, clash = {}, false
      for i, x in ipairs(vals) do
        local prev = seen[strs[i]]
        if prev ~= nil and prev ~= x and prev == prev then clash = true break end
        seen[strs[i]] = x
      end
      if not clash then break end
      p = p + 1
      strs = fmt_all(p)
    end
  end
  local w = 0
  for _, s in ipairs(strs) do if #s > w then w = #s end end
  return strs, w
end

-- Text of a node: rows of the last dim wrap at linewidth, continuation
-- lines start under the first element.
local function layout(node, depth, ndim, strs, w, pos)
  local pad = function(s) return (" "):rep(w - #s) .. s end
  if depth == ndim then
    local per = math.max(1, math.floor((popt.linewidth - ndim - 1) / (w + 2)))
    local lines, cur = {}, {}
    for _, v in ipairs(node) do
      local s
      if v == false then s = pad("...") else pos.i = pos.i + 1; s = pad(strs[pos.i]) end
      cur[#cur + 1] = s
      if #cur == per then lines[#lines + 1] = table.concat(cur, ", "); cur = {} end
    end
    if #cur > 0 then lines[#lines + 1] = table.concat(cur, ", ") end
    return "[" .. table.concat(lines, ",\n" .. (" "):rep(ndim)) .. "]"
  end
  local rows = {}
  for _, sub in ipairs(node) do
    rows[#rows + 1] = sub == false and "..." or layout(sub, depth + 1, ndim, strs, w, pos)
  end
  return "[" .. table.concat(rows, "," .. ("\n"):rep(ndim - depth) .. (" "):rep(depth)) .. "]"
end

-- "lgrad.Tensor float32 [3] [0.6590, 0.2424, 0.0986]" on one line when it
-- fits (so print("p =", t) reads well), else the header over the rows.
function mt.__tostring(t)
  if getmetatable(t) ~= mt then   -- only reachable by calling it directly
    argerror(1, "__tostring", "lgrad.Tensor expected, got " .. type(t))
  end
  if t:is_closed() then return "lgrad.Tensor (closed)" end
  local shape = t:shape()
  local head = ("lgrad.Tensor %s [%s]"):format(t:dtype(), table.concat(shape, ", "))
  local body
  if #shape == 0 then
    local strs = formatter({ t:get() }, t:dtype())
    body = strs[1]
  elseif t:numel() == 0 then
    body = "[]"
  else
    local vals = {}
    local node = collect(t, shape, 1, {}, t:numel() > popt.threshold, vals)
    local strs, w = formatter(vals, t:dtype())
    body = layout(node, 1, #shape, strs, w, { i = 0 })
  end
  if not body:find("\n", 1, true) and #head + 1 + #body <= popt.linewidth then
    return head .. " " .. body
  end
  return head .. "\n" .. body
end
core._sync_metatables()   -- small tensors and views share mt's fields (not its __gc)

-- Derivation checks live in lgrad.check (pure Lua); lg re-exports them.
do
  local check = require "lgrad.check"
  lg.numeric_grad = check.numeric_grad
  lg.numeric_jacobian = check.numeric_jacobian
  lg.gradcheck = check.gradcheck
end

-- Reverse-mode autograd (lgrad.autograd) and optimizers (lgrad.optim).
do
  local autograd = require("lgrad.autograd").bind(lg)
  lg.grad = autograd.grad
  lg.value_and_grad = autograd.value_and_grad
  lg.optim = require "lgrad.optim"
end

return lg
