"""Every error Modelplex raises, in one tree.

* ModelplexError
  + ConfigurationError
    - MissingCredentialsError
    - UnknownProviderError (LookupError)
    - UnknownModelError (LookupError)
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
    - UnsupportedFeatureError        asked of a provider that cannot do it
    - RoutingError                   no model of a chain could answer (trace, retry_after)
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
    from modelplex._trace import RoutingTrace

__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ContextLengthExceededError",
    "LocalRateLimitError",
    "MissingCredentialsError",
    "ModelNotFoundError",
    "ModelplexError",
    "NotFoundError",
    "PluginConflictError",
    "PluginError",
    "PluginIncompatibleError",
    "PluginLoadError",
    "ProviderError",
    "RateLimitError",
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
    """The root of every error Modelplex raises."""

    def __init__(self, message: str) -> None:
        self.message = scrub(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigurationError(ModelplexError):
    """Settings that cannot work: a missing key, an unknown provider or model, a bad config file."""


class MissingCredentialsError(ConfigurationError):
    def __init__(self, provider: str, env_vars: tuple[str, ...] = ()) -> None:
        self.provider = provider
        where = f" or set {' or '.join(env_vars)}" if env_vars else ""
        super().__init__(f"{provider}: no API key configured: pass api_key=...{where}, "
                         f"or add it to the config file under [providers.{provider}]")


class UnknownProviderError(ConfigurationError, LookupError):
    def __init__(self, provider: str, known: tuple[str, ...] = (), hint: str = "") -> None:
        self.provider = provider
        names = ", ".join(known) if known else "none installed"
        super().__init__(f"unknown provider {provider!r} (available: {names}){hint}")


class UnknownModelError(ConfigurationError, LookupError):
    def __init__(self, message: str, *, provider: str | None = None, model: str | None = None) -> None:
        self.provider = provider
        self.model = model
        super().__init__(message)


class PluginError(ModelplexError):
    """A plugin that cannot be used. ``plugin`` is the provider name, ``distribution`` its package."""

    def __init__(self, message: str, *, plugin: str | None = None, distribution: str | None = None) -> None:
        self.plugin = plugin
        self.distribution = distribution
        super().__init__(message)


class PluginLoadError(PluginError):
    pass


class PluginConflictError(PluginError):
    pass


class PluginIncompatibleError(PluginError):
    pass


class ProviderError(ModelplexError):
    """Something went wrong talking to a provider. Always names ``provider`` and ``model``."""

    is_retryable: bool = False
    #: How the call that raised this went (candidates, skips, attempts), set when the error ends a call.
    trace: RoutingTrace | None = None

    def __init__(self, message: str, *, provider: str, model: str | None = None) -> None:
        self.provider = provider
        self.model = model
        where = f"{provider}/{model}" if model else provider
        super().__init__(f"{where}: {message}")


class APIStatusError(ProviderError):
    """The provider answered with an error status. ``body`` is its (scrubbed) error text."""

    def __init__(self, message: str, *, provider: str, model: str | None = None, status_code: int,
                 body: str | None = None, code: str | None = None) -> None:
        self.status_code = status_code
        self.body = scrub(body) if body is not None else None
        self.code = code
        super().__init__(f"{message} (HTTP {status_code})", provider=provider, model=model)


class AuthenticationError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ModelNotFoundError(NotFoundError, LookupError):
    pass


class RateLimitError(APIStatusError):
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
    pass


class ContextLengthExceededError(BadRequestError):
    pass


class ServerError(APIStatusError):
    is_retryable = True


class TransportError(ProviderError):
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


class UnsupportedFeatureError(ProviderError):
    pass


class ToolError(ModelplexError, ValueError):
    """A tool definition or tool call that is not valid. ``field`` names the offending part."""

    def __init__(self, message: str, *, field: str | None = None, tool: str | None = None,
                 provider: str | None = None) -> None:
        self.field = field
        self.tool = tool
        self.provider = provider
        super().__init__(f"{provider}: {message}" if provider else message)


class ToolSchemaError(ToolError):
    pass


class ToolArgumentsError(ToolError):
    pass


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
