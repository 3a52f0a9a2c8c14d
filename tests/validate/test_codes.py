"""The codes table: every code the toolkit can give is in ``CODES`` and in the README's table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import conformance
from conformance.validate import Violation
from conformance.validate.codes import CODES, SCHEMA_KEYWORDS
from conformance.validate.semantics import RULES

PACKAGE = Path(conformance.__file__).parent
README = PACKAGE.parent / "README.md"


def _literal_codes() -> set[tuple[str, str]]:
    """(file:line, code) of every literal ``code="..."`` argument, ``@rule("...")`` and
    ``keyword="..."`` (a schema code) written in the package."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if name == "rule" and node.args and isinstance(node.args[0], ast.Constant):
                found.add((where, str(node.args[0].value)))
            for kw in node.keywords:
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    if name not in ("Violation", "fail", "at", "partial"):
                        continue
                    if kw.arg == "code":
                        found.add((where, kw.value.value))
                    elif kw.arg == "keyword":
                        found.add((where, f"schema.{kw.value.value}"))
    return found


def test_every_code_written_in_the_package_is_in_the_table() -> None:
    found = _literal_codes()
    assert len(found) > 20  # the scan sees the package's verdicts
    assert sorted(f"{w}: {c}" for w, c in found if c not in CODES) == []


def test_every_registered_rule_has_a_code_of_the_table() -> None:
    assert RULES
    assert [r.code for r in RULES if r.code not in CODES] == []
    assert len({r.code for r in RULES}) == len(RULES)


def test_a_schema_failure_is_coded_by_its_keyword() -> None:
    assert Violation("x", where="response.body", keyword="minLength").code == "schema.minLength"
    assert all(f"schema.{k}" in CODES for k in SCHEMA_KEYWORDS)


def test_codes_are_stable_names() -> None:
    assert all(re.fullmatch(r"[a-z]+(\.[a-zA-Z0-9-]+)+", code) for code in CODES)


def test_the_readme_table_is_the_codes_table() -> None:
    if not README.is_file():
        pytest.skip("no README beside the package (installed elsewhere)")
    text = README.read_text().split("<!-- codes:start -->", 1)[-1].split("<!-- codes:end -->")[0]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+?) \|$", text, flags=re.M))
    assert {c: d for c, d in CODES.items() if not c.startswith("schema.")} == {
        c: d for c, d in rows.items() if not c.startswith("schema.")
    }
    assert "schema.<keyword>" in README.read_text()


def test_every_code_given_on_a_sample_of_verdicts_is_in_the_table(openai_validator) -> None:  # type: ignore[no-untyped-def]
    v = openai_validator
    found = [
        *v.request(method="GET", path="/nowhere"),
        *v.request("createChatCompletion", body=b"{", content_type="application/json"),
        *v.request("createChatCompletion", body={"model": 1, "x": 2}),
        *v.response("listModels", status=299, body={}),
        *v.stream("createChatCompletion", "data: {\n\ndata: [DONE]\n\ndata: 1\n\n"),
        *v.stream("listModels", ""),
    ]
    assert found and all(x.code in CODES for x in found), [x.code for x in found]
