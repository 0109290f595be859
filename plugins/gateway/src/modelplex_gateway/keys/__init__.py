"""Virtual keys (issue 17, item 4): made with ``modelplex gateway keys create`` or ``POST /admin/keys``,
shown once, kept as SHA-256 hashes in the store's database; each with scopes, tags, an expiry, a budget
(issue 15's ledger, scoped on the key) and request limits (the core's rate limiter, in Redis when one is
configured); revoked on every instance within a second.

:func:`key_authenticator` is what :func:`modelplex_gateway.app.create_app` asks for; :func:`routes` the
administrative routes; :func:`install` adds the middleware that settles request limits. Settings::

    [gateway]
    admin_key_env = "MODELPLEX_GATEWAY_ADMIN_KEY"   # the variable holding the admin key (the default)
    rate_window = 60                                # seconds of a key's rpm and tpm (shorter only to test)

Without modelplex-store installed there are no keys: the gateway serves its own machine only.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelplex.errors import ConfigurationError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.routing import BaseRoute

    import modelplex
    from modelplex_gateway.keys.authenticator import KeyAuthenticator

#: The variable holding the admin key when ``[gateway] admin_key_env`` names none.
ADMIN_KEY_ENV = "MODELPLEX_GATEWAY_ADMIN_KEY"


def gateway_settings(config: Mapping[str, Any]) -> tuple[str, float]:
    """``[gateway]``'s admin key variable and rate window."""
    table = config.get("gateway", {})
    if not isinstance(table, Mapping):
        raise ConfigurationError("[gateway] must be a table")
    env_name = table.get("admin_key_env", ADMIN_KEY_ENV)
    window = table.get("rate_window", 60)
    if not isinstance(env_name, str) or not env_name:
        raise ConfigurationError("[gateway] 'admin_key_env' must name an environment variable")
    if isinstance(window, bool) or not isinstance(window, int | float) or window <= 0:
        raise ConfigurationError(f"[gateway] 'rate_window' must be seconds > 0, got {window!r}")
    return env_name, float(window)


def key_authenticator(client: modelplex.AsyncClient,
                      env: Mapping[str, str] | None = None) -> KeyAuthenticator | None:
    """The virtual-key authenticator for ``client``'s configuration (``None`` without modelplex-store);
    registers the plugin that enforces keys' budgets on ``client``.

    Not named ``authenticator``: importing the submodule :mod:`.authenticator` rebinds the package's
    attribute of that name to the module, and a second app made in the process called the module."""
    if importlib.util.find_spec("modelplex_store") is None:
        return None
    from modelplex_store.config import resolve

    from modelplex_gateway.keys.authenticator import KeyAuthenticator
    from modelplex_gateway.keys.budgets import KeyBudgets
    from modelplex_gateway.keys.limits import KeyLimits
    from modelplex_gateway.keys.material import key_hash
    from modelplex_gateway.keys.store import KeyStore
    from modelplex_gateway.keys.tokens import KeyTokens

    environ = os.environ if env is None else env
    config = client.config
    env_name, window = gateway_settings(config)
    admin = environ.get(env_name)
    routing = client.routing
    if routing.redis:
        from modelplex._redis import RedisLimitStore, connect

        limit_store: Any = RedisLimitStore(connect(routing.redis), routing.prefix)
    else:
        from modelplex._ratelimit import MemoryLimitStore

        limit_store = MemoryLimitStore()
    limits = KeyLimits(limit_store, window)
    made = KeyAuthenticator(KeyStore(resolve(config, environ).url), limits,
                            admin_hash=key_hash(admin) if admin else None)

    def admitter() -> Any:
        from modelplex_store.budgets.admitter import Admitter
        from modelplex_store.budgets.plugin import ledger_for, ledger_settings

        url, prefix, lease = ledger_settings(config, environ)
        return Admitter((), ledger_for(url, prefix), lease=lease)

    # Named for this authenticator: a client serving two applications (tests do) keeps one per app.
    budgets = KeyBudgets(made.known, admitter)
    client.registry.register(f"gateway-keys-{id(made):x}", budgets)
    client.registry.register(f"gateway-key-tokens-{id(made):x}", KeyTokens(made.known, limits))
    made.closing.append(budgets.aclose)
    return made


def routes() -> list[BaseRoute]:
    """The administrative routes (``/admin/keys``)."""
    if importlib.util.find_spec("modelplex_store") is None:
        return []
    from modelplex_gateway.keys.admin import routes as admin_routes

    return admin_routes()


def install(app: Starlette) -> None:
    """Settle keys' request limits at each response's end, close the keys' connections at shutdown; give
    the admin routes the key store."""
    from modelplex_gateway.keys.authenticator import KeyAuthenticator
    from modelplex_gateway.keys.middleware import SettleLimits

    made = app.state.authenticate
    if isinstance(made, KeyAuthenticator):
        app.state.key_store = made.store
        app.add_middleware(SettleLimits, on_shutdown=made.aclose)
