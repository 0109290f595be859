"""What the core hands a provider plugin: its resolved settings and a context with a pooled HTTP client."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from modelplex._bounds import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES
from modelplex._json import JSON
from modelplex._secret import MASK, Secret, is_secret_name, remember_credential, scrub_url
from modelplex.errors import MissingCredentialsError, PluginError

T = TypeVar("T")
_SENDER: dict[str, Callable[..., Awaitable[httpx.Response]]] = {}  # filled on the first request

if TYPE_CHECKING:
    import httpx

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 600.0
# The whole of one call (a chat or an embedding; for a stream, until its first event), connection included.
DEFAULT_CALL_TIMEOUT = 600.0


def _lower_names(names: Iterable[str]) -> tuple[str, ...]:
    if isinstance(names, str):  # one name given alone, not its letters
        names = (names,)
    return tuple(sorted({str(n).lower() for n in names}))


# The chat options a provider may narrow (numbers, all of them).
RANGED_OPTIONS = frozenset(("temperature", "top_p", "max_tokens", "seed", "reasoning_budget"))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_option(field: str, name: object) -> None:
    if name not in RANGED_OPTIONS:
        raise PluginError(f"ProviderInfo.{field}: {name!r} is not a numeric chat option "
                          f"(expected one of {', '.join(sorted(RANGED_OPTIONS))})")


def _check_ranges(value: Mapping[str, tuple[float, float]]) -> None:
    for name, bounds in value.items():
        _check_option("option_ranges", name)
        if (not isinstance(bounds, tuple) or len(bounds) != 2 or not all(map(_is_number, bounds))
                or bounds[0] > bounds[1]):
            raise PluginError(f"ProviderInfo.option_ranges[{name!r}]: expected (low, high), two finite "
                              f"numbers with low <= high, got {bounds!r}")


def _check_limits(value: Mapping[str, float]) -> None:
    for name, limit in value.items():
        _check_option("option_limits", name)
        if not _is_number(limit):
            raise PluginError(f"ProviderInfo.option_limits[{name!r}]: expected a finite number, "
                              f"got {limit!r}")


# The classes a plugin's discovery builds are the standard library's dataclasses (frozen, slotted,
# keyword-only, as the attrs classes elsewhere): importing attrs is a fifth of a client's start
# (docs/hot-paths.md), and the first call loads it only if it makes one.
@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderInfo:
    """What a plugin says about the provider it serves, returned by ``modelplex_provider_info``.

    ``spec_version`` is the version of :mod:`modelplex.hookspecs` the plugin was written for; a
    plugin whose version the core does not support is skipped and reported.
    ``api_key_env`` and ``base_url_env`` name the environment variables the core reads, in order;
    ``option_env`` does the same for the plugin's own options (``{"api_version": ("OPENAI_API_VERSION",)}``),
    read only when neither arguments nor the config file set the option. Plugins never read
    ``os.environ`` themselves, so a client built with ``env=...`` sees exactly that environment.

    ``option_ranges`` gives the values the provider's API accepts for a numeric chat option where
    they are narrower than Modelplex's own checks (``{"temperature": (0, 1)}`` for Anthropic): a call
    with a value outside is refused before sending, naming the provider. ``option_limits`` gives upper
    bounds that depend on the model (``{"max_tokens": 64000}``, the most output any of the provider's
    models is known to give): a value above is sent, with a warning, since only the provider knows
    each model's limit. Both take ``temperature``, ``top_p``, ``max_tokens``, ``seed`` and
    ``reasoning_budget``.

    ``aliases`` are other names that reach this plugin in ``plugin = "..."`` and in addresses (a name
    it was once known by, or one a shared config already uses), so a rename breaks no config.

    ``catalog`` names the plugin's model catalog, a package resource ``"package:file"``
    (``"modelplex_acme:models.json"``): what it knows of its models' limits, capabilities, tier and
    prices. Only the name is given here; the file is read on the catalog's first use, never at
    registration (its format: :mod:`modelplex._catalog.data`).
    """

    spec_version: int
    description: str = ""
    api_key_env: tuple[str, ...] = ()
    base_url_env: tuple[str, ...] = ()
    option_env: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_base_url: str | None = None
    requires_api_key: bool = True
    local: bool = False
    aliases: tuple[str, ...] = ()
    option_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    option_limits: Mapping[str, float] = field(default_factory=dict)
    catalog: str | None = None

    def __post_init__(self) -> None:
        _check_ranges(self.option_ranges)
        _check_limits(self.option_limits)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ProviderSettings:
    """A provider's configuration after merging arguments, environment variables and the config file.

    ``options`` holds every other key, for the plugin to read (``api_version``, ``deployments``, ...).
    ``transport`` replaces the HTTP transport (``httpx.MockTransport`` in tests).
    Timeouts, in seconds: ``connect_timeout`` to connect, ``read_timeout`` between two reads,
    ``call_timeout`` for the whole of one call (for a stream: until its first event).
    ``base_url_source`` says which setting chose ``base_url`` (``"OPENAI_BASE_URL"``, ``"[providers.x] in
    config file /path"``, ``"the x plugin's default"``), named by an error when it cannot be reached.
    Sizes, in decoded bytes: ``max_response_bytes`` for a reply read whole (128 MiB),
    ``max_event_bytes`` for one event or line of a stream (16 MiB); past them the call fails with a
    :class:`~modelplex.errors.ResponseParseError` rather than hold what a hostile server sends.

    The values of ``headers`` that carry a credential are secrets: those whose name says so
    (``Authorization``, ``X-Api-Key``, ``X-Auth-Token``, ``Cookie``...) and those ``secret_headers``
    names. Errors and log lines are scrubbed of them, and the repr shows none of them.
    """

    name: str
    plugin: str
    api_key: Secret | None = None
    api_key_env: tuple[str, ...] = ()
    base_url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    secret_headers: tuple[str, ...] = ()  # any iterable of names: kept lower-cased, sorted, once each
    options: Mapping[str, JSON] = field(default_factory=dict)
    transport: Any = field(default=None, compare=False)
    base_url_source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "secret_headers", _lower_names(self.secret_headers))
        for name, value in self.headers.items():
            if self.is_secret_header(name):
                remember_credential(value)

    def is_secret_header(self, name: str) -> bool:
        """Whether the value of header ``name`` is a secret (by its name, or named in ``secret_headers``)."""
        return name.lower() in self.secret_headers or is_secret_name(name)

    def __repr__(self) -> str:
        # Built by hand, once per provider at most: a generated repr would show header and option values.
        headers = {k: MASK if self.is_secret_header(k) else v for k, v in self.headers.items()}
        options = {k: MASK if is_secret_name(k) else v for k, v in self.options.items()}
        return scrub_url(
            f"ProviderSettings(name={self.name!r}, plugin={self.plugin!r}, api_key={self.api_key!r}, "
            f"api_key_env={self.api_key_env!r}, base_url={self.base_url!r}, headers={headers!r}, "
            f"connect_timeout={self.connect_timeout!r}, read_timeout={self.read_timeout!r}, "
            f"call_timeout={self.call_timeout!r}, max_response_bytes={self.max_response_bytes!r}, "
            f"max_event_bytes={self.max_event_bytes!r}, secret_headers={self.secret_headers!r}, "
            f"options={options!r})")


class ProviderContext:
    """One configured provider: settings, a lazily built pooled ``httpx.AsyncClient``, and plugin state.

    The client owns it and closes its HTTP connections when the client closes. ``state`` is a dict the
    plugin may use for what it learns at run time (which API route a server accepts, for instance).
    """

    __slots__ = ("_http", "name", "settings", "state")

    def __init__(self, settings: ProviderSettings) -> None:
        self.name = settings.name
        self.settings = settings
        self.state: dict[str, Any] = {}
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"ProviderContext(name={self.name!r}, plugin={self.settings.plugin!r})"

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            from modelplex._http import build  # httpx and aiohttp load here, on the first call

            self._http = build(self.settings)
        return self._http

    async def post_json(self, url: str, body: Any, headers: Mapping[str, str]) -> httpx.Response:
        """``await ctx.http.post(url, json=body, headers=headers)``: the same request on the wire and
        the same response, read whole, without httpx's per-request machinery where the client needs
        none of it (no proxy, cookie, auth or event hook; a test transport goes through httpx).
        About 40 µs less a call (``docs/benchmarks.md``): use it for every JSON request read whole."""
        send = _SENDER.get("post_json")
        if send is None:
            from modelplex._http import post_json  # httpx and aiohttp load here, with the first call

            send = _SENDER["post_json"] = post_json
        return await send(self.http, url, body, headers)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """``build()``, worked out on this provider's first call and kept for the client's life.

        For what depends on the settings alone (request headers, URLs, codecs): settings cannot change
        once a provider is configured, and working such things out anew costs on every call. Keep
        headers that carry the key in a :class:`~modelplex.SecretHeaders`.
        """
        try:
            value: T = self.state[key]
        except KeyError:
            value = self.state[key] = build()
        return value

    def api_key(self) -> str:
        """The key for the wire, or :class:`MissingCredentialsError` naming where to put one."""
        key = self.settings.api_key
        if key is None or not key:
            raise MissingCredentialsError(self.name, self.settings.api_key_env)
        return key.reveal()

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()
