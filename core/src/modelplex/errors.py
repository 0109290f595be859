"""Every error Modelplex raises, in one tree.

* ModelplexError
  + ConfigurationError
    - MissingCredentialsError
    - UnknownProviderError (LookupError)
    - UnknownModelError (LookupError)
  + InvalidRequestError (ValueError) bad input refused before sending (field)
  + PluginError
    - PluginLoadError
    - PluginConflictError
    - PluginIncompatibleError
  + ProviderError
    - APIStatusError                 (status_code, is_retryable)
      . AuthenticationError          401, 403
      . NotFoundError                404
        . ModelNotFoundError (LookupError)
      . RateLimitError               429 (retry_after)
        . LocalRateLimitError        the client's own limit: no request was sent
      . BadRequestError (ValueError) 400, 413, 422
        . ContextLengthExceededError
      . ServerError                  408, 409, 5xx, 529 (retryable)
    - TransportError                 connection failures and timeouts (retryable)
      . StreamInterruptedError       a stream cut off before its end
      . RequestTimeoutError          no answer within a timeout (read or whole call)
    - ResponseParseError             a body the provider should not have sent
    - RequestBuildError              the plugin failed building the request: nothing was sent
    - UnsupportedFeatureError        asked of a provider that cannot do it
    - RoutingError                   no model of a chain could answer (trace, retry_after)
  + PolicyDenied                     the governance policy forbids the call (rule, where)
    - AdmissionRefused               no candidate admitted: every one refused (also a BudgetExceeded)
  + BudgetExceeded                   a budget leaves no room for the call (scope, limit, spent, resets)
  + ToolError (ValueError)
    - ToolSchemaError                a tool definition a provider cannot take
    - ToolArgumentsError             tool-call arguments that are not a JSON object

Provider errors name the provider and the model; one that ends a call also carries the call's
``trace`` (a :class:`~modelplex.RoutingTrace`: the candidates, what was skipped and every attempt).
No error's message, repr or attributes ever hold an API key: messages are scrubbed of every secret
Modelplex has seen and of anything shaped like a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelplex._secret import scrub

if TYPE_CHECKING:
    from decimal import Decimal

    from modelplex._trace import RoutingTrace

__all__ = [
    "APIStatusError",
    "AdmissionRefused",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceeded",
    "ConfigurationError",
    "ContextLengthExceededError",
    "InvalidRequestError",
    "LocalRateLimitError",
    "MissingCredentialsError",
    "ModelNotFoundError",
    "ModelplexError",
    "NotFoundError",
    "PluginConflictError",
    "PluginError",
    "PluginIncompatibleError",
    "PluginLoadError",
    "PolicyDenied",
    "ProviderError",
    "RateLimitError",
    "RequestBuildError",
    "RequestTimeoutError",
    "ResponseParseError",
    "RoutingError",
    "ServerError",
    "StreamInterruptedError",
    "ToolArgumentsError",
    "ToolError",
    "ToolSchemaError",
    "TransportError",
    "UnknownModelError",
    "UnknownProviderError",
    "UnsupportedFeatureError",
]


class ModelplexError(Exception):
    """The root of every error Modelplex raises: catch it to handle all of them. ``str()`` is the
    scrubbed message; no error carries a secret."""

    def __init__(self, message: str) -> None:
        self.message = scrub(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigurationError(ModelplexError):
    """Settings that cannot work: a missing key, an unknown provider or model, a bad config file.

    Raised before any request is sent, by the client reading its settings or resolving an address.
    Nothing is retried: fix the settings (arguments, environment or config file) the message names.
    """


class MissingCredentialsError(ConfigurationError):
    """A provider that needs an API key has none. Raised on the first call to ``provider``, before
    anything is sent; set the key as the message says (``modelplex keys set``, an environment variable
    it names, or ``api_key=``)."""

    def __init__(self, provider: str, env_vars: tuple[str, ...] = ()) -> None:
        self.provider = provider
        where = f", set {' or '.join(env_vars)}" if env_vars else ""
        super().__init__(f"{provider}: no API key configured: store one with 'modelplex keys set {provider}'"
                         f"{where}, or pass api_key=...")


class UnknownProviderError(ConfigurationError, LookupError):
    """An address names a provider no installed plugin serves. Install its plugin
    (``pip install modelplex-<name>``), or check the spelling against ``available`` in the message."""

    def __init__(self, provider: str, known: tuple[str, ...] = (), hint: str = "") -> None:
        self.provider = provider
        names = ", ".join(known) if known else "none installed"
        super().__init__(f"unknown provider {provider!r} (available: {names}){hint}")


class UnknownModelError(ConfigurationError, LookupError):
    """A model address that cannot be resolved: not ``provider/model`` (``''``, ``'gpt-4o'``,
    ``'openai/'``), or a chain nobody defined. Raised before anything is sent; write the address as
    ``provider/model`` or ``chain/NAME``."""

    def __init__(self, message: str, *, provider: str | None = None, model: str | None = None) -> None:
        self.provider = provider
        self.model = model
        super().__init__(message)


class InvalidRequestError(ModelplexError, ValueError):
    """A request refused before any byte was sent: an option of the wrong type or out of range, an
    empty conversation, an unknown role, a part that is not what its place needs.

    ``field`` is the path of what is wrong in the request (``messages[3].parts[0].text``,
    ``temperature``, ``tools[1].name``); message indices are those of the messages as given.
    ``provider`` and ``model`` are set when the limit is a provider's own (Anthropic's temperature
    up to 1, say). Raised by the client's checks before a call and by the value types when they are
    built; nothing was sent and nothing is retried: fix the field named."""

    def __init__(self, message: str, *, field: str, provider: str | None = None,
                 model: str | None = None) -> None:
        self.field = field
        self.provider = provider
        self.model = model
        where = f"{provider}/{model}: " if provider and model else f"{provider}: " if provider else ""
        super().__init__(f"{where}{field}: {message}")


class PluginError(ModelplexError):
    """A plugin that cannot be used. ``plugin`` is the provider name, ``distribution`` its package.

    A broken plugin never stops the others: it is skipped at discovery, and this is raised only when
    its provider is asked for.
    """

    def __init__(self, message: str, *, plugin: str | None = None, distribution: str | None = None) -> None:
        self.plugin = plugin
        self.distribution = distribution
        super().__init__(message)


class PluginLoadError(PluginError):
    """A plugin failed to import or to say what it is; it is skipped and reported (``modelplex
    plugins``). Raised when that provider is used: reinstall or fix the plugin's distribution."""


class PluginConflictError(PluginError):
    """Two plugins claim the same provider name. Uninstall one, or pass the one wanted in
    ``plugins={...}``."""


class PluginIncompatibleError(PluginError):
    """A plugin written for a version of :mod:`modelplex.hookspecs` this core does not support.
    Upgrade the plugin, or the core, so that their spec versions meet."""


class ProviderError(ModelplexError):
    """Something went wrong talking to a provider. Always names ``provider`` and ``model``.

    The base of every failure of a call once it is under way; catch it to handle them all. Its
    subclasses say whether a retry may help (``is_retryable``).
    """

    is_retryable: bool = False
    #: How the call that raised this went (candidates, skips, attempts), set when the error ends a call.
    trace: RoutingTrace | None = None

    def __init__(self, message: str, *, provider: str, model: str | None = None) -> None:
        self.provider = provider
        self.model = model
        where = f"{provider}/{model}" if model else provider
        super().__init__(f"{where}: {message}")


class APIStatusError(ProviderError):
    """The provider answered with an error status. ``body`` is its (scrubbed) error text.

    Raised for a status no subclass below covers; ``status_code`` and ``code`` (the provider's own
    error code, when it sends one) tell what it was.
    """

    def __init__(self, message: str, *, provider: str, model: str | None = None, status_code: int,
                 body: str | None = None, code: str | None = None) -> None:
        self.status_code = status_code
        self.body = scrub(body) if body is not None else None
        self.code = code
        super().__init__(f"{message} (HTTP {status_code})", provider=provider, model=model)


class AuthenticationError(APIStatusError):
    """The provider refused the key (401) or what it allows (403). Not retried: check the key, its
    project or organisation, and that it may use this model."""


class NotFoundError(APIStatusError):
    """The provider has nothing at that URL (404): often a wrong ``base_url`` or API version."""


class ModelNotFoundError(NotFoundError, LookupError):
    """The provider does not know the model (or this key may not see it). ``client.list_models(provider)``
    shows the ones it has."""


class RateLimitError(APIStatusError):
    """The provider says too many requests or tokens (429). Retryable: wait ``retry_after`` seconds
    when it is given, or configure retries and a chain to fall back on."""

    is_retryable = True

    def __init__(self, message: str, *, provider: str, model: str | None = None, status_code: int = 429,
                 body: str | None = None, code: str | None = None,
                 retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider, model=model, status_code=status_code, body=body,
                         code=code)


class LocalRateLimitError(RateLimitError):
    """A rate or concurrency limit configured in Modelplex was reached: no request was sent.

    Raised when limits are set to fail fast (``on_limit = "fail"``), or when waiting for room would
    pass the call's deadline. ``retry_after`` is the expected wait, in seconds.
    """

    def __init__(self, message: str, *, provider: str, model: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, provider=provider, model=model, status_code=429,
                         retry_after=retry_after)


class BadRequestError(APIStatusError, ValueError):
    """The provider refused the request as malformed (400, 413, 422) after it was sent: something
    Modelplex could not check beforehand (a model-specific limit, say). ``body`` says what; not retried."""


class ContextLengthExceededError(BadRequestError):
    """The conversation (with the requested output) is longer than the model's context window.
    Shorten it, lower ``max_tokens``, or use a model with a larger window."""


class ServerError(APIStatusError):
    """The provider failed on its side (5xx, 529 overloaded) or asked to try again (408, 409).
    Retryable, and retried by the routing policy."""

    is_retryable = True


class TransportError(ProviderError):
    """No usable answer came back: the connection failed, was refused or dropped. Retryable; if it
    persists, check ``base_url``, the network and proxies."""

    is_retryable = True


class StreamInterruptedError(TransportError):
    """The stream ended before the provider said it was done; the events before it were delivered."""


class RequestTimeoutError(TransportError):
    """No answer in time: the read timeout between bytes, or the whole call's ``call_timeout``."""


class ResponseParseError(ProviderError):
    """The provider sent something that does not follow its own format. ``field`` says where."""

    def __init__(self, message: str, *, provider: str, model: str | None = None,
                 field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{message}" + (f" (at {field!r})" if field else ""), provider=provider,
                         model=model)


class RequestBuildError(ProviderError):
    """The provider's plugin failed while building the request, before anything was sent: a bug in the
    plugin, or input it cannot encode that the core's checks let through. The message names the
    exception and where the plugin raised it; nothing reached the provider, so nothing was billed.
    Report it to the plugin's authors; a chain moves on to its next model."""


class UnsupportedFeatureError(ProviderError):
    """Asked of a provider that cannot do it (embeddings from a chat-only provider, a stream from one
    that does not stream). Raised before sending; pick a provider that can, or drop the feature."""


class PolicyDenied(ModelplexError):
    """The governance policy forbids this call (or this candidate of a chain): nothing was sent.

    ``rule`` names the rule that decided (its ``name``, else ``rule N``, counted from 1 in the
    policy's order) and ``where`` the file and line it was written at (``policy.toml:12``), when it
    came from a file. ``provider`` and ``model`` are the candidate refused. ``trace`` is the call's
    routing trace when the refusal ended the call. Not retried: a chain skips the candidate (the
    trace says which rule) and never falls back into a forbidden model.
    """

    #: How the call that raised this went, set when the refusal ends a call.
    trace: RoutingTrace | None = None

    def __init__(self, message: str, *, rule: str | None = None, where: str | None = None,
                 provider: str | None = None, model: str | None = None) -> None:
        self.rule = rule
        self.where = where
        self.provider = provider
        self.model = model
        super().__init__(message)


class BudgetExceeded(ModelplexError):
    """A budget leaves no room for this call's worst-case cost (or cannot be checked, under a hard
    budget whose counter store is down): nothing was sent.

    ``scope`` names the budget (``agent:triage``, ``model:openai/*``), ``limit``, ``spent`` and
    ``reserved`` are its dollars (:class:`~decimal.Decimal`), ``resets_at`` when its window ends
    (``time.time()`` seconds; ``None`` for a total). ``provider`` and ``model`` are the candidate
    refused; ``trace`` is the call's routing trace when the refusal ended the call. A chain moves on
    to a candidate that fits.
    """

    #: How the call that raised this went, set when the refusal ends a call.
    trace: RoutingTrace | None = None

    def __init__(self, message: str, *, scope: str | None = None, limit: Decimal | None = None,
                 spent: Decimal | None = None, reserved: Decimal | None = None,
                 resets_at: float | None = None, provider: str | None = None,
                 model: str | None = None) -> None:
        self.scope = scope
        self.limit = limit
        self.spent = spent
        self.reserved = reserved
        self.resets_at = resets_at
        self.provider = provider
        self.model = model
        super().__init__(message)


class AdmissionRefused(PolicyDenied, BudgetExceeded):
    """No candidate of a chain was admitted: each was refused (by the policy or a budget) or skipped,
    and none was tried. Also raised by an admitter that refuses for a reason of its own.

    It is both a :class:`PolicyDenied` and a :class:`BudgetExceeded`, so that either ``except`` catches
    a call refused before anything was sent; ``refusals`` holds each candidate's own refusal (typed,
    with its rule or budget) in the chain's order, and ``trace`` the skips with their reasons.
    """

    def __init__(self, message: str, *, refusals: tuple[ModelplexError, ...] = (),
                 provider: str | None = None, model: str | None = None,
                 trace: RoutingTrace | None = None) -> None:
        first = refusals[0] if refusals else None
        self.refusals = refusals
        self.rule = getattr(first, "rule", None)
        self.where = getattr(first, "where", None)
        self.scope = getattr(first, "scope", None)
        self.limit = getattr(first, "limit", None)
        self.spent = getattr(first, "spent", None)
        self.reserved = getattr(first, "reserved", None)
        self.resets_at = getattr(first, "resets_at", None)
        self.provider = provider
        self.model = model
        self.trace = trace
        ModelplexError.__init__(self, message)


class ToolError(ModelplexError, ValueError):
    """A tool definition or tool call that is not valid. ``field`` names the offending part,
    ``tool`` the tool. Catch it for both of its kinds below."""

    def __init__(self, message: str, *, field: str | None = None, tool: str | None = None,
                 provider: str | None = None) -> None:
        self.field = field
        self.tool = tool
        self.provider = provider
        super().__init__(f"{provider}: {message}" if provider else message)


class ToolSchemaError(ToolError):
    """A tool definition that cannot be sent: a name outside ``[A-Za-z_][A-Za-z0-9_-]{0,63}``, or
    ``parameters`` that are not an object JSON Schema. Raised when the :class:`~modelplex.Tool` (or
    :class:`~modelplex.ToolChoice`) is built, or by a codec reading a provider's tools."""


class ToolArgumentsError(ToolError):
    """A model's tool-call arguments that are not a JSON object, raised when they are parsed
    (``parse_tool_arguments``). The raw text stays in ``ToolCallPart.raw_arguments``."""


class RoutingError(ProviderError):
    """No candidate could answer: every model of a chain was skipped or failed.

    ``provider`` is ``"chain"`` and ``model`` the chain's name (or the provider and model of a single
    address). ``trace`` names each candidate with why it was skipped or how it failed; the last
    failure is also the ``__cause__``. ``is_retryable`` is true when a later try may succeed (a
    failure was retryable, or a model is only cooling down); ``retry_after`` is then the seconds
    until the first cool-down ends, where one is known.
    """

    def __init__(self, message: str, *, provider: str, model: str | None = None,
                 trace: RoutingTrace | None = None, retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, provider=provider, model=model)
        self.trace = trace
        self.is_retryable = retryable
        self.retry_after = retry_after
