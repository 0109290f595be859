"""Rate-limit counters and cool-downs in Redis, shared by every process configured with the same server.

Imported only when a ``redis`` URL is configured; it needs the ``redis`` package
(``pip install 'modelplex[redis]'``). Reservations and settlements are Lua scripts, so each is atomic on
the server whatever the number of processes, and time is the Redis server's own clock (``TIME``), so the
processes need not agree on theirs.

Per bucket: ``<prefix>:rl:<key>:p`` (calls in flight: token -> end of lease), ``:d`` (ended calls:
token -> when they leave the window), ``:t`` (token -> tokens) and ``:s`` (the tokens counted).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from modelplex._cooldown import CoolDownState
from modelplex._ratelimit import POLL, Bucket
from modelplex.errors import ConfigurationError

if TYPE_CHECKING:
    import redis.asyncio

_PRUNE = """
local function prune(p, d, t, s, now)
  local gone = redis.call('ZRANGEBYSCORE', d, '-inf', now)
  local lapsed = redis.call('ZRANGEBYSCORE', p, '-inf', now)
  for _, list in ipairs({gone, lapsed}) do
    for _, token in ipairs(list) do
      local spent = tonumber(redis.call('HGET', t, token) or '0')
      if spent > 0 then redis.call('DECRBY', s, spent) end
      redis.call('HDEL', t, token)
    end
  end
  redis.call('ZREMRANGEBYSCORE', d, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', p, '-inf', now)
end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""

# KEYS: 4 per bucket (p, d, t, s). ARGV: token, tokens, lease, poll, then 4 per bucket: rpm, tpm,
# concurrency, window (0 for none). Returns "" when reserved, else the wait hint in seconds.
_RESERVE = _PRUNE + """
local token, tokens, lease, poll = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = clock()
local wait = 0
local n = #KEYS / 4
for i = 0, n - 1 do
  local p, d, t, s = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
  local rpm, tpm, conc = tonumber(ARGV[5+4*i]), tonumber(ARGV[6+4*i]), tonumber(ARGV[7+4*i])
  prune(p, d, t, s, now)
  local inflight, ended = redis.call('ZCARD', p), redis.call('ZCARD', d)
  if rpm > 0 and inflight + ended >= rpm then
    local must = inflight + ended - rpm + 1
    if must <= ended then
      local e = redis.call('ZRANGE', d, must - 1, must - 1, 'WITHSCORES')
      wait = math.max(wait, tonumber(e[2]) - now)
    else
      wait = math.max(wait, poll)
    end
  end
  if tpm > 0 then
    local used = tonumber(redis.call('GET', s) or '0')
    if used > 0 and used + tokens > tpm then
      local excess, hint = used + tokens - tpm, poll
      local ends = redis.call('ZRANGE', d, 0, -1, 'WITHSCORES')
      for j = 1, #ends, 2 do
        excess = excess - tonumber(redis.call('HGET', t, ends[j]) or '0')
        if excess <= 0 then hint = tonumber(ends[j + 1]) - now; break end
      end
      wait = math.max(wait, hint)
    end
  end
  if conc > 0 and inflight >= conc then wait = math.max(wait, poll) end
end
if wait > 0 then return tostring(math.max(wait, 0.001)) end
for i = 0, n - 1 do
  local p, d, t, s = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
  local window = tonumber(ARGV[8+4*i])
  redis.call('ZADD', p, now + lease, token)
  if tokens > 0 then
    redis.call('HSET', t, token, tokens)
    redis.call('INCRBY', s, tokens)
  end
  local ttl = math.ceil((lease + window) * 1000) + 1000
  for _, key in ipairs({p, d, t, s}) do redis.call('PEXPIRE', key, ttl) end
end
return ''
"""

# KEYS as for reserve. ARGV: token, tokens, then one window per bucket.
_SETTLE = _PRUNE + """
local token, tokens = ARGV[1], tonumber(ARGV[2])
local now = clock()
for i = 0, #KEYS / 4 - 1 do
  local p, d, t, s = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
  local window = tonumber(ARGV[3+i])
  if redis.call('ZREM', p, token) == 1 then
    local reserved = tonumber(redis.call('HGET', t, token) or '0')
    redis.call('ZADD', d, now + window, token)
    if tokens > 0 then redis.call('HSET', t, token, tokens) else redis.call('HDEL', t, token) end
    if tokens ~= reserved then redis.call('INCRBY', s, tokens - reserved) end
    local ttl = math.ceil(window * 1000) + 1000
    for _, key in ipairs({d, t, s}) do
      if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
    end
  end
end
return ''
"""

# KEYS: the state hash. ARGV: error, threshold, period, retry_after ("" for none), keep (seconds).
_FAILURE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local till = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if ARGV[4] ~= '' then till = math.max(till, now + tonumber(ARGV[4])) end
if failures >= tonumber(ARGV[2]) then till = math.max(till, now + tonumber(ARGV[3])) end
redis.call('HSET', KEYS[1], 'until', tostring(till), 'last_error', ARGV[1], 'last_error_at', tostring(now),
           'probing_until', 0)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return failures
"""

_SUCCESS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('HSET', KEYS[1], 'failures', 0, 'until', 0, 'probing_until', 0, 'last_ok_at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""

# A turn at a key whose cool-down ended (see modelplex._cooldown): '' none needed, '0' taken, else the
# seconds until the cool-down or another's turn ends.
_PROBE = """
local till = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if till <= 0 then return '' end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if till > now then return tostring(till - now) end
local probing = tonumber(redis.call('HGET', KEYS[1], 'probing_until') or '0')
if probing > now then return tostring(probing - now) end
redis.call('HSET', KEYS[1], 'probing_until', tostring(now + tonumber(ARGV[1])))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return '0'
"""

_RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'probing_until', 0) end
return 1
"""

KEEP = 86_400  # how long the state of a key is kept after its last change, in seconds

P = ParamSpec("P")
R = TypeVar("R")


def _unavailable(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Redis failures become one typed error (never with the URL, which may hold a password)."""
    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        import redis.exceptions

        try:
            return await method(*args, **kwargs)
        except (redis.exceptions.RedisError, OSError) as exc:
            raise ConfigurationError(f"the Redis server that shares rate limits and cool-downs cannot be "
                                     f"used: {type(exc).__name__}: {exc}") from None
    return call


MAX_CONNECTIONS = 100  # per process; calls beyond it wait for one rather than fail
WAIT = 120.0  # the longest a call waits for a connection when no deadline is given


def connect(url: str, wait: float | None = None) -> redis.asyncio.Redis:
    """A client of the Redis server at ``url`` whose calls, past :data:`MAX_CONNECTIONS` at once, wait
    up to ``wait`` seconds (the routing deadline) for a connection to come free.

    redis-py's default pool raises ``MaxConnectionsError`` at once past its limit, so more than 100
    calls in flight failed while Redis was healthy; a blocking pool queues them instead.
    """
    try:
        import redis.asyncio
    except ImportError:
        raise ConfigurationError("a 'redis' URL is configured but the redis package is not installed: "
                                 "pip install 'modelplex[redis]'") from None
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=WAIT if wait is None else wait,
        decode_responses=True)
    client: redis.asyncio.Redis = redis.asyncio.Redis.from_pool(pool)  # closing the client closes the pool
    return client


class RedisLimitStore:
    """Rate-limit counters in Redis (see the module docstring)."""

    def __init__(self, redis: redis.asyncio.Redis, prefix: str = "modelplex") -> None:
        self._redis = redis
        self._prefix = prefix
        self._reserve = redis.register_script(_RESERVE)
        self._settle = redis.register_script(_SETTLE)

    def _keys(self, buckets: Sequence[Bucket]) -> list[str]:
        out = []
        for b in buckets:
            base = f"{self._prefix}:rl:{b.key}"
            out += [f"{base}:p", f"{base}:d", f"{base}:t", f"{base}:s"]
        return out

    @_unavailable
    async def reserve(self, buckets: Sequence[Bucket], token: str, tokens: int,
                      lease: float) -> float | None:
        args: list[Any] = [token, tokens, lease, POLL]
        for b in buckets:
            lim = b.limits
            args += [lim.rpm or 0, lim.tpm or 0, lim.concurrency or 0, lim.window]
        result = await self._reserve(keys=self._keys(buckets), args=args)
        return float(result) if result else None

    @_unavailable
    async def settle(self, buckets: Sequence[Bucket], token: str, tokens: int) -> None:
        await self._settle(keys=self._keys(buckets),
                           args=[token, tokens, *(b.limits.window for b in buckets)])

    async def aclose(self) -> None:
        pass  # the connection is shared with the cool-down store and closed by it


class RedisCoolDownStore:
    """Cool-down state in Redis: one hash per key, ``<prefix>:cd:<key>``."""

    def __init__(self, redis: redis.asyncio.Redis, prefix: str = "modelplex") -> None:
        self._redis = redis
        self._prefix = prefix
        self._failure = redis.register_script(_FAILURE)
        self._success = redis.register_script(_SUCCESS)
        self._probe = redis.register_script(_PROBE)
        self._release = redis.register_script(_RELEASE)

    def _key(self, key: str) -> str:
        return f"{self._prefix}:cd:{key}"

    @_unavailable
    async def failure(self, key: str, error: str, *, threshold: int, period: float,
                      retry_after: float | None) -> None:
        await self._failure(keys=[self._key(key)],
                            args=[error, threshold, period, "" if retry_after is None else retry_after,
                                  KEEP])

    @_unavailable
    async def success(self, key: str) -> None:
        await self._success(keys=[self._key(key)], args=[KEEP])

    @_unavailable
    async def get(self, keys: Iterable[str]) -> dict[str, CoolDownState]:
        names = list(keys)
        if not names:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(self._key(name))
            found = await pipe.execute()
        return {name: _state(data) for name, data in zip(names, found, strict=True) if data}

    @_unavailable
    async def probe(self, key: str, lease: float) -> float | None:
        found = await self._probe(keys=[self._key(key)], args=[lease, KEEP])
        text = found.decode() if isinstance(found, bytes) else str(found)
        return float(text) if text else None

    @_unavailable
    async def release(self, key: str) -> None:
        await self._release(keys=[self._key(key)])

    @_unavailable
    async def all(self) -> dict[str, CoolDownState]:
        start = len(self._key(""))
        keys = [key[start:] async for key in self._redis.scan_iter(match=self._key("*"), count=500)]
        return await self.get(sorted(keys))

    async def aclose(self) -> None:
        await self._redis.aclose()


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _state(data: dict[str, str]) -> CoolDownState:
    return CoolDownState(failures=int(data.get("failures") or 0), until=_float(data.get("until")) or 0.0,
                         last_error=data.get("last_error") or None,
                         last_error_at=_float(data.get("last_error_at")),
                         last_ok_at=_float(data.get("last_ok_at")),
                         probing_until=_float(data.get("probing_until")) or 0.0)

