"""``benchlab.gc_pause``: reading a large run pauses the cyclic collector and restores it as it was."""

from __future__ import annotations

import gc

import pytest

from benchlab.gc_pause import collector_paused


def test_the_collector_is_paused_inside_and_restored_after_even_on_an_error() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the inner block leaves the pause to the outer one
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_by_the_caller_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_record_and_a_diff_are_built_with_the_collector_paused(tmp_path, monkeypatch) -> None:
    """The summaries of a run, and a diff's pairs, are built under the pause (where a collection
    would walk everything built so far for no garbage)."""
    from benchlab import diff, records

    paused: list[bool] = []

    def structure(data, cls):
        paused.append(not gc.isenabled())
        raise ValueError("not a record")

    def pair_keys(a, b):
        paused.append(not gc.isenabled())
        return []

    monkeypatch.setattr(records, "structure", structure)
    monkeypatch.setattr(diff, "pair_keys", pair_keys)
    (tmp_path / "run.json").write_text('{"schema_version": 3}')
    with pytest.raises(Exception, match="not a run record"):
        records.read_record(tmp_path)
    with pytest.raises(Exception, match="no scenario in common"):
        diff.diff_runs(type("R", (), {"results": [], "run_id": "a"})(), type("R", (), {"results": [], "run_id": "b"})())
    assert paused == [True, True] and gc.isenabled()
