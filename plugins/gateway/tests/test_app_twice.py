"""Two gateways made in one process with the default authenticator (issue 17, F2 finding 1).

The keys package's factory was named ``authenticator`` like its submodule: once the first app had imported
``modelplex_gateway.keys.authenticator``, the package's attribute was the module, and the second
``create_app()`` without ``authenticate=`` failed with "'module' object is not callable".
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from modelplex_gateway.app import create_app
from modelplex_gateway.keys.authenticator import KeyAuthenticator

import modelplex


def write_config(path: Path, store: Path) -> Path:
    """A config with a store (so virtual keys apply) and one provider."""
    path.write_text(f"""
[store]
url = "{store}"

[providers.openai]
base_url = "http://127.0.0.1:9/v1"
api_key = "sk-unused-0123456789"
api = "chat_completions"
""", encoding="utf-8")
    path.chmod(0o600)
    return path


def test_two_apps_in_one_process_each_authenticate_by_key(tmp_path: Path) -> None:
    config = write_config(tmp_path / "modelplex.toml", tmp_path / "store.db")

    async def main() -> list[int]:
        statuses = []
        for _ in range(2):
            client = modelplex.AsyncClient(config_file=config, env={})
            try:
                app = create_app(client)
                assert isinstance(app.state.authenticate, KeyAuthenticator)
                # No key was ever made: a loopback caller is served, through the key authenticator.
                transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
                async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
                    statuses.append((await http.get("/providers")).status_code)
                await app.state.authenticate.aclose()
            finally:
                await client.aclose()
        return statuses

    assert asyncio.run(main()) == [200, 200]
