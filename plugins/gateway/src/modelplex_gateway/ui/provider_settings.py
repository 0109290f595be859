"""Saving a provider's settings from the dashboard into ``[providers.NAME]`` of the config file, with
the checks of ``modelplex providers add``: an http(s) base URL, no credential in a header (keys go to
the key store), a default model the catalog knows (else the form says which names are close)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelplex_gateway.ui.forms import first

if TYPE_CHECKING:
    import modelplex


def parse_headers(text: str) -> dict[str, str]:
    """``NAME=VALUE`` lines (blank lines skipped); a credential-named header is refused."""
    from modelplex._secret import is_secret_name

    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        header, eq, value = line.partition("=")
        if not eq or not header.strip():
            raise ValueError(f"header line {line.strip()!r} is not NAME=VALUE")
        if is_secret_name(header):
            raise ValueError(f"{header.strip()} carries a credential, which does not belong in the config "
                             f"file: set the provider's key instead")
        out[header.strip()] = value.strip()
    return out


def _check_model(client: modelplex.AsyncClient, name: str, model: str) -> None:
    from modelplex._catalog.merge import resolve
    from modelplex._suggest import close_names

    if name not in client.registry.names or resolve(client, name, model) is not None:
        return
    from modelplex._catalog.lookup import catalog

    near = close_names(model, [m.id for m in catalog(client.registry, client.settings).models(name)])
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    raise ValueError(f"the catalog has no model {name}/{model}{hint}")


def save(client: modelplex.AsyncClient, name: str, fields: dict[str, list[str]]) -> None:
    """Write the form's settings for provider ``name``."""
    import tomlkit

    from modelplex._config_write import config_path, editing, table

    base_url = first(fields, "base_url")
    default_model = first(fields, "default_model")
    headers = parse_headers((fields.get("headers") or [""])[0])
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ValueError(f"{base_url!r} is not an http:// or https:// URL")
    if default_model:
        _check_model(client, name, default_model)
    with editing(config_path(client.settings.env)) as doc:
        section = table(doc, "providers", name)
        values: dict[str, Any] = {"base_url": base_url, "default_model": default_model}
        for key, value in values.items():
            if value:
                section[key] = value
            elif key in section:
                del section[key]  # emptied in the form: the plugin's default again
        section["enabled"] = first(fields, "enabled") in ("on", "true", "1")
        if headers:
            inline = tomlkit.inline_table()
            inline.update(headers)
            section["headers"] = inline
        elif "headers" in section:
            del section["headers"]
