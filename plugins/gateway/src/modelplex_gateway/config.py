"""The gateway's own settings: where it listens and how many worker processes it runs."""

from __future__ import annotations

import attrs

#: Loopback only by default: one user on a laptop, no key needed (see :mod:`modelplex_gateway.auth`).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4000


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, got {value}")


@attrs.frozen(kw_only=True, slots=True)
class GatewayConfig:
    """How the gateway is served.

    ``graceful_timeout`` bounds how long a shutdown waits for requests (streams included) in flight;
    ``None`` waits for all of them, so that none is cut and no usage row is lost.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = attrs.field(default=1, validator=_positive)
    graceful_timeout: float | None = None
