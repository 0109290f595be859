"""secret_walk.py: a secret is found wherever a person or a log could see it, and nowhere else."""

from __future__ import annotations

import attrs

from modelplex_testing.secret_walk import find_secrets

KEY = "sk-walk-test-4444444444"


@attrs.frozen(kw_only=True, slots=True)
class _Request:
    headers: dict[str, str]
    body: bytes = b""


class _Carrier:
    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __repr__(self) -> str:
        return "<carrier>"


class _BadRepr:
    __slots__ = ("token",)

    def __init__(self) -> None:
        self.token = KEY

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __str__(self) -> str:
        raise RuntimeError("no str")


class _HalfSlots:
    __slots__ = ("set_", "unset")

    def __init__(self) -> None:
        self.set_ = "fine"


class _Exploding(dict[str, str]):
    def items(self) -> object:  # type: ignore[override]
        raise RuntimeError("items fails")


def test_nothing_found_where_the_key_is_not() -> None:
    assert find_secrets({"a": [1, "b", b"c"]}, [KEY]) == []


def test_the_places_a_key_hides_are_named() -> None:
    cause = ValueError(_Request(headers={"x-api-key": KEY}))
    err = RuntimeError("request failed")
    err.__cause__ = cause
    found = find_secrets(err, [KEY])
    assert f"obj.__cause__.args[0].headers['x-api-key']: {KEY!r}" in found
    assert any(place.startswith("repr(obj.__cause__)") for place in found)


def test_bytes_keys_notes_and_groups_are_looked_in() -> None:
    assert find_secrets(_Request(headers={}, body=b"token=" + KEY.encode()), [KEY]) == [
        f"str(obj): {KEY!r}", f"repr(obj): {KEY!r}", f"obj.body: {KEY!r}"]
    assert find_secrets({KEY: 1}, [KEY])[-1] == f"obj[{KEY!r}].key: {KEY!r}"
    noted = ValueError("x")
    noted.add_note(f"while sending {KEY}")
    assert f"obj.__notes__[0]: {KEY!r}" in find_secrets(noted, [KEY])
    group = ExceptionGroup("many", [KeyError("a"), OSError(KEY)])
    assert f"obj.args[1][1].args[0]: {KEY!r}" in find_secrets(group, [KEY])  # a member, through args
    assert f"obj.__context__.args[0]: {KEY!r}" in find_secrets(_raised_during(OSError(KEY)), [KEY])


def _raised_during(first: BaseException) -> BaseException:
    try:
        try:
            raise first
        except OSError:
            raise RuntimeError("while handling") from None
    except RuntimeError as exc:
        return exc


def test_attributes_slots_and_a_failing_repr() -> None:
    assert find_secrets(_Carrier(_Carrier(KEY)), [KEY]) == [f"obj.inner.inner: {KEY!r}"]
    assert find_secrets(_BadRepr(), [KEY]) == [f"obj.token: {KEY!r}"]  # str and repr raise: skipped
    assert find_secrets(_HalfSlots(), [KEY]) == []  # an unset slot is no error
    assert find_secrets(_Exploding(k=KEY), ["zzz"]) == []  # a mapping whose items() fails


def test_depth_cycles_and_code_bound_the_walk() -> None:
    deep: object = KEY
    for _ in range(5):
        deep = _Carrier(deep)
    assert find_secrets(deep, [KEY], depth=3) == []
    assert find_secrets(deep, [KEY], depth=5) == [f"obj{'.inner' * 5}: {KEY!r}"]
    loop: list[object] = [KEY]
    loop.append(loop)
    assert find_secrets(loop, [KEY]).count(f"obj[0]: {KEY!r}") == 1
    assert find_secrets(lambda: KEY, [KEY]) == []  # code is the program, not its data
