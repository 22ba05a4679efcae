-- waav: one script call for a batch of limit checks, atomic, on Redis' clock
-- (so nginx nodes with skewed clocks still share one limit).
--
-- KEYS[i] is the i-th entry's counter, ARGV[4i-3 .. 4i] its kind and three
-- numbers (src/core/waav_limit_batch.h); the answer is four integers per
-- entry:
--   rate     interval_us burst count          -> passed, lead_us, 0, 0
--     count checks ask at once: the first "passed" of them pass and
--     waav_gcra_nth() tells each what it got; a rate's counter is read and
--     written once per call
--   quota    limit window_ms units            -> allowed, remaining,
--                                                reset_ms, window
--   acquire  limit lease_ms member            -> allowed, remaining,
--                                                reset_ms, 0
--     a concurrency slot is a member of the key's sorted set with its own
--     lease: a slot whose release never came (a node died, Redis was away)
--     is gone when its lease ends, however busy the key is
--   release  0 0 member                       -> 1, 0, 0, 0
--   refund   window window_ms units           -> 1, 0, 0, 0
--     gives back units charged in a window, while it lasts
--   renew    0 lease_ms member                 -> 1, 0, 0, 0
--     a slot still held gets a new lease from now (a long request sends
--     this every third of its lease); a slot Redis lost (a restart, a
--     pause beyond the lease) is held again, since its request still is
--
-- nginx turns this file into a C string (scripts/lua2c.sh) and calls it by
-- its SHA-1 (EVALSHA), sending it whole (EVAL) after a Redis restart.

local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now_ms = math.floor(now_us / 1000)
local out, tats, ttls, rate_keys = {}, {}, {}, {}

for i = 1, #KEYS do
  if ARGV[(i - 1) * 4 + 1] == 'rate' then
    rate_keys[#rate_keys + 1] = KEYS[i]
  end
end

if #rate_keys > 0 then
  local v = redis.call('MGET', unpack(rate_keys))
  for i = 1, #rate_keys do
    tats[rate_keys[i]] = tonumber(v[i] or '0')
  end
end

local function rate(key, interval_us, burst, count)
  local tau = interval_us * burst
  local tat = tats[key]
  if tat < now_us then
    tat = now_us
  end
  local lead, passed = tat - now_us, 0
  if lead < tau then
    passed = math.min(math.floor((tau - lead) / interval_us), count)
  end
  if passed > 0 then
    tat = tat + passed * interval_us
    ttls[key] = math.ceil((tau + interval_us) / 1000)
  end
  tats[key] = tat
  return passed, lead, 0, 0
end

local function quota(key, limit, window_ms, units)
  local window = math.floor(now_ms / window_ms)
  local k = key .. ':' .. window
  local used = tonumber(redis.call('GET', k) or '0')
  local reset_ms = (window + 1) * window_ms - now_ms
  if units > limit or used + units > limit then
    return 0, math.max(limit - used, 0), reset_ms, window
  end
  used = redis.call('INCRBY', k, units)
  redis.call('PEXPIRE', k, reset_ms + 1000)
  return 1, math.max(limit - used, 0), reset_ms, window
end

local function acquire(key, limit, lease_ms, member)
  local k = key .. ':slots'
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now_ms)
  local held = redis.call('ZCARD', k)
  if held >= limit then
    return 0, 0, 1000, 0
  end
  redis.call('ZADD', k, now_ms + lease_ms, member)
  redis.call('PEXPIRE', k, lease_ms)
  return 1, math.max(limit - held - 1, 0), 1000, 0
end

local function release(key, member)
  redis.call('ZREM', key .. ':slots', member)
  return 1, 0, 0, 0
end

local function renew(key, lease_ms, member)
  local k = key .. ':slots'
  redis.call('ZADD', k, now_ms + lease_ms, member)
  if redis.call('PTTL', k) < lease_ms then
    redis.call('PEXPIRE', k, lease_ms)
  end
  return 1, 0, 0, 0
end

local function refund(key, window, units)
  local k = key .. ':' .. window
  local used = tonumber(redis.call('GET', k) or '0')
  if used > 0 then
    redis.call('DECRBY', k, math.min(used, units))
  end
  return 1, 0, 0, 0
end

local function answer(a, b, c, d)
  out[#out + 1] = a
  out[#out + 1] = b
  out[#out + 1] = c
  out[#out + 1] = d
end

for i = 1, #KEYS do
  local key, j = KEYS[i], (i - 1) * 4
  local kind = ARGV[j + 1]
  local n1, n2, n3 = tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]),
                     tonumber(ARGV[j + 4])
  if kind == 'rate' then
    answer(rate(key, n1, n2, n3))
  elseif kind == 'quota' then
    answer(quota(key, n1, n2, n3))
  elseif kind == 'acquire' then
    answer(acquire(key, n1, n2, ARGV[j + 4]))
  elseif kind == 'release' then
    answer(release(key, ARGV[j + 4]))
  elseif kind == 'refund' then
    answer(refund(key, n1, n3))
  elseif kind == 'renew' then
    answer(renew(key, n2, ARGV[j + 4]))
  else
    return redis.error_reply('waav: unknown limit kind')
  end
end

for key, ms in pairs(ttls) do
  redis.call('SET', key, string.format('%d', tats[key]), 'PX', ms)
end

return out
