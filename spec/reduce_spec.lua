-- Reductions against a plain Lua reference on awkward data: lengths around
-- the vector widths, ties, both zeros, infinities and NaN, every dim.
local lg = require "lgrad"

local nan = 0 / 0
local negzero = -1 / math.huge

-- The reference scan: sums in order, max/min keep the first extreme; the
-- first NaN wins.
local function ref(op, xs)
  if op == "sum" or op == "mean" then
    local s = 0
    for i = 1, #xs do s = s + xs[i] end
    return op == "mean" and s / #xs or s, nil
  end
  local best, at = xs[1], 1
  for i = 2, #xs do
    if best ~= best then break end
    local v = xs[i]
    if v ~= v or (op == "max" and v > best) or (op == "min" and v < best) then best, at = v, i end
  end
  return best, at
end

local function same(a, b)
  if a ~= a then return b ~= b end
  return a == b and (a ~= 0 or 1 / a == 1 / b)
end

-- Values where every sum is exact in double, so any summation order agrees.
local function data(n, seed, specials)
  local xs, r = {}, seed
  for i = 1, n do
    r = (r * 1103515245 + 12345) % 2147483648
    local k = r % 97
    local v = math.floor(r / 97) % 7 - 3
    if v == 0 and k % 2 == 0 then v = negzero end
    if specials and k == 1 then v = nan elseif specials and k == 2 then v = math.huge
    elseif specials and k == 3 then v = -math.huge end
    xs[i] = v
  end
  return xs
end

describe("reductions on awkward data", function()
  for _, dt in ipairs({"float32", "float64"}) do
    it("whole-tensor sum, mean, max, min and argmax/argmin (" .. dt .. ")", function()
      for _, n in ipairs({1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000, 4099}) do
        for _, specials in ipairs({false, true}) do
          local xs = data(n, n * 7 + (specials and 1 or 0), specials)
          local t = lg.tensor(xs, dt)
          for _, op in ipairs({"sum", "mean", "max", "min"}) do
            local e, at = ref(op, xs)
            local got = t[op](t)
            if op == "mean" and dt == "float32" then
              assert.is_true(same(e, got) or math.abs(e - got) <= 1e-7 * math.abs(e),
                             op .. " n=" .. n)
            else
              assert.is_true(same(e, got), ("%s n=%d %s: %s vs %s"):format(op, n, dt, e, got))
            end
            if at then
              local f = op == "max" and t.argmax or t.argmin
              assert.are.equal(at, f(t), op .. " index, n=" .. n)
            end
          end
        end
      end
    end)

    it("over every dim of a 3-d tensor (" .. dt .. ")", function()
      local A, B, C = 3, 300, 5
      local xs = data(A * B * C, 11, true)
      local t = lg.tensor(xs, dt):view(A, B, C)
      local function at(i, j, k) return xs[((i - 1) * B + (j - 1)) * C + k] end
      local dims = {A, B, C}
      for d = 1, 3 do
        for _, op in ipairs({"sum", "max", "min"}) do
          local v, ix = t[op](t, d)
          -- walk every output position; collect the reduced line in order
          local o = {1, 1, 1}
          local oi, oj = (d == 1) and 2 or 1, (d == 3) and 2 or 3
          for p = 1, dims[oi] do
            for q = 1, dims[oj] do
              local line = {}
              for r = 1, dims[d] do
                o[d], o[oi], o[oj] = r, p, q
                line[r] = at(o[1], o[2], o[3])
              end
              local e, ei = ref(op, line)
              local got = v:get(p, q)
              if dt == "float32" and op == "sum" and e == e then e = lg.tensor({e}):get(1) end
              assert.is_true(same(e, got), ("%s dim %d (%d,%d): %s vs %s"):format(op, d, p, q, e, got))
              if ix then assert.are.equal(ei, ix:get(p, q)) end
            end
          end
        end
      end
    end)
  end
end)
