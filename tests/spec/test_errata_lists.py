"""Erratum ``list-ids-nullable``: list envelopes' cursor ids are null on an empty page and absent
on some unfiltered lists, as the real API answers (../shared/real-traffic)."""

from __future__ import annotations

from typing import Any

import pytest
import traffic
from support import SPECS

from conformance.spec import load_spec
from conformance.validate import Validator

ENVELOPE: dict[str, Any] = {
    "openapi": "3.0.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "object": {"type": "string"},
                                        "data": {"type": "array", "items": {"type": "object"}},
                                        "first_id": {"type": "string"},
                                        "last_id": {"type": "string"},
                                        "has_more": {"type": "boolean"},
                                    },
                                    "required": [
                                        "object",
                                        "data",
                                        "first_id",
                                        "last_id",
                                        "has_more",
                                    ],
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}
EMPTY = {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_an_empty_page_with_null_ids_is_valid_with_the_erratum_only(tmp_path: Any) -> None:
    import json

    path = tmp_path / "lists.json"
    path.write_text(json.dumps(ENVELOPE))
    patched = load_spec(path)
    assert [e.id for e in patched.errata] == ["list-ids-nullable"]
    assert Validator(patched).response("listThings", body=EMPTY) == []
    assert (
        Validator(patched).response(
            "listThings", body={"object": "list", "data": [], "has_more": False}
        )
        == []
    )
    bare = Validator(load_spec(path, errata=()))
    assert {v.code for v in bare.response("listThings", body=EMPTY)} == {"schema.type"}


@pytest.mark.parametrize("name", ["openai-2.3.0.yaml", "openai-2026-08.yaml"])
def test_real_empty_pages_and_unfiltered_lists_validate(name: str) -> None:
    spec = load_spec(SPECS / name)
    validator = Validator(spec)
    seen = 0
    for interaction, op in traffic.answers(spec):
        body = interaction["response"]["body"]
        if not isinstance(body, dict) or body.get("object") != "list" or "has_more" not in body:
            continue
        if body.get("data") == [] or "first_id" not in body:
            seen += 1
            found = traffic.verdicts(validator, interaction, op)
            cursor = [
                v
                for v in found
                if v.is_error and v.pointer.rsplit("/", 1)[-1] in ("first_id", "last_id", "")
            ]
            assert not [
                v
                for v in cursor
                if "first_id" in v.message + v.pointer or "last_id" in v.message + v.pointer
            ], (
                interaction["id"],
                [str(v) for v in cursor],
            )
    assert seen >= 6
