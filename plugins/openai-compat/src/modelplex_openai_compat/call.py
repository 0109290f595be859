"""One request in flight: where it goes, how that server behaves, and the stages that translate it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from modelplex import ChatRequest, ToolCodec
from modelplex.toolkit import Reader
from modelplex_openai_compat.profile import Profile

if TYPE_CHECKING:
    from modelplex_openai_compat.stages import Stages


@attrs.frozen(kw_only=True)
class Call:
    """What every stage receives: ``provider`` is the name the user typed (``ctx.name``)."""

    provider: str
    model: str
    request: ChatRequest
    profile: Profile
    codec: ToolCodec
    stages: Stages
    stream: bool = False
    # Reads the reply: what is malformed raises ResponseParseError naming its JSON path.
    read: Reader = attrs.field(init=False, repr=False, eq=False)

    @read.default
    def _reader(self) -> Reader:
        return Reader(provider=self.provider, model=self.model)
