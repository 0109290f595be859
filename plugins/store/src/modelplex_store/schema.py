"""The store's schema, defined once: every table, column and index with the version that added it, and the
DDL for SQLite and PostgreSQL rendered from that one definition (the migrations apply it step by step).

Conventions, the same on both databases:

* Times are INTEGER microseconds since the Unix epoch, UTC (``started_at``, ``ended_at``,
  ``bucket_start``), durations INTEGER microseconds (``duration_us``, ``ttft_us``, ``waited_us``).
* Money is INTEGER **nano-dollars** (``cost_nanos``: 1e-9 USD). Not micro-dollars: one token of a cheap
  model costs a few dozen nano-dollars, which micro-dollars would round to 0 and sums would lose. ``NULL``
  is an unknown cost, never 0.
* Booleans are INTEGER 0/1; JSON is TEXT.
* ``calls`` holds one row per call and, for a call that made more than one attempt (a chain falling
  through, a retry), one row per attempt (``kind = 'attempt'``, ``parent_id`` the call's id). Attempt rows
  carry no usage or cost (the call's row has them) and are left out of the rollups.
* ``rollups`` are kept per hour and per day (``grain``) x provider x model x status x caller (``''`` for
  none; a refused call has no provider or model and counts under ``''``), updated in the transaction that
  inserts the rows: they always equal a recomputation from the call rows (``kind != 'attempt'``).
  Latency and time to first token are counted in the fixed buckets of :data:`LATENCY_EDGES_MS`, so that
  percentiles come from the rollups (column ``lat_NN`` / ``ttft_NN`` counts values ``v`` in milliseconds
  with ``LATENCY_EDGES_MS[NN-1] < v <= LATENCY_EDGES_MS[NN]``, the last bucket everything above).
"""

from __future__ import annotations

import bisect
from typing import Literal

import attrs

Dialect = Literal["sqlite", "postgresql"]
ColumnType = Literal["text", "int", "real"]

#: The schema version this code writes; :func:`modelplex_store.migrations.migrate` brings a database here.
VERSION = 6

_TYPES: dict[Dialect, dict[ColumnType, str]] = {
    "sqlite": {"text": "TEXT", "int": "INTEGER", "real": "REAL"},
    "postgresql": {"text": "TEXT", "int": "BIGINT", "real": "DOUBLE PRECISION"},
}


@attrs.frozen(kw_only=True)
class Column:
    """A column: its type, whether it may be NULL, its default (an SQL literal), the version adding it."""

    name: str
    type: ColumnType
    null: bool = True
    default: str | None = None
    since: int = 1

    def ddl(self, dialect: Dialect) -> str:
        """The column's definition in ``dialect``."""
        text = f"{self.name} {_TYPES[dialect][self.type]}"
        if not self.null:
            text += " NOT NULL"
        if self.default is not None:
            text += f" DEFAULT {self.default}"
        return text


@attrs.frozen(kw_only=True)
class Index:
    """An index on ``table``'s ``columns``, added by version ``since`` and dropped by version ``until``
    (``None``: current). With ``where``, a partial index: only the rows that match are in it."""

    name: str
    table: str
    columns: tuple[str, ...]
    where: str | None = None
    since: int = 1
    until: int | None = None

    def ddl(self) -> str:
        """The same on both dialects."""
        text = f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} ({', '.join(self.columns)})"
        return text if self.where is None else f"{text} WHERE {self.where}"

    def drop(self) -> str:
        """The same on both dialects."""
        return f"DROP INDEX IF EXISTS {self.name}"


@attrs.frozen(kw_only=True)
class Table:
    """A table, its columns in order, its primary key and the version that created it."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    since: int = 1

    def at(self, version: int) -> tuple[Column, ...]:
        """The columns the table has at schema ``version``."""
        return tuple(c for c in self.columns if c.since <= version)

    def create(self, dialect: Dialect, version: int) -> str:
        """``CREATE TABLE`` for the table as it is at ``version``."""
        body = [c.ddl(dialect) for c in self.at(version)]
        body.append(f"PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  " + ",\n  ".join(body) + "\n)"

    @property
    def names(self) -> tuple[str, ...]:
        """The current columns' names, in order."""
        return tuple(c.name for c in self.columns)


def _ints(*names: str, since: int = 1) -> tuple[Column, ...]:
    return tuple(Column(name=n, type="int", null=False, default="0", since=since) for n in names)


TOKEN_BUCKETS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")

#: Upper edges (milliseconds) of the latency and time-to-first-token buckets: 1, 1.5, 2, 3, 5, 7 per
#: decade from 1 ms to 700 s (each about 1.4x the one before: a percentile read from them is within
#: about 20% of the true one), then one bucket for everything longer.
LATENCY_EDGES_MS: tuple[float, ...] = tuple(m * 10.0 ** d for d in range(6) for m in (1, 1.5, 2, 3, 5, 7))
#: Number of histogram buckets: one per edge, plus the overflow.
HISTOGRAM_BUCKETS = len(LATENCY_EDGES_MS) + 1
LATENCY_COLUMNS = tuple(f"lat_{i:02d}" for i in range(HISTOGRAM_BUCKETS))
TTFT_COLUMNS = tuple(f"ttft_{i:02d}" for i in range(HISTOGRAM_BUCKETS))


def histogram_bucket(micros: int) -> int:
    """The bucket (index into :data:`LATENCY_COLUMNS`) of a duration given in microseconds."""
    return bisect.bisect_left(LATENCY_EDGES_MS, micros / 1000.0)


CALLS = Table(
    name="calls",
    primary_key=("id",),
    columns=(
        Column(name="id", type="text", null=False),  # UUIDv7: time-ordered
        Column(name="parent_id", type="text"),  # an attempt's call
        Column(name="kind", type="text", null=False),  # chat, stream, embed, list_models, attempt
        Column(name="started_at", type="int", null=False),
        Column(name="ended_at", type="int", null=False),
        Column(name="provider", type="text"),  # who answered (for an attempt: who was tried)
        Column(name="requested", type="text", null=False),  # the address asked for
        Column(name="model", type="text"),  # the resolved model, without the provider
        Column(name="chain", type="text"),  # the chain's name, for a chain/... address
        Column(name="route", type="text"),  # the routing trace, compact; NULL for one direct attempt
        Column(name="caller", type="text"),
        Column(name="user_id", type="text"),
        Column(name="agent", type="text"),
        Column(name="conversation_id", type="text"),
        Column(name="message_id", type="text"),
        Column(name="tags", type="text"),  # JSON of the tags not given a column above; NULL for none
        Column(name="status", type="text", null=False),  # ok, error, cancelled
        Column(name="error_class", type="text"),
        Column(name="status_code", type="int"),  # the HTTP status of a failed call or attempt
        Column(name="finish_reason", type="text"),
        Column(name="stream", type="int", null=False, default="0"),
        Column(name="partial", type="int", null=False, default="0"),
        *_ints(*TOKEN_BUCKETS),
        Column(name="usage_estimated", type="int", null=False, default="0"),
        Column(name="cost_nanos", type="int"),  # NULL: unknown, never 0
        Column(name="cost_status", type="text"),  # exact, estimated, unknown; NULL for an attempt
        Column(name="price_version", type="text"),
        Column(name="reported_cost_nanos", type="int"),  # what the provider said it charged
        Column(name="duration_us", type="int", null=False),
        Column(name="ttft_us", type="int"),
        Column(name="waited_us", type="int"),  # an attempt's wait before it (back-off, Retry-After)
        # The admission decisions (budgets: reserved, denied, settled...), JSON; the budget or rule that
        # refused the call, when one did. See modelplex_store.budgets.audit.
        Column(name="admission", type="text", since=3),
        Column(name="denied_by", type="text", since=3),
    ),
)

CALL_CONTENTS = Table(
    name="call_contents",
    primary_key=("call_id",),
    columns=(
        Column(name="call_id", type="text", null=False),
        Column(name="request", type="text"),  # JSON
        Column(name="response", type="text"),  # JSON
    ),
)

ROLLUP_KEY = ("grain", "bucket_start", "provider", "model", "status", "caller")
#: What a rollup sums; every one is a plain count or sum, added by an upsert.
ROLLUP_SUMS = ("calls", "errors", *TOKEN_BUCKETS, "estimated_calls", "priced_calls", "cost_nanos",
               "unpriced_calls", "duration_us", "ttft_calls", "ttft_us", *LATENCY_COLUMNS, *TTFT_COLUMNS)

ROLLUPS = Table(
    name="rollups",
    primary_key=ROLLUP_KEY,
    columns=(
        Column(name="grain", type="text", null=False),  # hour, day
        Column(name="bucket_start", type="int", null=False),
        Column(name="provider", type="text", null=False),
        Column(name="model", type="text", null=False),
        Column(name="status", type="text", null=False),
        Column(name="caller", type="text", null=False),
        *_ints(*ROLLUP_SUMS),
    ),
)

SCHEMA_MIGRATIONS = Table(
    name="schema_migrations",
    primary_key=("version",),
    columns=(
        Column(name="version", type="int", null=False),
        Column(name="applied_at", type="int", null=False),  # microseconds since the epoch
    ),
)

# Conversations (modelplex_store.conversations): a conversation's current model, system prompt, default
# options (JSON) and ``head``, the last message of its active branch; each message's role, parts (JSON of
# modelplex.unstructure), the provider, address asked for and resolved model that produced it, its usage
# and cost (JSON, and cost_nanos), and ``call_id``, the calls row of that call. Branches: a message's
# ``parent_id`` is the one before it; messages sharing a parent are siblings, numbered by ``sibling``.
CONVERSATIONS = Table(
    name="conversations",
    since=2,
    primary_key=("id",),
    columns=(
        Column(name="id", type="text", null=False, since=2),
        Column(name="title", type="text", since=2),
        Column(name="model", type="text", since=2),  # the address later messages go to
        Column(name="system", type="text", since=2),
        Column(name="options", type="text", since=2),  # JSON of the default chat options
        Column(name="head", type="text", since=2),  # NULL: no message yet
        Column(name="created_at", type="int", null=False, since=2),
        Column(name="updated_at", type="int", null=False, since=2),
    ),
)

MESSAGES = Table(
    name="messages",
    since=2,
    primary_key=("id",),
    columns=(
        Column(name="id", type="text", null=False, since=2),
        Column(name="conversation_id", type="text", null=False, since=2),
        Column(name="parent_id", type="text", since=2),  # NULL: the first message
        Column(name="sibling", type="int", null=False, default="0", since=2),
        Column(name="role", type="text", null=False, since=2),
        Column(name="parts", type="text", null=False, since=2),  # JSON
        Column(name="provider", type="text", since=2),
        Column(name="requested", type="text", since=2),
        Column(name="model", type="text", since=2),
        Column(name="usage", type="text", since=2),  # JSON; NULL for a message no model produced
        Column(name="cost", type="text", since=2),  # JSON of modelplex.Cost
        Column(name="cost_nanos", type="int", since=2),  # NULL: unknown, never 0
        Column(name="call_id", type="text", since=2),  # calls.id of the call that produced it
        Column(name="created_at", type="int", null=False, since=2),
    ),
)

# The budget ledger (modelplex_store.budgets.sql): a row per budget, counter (subject: '' or the tag,
# caller or run value) and window; the unexpired reservations of attempts in flight; each alert threshold
# fired, once per window (the primary key decides which process fires); budget changes, who and when.
BUDGET_COUNTERS = Table(
    name="budget_counters",
    since=3,
    primary_key=("budget", "subject", "window_start"),
    columns=(
        Column(name="budget", type="text", null=False, since=3),
        Column(name="subject", type="text", null=False, since=3),
        Column(name="window_start", type="int", null=False, since=3),
        Column(name="window_end", type="int", since=3),  # NULL: never resets
        *_ints("spent_nanos", "calls", "unpriced_calls", since=3),
    ),
)

BUDGET_RESERVATIONS = Table(
    name="budget_reservations",
    since=3,
    primary_key=("token", "budget", "subject"),
    columns=(
        Column(name="token", type="text", null=False, since=3),
        Column(name="budget", type="text", null=False, since=3),
        Column(name="subject", type="text", null=False, since=3),
        Column(name="window_start", type="int", null=False, since=3),
        Column(name="amount_nanos", type="int", null=False, since=3),
        Column(name="expires_at", type="int", null=False, since=3),
    ),
)

BUDGET_ALERTS = Table(
    name="budget_alerts",
    since=3,
    primary_key=("budget", "subject", "window_start", "threshold"),
    columns=(
        Column(name="budget", type="text", null=False, since=3),
        Column(name="subject", type="text", null=False, since=3),
        Column(name="window_start", type="int", null=False, since=3),
        Column(name="threshold", type="int", null=False, since=3),
        Column(name="fired_at", type="int", null=False, since=3),
        Column(name="spent_nanos", type="int", null=False, since=3),
    ),
)

BUDGET_CHANGES = Table(
    name="budget_changes",
    since=3,
    primary_key=("id",),
    columns=(
        Column(name="id", type="text", null=False, since=3),  # UUIDv7
        Column(name="at", type="int", null=False, since=3),
        Column(name="who", type="text", null=False, since=3),
        Column(name="budget", type="text", null=False, since=3),
        Column(name="before_json", type="text", since=3),  # NULL for a budget created
        Column(name="after_json", type="text", since=3),  # NULL for a budget removed
    ),
)

# The gateway's virtual keys (modelplex_gateway.keys): only a key's SHA-256 (``hash``, hex) is kept, never
# the key; its public ``id`` names it in lists, logs and usage rows. Scopes and tags are JSON; the budget is
# dollars as text (exact) per ``budget_window``; times are microseconds, NULL for none.
GATEWAY_KEYS = Table(
    name="gateway_keys",
    since=4,
    primary_key=("hash",),
    columns=(
        Column(name="hash", type="text", null=False, since=4),
        Column(name="id", type="text", null=False, since=4),
        Column(name="name", type="text", since=4),
        Column(name="scopes", type="text", since=4),  # JSON list; NULL: every model
        Column(name="tags", type="text", since=4),  # JSON object
        Column(name="admin", type="int", null=False, default="0", since=4),
        Column(name="budget", type="text", since=4),  # dollars; NULL: none of its own
        Column(name="budget_window", type="text", since=4),
        Column(name="rpm", type="int", since=4),
        Column(name="concurrency", type="int", since=4),
        Column(name="created_at", type="int", null=False, since=4),
        Column(name="expires_at", type="int", since=4),
        Column(name="revoked_at", type="int", since=4),
        Column(name="tpm", type="int", since=5),  # tokens a minute, as the upstreams count them
    ),
)

TABLES = (SCHEMA_MIGRATIONS, CALLS, CALL_CONTENTS, ROLLUPS, CONVERSATIONS, MESSAGES, BUDGET_COUNTERS,
          BUDGET_RESERVATIONS, BUDGET_ALERTS, BUDGET_CHANGES, GATEWAY_KEYS)

INDEXES = (
    Index(name="calls_started", table="calls", columns=("started_at",)),
    Index(name="calls_model", table="calls", columns=("provider", "model", "started_at")),
    Index(name="calls_caller", table="calls", columns=("caller", "started_at")),
    Index(name="calls_conversation", table="calls", columns=("conversation_id", "started_at"), until=6),
    Index(name="calls_status", table="calls", columns=("status", "started_at")),
    Index(name="calls_parent", table="calls", columns=("parent_id",), until=6),
    # Partial: most calls belong to no conversation and are no attempt, and an index of all rows kept a
    # NULL entry of each, one B-tree insert a row for nothing. ``column = ?`` (and ``IN``) implies
    # ``IS NOT NULL`` to both planners, so the queries by conversation and by parent still use them.
    Index(name="calls_in_conversation", table="calls", columns=("conversation_id", "started_at"),
          where="conversation_id IS NOT NULL", since=6),
    Index(name="calls_attempts", table="calls", columns=("parent_id",), where="parent_id IS NOT NULL",
          since=6),
    Index(name="rollups_bucket", table="rollups", columns=("grain", "bucket_start")),
    Index(name="messages_conversation", table="messages", columns=("conversation_id", "created_at"),
          since=2),
    Index(name="conversations_updated", table="conversations", columns=("updated_at",), since=2),
    Index(name="budget_reservations_counter", table="budget_reservations",
          columns=("budget", "subject", "window_start"), since=3),
    Index(name="gateway_keys_id", table="gateway_keys", columns=("id",), since=4),
)
#: The indexes a database at :data:`VERSION` has.
CURRENT_INDEXES = tuple(i for i in INDEXES if i.until is None)


def ddl(version: int, dialect: Dialect, tables: tuple[Table, ...] = TABLES,
        indexes: tuple[Index, ...] = INDEXES) -> list[str]:
    """The statements that take a database at ``version - 1`` to ``version``: the tables created by that
    version, the columns it added to older tables, the indexes it drops and those it makes (of
    ``tables`` and ``indexes``, by default the store's)."""
    statements = [t.create(dialect, version) for t in tables if t.since == version]
    for table in tables:
        if table.since < version:
            statements += [f"ALTER TABLE {table.name} ADD COLUMN {c.ddl(dialect)}"
                           for c in table.columns if c.since == version]
    statements += [i.drop() for i in indexes if i.until == version]
    statements += [i.ddl() for i in indexes if i.since == version]
    return statements
