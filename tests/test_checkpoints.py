"""Checkpoints: named moments production code reaches, which tests listen at."""

from __future__ import annotations

import pytest

from segments_project.checkpoints import Checkpoint, listening, reached


def test_a_listener_hears_the_context_only_inside_its_block():
    heard: list[dict] = []

    reached(Checkpoint.IMPORT_CHUNK_DONE, number=0)
    with listening(Checkpoint.IMPORT_CHUNK_DONE, lambda **context: heard.append(context)):
        reached(Checkpoint.IMPORT_CHUNK_DONE, number=1)
        reached(Checkpoint.COUPON_LIMITS_COUNTED)
    reached(Checkpoint.IMPORT_CHUNK_DONE, number=2)

    assert heard == [{"number": 1}]


def test_a_listener_that_raises_stops_the_writer_there():
    def crash(**_: object) -> None:
        raise RuntimeError("crash")

    with listening(Checkpoint.IMPORT_CHUNK_DONE, crash), pytest.raises(RuntimeError):
        reached(Checkpoint.IMPORT_CHUNK_DONE, number=1)

    reached(Checkpoint.IMPORT_CHUNK_DONE, number=1)  # gone with its block


def test_the_fixtures_listen_until_the_test_ends(on_checkpoint, pause_at):
    heard: list[int] = []
    on_checkpoint(Checkpoint.IMPORT_CHUNK_DONE, lambda number: heard.append(number))
    pause_at(Checkpoint.IMPORT_CHUNK_DONE, 0)

    reached(Checkpoint.IMPORT_CHUNK_DONE, number=3)

    assert heard == [3]
