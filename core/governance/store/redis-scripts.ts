/**
 * The Lua the Redis store runs. Redis runs a script to the end before serving
 * anyone else, so each check-then-update here is atomic across every key it
 * names, whichever replica sends it. Conventions:
 * - every key arrives in KEYS, already named and bucketed in JavaScript: the
 *   scripts do no date math and build no names;
 * - counters move with INCRBY/DECRBY on the argument strings as sent, never on
 *   Lua numbers (Lua has only doubles, and formats big ones as `1e+15`);
 *   sums and comparisons in Lua are exact below 2^53, which amounts are
 *   checked to be;
 * - a counter that would drop to zero or below is deleted: absent means zero;
 * - a refusal returns the 1-based position of the first failing check, and
 *   nothing has been written.
 */

/**
 * KEYS: per check, its reservation counter then its spend buckets.
 * ARGV: amount, reservation TTL ms, then per check: limit, number of spend buckets.
 * Returns 0, or {position, spent, reserved} of the first check that cannot take the amount.
 */
const reserve = `
local amount = tonumber(ARGV[1])
local checks = (#ARGV - 2) / 2
local first = 1
for check = 1, checks do
  local limit = tonumber(ARGV[1 + 2 * check])
  local buckets = tonumber(ARGV[2 + 2 * check])
  local reserved = tonumber(redis.call('GET', KEYS[first])) or 0
  local spent = 0
  for _, value in ipairs(redis.call('MGET', unpack(KEYS, first + 1, first + buckets))) do
    spent = spent + (tonumber(value) or 0)
  end
  if spent + reserved + amount > limit then return {check, spent, reserved} end
  first = first + 1 + buckets
end
first = 1
for check = 1, checks do
  redis.call('INCRBY', KEYS[first], ARGV[1])
  redis.call('PEXPIRE', KEYS[first], ARGV[2])
  first = first + 1 + tonumber(ARGV[2 + 2 * check])
end
return 0
`

/**
 * KEYS: per check, its reservation counter then its current spend bucket.
 * ARGV: reserved, actual, then per check the bucket's TTL ms ('' for none: `total`).
 */
const settle = `
for check = 1, #KEYS / 2 do
  local reserved, bucket = KEYS[2 * check - 1], KEYS[2 * check]
  if redis.call('DECRBY', reserved, ARGV[1]) <= 0 then redis.call('DEL', reserved) end
  if ARGV[2] ~= '0' then
    redis.call('INCRBY', bucket, ARGV[2])
    if ARGV[2 + check] ~= '' then redis.call('PEXPIRE', bucket, ARGV[2 + check]) end
  end
end
return 0
`

/**
 * KEYS: the current window's counter per check.
 * ARGV: per check: limit, amount, TTL ms.
 * Returns 0, or the position of the first window that cannot take its amount.
 */
const consume = `
for check = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[check])) or 0
  if count + tonumber(ARGV[3 * check - 1]) > tonumber(ARGV[3 * check - 2]) then return check end
end
for check = 1, #KEYS do
  redis.call('INCRBY', KEYS[check], ARGV[3 * check - 1])
  redis.call('PEXPIRE', KEYS[check], ARGV[3 * check])
end
return 0
`

/**
 * KEYS: the current window's counter per check.
 * ARGV: per check: amount (may be negative), TTL ms.
 */
const adjust = `
for check = 1, #KEYS do
  if redis.call('INCRBY', KEYS[check], ARGV[2 * check - 1]) <= 0 then
    redis.call('DEL', KEYS[check])
  else
    redis.call('PEXPIRE', KEYS[check], ARGV[2 * check])
  end
end
return 0
`

/**
 * KEYS: a slot counter per level.
 * ARGV: TTL ms, then per level its limit.
 * Returns 0, or the position of the first full level.
 */
const acquire = `
for slot = 1, #KEYS do
  if (tonumber(redis.call('GET', KEYS[slot])) or 0) >= tonumber(ARGV[1 + slot]) then return slot end
end
for slot = 1, #KEYS do
  redis.call('INCR', KEYS[slot])
  redis.call('PEXPIRE', KEYS[slot], ARGV[1])
end
return 0
`

/** KEYS: a slot counter per level. */
const release = `
for slot = 1, #KEYS do
  if redis.call('DECR', KEYS[slot]) <= 0 then redis.call('DEL', KEYS[slot]) end
end
return 0
`

export const SCRIPTS = { reserve, settle, consume, adjust, acquire, release }

export type ScriptName = keyof typeof SCRIPTS

/** How ioredis exposes a script defined without a fixed key count: the count comes first. */
export type ScriptCall = (numberOfKeys: number, ...keysThenArgs: string[]) => Promise<unknown>
