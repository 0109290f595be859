"""Which servers have no Responses API, remembered across processes: without it every ``modelplex chat``
to such a server first sent a request that failed with 404.

A small JSON file, ``openai-routes.json`` in the user's cache directory (``MODELPLEX_CACHE_DIR`` chooses
another), maps a base URL (scheme, host, port and path: never its user part or query, so never a key) to
the API that works there and when that was learned::

    {"version": 1, "routes": {"http://localhost:1234/v1": {"api": "chat_completions", "at": 1764614400}}}

An entry is trusted for :data:`TTL` seconds, then the Responses API is tried again: local servers gain it
when upgraded (LM Studio, Ollama and vLLM each added ``/v1/responses`` during 2025), and one 404 a week is
cheap. Nothing is remembered for OpenAI's own API (it has the Responses API; a 404 there comes from
something in between) nor through a configured transport (a test's mock is not the server). It is a
cache: a file that cannot be read or written is as good as no file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from modelplex import ProviderContext

CACHE_ENV = "MODELPLEX_CACHE_DIR"
FILE_NAME = "openai-routes.json"
TTL = 7 * 24 * 3600
_VERSION = 1
_OPENAI_HOST = "api.openai.com"


def cache_path() -> Path:
    """The cache file: in ``$MODELPLEX_CACHE_DIR``, else the user's cache directory for modelplex."""
    root = os.environ.get(CACHE_ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("modelplex", appauthor=False)
    return Path(root) / FILE_NAME


def cache_key(base_url: str) -> str | None:
    """``scheme://host[:port]/path`` of ``base_url``, with no user part, query or fragment."""
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def remembers(ctx: ProviderContext, base_url: str) -> bool:
    """Whether what is learned about ``base_url`` through ``ctx`` may be kept across processes."""
    key = cache_key(base_url)
    return key is not None and ctx.settings.transport is None and urlsplit(key).hostname != _OPENAI_HOST


def _routes(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    routes = data.get("routes") if isinstance(data, dict) and data.get("version") == _VERSION else None
    return routes if isinstance(routes, dict) else {}


def recall(ctx: ProviderContext, base_url: str) -> str | None:
    """The API remembered for ``base_url`` and still fresh, if any."""
    if not remembers(ctx, base_url):
        return None
    entry = _routes(cache_path()).get(cache_key(base_url) or "")
    if not isinstance(entry, dict) or not isinstance(entry.get("api"), str):
        return None
    at = entry.get("at")
    if isinstance(at, bool) or not isinstance(at, int | float) or not 0 <= time.time() - at < TTL:
        return None
    return str(entry["api"])


def remember(ctx: ProviderContext, base_url: str, api: str) -> None:
    """Keep ``api`` as the one that works at ``base_url``: written whole to a temporary file and moved
    into place, so that a process reading at the same time sees the old file or the new one."""
    key = cache_key(base_url)
    if key is None or not remembers(ctx, base_url):
        return
    path = cache_path()
    routes = _routes(path)
    routes[key] = {"api": api, "at": int(time.time())}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".openai-routes-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"version": _VERSION, "routes": routes}, out, indent=1, sort_keys=True)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:  # a read-only home, a full disk: the next process tries /responses once more
        return
