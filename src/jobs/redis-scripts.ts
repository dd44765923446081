// The job book's atomic steps on Redis, as Lua scripts (each runs alone on the server, as a SQLite IMMEDIATE
// transaction does). Keys are built inside from the prefix in ARGV[1], so one script serves every key of a step.
// A job is a hash `<p>job:<id>`; `<p>queued` and `<p>running` are sorted sets (by creation, by lease end) of the jobs
// that hold an upstream slot, so their sizes are what the busy cap and the concurrency limit count; a job that holds
// none (holds_slot '0': a look at a sent batch) waits in `<p>queued:noslot` and runs in `<p>running:noslot`;
// `<p>key:<key>` lists the jobs of one dedupe key; the ledger is `<p>ledger` (by time) with `<p>rsv:<id>` hashes.
// Every change of a job bumps its version and is published on `<p>events` (the job id), a claimable job on
// `<p>queued`.

const BUMP = `
local function bump(p, id, now)
  redis.call('HINCRBY', p .. 'job:' .. id, 'version', 1)
  redis.call('HSET', p .. 'job:' .. id, 'updated_at', now)
  redis.call('PUBLISH', p .. 'events', id)
end
local function slotFreed(p)
  if redis.call('ZCARD', p .. 'queued') > 0 then redis.call('PUBLISH', p .. 'queued', '') end
end
-- The queue and the running set of a job: those of the slot-holding jobs, or of the jobs that hold no slot.
local function sets(p, id)
  if redis.call('HGET', p .. 'job:' .. id, 'holds_slot') == '0' then
    return p .. 'queued:noslot', p .. 'running:noslot'
  end
  return p .. 'queued', p .. 'running'
end
local function leaveRunning(p, id)
  redis.call('ZREM', p .. 'running', id)
  redis.call('ZREM', p .. 'running:noslot', id)
end
`;

/** ARGV: p, key, fresh, now, window, maxActive, id, createdAt, then field/value pairs of the new job. */
export const SUBMIT = `${BUMP}
local p, key, fresh, now, window, maxActive, id = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
if key ~= '' and fresh ~= '1' then
  local ids = redis.call('ZREVRANGE', p .. 'key:' .. key, 0, 19)
  for _, other in ipairs(ids) do
    local f = redis.call('HMGET', p .. 'job:' .. other, 'status', 'finished_at', 'lost')
    local status, finished, lost = f[1], tonumber(f[2]), f[3]
    if status == 'queued' or status == 'running' then return {'reused', other} end
    if finished and now - finished <= window and (status == 'completed' or (status == 'failed' and lost == '1')) then
      return {'reused', other}
    end
  end
end
if maxActive >= 0 then
  local active = redis.call('ZCARD', p .. 'queued') + redis.call('ZCARD', p .. 'running')
  if active >= maxActive then return {'busy', tostring(active)} end
end
local fields = {}
for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
-- The queue is first in, first out by a sequence number: two jobs made in the same millisecond keep their order.
local seq = redis.call('INCR', p .. 'seq')
fields[#fields + 1] = 'seq'
fields[#fields + 1] = seq
redis.call('HSET', p .. 'job:' .. id, unpack(fields))
if key ~= '' then redis.call('ZADD', p .. 'key:' .. key, now, id) end
redis.call('ZADD', (sets(p, id)), seq, id)
redis.call('ZADD', p .. 'all', now, id)
redis.call('PUBLISH', p .. 'events', id)
redis.call('PUBLISH', p .. 'queued', id)
return {'new', id}
`;

/**
 * ARGV: p, worker, pool, limit, leaseUntil, now. Returns the claimed id or false. A job that holds no slot never waits
 * behind one that does; the others wait until fewer than `limit` slot-holding jobs run.
 */
export const CLAIM = `${BUMP}
local p, worker, pool, limit, lease, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local function oldest(queue)
  for _, id in ipairs(redis.call('ZRANGE', queue, 0, 99)) do
    local job = p .. 'job:' .. id
    if redis.call('HGET', job, 'pool') == pool and redis.call('HGET', job, 'status') == 'queued' then return id end
    if redis.call('EXISTS', job) == 0 then redis.call('ZREM', queue, id) end
  end
  return nil
end
local id = oldest(p .. 'queued:noslot')
if not id and redis.call('ZCARD', p .. 'running') < limit then id = oldest(p .. 'queued') end
if not id then return false end
local queued, running = sets(p, id)
redis.call('ZREM', queued, id)
redis.call('ZADD', running, lease, id)
redis.call('HSET', p .. 'job:' .. id, 'status', 'running', 'worker', worker, 'lease_until', lease, 'started_at', now)
bump(p, id, now)
return id
`;

/** ARGV: p, worker, leaseUntil, ids... Extends the leases this worker holds (no version bump: nobody waits on them). */
export const RENEW = `
local p, worker, lease = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV do
  local job = p .. 'job:' .. ARGV[i]
  if redis.call('HGET', job, 'worker') == worker and redis.call('HGET', job, 'status') == 'running' then
    redis.call('HSET', job, 'lease_until', lease)
    redis.call('ZADD', p .. 'running', 'XX', lease, ARGV[i])
    redis.call('ZADD', p .. 'running:noslot', 'XX', lease, ARGV[i])
  end
end
return 1
`;

/** ARGV: p, id, worker, now, then field/value pairs: set on a running job this worker holds. */
export const SET_IF_MINE = `${BUMP}
local p, id, worker, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local job = p .. 'job:' .. id
if redis.call('HGET', job, 'worker') ~= worker or redis.call('HGET', job, 'status') ~= 'running' then return 0 end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', job, unpack(fields))
bump(p, id, now)
return 1
`;

/** ARGV: p, id, worker, now. The paid request may go out only while this worker runs the job and no caller left. */
export const MARK_SENT = `${BUMP}
local p, id, worker, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local job = p .. 'job:' .. id
local f = redis.call('HMGET', job, 'status', 'worker', 'sent', 'cancel_requested')
if f[1] ~= 'running' or f[2] ~= worker then return 'taken' end
if f[3] == '1' then return 'sent' end
if f[4] and f[4] ~= '' then return 'cancelled' end
redis.call('HSET', job, 'sent', '1')
bump(p, id, now)
return 'sent'
`;

/** ARGV: p, id, worker, status, result, endReason, now, keepMs. A late completion of a lost job wins. */
export const FINISH = `${BUMP}
local p, id, worker, status, result, reason, now, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local job = p .. 'job:' .. id
local f = redis.call('HMGET', job, 'status', 'worker', 'lost')
local mine = f[1] == 'running' and f[2] == worker
local late = f[1] == 'failed' and f[3] == '1' and status == 'completed'
if not mine and not late then return 0 end
redis.call('HSET', job, 'status', status, 'result', result, 'end_reason', reason, 'finished_at', now, 'lost', '0', 'slot_wait', '0', 'lease_until', '')
leaveRunning(p, id)
redis.call('PEXPIRE', job, keep)
bump(p, id, now)
slotFreed(p)
return 1
`;

/** ARGV: p, id, worker, now: an unsent job this worker holds goes back to the queue. */
export const HAND_BACK = `${BUMP}
local p, id, worker, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local job = p .. 'job:' .. id
local f = redis.call('HMGET', job, 'status', 'worker', 'sent', 'seq')
if f[1] ~= 'running' or f[2] ~= worker or f[3] == '1' then return 0 end
redis.call('HSET', job, 'status', 'queued', 'worker', '', 'lease_until', '', 'started_at', '', 'slot_wait', '0')
leaveRunning(p, id)
redis.call('ZADD', (sets(p, id)), f[4], id)
bump(p, id, now)
redis.call('PUBLISH', p .. 'queued', id)
return 1
`;

/** ARGV: p, id, reason, now, keepMs. */
export const CANCEL = `${BUMP}
local p, id, reason, now, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local job = p .. 'job:' .. id
local f = redis.call('HMGET', job, 'status', 'sent', 'cancel_requested')
if f[1] == 'queued' then
  redis.call('HSET', job, 'status', 'cancelled', 'end_reason', reason, 'finished_at', now)
  redis.call('ZREM', (sets(p, id)), id)
  redis.call('PEXPIRE', job, keep)
  bump(p, id, now)
elseif f[1] == 'running' and f[2] ~= '1' and (f[3] == false or f[3] == '') then
  redis.call('HSET', job, 'cancel_requested', reason)
  bump(p, id, now)
end
return 1
`;

/**
 * ARGV: p, id, worker, now, force, keepMs. A running job whose lease lapsed (or whose worker is known dead: force)
 * goes back to the queue when unsent, else fails as lost. Returns 'requeued', 'lost' or false.
 */
export const REAP_ONE = `${BUMP}
local p, id, worker, now, force, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local job = p .. 'job:' .. id
local f = redis.call('HMGET', job, 'status', 'worker', 'lease_until', 'sent', 'seq')
if f[1] ~= 'running' or f[2] ~= worker then
  if f[1] ~= 'running' then leaveRunning(p, id) end
  return false
end
if force ~= '1' and tonumber(f[3]) and tonumber(f[3]) >= now then return false end
leaveRunning(p, id)
if f[4] ~= '1' then
  redis.call('HSET', job, 'status', 'queued', 'worker', '', 'lease_until', '', 'started_at', '', 'slot_wait', '0')
  redis.call('ZADD', (sets(p, id)), f[5], id)
  bump(p, id, now)
  redis.call('PUBLISH', p .. 'queued', id)
  return 'requeued'
end
redis.call('HSET', job, 'status', 'failed', 'lost', '1', 'finished_at', now, 'lease_until', '', 'slot_wait', '0')
redis.call('PEXPIRE', job, keep)
bump(p, id, now)
slotFreed(p)
return 'lost'
`;

/**
 * ARGV: p, limit (or -1), windowStart, now, usdEach, job, step, ids... Reserves one entry per id when the spending in
 * the window plus all of them fits under the limit; else returns the spending (at, usd pairs).
 */
export const RESERVE = `
local p, limit, since, now, each, job, step = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local parts = #ARGV - 7
redis.call('ZREMRANGEBYSCORE', p .. 'ledger', '-inf', since - 86400000)
if limit >= 0 then
  local spent, entries = 0, {}
  for _, rid in ipairs(redis.call('ZRANGEBYSCORE', p .. 'ledger', '(' .. since, '+inf')) do
    local f = redis.call('HMGET', p .. 'rsv:' .. rid, 'state', 'usd', 'at')
    if f[1] and f[1] ~= 'released' then
      spent = spent + tonumber(f[2])
      entries[#entries + 1] = f[3]
      entries[#entries + 1] = f[2]
    end
  end
  if spent + each * parts > limit + 1e-9 then return {'refused', unpack(entries)} end
end
for i = 8, #ARGV do
  local rid = ARGV[i]
  local label = step
  if parts > 1 then label = step .. ' (' .. (i - 7) .. ' of ' .. parts .. ')' end
  redis.call('HSET', p .. 'rsv:' .. rid, 'state', 'reserved', 'usd', tostring(each), 'at', now, 'job', job, 'step', label)
  redis.call('PEXPIRE', p .. 'rsv:' .. rid, 3 * 86400000)
  redis.call('ZADD', p .. 'ledger', now, rid)
end
return {'ok'}
`;

/** ARGV: p, rid, state, usd (or ''): a reserved entry is settled, released or kept. */
export const SET_ENTRY = `
local p, rid, state, usd = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key = p .. 'rsv:' .. rid
if redis.call('HGET', key, 'state') ~= 'reserved' then return 0 end
redis.call('HSET', key, 'state', state)
if usd ~= '' then redis.call('HSET', key, 'usd', usd) end
return 1
`;

/** ARGV: p, since: the spending in the window (at, usd pairs). */
export const SPENDING = `
local p, since = ARGV[1], ARGV[2]
local out = {}
for _, rid in ipairs(redis.call('ZRANGEBYSCORE', p .. 'ledger', '(' .. since, '+inf')) do
  local f = redis.call('HMGET', p .. 'rsv:' .. rid, 'state', 'usd', 'at')
  if f[1] and f[1] ~= 'released' then
    out[#out + 1] = f[3]
    out[#out + 1] = f[2]
  end
end
return out
`;

/** ARGV: p, pool, owner, leaseUntil, now, ownerDead: takes or renews the runner lease. */
export const LEASE_RUNNER = `
local p, pool, owner, lease, now, dead = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local key = p .. 'runner:' .. pool
local f = redis.call('HMGET', key, 'owner', 'lease_until')
if f[1] and f[1] ~= owner and tonumber(f[2]) > now and dead ~= '1' then return 0 end
redis.call('HSET', key, 'owner', owner, 'lease_until', lease)
return 1
`;

/** KEYS[1]: a lock; ARGV[1]: its holder's token. Deletes the lock only if this holder still owns it. */
export const RELEASE_LOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** The book's steps by name (what RedisBook runs). */
export const SCRIPTS = {
  SUBMIT,
  CLAIM,
  RENEW,
  SET_IF_MINE,
  MARK_SENT,
  FINISH,
  HAND_BACK,
  CANCEL,
  REAP_ONE,
  RESERVE,
  SET_ENTRY,
  SPENDING,
  LEASE_RUNNER,
} as const;
