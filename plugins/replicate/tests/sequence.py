"""Replaying a Replicate call, which is several HTTP exchanges (create the prediction, read its stream,
read it once over), through the contract kit's :class:`~modelplex_testing.Replayer`: the recordings
are served in order, and a chunk split or a truncation applies to the stream's body alone (the kit's
own Replayer applies it to every body)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from modelplex_testing import Recording, Replayer
from modelplex_testing.replay import ChunkedStream


class SequenceReplayer(Replayer):
    """Serves ``recordings`` in order; ``chunks`` and ``truncate`` shape the streamed body only."""

    def __init__(self, *recordings: Recording, chunks: Sequence[bytes] | None = None,
                 truncate: int | None = None) -> None:
        super().__init__(*recordings)
        self.stream_chunks = list(chunks) if chunks is not None else None
        self.stream_truncate = truncate

    def _handle(self, request: httpx.Request) -> httpx.Response:
        index = len(self.sent)
        if index >= len(self.recordings) or not self.recordings[index].is_stream:
            return super()._handle(request)
        self.sent.append(request)
        rec = self.recordings[index]
        body = rec.body_bytes()
        chunks = self.stream_chunks if self.stream_chunks is not None else [body]
        if self.stream_truncate is not None:
            chunks = [body[:self.stream_truncate]]
        stream = ChunkedStream(chunks)
        self.streams.append(stream)
        return httpx.Response(rec.status, headers={"content-type": rec.content_type}, stream=stream)
