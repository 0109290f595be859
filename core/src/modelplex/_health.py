"""Health: what the client knows of each provider and model, and probes that cost nothing.

A probe asks a provider for its model list (``modelplex_list_models``): a free endpoint, never a billed
completion. Its outcome is recorded like a call's (under the provider's name), so a provider whose probe
fails repeatedly, or answers 429 with ``Retry-After``, cools down and is left out of chains until then.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

import attrs

from modelplex._cooldown import CoolDownState, describe
from modelplex.errors import ModelplexError

if TYPE_CHECKING:
    from modelplex._client import AsyncClient

PROBE_TIMEOUT = 10.0


@attrs.frozen(kw_only=True)
class HealthStatus:
    """The health of a provider (``target`` is its name) or of a model (``provider/model``).

    ``state``: ``ok``; ``failing`` (failed lately, still in rotation); ``cooling_down`` (out of chains'
    rotation for ``cooling_down_for`` more seconds); ``not_configured`` (no key); ``unknown``.
    ``last_error`` is scrubbed of secrets; times are Unix times. ``latency`` and ``models`` come from
    this check's probe, when one was made.
    """

    target: str
    state: Literal["ok", "failing", "cooling_down", "not_configured", "unknown"]
    consecutive_failures: int = 0
    cooling_down_for: float = 0.0
    last_error: str | None = None
    last_error_at: float | None = None
    last_ok_at: float | None = None
    latency: float | None = None
    models: int | None = None


def status(target: str, state: CoolDownState | None, now: float, *, latency: float | None = None,
           models: int | None = None) -> HealthStatus:
    if state is None:
        return HealthStatus(target=target, state="unknown", latency=latency, models=models)
    left = max(0.0, state.until - now)
    kind: Literal["ok", "failing", "cooling_down", "unknown"]
    if left > 0:
        kind = "cooling_down"
    elif state.failures:
        kind = "failing"
    elif state.last_ok_at is not None:
        kind = "ok"
    else:
        kind = "unknown"
    return HealthStatus(target=target, state=kind, consecutive_failures=state.failures,
                        cooling_down_for=round(left, 3), last_error=state.last_error,
                        last_error_at=state.last_error_at, last_ok_at=state.last_ok_at,
                        latency=latency, models=models)


def providers(client: AsyncClient) -> list[str]:
    """The providers to look at: every installed plugin and every configured name."""
    return sorted({*client.registry.names, *client.settings.configured_names()})


async def health(client: AsyncClient, probe: bool = False) -> list[HealthStatus]:
    """Every provider and model the client knows something of, providers first.

    With ``probe``, each configured provider that can list its models is asked to (concurrently, at
    most ``PROBE_TIMEOUT`` seconds each) and the outcome recorded first.
    """
    import anyio

    from modelplex._call.attempt import listing

    router = client.router
    probed: dict[str, tuple[float, int]] = {}
    unconfigured: set[str] = set()

    async def check(name: str) -> None:
        try:
            ctx = client.context(name)
            record = client.registry.owner(ctx.settings.plugin)
        except ModelplexError:
            return
        if record.info.requires_api_key and not ctx.settings.api_key:
            unconfigured.add(name)
            return
        if not probe or "modelplex_list_models" not in record.hooks:
            return
        started = time.monotonic()
        try:  # the call path's listing: its deadline mechanism, its error translation
            models = await listing(client, name, limit=PROBE_TIMEOUT)
        except ModelplexError as exc:
            await router.failed(name, exc)
            if not getattr(exc, "is_retryable", False):  # not a cool-down matter, but a failed check
                await router.cooldowns.failure(name, describe(exc), threshold=10**9, period=0.0,
                                               retry_after=None)
        else:
            probed[name] = (time.monotonic() - started, len(models))
            await router.succeeded(name, always=True)

    names = providers(client)
    async with anyio.create_task_group() as tg:
        for name in names:
            tg.start_soon(check, name)
    states = await router.cooldowns.all()
    now = time.time()
    out = []
    for name in names:
        latency, count = probed.get(name, (None, None))
        if name in unconfigured:
            out.append(HealthStatus(target=name, state="not_configured"))
        else:
            out.append(status(name, states.get(name), now, latency=latency, models=count))
    out += [status(key, state, now) for key, state in sorted(states.items())
            if "/" in key]
    return out
