"""SchemaSet: conversions kept in the on-disk cache are the ones a fresh conversion makes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import SPECS

from conformance.schema import DIRECTIONS, SchemaSet
from conformance.schema.convert import Converter
from conformance.spec import load_spec
from conformance.validate import Validator


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("CONFORMANCE_CACHE_DIR", str(path))
    return path


def _no_conversion(*args: Any) -> Any:
    raise AssertionError("converted a schema the cache holds")


@pytest.mark.parametrize("name", ["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def test_cached_conversions_equal_fresh_ones(
    name: str, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = load_spec(SPECS / name, cache=False)
    assert fresh.cache_key is None
    cold = load_spec(SPECS / name)  # converts, then writes the cache
    warm = load_spec(SPECS / name)  # reads it
    assert cold.cache_key and cold.cache_key == warm.cache_key
    for direction in DIRECTIONS:
        sets = [SchemaSet(spec, direction) for spec in (fresh, cold)]
        with monkeypatch.context() as m:  # the warm set converts nothing
            m.setattr(Converter, "_convert", _no_conversion)
            sets.append(SchemaSet(warm, direction))
        for strict in (False, True):
            documents = [s.document(strict) for s in sets]
            assert documents[0] == documents[1] == documents[2], (direction, strict)
        assert sets[0].converter.locations == sets[2].converter.locations
    assert len(list((cache_dir / "schemas").iterdir())) == len(DIRECTIONS)
    # a warm set maps keyword locations back to the spec and converts what it has not seen
    warm_set = SchemaSet(warm, "response")
    key = next(iter(warm_set.defs))
    keyword = f"{warm_set.uri}#/$defs/{key.replace('~', '~0').replace('/', '~1')}/type"
    assert (
        warm_set.spec_location(keyword) == warm.label(warm_set.converter.locations[key]) + "/type"
    )
    before = len(warm_set.defs)
    properties = next(
        loc
        for loc in warm_set.converter.locations.values()
        if isinstance(warm.resolve(loc), dict) and "properties" in warm.resolve(loc)
    )
    prop = next(iter(warm.resolve(properties)["properties"]))
    warm_set.ref(f"{properties}/properties/{prop}")
    assert len(warm_set.defs) == before + 1
    assert len(warm_set.document(True)["$defs"]) == before + 1


def test_damaged_schema_cache_entries_are_ignored(cache_dir: Path) -> None:
    path = SPECS / "openai-2.3.0.yaml"
    load_spec(path)  # writes the spec entry
    spec = load_spec(path)
    expected = Validator(spec).response("listModels", body={"object": "list", "data": [{}]})
    assert expected  # the model lacks id, object, created, owned_by
    for entry in (cache_dir / "schemas").iterdir():
        entry.write_text(json.dumps([{}, {}]) if "request" in entry.name else "{oops")
    again = Validator(load_spec(path))
    assert again.response("listModels", body={"object": "list", "data": [{}]}) == expected
    assert all(len(json.loads(e.read_bytes())) == 3 for e in (cache_dir / "schemas").iterdir())


def test_a_spec_read_from_another_path_reports_its_own_locations(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # cache entries are keyed by content, so a copy elsewhere (a CI checkout) shares them
    copies = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        copy = tmp_path / folder / "openai.yaml"
        copy.write_bytes((SPECS / "openai-2.3.0.yaml").read_bytes())
        copies.append(copy)
    body = {
        "object": "list",
        "data": [{"id": "m", "object": "model", "created": "x", "owned_by": "o"}],
    }
    first = Validator(load_spec(copies[0])).response("listModels", body=body)
    with monkeypatch.context() as m:  # the second copy restores what the first wrote
        m.setattr(Converter, "_convert", _no_conversion)
        second = Validator(load_spec(copies[1])).response("listModels", body=body)
    assert [v.schema_path for v in first] == [v.schema_path for v in second]
    assert [v.schema_path for v in second] == ["#/components/schemas/Model/properties/created/type"]
