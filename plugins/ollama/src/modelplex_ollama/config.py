"""Where Ollama is (``OLLAMA_HOST`` read as Ollama reads it) and the plugin's own settings.

Settings under ``[providers.ollama]`` beyond the core's (``base_url``, ``api_key``, ``headers``, timeouts):

``keep_alive``
    how long Ollama keeps the model loaded after a request (``"10m"``, ``3600``, ``-1`` for ever).
``num_ctx``
    the context window Ollama gives the model (its ``options.num_ctx``).
``options``
    a table of model options sent with every chat (``top_k``, ``repeat_penalty``, ``num_gpu``, ...).
``embed_batch_size``
    how many inputs one ``/api/embed`` request carries (default 64).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from modelplex import ProviderSettings
from modelplex.errors import ConfigurationError
from modelplex_ollama.plugin import BASE_URL_ENV, DEFAULT_BASE_URL

DEFAULT_PORT = 11434
DEFAULT_EMBED_BATCH = 64


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def normalize_host(value: str) -> str:
    """A URL to connect to, from ``OLLAMA_HOST``-style text, following Ollama's own rules.

    Without a scheme it is ``http`` on port 11434 (``127.0.0.1`` -> ``http://127.0.0.1:11434``);
    ``http://host`` means port 80 and ``https://host`` port 443; ``ollama.com`` alone is
    ``https://ollama.com``. The unspecified bind addresses ``0.0.0.0`` and ``::`` become the loopback
    address, which a client can connect to. A path (a reverse proxy's prefix) is kept.
    """
    text = value.strip().rstrip("/")
    scheme, sep, hostport = text.partition("://")
    default_port = DEFAULT_PORT
    if not sep:
        scheme, hostport = "http", text
        if text == "ollama.com":
            scheme, hostport = "https", "ollama.com:443"
    elif scheme == "http":
        default_port = 80
    elif scheme == "https":
        default_port = 443
    else:
        raise ConfigurationError(f"ollama: the address {value!r} has scheme {scheme!r}; use http or https")
    hostport, _, path = hostport.partition("/")
    ip = _ip(hostport.strip("[]"))
    if ip is not None:  # a bare address, IPv6 ones included: no port
        host, port = str(ip), None
    else:
        try:
            parts = urlsplit(f"//{hostport}")
            port = parts.port
        except ValueError:
            raise ConfigurationError(f"ollama: cannot read the address {value!r} (OLLAMA_HOST takes "
                                     "host, host:port or a URL such as http://127.0.0.1:11434)") from None
        host = parts.hostname or "127.0.0.1"
        ip = _ip(host)
    if ip is not None and ip.is_unspecified:
        host = "127.0.0.1" if ip.version == 4 else "::1"
    port = default_port if port is None else port
    implicit = (scheme, port) in (("http", 80), ("https", 443))
    url = f"{scheme}://{_bracket(host)}" + ("" if implicit else f":{port}")
    return f"{url}/{path}" if path else url


def base_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """The server's URL from ``OLLAMA_HOST``, then ``OLLAMA_BASE_URL``, else the default."""
    env = os.environ if env is None else env
    raw = next((env[name] for name in BASE_URL_ENV if env.get(name, "").strip()), DEFAULT_BASE_URL)
    return normalize_host(raw)


def base_url(settings: ProviderSettings) -> str:
    return normalize_host(settings.base_url or DEFAULT_BASE_URL)


def _bad(settings: ProviderSettings, key: str, want: str, value: object) -> ConfigurationError:
    return ConfigurationError(f"provider {settings.name!r}: {key!r} must be {want}, got {value!r}")


def keep_alive(settings: ProviderSettings) -> str | int | float | None:
    value: Any = settings.options.get("keep_alive")
    if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
        return value
    raise _bad(settings, "keep_alive", "a duration such as \"10m\" or a number of seconds", value)


def model_options(settings: ProviderSettings) -> dict[str, Any]:
    """The model options every chat starts from: the ``options`` table, then ``num_ctx``."""
    table: Any = settings.options.get("options", {})
    if not isinstance(table, Mapping):
        raise _bad(settings, "options", "a table of model options", table)
    out = dict(table)
    num_ctx: Any = settings.options.get("num_ctx")
    if num_ctx is not None:
        if isinstance(num_ctx, bool) or not isinstance(num_ctx, int) or num_ctx <= 0:
            raise _bad(settings, "num_ctx", "a positive whole number of tokens", num_ctx)
        out["num_ctx"] = num_ctx
    return out


def embed_batch_size(settings: ProviderSettings) -> int:
    value: Any = settings.options.get("embed_batch_size", DEFAULT_EMBED_BATCH)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _bad(settings, "embed_batch_size", "a positive whole number", value)
    return value
