import mmap
from collections.abc import Callable
from types import NotImplementedType
from typing import Any

FRAME_MAX: int
_Buffer = mmap.mmap | bytearray | memoryview

def frame(buffer: _Buffer, at: int, value: object, /) -> bytes | NotImplementedType | None: ...
def frame_call(
    buffer: _Buffer, at: int, call: Any, outcome: Any, content: bool, next: Callable[[], _Buffer | None], /
) -> bytes | NotImplementedType | None: ...
def configure(
    version: str, random_bits: Callable[[int], int], tags: Callable[..., Any], trace: Callable[..., Any],
    columns: Callable[..., Any], json: Callable[[Any], str | None], amounts: Any, zero: Any, /
) -> None: ...
def crc32(data: bytes | bytearray | memoryview, /) -> int: ...
