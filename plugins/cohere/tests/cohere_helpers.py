"""What the Cohere tests share: the fixtures' folder, a recording by name, and the recorded tools as
canonical ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelplex import Tool
from modelplex_testing import Recording

FIXTURES = Path(__file__).parent / "fixtures"


def recording(name: str) -> Recording:
    """The recorded exchange ``name`` (``01_chat_text``)."""
    return Recording.load(FIXTURES / f"{name}.json")


def recorded_tools(name: str) -> list[Tool]:
    """The tools a recorded request declared, as canonical tools."""
    return [Tool(name=t["function"]["name"], description=t["function"].get("description") or "",
                 parameters=t["function"]["parameters"]) for t in recording(name).request_body["tools"]]


def stream_data(name: str) -> list[dict[str, Any]]:
    """Every JSON event of a recorded stream, in order (``[DONE]`` left out)."""
    return [json.loads(line[6:]) for line in recording(name).response["body_text"].splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"]
