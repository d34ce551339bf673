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

-- one_hot(indices, num_classes): N x C float32, indices 1-based.
function lg.one_hot(indices, num_classes)
  if type(indices) == "number" then indices = { indices } end
  if lg.is_tensor(indices) then
    if indices:dim() ~= 1 then
      error(("bad argument #1 to 'one_hot' (1-d indices expected, got %d-d)"):format(indices:dim()), 2)
    end
    indices = indices:totable()
  elseif type(indices) ~= "table" then
    error("bad argument #1 to 'one_hot' (integer, table or lgrad.Tensor expected, got "
      .. type(indices) .. ")", 2)
  end
  local n = #indices
  if num_classes == nil then   -- like PyTorch: infer from the largest index
    num_classes = 0
    for i = 1, n do
      local c = indices[i]
      if type(c) == "number" and c > num_classes then num_classes = c end
    end
  end
  if type(num_classes) ~= "number" or num_classes < 1 or num_classes ~= math.floor(num_classes) then
    error("bad argument #2 to 'one_hot' (positive integer expected)", 2)
  end
  if num_classes * math.max(n, 1) > 2^48 then   -- lgrad's size limit, before zeros says it
    error("bad argument #2 to 'one_hot' (tensor too large)", 2)
  end
  local ok, t = pcall(lg.zeros, n, num_classes)
  if not ok then   -- zeros' message, as one_hot's and at the caller's line
    error((tostring(t):gsub("^.-zeros: ", "one_hot: ")), 2)
  end
  for i = 1, n do
    local c = indices[i]
    if type(c) ~= "number" or c ~= math.floor(c) or c < 1 or c > num_classes then
      error(("bad argument #1 to 'one_hot' (index %s at position %d out of range 1..%d)")
        :format(tostring(c), i, num_classes), 2)
    end
    t:set(i, c, 1)
  end
  return t
end

-- Printing ------------------------------------------------------------

local unpack = table.unpack or unpack   -- 5.1 and LuaJIT
local EDGE = 3          -- elements kept at each end of an elided dim
local MAX_FULL = 1000   -- print everything up to this many elements

local function fmt_number(x)
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  if x == math.floor(x) and math.abs(x) < 1e15 then return ("%.0f"):format(x) end
  return ("%.6g"):format(x)
end

local function render(t, shape, depth, prefix, elide, out, indent)
  local n = shape[depth]
  local keep = {}
  if elide and n > 2 * EDGE then
    for i = 1, EDGE do keep[#keep + 1] = i end
    keep[#keep + 1] = false
    for i = n - EDGE + 1, n do keep[#keep + 1] = i end
  else
    for i = 1, n do keep[i] = i end
  end
  if depth == #shape then
    local parts = {}
    for _, i in ipairs(keep) do
      if i then
        prefix[depth] = i
        parts[#parts + 1] = fmt_number(t:get(unpack(prefix, 1, depth)))
      else
        parts[#parts + 1] = "..."
      end
    end
    out[#out + 1] = "[" .. table.concat(parts, ", ") .. "]"
    return
  end
  local rows = {}
  for _, i in ipairs(keep) do
    if i then
      prefix[depth] = i
      local sub = {}
      render(t, shape, depth + 1, prefix, elide, sub, indent .. " ")
      rows[#rows + 1] = table.concat(sub)
    else
      rows[#rows + 1] = "..."
    end
  end
  local sep = "," .. ("\n"):rep(#shape - depth) .. indent .. " "
  out[#out + 1] = "[" .. table.concat(rows, sep) .. "]"
end

function mt.__tostring(t)
  if getmetatable(t) ~= mt then   -- only reachable by calling it directly
    error("bad argument #1 to '__tostring' (lgrad.Tensor expected, got " .. type(t) .. ")", 2)
  end
  if t:is_closed() then return "lgrad.Tensor (closed)" end
  local shape = t:shape()
  local head = ("lgrad.Tensor %s [%s]"):format(t:dtype(), table.concat(shape, ", "))
  if #shape == 0 then return head .. "\n" .. fmt_number(t:get()) end
  if t:numel() == 0 then return head .. "\n[]" end
  local out = {}
  render(t, shape, 1, {}, t:numel() > MAX_FULL, out, "")
  return head .. "\n" .. table.concat(out)
end
core._sync_metatables()   -- small tensors and views share mt's fields (not its __gc)

-- Derivation checks live in lgrad.check (pure Lua); lg re-exports them.
do
  local check = require "lgrad.check"
  lg.numeric_grad = check.numeric_grad
  lg.numeric_jacobian = check.numeric_jacobian
  lg.gradcheck = check.gradcheck
end

return lg
