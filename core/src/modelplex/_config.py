"""Provider settings, resolved in order: explicit arguments, then environment variables, then the config file
(and for an API key last of all the key store of ``modelplex keys set``: see :mod:`modelplex._keys`).

The config file is TOML, at ``$MODELPLEX_CONFIG`` or ``<user config dir>/modelplex/config.toml``::

    [providers.openai]
    api_key_env = "MY_OPENAI_KEY"      # read the key from another variable

    [providers.lmstudio]               # a second name served by the openai-like plugin
    plugin = "openai-like"
    base_url = "http://localhost:1234/v1"
    headers = { "X-Auth-Token" = "...", "X-Team" = "..." }
    secret_headers = ["X-Team"]        # secret too, beside those named like credentials
    max_response_bytes = 268435456     # a whole reply, decoded (default 128 MiB)
    max_event_bytes = 33554432         # one event or line of a stream (default 16 MiB)

    [models."openai/gpt-4o"]           # over the catalog: see modelplex._catalog.overrides
    prices = { input = "2.50", output = "10" }

API keys, and the values of headers whose name says they carry a credential (``Authorization``,
``X-Api-Key``, ``X-Auth-Token``, ``Cookie``...) or that ``secret_headers`` names, are secrets from the
moment the file is read: no error, log line or repr shows them.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from modelplex._bounds import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES
from modelplex._provider import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    ProviderInfo,
    ProviderSettings,
)
from modelplex._secret import MASK, Secret, is_secret_name, remember_credential, scrub_url
from modelplex.errors import ConfigurationError

CONFIG_ENV = "MODELPLEX_CONFIG"
_KNOWN_KEYS = frozenset({"plugin", "api_key", "api_key_env", "base_url", "headers", "secret_headers",
                         "connect_timeout", "read_timeout", "call_timeout", "transport",
                         "max_response_bytes", "max_event_bytes", "enabled", "default_model"})


class Config(dict[str, Any]):
    """The config file's contents, a plain dict whose repr shows no secret: API keys are
    :class:`~modelplex.Secret` objects, values under credential-like names and URL passwords are masked.
    ``path`` is the file it was read from (``None``: none was)."""

    __slots__ = ("path",)

    def __init__(self, data: Mapping[str, Any] | None = None, path: Path | None = None) -> None:
        super().__init__(data or {})
        self.path = path

    def __repr__(self) -> str:
        return scrub_url(repr(_masked(dict(self))))

    __str__ = __repr__


def _masked(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: MASK if isinstance(k, str) and is_secret_name(k) else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _secret_headers(name: str, table: Mapping[str, Any]) -> frozenset[str]:
    """The lower-cased header names that ``secret_headers`` marks secret in a provider's table."""
    names = table.get("secret_headers") or ()
    if isinstance(names, str):
        names = (names,)
    if not isinstance(names, list | tuple | set | frozenset) or not all(isinstance(n, str) for n in names):
        raise ConfigurationError(f"provider {name!r}: 'secret_headers' must be a list of header names")
    return frozenset(n.lower() for n in names)


def _hide_secrets(name: str, table: dict[str, Any]) -> None:
    """Wrap a provider table's API key in a Secret and register its credential headers' values, as soon
    as the file is read: from then on no error, log line or repr shows them."""
    if isinstance(table.get("api_key"), str):
        table["api_key"] = Secret(table["api_key"])
    headers = table.get("headers")
    if isinstance(headers, Mapping):
        marked = _secret_headers(name, table)
        for header, value in headers.items():
            if isinstance(value, str) and (header.lower() in marked or is_secret_name(header)):
                remember_credential(value)


def default_config_path(env: Mapping[str, str]) -> Path:
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    import platformdirs

    return Path(platformdirs.user_config_dir("modelplex")) / "config.toml"


def config_source(config_file: str | Path | bool | None,
                  env: Mapping[str, str]) -> tuple[Path | None, str | None]:
    """The config file a client reads (``None``: none) and the setting that named it (``None``: the default
    location, which may be absent): ``config_file`` as a client's argument, then ``$MODELPLEX_CONFIG``."""
    if config_file is False:
        return None, None
    if config_file not in (None, True):
        return Path(str(config_file)), "Client(config_file=...)"
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]), f"${CONFIG_ENV}"
    return default_config_path(env), None


def load_config(path: Path | None, named_by: str | None = None) -> dict[str, Any]:
    """Read the config file; a malformed one is a clear error. An absent file is an empty config at the
    default location, and an error when a setting (``named_by``) named it: a typo there must not pass
    in silence for a config with no providers."""
    from modelplex._logging import log

    if path is None:
        return Config()
    if not path.exists():
        if named_by is not None:
            raise ConfigurationError(f"config file {path} does not exist (named by {named_by}); create "
                                     f"it, or name another")
        log("debug", "config_absent", path=str(path))
        return Config()
    log("debug", "config_read", path=str(path), named_by=named_by or "the default location")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"config file {path}: {exc}") from None
    except OSError as exc:  # a directory, or no permission to read
        raise ConfigurationError(f"config file {path}: cannot read it: {exc.strerror or exc}") from None
    if not text.strip():  # an empty file (MODELPLEX_CONFIG=/dev/null) is an empty table: no parser needed
        return Config(path=path)
    import tomllib  # only when there is something to parse (its import is 3-5 ms of a client's start-up)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {path}: {exc}") from None
    providers = data.get("providers", {})
    if not isinstance(providers, dict) or not all(isinstance(v, dict) for v in providers.values()):
        raise ConfigurationError(f"config file {path}: [providers.NAME] sections must be tables")
    for name, table in providers.items():
        _hide_secrets(name, table)
    if "models" in data:  # [models."provider/model"] overrides, checked now: a typo fails here, named
        from modelplex._catalog.overrides import parse_overrides

        data["models"] = parse_overrides(data["models"], path)
    if "agents" in data or (isinstance(data.get("routing"), dict) and "tasks" in data["routing"]):
        from modelplex._agents.config import parse_config  # [agents.NAME], [routing.tasks]: checked now

        parse_config(data, path)
    if "policy" in data:  # [policy]: checked now, each problem with its file and line
        from modelplex._policy.loading import load_policy

        data["policy"] = load_policy(data["policy"], path)
    readable = path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    if readable and any("api_key" in v for v in providers.values()):
        warnings.warn(f"config file {path} holds an API key but others can read it; run: chmod 600 {path}",
                      stacklevel=3)
    return Config(data, path)


def _float(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"provider {name!r}: {key!r} must be a positive number of seconds, "
                                 f"got {value!r}")
    return float(value)


def _size(name: str, key: str, value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f"provider {name!r}: {key!r} must be a positive whole number of bytes, "
                                 f"got {value!r}")
    return value


class Settings:
    """Everything the client knows about providers before any plugin is asked."""

    def __init__(self, explicit: Mapping[str, Mapping[str, Any]] | None, env: Mapping[str, str],
                 config: Mapping[str, Any], keys: Callable[[str], Secret | None] | None = None) -> None:
        #: The key store (``modelplex keys set``), the last source of a key: see modelplex._keys.
        self.keys = keys
        self.explicit = {k: dict(v) for k, v in (explicit or {}).items()}
        self.env = env
        self.file = {k: dict(v) for k, v in config.get("providers", {}).items()}
        self.file_path: Path | None = getattr(config, "path", None)

    def __repr__(self) -> str:
        # The names only: the tables hold keys, and ``env`` the whole environment.
        return f"Settings(explicit={sorted(self.explicit)!r}, file={sorted(self.file)!r})"

    def plugin_for(self, name: str) -> str:
        """The plugin that serves provider ``name``: itself, unless configured as another plugin's."""
        for source in (self.explicit, self.file):
            plugin = source.get(name, {}).get("plugin")
            if plugin is not None:
                if not isinstance(plugin, str):
                    raise ConfigurationError(f"provider {name!r}: 'plugin' must be a plugin name")
                return plugin
        return name

    def configured_names(self) -> set[str]:
        return set(self.explicit) | set(self.file)

    def resolve(self, name: str, info: ProviderInfo, *, transport: Any = None,
                timeout: float | None = None, plugin: str | None = None) -> ProviderSettings:
        """``name``'s settings; ``plugin`` is the name the registry knows its plugin by (where the
        config named it by an alias), by default the configured one."""
        explicit, file = self.explicit.get(name, {}), self.file.get(name, {})
        if file.get("enabled") is False and explicit.get("enabled") is not True:
            raise ConfigurationError(f"provider {name!r} is disabled (enabled = false in the config file); "
                                     f"enable it with: modelplex providers add {name} --enable")

        def pick(key: str) -> Any:
            return explicit[key] if key in explicit else file.get(key)

        key_envs = tuple(e for e in (explicit.get("api_key_env"), file.get("api_key_env")) if e)
        key_envs = key_envs or info.api_key_env
        api_key: Any = explicit.get("api_key")
        if api_key is None:
            api_key = next((self.env[e] for e in key_envs if self.env.get(e)), None)
        if api_key is None:
            api_key = file.get("api_key")
        if api_key is None and self.keys is not None:
            api_key = self.keys(name)
        if api_key is not None and not isinstance(api_key, str | Secret):
            raise ConfigurationError(f"provider {name!r}: 'api_key' must be a string")
        owner = plugin if plugin is not None else self.plugin_for(name)
        base_url, base_url_source = self._base_url(name, owner, info, explicit, file)
        headers = pick("headers") or {}
        if not isinstance(headers, Mapping):
            raise ConfigurationError(f"provider {name!r}: 'headers' must be a table of strings")
        marked = _secret_headers(name, file) | _secret_headers(name, explicit)
        options = {k: v for k, v in {**file, **explicit}.items() if k not in _KNOWN_KEYS}
        for option, names in info.option_env.items():
            if option not in options:
                found = next((self.env[n].strip() for n in names if self.env.get(n, "").strip()), None)
                if found is not None:
                    options[option] = found
        connect = pick("connect_timeout")
        read = pick("read_timeout") or timeout
        whole = pick("call_timeout")
        return ProviderSettings(
            name=name,
            plugin=owner,
            api_key=Secret(api_key) if isinstance(api_key, str) else api_key,
            api_key_env=key_envs,
            base_url=str(base_url).rstrip("/") if base_url else None,
            headers={str(k): v.reveal() if isinstance(v, Secret) else str(v) for k, v in headers.items()},
            secret_headers=tuple(marked),
            connect_timeout=_float(name, "connect_timeout", connect) if connect else DEFAULT_CONNECT_TIMEOUT,
            read_timeout=_float(name, "read_timeout", read) if read else DEFAULT_READ_TIMEOUT,
            call_timeout=_float(name, "call_timeout", whole) if whole else DEFAULT_CALL_TIMEOUT,
            max_response_bytes=_size(name, "max_response_bytes", pick("max_response_bytes"),
                                     DEFAULT_MAX_RESPONSE_BYTES),
            max_event_bytes=_size(name, "max_event_bytes", pick("max_event_bytes"), DEFAULT_MAX_EVENT_BYTES),
            options=options,
            transport=pick("transport") or transport,
            base_url_source=base_url_source,
        )

    def _base_url(self, name: str, plugin: str, info: ProviderInfo, explicit: Mapping[str, Any],
                  file: Mapping[str, Any]) -> tuple[Any, str | None]:
        """The base URL, and the setting that chose it: the client's argument, an environment variable,
        the config file, then the plugin's default."""
        if explicit.get("base_url"):
            return explicit["base_url"], "the client's providers= argument"
        variable = next((e for e in info.base_url_env if self.env.get(e)), None)
        if variable is not None:
            return self.env[variable], variable
        if file.get("base_url"):
            where = f"config file {self.file_path}" if self.file_path is not None else "the config file"
            return file["base_url"], f"[providers.{name}] in {where}"
        if info.default_base_url:
            return info.default_base_url, f"the {plugin} plugin's default"
        return None, None


def environ() -> Mapping[str, str]:
    return os.environ
