// This file holds the two Lua scripts of Limits (limits.go). They apply the
// rules of polite's budget.go (take and observe) to one origin's hash,
// line for line, with times in milliseconds from Redis's TIME; the rules'
// tests (internal/politetest) run against both.

package l3redis

import "github.com/redis/go-redis/v9"

// limitsRead is the part both scripts share: the clock, the hash read into
// pause, probe and budgets (field "b:ID" = "quota window tokens reset
// carry"), and the writing back of budgets with the key's expiry.
const limitsRead = `
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local exists = redis.call('EXISTS', key) == 1
local pause, probe, budgets = 0, 0, {}
local nbudgets = 0
if exists then
  local h = redis.call('HGETALL', key)
  for i = 1, #h, 2 do
    local f, v = h[i], h[i + 1]
    if f == 'pause' then
      pause = tonumber(v)
    elseif f == 'probe' then
      probe = tonumber(v)
    elseif string.sub(f, 1, 2) == 'b:' then
      local b = {}
      for x in string.gmatch(v, '%S+') do b[#b + 1] = tonumber(x) end
      budgets[f] = b
      nbudgets = nbudgets + 1
    end
  end
end
local function save(idle)
  local last = math.max(now, pause, probe)
  for f, b in pairs(budgets) do
    redis.call('HSET', key, f, string.format('%.0f %.0f %.0f %.0f %.0f', b[1], b[2], b[3], b[4], b[5]))
    last = math.max(last, b[4])
  end
  redis.call('PEXPIRE', key, last + idle - now)
end
`

// takeScript is state.take. ARGV: ProbeTTL, IdleTTL, Guard (ms). It
// returns {wait ms, probe 0|1}.
var takeScript = redis.NewScript(limitsRead + `
local probeTTL, idle, guard = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if not exists then
  probe = now + probeTTL
  redis.call('HSET', key, 'probe', string.format('%.0f', probe))
  save(idle)
  return {0, 1}
end
if now < pause then
  return {pause - now, 0}
end
if nbudgets == 0 and now < probe then
  return {probe - now, 0}
end
local wait = 0
for f, b in pairs(budgets) do
  if now >= b[4] then
    if b[1] < 0 or b[2] <= 0 then
      redis.call('HDEL', key, f)
      budgets[f] = nil
    else
      local n = math.floor((now - b[4]) / b[2]) + 1
      b[3] = b[1]
      if n == 1 then b[3] = b[3] - b[5] end
      b[4] = b[4] + n * b[2]
      b[5] = 0
    end
  end
  if budgets[f] ~= nil and b[3] < 1 then
    wait = math.max(wait, b[4] - now)
  end
end
if wait == 0 then
  for f, b in pairs(budgets) do
    b[3] = b[3] - 1
    if b[4] - now <= guard then b[5] = b[5] + 1 end
  end
end
save(idle)
return {wait, 0}
`)

// observeScript is state.observe. ARGV: IdleTTL, Tolerance, pause (ms),
// spent, then per limit: policy, quota, window (ms), remaining, reset (ms);
// -1 for what the answer did not say (0 for the window).
var observeScript = redis.NewScript(limitsRead + `
local idle, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local pauseMs, spent = tonumber(ARGV[3]), tonumber(ARGV[4])
probe = 0
redis.call('HSET', key, 'probe', '0') -- the key stays: the origin is known
if pauseMs > 0 then
  pause = math.max(pause, now + pauseMs)
  redis.call('HSET', key, 'pause', string.format('%.0f', pause))
end
for i = 5, #ARGV, 5 do
  local id = 'b:' .. ARGV[i]
  local q, w, r, rt = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  local b = budgets[id]
  local skip = false
  if q >= 0 then
    if b == nil then
      if r < 0 and w <= 0 then
        skip = true
      else
        b = {-1, 0, 0, -1, 0}
        budgets[id] = b
      end
    end
    if not skip then
      b[1], b[2] = q, w
      if b[4] < 0 and r < 0 then
        b[3], b[4] = q, now + b[2]
      end
    end
  end
  if not skip and r >= 0 then
    local tt = rt
    if rt < 0 then
      if b ~= nil and b[2] > 0 then
        tt = b[2]
      elseif w > 0 then
        tt = w
      else
        tt = 1000
      end
    end
    local at = now + tt + 1 -- the clock is read in whole milliseconds, rounded down
    if b == nil then
      b = {-1, 0, 0, -1, 0}
      budgets[id] = b
    end
    local tol = tolerance
    if b[2] > 0 then tol = math.min(tol, math.floor(b[2] / 2)) end
    if b[4] < 0 or at > b[4] + tol then
      b[3], b[4], b[5] = r, at, 0
    elseif at < b[4] - tol then
      -- an answer from a window that has passed
    else
      b[3] = math.min(b[3], r)
      b[4] = math.min(b[4], at)
    end
  end
end
if spent > 0 then
  for f, b in pairs(budgets) do b[3] = b[3] - spent end
end
save(idle)
return 0
`)
