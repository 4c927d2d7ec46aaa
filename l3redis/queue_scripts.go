// This file holds the Lua scripts that change a run's keys together, so
// that no reader ever sees half a change and a script repeated (its answer
// lost with a connection) changes nothing more: creating a run, adding
// items, recording an item's result with its acknowledgement, renewing and
// handing back leases, reading the counts, and forgetting a worker. Every
// key a script touches is passed in KEYS and shares the run's hash tag.
//
// The items hash maps each file's absolute path to its state: "q" and the
// file's name while it waits or is sent, "d" and a JSON result once done,
// "f" and a JSON result once failed.

package l3redis

import "github.com/redis/go-redis/v9"

// createScript stores a run's definition and makes its stream and consumer
// group, unless the run exists: then it returns the stored definition.
//
// KEYS: meta, stream. ARGV: definition, group.
var createScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('XGROUP', 'CREATE', KEYS[2], ARGV[2], '0', 'MKSTREAM')
return false
`)

// addScript adds each file not in the run yet to the items and the stream
// and counts it; a file already there (by its path) is left alone. It
// returns how many were added.
//
// KEYS: items, counts, stream. ARGV: path, name, path, name...
var addScript = redis.NewScript(`
local added = 0
for i = 1, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], 'q' .. ARGV[i+1]) == 1 then
    redis.call('XADD', KEYS[3], '*', 'p', ARGV[i], 'n', ARGV[i+1])
    added = added + 1
  end
end
if added > 0 then redis.call('HINCRBY', KEYS[2], 'total', added) end
return added
`)

// completeScript records the results of items, counts them, acknowledges
// and deletes their stream entries. An item already recorded (by a worker
// that finished it after its lease ran out, while this one redid it) keeps
// its first result and is not counted again. It returns, for each item, 1
// when recorded now, 0 when recorded before, -1 when the run no longer has
// it.
//
// KEYS: items, counts, stream. ARGV: group, then for each item: path, state
// ("d" or "f"), result JSON, entry ID.
var completeScript = redis.NewScript(`
local out = {}
for i = 2, #ARGV, 4 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not cur then
    out[#out+1] = -1
  else
    local recorded = 0
    if string.sub(cur, 1, 1) == 'q' then
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1] .. ARGV[i+2])
      redis.call('HINCRBY', KEYS[2], ARGV[i+1] == 'd' and 'done' or 'failed', 1)
      recorded = 1
    end
    redis.call('XACK', KEYS[3], ARGV[1], ARGV[i+3])
    redis.call('XDEL', KEYS[3], ARGV[i+3])
    out[#out+1] = recorded
  end
end
return out
`)

// leaseScript renews (idle 0) or hands back (idle far beyond any lease) the
// leases of the entries the worker still holds; an entry another worker
// took over, or that is done, is left alone. It returns how many it changed.
//
// KEYS: stream. ARGV: group, consumer, idle in ms, entry IDs...
var leaseScript = redis.NewScript(`
local n = 0
for i = 4, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3], 'JUSTID')
    n = n + 1
  end
end
return n
`)

// statusScript reads the counts of a run and how many of its items are
// leased, in one step.
//
// KEYS: counts, stream. ARGV: group.
var statusScript = redis.NewScript(`
local c = redis.call('HMGET', KEYS[1], 'total', 'done', 'failed')
local p = redis.call('XPENDING', KEYS[2], ARGV[1])
return {tonumber(c[1]) or 0, tonumber(c[2]) or 0, tonumber(c[3]) or 0, p[1]}
`)

// leaveScript removes a worker from the run's consumer group when it holds
// no lease any more (a worker that holds some stays, so that its items
// can be reclaimed). It returns 1 when removed.
//
// KEYS: stream. ARGV: group, consumer.
var leaveScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`)
