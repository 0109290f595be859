"""The budget ledger in Redis (``[budget_ledger] url = "redis://..."``, or ``"redis"`` for the routing's
``redis`` URL): each operation is one Lua script, so it is atomic on the server across every process.

Per counter ``<prefix>:bg:<budget>|<subject>|<window start>``: a hash (``spent``, ``reserved``, ``calls``,
``unpriced``), ``:r`` a sorted set of reservation tokens by expiry, ``:a`` the tokens' amounts, and
``:al:<threshold>`` set (``SET NX``) by the one process that fires that alert. Keys of a windowed
counter expire a week after the window ends. The clock is the caller's (microseconds), the same one that
computes windows and key lifetimes, so that a test's fake clock drives all of them. A single Redis
server (the keys of one script are not declared for a cluster).

The server must persist what it holds: one without persistence that restarts comes back empty and
refills every budget. ``appendonly yes`` with ``appendfsync always`` loses nothing to a crash;
``everysec`` may lose the last second or two of spends (that much room is given again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from modelplex._secret import scrub_url
from modelplex_store.budgets.ledger import Counter, CounterState, Crossed, LedgerUnavailable, Shortfall

if TYPE_CHECKING:
    import redis.asyncio

#: How long a windowed counter's keys outlive its window (for ``modelplex budgets`` to show it), in ms.
KEEP_MS = 7 * 86_400_000

_PRUNE = """
-- Times and amounts go to Redis as the caller's strings: a Lua number turns into text with 14
-- digits, and a time in microseconds has 16.
local function prune(h, z, a, now)
  local gone = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  for _, t in ipairs(gone) do
    redis.call('HINCRBY', h, 'reserved', -tonumber(redis.call('HGET', a, t) or '0'))
    redis.call('HDEL', a, t)
  end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now) end
end
local function keep(key, ttl)
  if tonumber(ttl) > 0 then redis.call('PEXPIRE', key, ttl) end
end
"""

# KEYS: 3 per counter (h, z, a). ARGV: token, amount, expires, now, then per counter: limit, hard, ttl
# (ms the keys are kept, 0 for ever). Returns {-1} when reserved, else {index, spent, reserved} of the
# first counter it did not fit.
_RESERVE = _PRUNE + """
local token, amount, expires, now = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local n = #KEYS / 3
for i = 0, n - 1 do
  local h, z, a = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  prune(h, z, a, now)
  local limit, hard = tonumber(ARGV[5+3*i]), ARGV[6+3*i]
  local spent = tonumber(redis.call('HGET', h, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', h, 'reserved') or '0')
  if hard == '1' and spent + reserved + amount > limit then return {i, spent, reserved} end
end
for i = 0, n - 1 do
  local h, z, a = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  redis.call('ZADD', z, expires, token)
  redis.call('HSET', a, token, ARGV[2])
  redis.call('HINCRBY', h, 'reserved', ARGV[2])
  local ttl = ARGV[7+3*i]
  keep(h, ttl); keep(z, ttl); keep(a, ttl)
end
return {-1}
"""

# KEYS as for reserve. ARGV: token, actual (-1: unknown price), now, then per counter: limit, ttl,
# thresholds (comma-separated percentages). Returns {index, threshold, spent, ...} of the alerts fired.
_SETTLE = _PRUNE + """
local token, actual, now = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local fired = {}
for i = 0, #KEYS / 3 - 1 do
  local h, z, a = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  local limit, ttl = tonumber(ARGV[4+3*i]), ARGV[5+3*i]
  if redis.call('ZREM', z, token) == 1 then
    redis.call('HINCRBY', h, 'reserved', -tonumber(redis.call('HGET', a, token) or '0'))
    redis.call('HDEL', a, token)
  end
  if actual >= 0 then redis.call('HINCRBY', h, 'spent', ARGV[2])
  else redis.call('HINCRBY', h, 'unpriced', 1) end
  redis.call('HINCRBY', h, 'calls', 1)
  keep(h, ttl)
  local spent = tonumber(redis.call('HGET', h, 'spent') or '0')
  for threshold in string.gmatch(ARGV[6+3*i], '[^,]+') do
    local t = tonumber(threshold)
    if spent * 100 >= t * limit then
      local key = h .. ':al:' .. threshold
      if redis.call('SET', key, now, 'NX') then
        keep(key, ttl)
        table.insert(fired, i); table.insert(fired, t); table.insert(fired, spent)
      end
    end
  end
end
return fired
"""

# KEYS as for reserve. ARGV: token.
_RELEASE = _PRUNE + """
for i = 0, #KEYS / 3 - 1 do
  local h, z, a = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  if redis.call('ZREM', z, ARGV[1]) == 1 then
    redis.call('HINCRBY', h, 'reserved', -tonumber(redis.call('HGET', a, ARGV[1]) or '0'))
    redis.call('HDEL', a, ARGV[1])
  end
end
return 1
"""


class RedisLedger:
    """The ledger in the Redis server at ``url``, under ``prefix``."""

    def __init__(self, url: str, prefix: str = "modelplex") -> None:
        self.url = url
        self.prefix = prefix
        self._client: redis.asyncio.Redis | None = None
        self._loop: object = None
        self._scripts: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"RedisLedger({scrub_url(self.url)!r})"

    def _redis(self) -> redis.asyncio.Redis:
        import asyncio

        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a connection serves the event loop that made it, no other
            self._client, self._loop = None, loop
        if self._client is None:
            from modelplex._redis import connect

            self._client = connect(self.url, wait=10.0)
            for name, text in (("reserve", _RESERVE), ("settle", _SETTLE), ("release", _RELEASE)):
                self._scripts[name] = self._client.register_script(text)
        return self._client

    def key(self, c: Counter) -> str:
        """The hash of counter ``c``."""
        return f"{self.prefix}:bg:{c.budget}|{c.subject}|{c.window_start}"

    def _keys(self, counters: Sequence[Counter]) -> list[str]:
        keys = []
        for c in counters:
            base = self.key(c)
            keys += [base, f"{base}:r", f"{base}:a"]
        return keys

    @staticmethod
    def _ttl(c: Counter, now: int) -> int:
        # From the caller's clock, like the windows: a test's fake clock and the server's agree on nothing.
        return 0 if c.window_end is None else max((c.window_end - now) // 1000, 0) + KEEP_MS

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        import redis.exceptions

        try:
            self._redis()
            return await self._scripts[name](keys=keys, args=args)
        except (redis.exceptions.RedisError, OSError) as exc:
            raise LedgerUnavailable(scrub_url(f"the budget ledger {self.url} cannot be used: "
                                              f"{type(exc).__name__}: {exc}")) from None

    async def reserve(self, token: str, counters: Sequence[Counter], amount: int, expires_at: int,
                      now: int) -> Shortfall | None:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.reserve`."""
        args: list[Any] = [token, amount, expires_at, now]
        for c in counters:
            args += [c.limit, int(c.hard), self._ttl(c, now)]
        result = await self._script("reserve", self._keys(counters), args)
        index = int(result[0])
        if index < 0:
            return None
        return Shortfall(counter=counters[index], spent=int(result[1]), reserved=int(result[2]))

    async def settle(self, token: str, counters: Sequence[Counter], actual: int | None,
                     now: int) -> list[Crossed]:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.settle`."""
        args: list[Any] = [token, -1 if actual is None else actual, now]
        for c in counters:
            args += [c.limit, self._ttl(c, now), ",".join(str(t) for t in c.alerts) or "0"]
        result = await self._script("settle", self._keys(counters), args)
        return [Crossed(counter=counters[int(result[i])], threshold=int(result[i + 1]),
                        spent=int(result[i + 2])) for i in range(0, len(result), 3)]

    async def release(self, token: str, counters: Sequence[Counter]) -> None:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.release`."""
        await self._script("release", self._keys(counters), [token])

    async def states(self, counters: Sequence[Counter], now: int) -> list[CounterState]:
        """See :meth:`modelplex_store.budgets.ledger.Ledger.states` (expired reservations are left out)."""
        import redis.exceptions

        out = []
        try:
            client = self._redis()
            for c in counters:
                base = self.key(c)
                data = await client.hgetall(base)
                live = [str(t) for t in await client.zrangebyscore(f"{base}:r", f"({now}", "+inf")]
                amounts = await client.hmget(f"{base}:a", live) if live else []
                fired = [t for t in c.alerts if await client.exists(f"{base}:al:{t}")]
                out.append(CounterState(
                    budget=c.budget, subject=c.subject, window_start=c.window_start, window_end=c.window_end,
                    spent=int(data.get("spent", 0)), reserved=sum(int(a or 0) for a in amounts),
                    calls=int(data.get("calls", 0)), unpriced_calls=int(data.get("unpriced", 0)),
                    fired=tuple(fired)))
        except (redis.exceptions.RedisError, OSError) as exc:
            raise LedgerUnavailable(scrub_url(f"the budget ledger {self.url} cannot be used: "
                                              f"{type(exc).__name__}: {exc}")) from None
        return out

    async def subjects(self, budget: str, window_start: int) -> list[str]:
        """The counters a per-value budget has in a window."""
        client = self._redis()
        head = f"{self.prefix}:bg:{budget}|"
        found = set()
        async for key in client.scan_iter(match=f"{head}*|{window_start}", count=500):
            found.add(key[len(head):].rsplit("|", 1)[0])
        return sorted(found)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
