"""A synthetic spec of schemas linked in a chain: ``S0 → S1 → … → S{n-1}`` by ``$ref``, and
``operations`` GET operations whose 200 answers ``S0`` (each through its own inline ``$ref``).

Every operation reaches every schema, so a validator compiled per operation that copies what
it reaches costs operations × schemas; shared compilation costs schemas.

    python bench/chained_spec.py 1000 100 /tmp/chained.json   # writes the spec, prints its size

Used by ``bench/bench_spec_check.py`` and ``tests/hostile/test_hostile_compile.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def chained_doc(schemas: int, operations: int) -> dict[str, Any]:
    """The spec as a document (OpenAPI 3.0.3)."""
    components: dict[str, Any] = {}
    for i in range(schemas):
        props: dict[str, Any] = {
            "name": {"type": "string", "maxLength": 64},
            "value": {"type": "integer", "format": "int32"},
        }
        if i + 1 < schemas:
            props["next"] = {"$ref": f"#/components/schemas/S{i + 1}"}
        components[f"S{i}"] = {"type": "object", "required": ["name"], "properties": props}
    paths = {
        f"/chain{j}": {
            "get": {
                "operationId": f"getChain{j}",
                "responses": {
                    "200": {
                        "description": "the head of the chain",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/S0"}}
                        },
                    }
                },
            }
        }
        for j in range(operations)
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": f"chained {schemas} x {operations}", "version": "1"},
        "paths": paths,
        "components": {"schemas": components},
    }


def chained_spec(folder: Path, schemas: int = 1000, operations: int = 100) -> Path:
    """Write the spec as ``chained-<schemas>x<operations>.json`` in ``folder``; its path."""
    path = Path(folder) / f"chained-{schemas}x{operations}.json"
    path.write_text(json.dumps(chained_doc(schemas, operations)))
    return path


if __name__ == "__main__":
    n, m, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    written = chained_spec(out.parent, n, m)
    if written != out:
        written.replace(out)
    print(f"{out}: {out.stat().st_size:,} bytes, {n} schemas, {m} operations")
