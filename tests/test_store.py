"""The results store: atomic writes (nothing half-written under a real name), manifests, folder kinds."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from ccsim import ResultsError, store


def test_atomic_write_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "t.parquet"
    store.write_table(target, pd.DataFrame({"a": [1, 2]}))

    def boom(path: str) -> None:
        with open(path, "w") as f:
            f.write("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        store.atomic_write(target, boom)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]  # no .tmp left, old file intact
    assert store.read_table(target)["a"].tolist() == [1, 2]


def test_results_are_readable_like_any_file_written_here(tmp_path):
    path = store.write_table(tmp_path / "t.parquet", pd.DataFrame({"a": [1]}))
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_manifest_round_trip_and_errors(tmp_path):
    store.write_json(tmp_path / store.MANIFEST, {"kind": "run", "x": float("nan")})
    assert store.read_manifest(tmp_path)["kind"] == "run"
    (tmp_path / store.MANIFEST).write_text("{not json")
    with pytest.raises(ResultsError, match="not valid JSON"):
        store.read_manifest(tmp_path)
    with pytest.raises(ResultsError, match="has no manifest.json"):
        store.read_manifest(tmp_path / "nowhere")


def test_kind_of(tmp_path):
    run, sweep, old_sweep, other = (tmp_path / n for n in ("run", "sweep", "old", "other"))
    for d in (run, sweep, old_sweep, other):
        d.mkdir()
    store.write_json(run / store.MANIFEST, {"kind": "run"})
    store.write_json(sweep / store.MANIFEST, {"kind": "sweep"})
    (old_sweep / store.MANIFEST).write_text(json.dumps({"points": [{}]}))  # written before manifests had a kind
    assert [store.kind_of(d) for d in (run, sweep, old_sweep, other)] == ["run", "sweep", "sweep", None]
    assert store.run_folders(tmp_path) == [run]
