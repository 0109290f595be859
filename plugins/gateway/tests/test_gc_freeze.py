"""The collector's full collections stalled every request in flight for 50-180 ms, walking the startup
heap (modules, catalog, client): the application freezes what it loaded at its start, and again after its
first requests (what they imported), so that a full collection no longer walks it (see README.md, "Tail
latency")."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from gateway_server import client_for
from modelplex_gateway.app import WARM_REQUESTS, YOUNG_THRESHOLD, create_app
from modelplex_gateway.auth import authenticate_local
from starlette.testclient import TestClient


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """No object frozen before the test, and none left frozen after it."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_the_startup_heap_and_what_the_first_requests_load_are_frozen() -> None:
    app = create_app(client_for({})(), authenticate=authenticate_local)
    assert gc.get_freeze_count() == 0  # made, not started
    with TestClient(app) as http:
        started = gc.get_freeze_count()
        assert started > 10_000  # the modules, the catalog and the client, out of the collector's reach
        for _ in range(WARM_REQUESTS - 1):
            assert http.get("/health").status_code == 200
        # No freeze per request (frozen objects that die leave the count, none joins it).
        before = gc.get_freeze_count()
        assert before <= started
        loaded = [[n] for n in range(1_000)]  # what the first requests left alive, standing in
        assert http.get("/health").status_code == 200
        frozen = gc.get_freeze_count()
        assert frozen >= before + len(loaded)
        more = [[n] for n in range(1_000)]
        for _ in range(50):
            http.get("/health")
        assert gc.get_freeze_count() <= frozen  # once, then never again: ``more`` stays young
        del loaded, more  # alive until here


@pytest.mark.usefixtures("unfrozen")
def test_the_young_generation_is_collected_less_often_while_serving_and_as_before_after() -> None:
    before = gc.get_threshold()
    assert before[0] < YOUNG_THRESHOLD  # CPython's default, 700: else this test shows nothing
    app = create_app(client_for({})(), authenticate=authenticate_local)
    with TestClient(app) as http:
        assert http.get("/health").status_code == 200
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before


@pytest.mark.usefixtures("unfrozen")
def test_a_process_that_turned_automatic_collection_off_keeps_it_off() -> None:
    before = gc.get_threshold()
    gc.set_threshold(0, *before[1:])
    try:
        app = create_app(client_for({})(), authenticate=authenticate_local)
        with TestClient(app) as http:
            assert http.get("/health").status_code == 200
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


@pytest.mark.usefixtures("unfrozen")
def test_two_applications_overlapping_give_the_threshold_back_when_the_last_stops() -> None:
    before = gc.get_threshold()
    first = TestClient(create_app(client_for({})(), authenticate=authenticate_local))
    second = TestClient(create_app(client_for({})(), authenticate=authenticate_local))
    with first:
        with second:
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the first still serves
    assert gc.get_threshold() == before
    first, second = (TestClient(create_app(client_for({})(), authenticate=authenticate_local))
                     for _ in range(2))
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # stopped in the order they started
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


@pytest.mark.usefixtures("unfrozen")
def test_a_threshold_the_process_set_while_serving_is_its_own_and_stays() -> None:
    before = gc.get_threshold()
    try:
        with TestClient(create_app(client_for({})(), authenticate=authenticate_local)):
            gc.set_threshold(5_000, *before[1:])
        assert gc.get_threshold()[0] == 5_000
    finally:
        gc.set_threshold(*before)
