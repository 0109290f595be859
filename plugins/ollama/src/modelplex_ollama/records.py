"""What the model-management endpoints answer, as typed records: ``/api/tags``, ``/api/ps``,
``/api/show`` and the progress lines of ``/api/pull``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from modelplex_ollama.models import context_length


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _details(data: Mapping[str, Any]) -> Mapping[str, Any]:
    details = data.get("details")
    return details if isinstance(details, Mapping) else {}


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


@attrs.frozen(kw_only=True)
class LocalModel:
    """A model Ollama has (``/api/tags``); ``size`` in bytes, ``modified_at`` as Ollama wrote it."""

    name: str
    digest: str = ""
    size: int | None = None
    modified_at: str = ""
    family: str = ""
    parameter_size: str = ""
    quantization: str = ""
    format: str = ""
    remote_host: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> LocalModel:
        d = _details(data)
        return cls(name=_str(data, "name") or _str(data, "model"), digest=_str(data, "digest"),
                   size=_int(data, "size"), modified_at=_str(data, "modified_at"),
                   family=_str(d, "family"), parameter_size=_str(d, "parameter_size"),
                   quantization=_str(d, "quantization_level"), format=_str(d, "format"),
                   remote_host=_str(data, "remote_host"), raw=data)


@attrs.frozen(kw_only=True)
class RunningModel:
    """A model loaded in memory (``/api/ps``): its size, the part of it in GPU memory, until when."""

    name: str
    digest: str = ""
    size: int | None = None
    size_vram: int | None = None
    expires_at: str = ""
    context_length: int | None = None
    parameter_size: str = ""
    quantization: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> RunningModel:
        d = _details(data)
        return cls(name=_str(data, "name") or _str(data, "model"), digest=_str(data, "digest"),
                   size=_int(data, "size"), size_vram=_int(data, "size_vram"),
                   expires_at=_str(data, "expires_at"), context_length=_int(data, "context_length"),
                   parameter_size=_str(d, "parameter_size"), quantization=_str(d, "quantization_level"),
                   raw=data)

    @property
    def processor(self) -> str:
        """Where it runs, as ``ollama ps`` says it: ``100% GPU``, ``100% CPU`` or ``48%/52% CPU/GPU``."""
        if not self.size or self.size_vram is None:
            return "-"
        gpu = round(100 * self.size_vram / self.size)
        if gpu >= 100:
            return "100% GPU"
        if gpu <= 0:
            return "100% CPU"
        return f"{100 - gpu}%/{gpu}% CPU/GPU"


@attrs.frozen(kw_only=True)
class ModelDetails:
    """What ``/api/show`` says of a model."""

    name: str
    architecture: str = ""
    family: str = ""
    parameter_size: str = ""
    parameter_count: int | None = None
    quantization: str = ""
    context_length: int | None = None
    embedding_length: int | None = None
    capabilities: tuple[str, ...] = ()
    parameters: str = ""
    license: str = ""
    modified_at: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def of(cls, name: str, data: Mapping[str, Any]) -> ModelDetails:
        d = _details(data)
        info = data.get("model_info")
        info = info if isinstance(info, Mapping) else {}
        arch = _str(info, "general.architecture")
        embedding = info.get(f"{arch}.embedding_length") if arch else None
        return cls(name=name, architecture=arch, family=_str(d, "family"),
                   parameter_size=_str(d, "parameter_size"),
                   parameter_count=_int(info, "general.parameter_count"),
                   quantization=_str(d, "quantization_level"), context_length=context_length(data, d),
                   embedding_length=embedding if isinstance(embedding, int) else _int(d, "embedding_length"),
                   capabilities=_names(data.get("capabilities")), parameters=_str(data, "parameters"),
                   license=_str(data, "license"), modified_at=_str(data, "modified_at"), raw=data)


@attrs.frozen(kw_only=True)
class PullProgress:
    """One line of ``/api/pull``: a ``status``, and for a layer its ``digest``, ``total`` and
    ``completed`` bytes (``completed`` may be missing until the download starts)."""

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> PullProgress:
        digest = data.get("digest")
        return cls(status=_str(data, "status"), digest=digest if isinstance(digest, str) and digest else None,
                   total=_int(data, "total"), completed=_int(data, "completed"))

    @property
    def layer(self) -> str | None:
        """The layer's short name as Ollama shows it: the first 12 hex digits of its digest."""
        if self.digest is None:
            return None
        return self.digest.removeprefix("sha256:")[:12]

    @property
    def is_success(self) -> bool:
        return self.status == "success"


@attrs.frozen(kw_only=True)
class UpdateResult:
    """What ``update`` did for one model: its digest before and after, or the error that stopped it."""

    model: str
    old_digest: str = ""
    new_digest: str = ""
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.error is None and bool(self.new_digest) and self.new_digest != self.old_digest
