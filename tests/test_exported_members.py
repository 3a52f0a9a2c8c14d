"""The public API is exactly what ``__all__`` says (as httpx locks its own): the top level's and
each subpackage's. Modules are implementation unless a package's ``__all__`` names them (README,
"Public API"); their own ``__all__`` only say what they offer their package.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

import conformance

ROOT = Path(conformance.__file__).parent


def test_all_exports_exist_and_nothing_public_is_missing() -> None:
    exported = set(conformance.__all__)
    for name in exported:
        assert hasattr(conformance, name), name
    public = {
        name
        for name, value in vars(conformance).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("conformance")
    }
    assert public <= exported, public - exported


def test_exported_api_names() -> None:
    assert sorted(conformance.__all__) == sorted(
        [
            "AppliedErratum",
            "ConformanceError",
            "ExampleResult",
            "InputError",
            "Operation",
            "RefError",
            "Redactor",
            "Result",
            "Spec",
            "SpecError",
            "SpecLoadError",
            "UnknownOperationError",
            "Validator",
            "Violation",
            "__version__",
            "check_examples",
            "load_spec",
            "read_results",
        ]
    )


# -- subpackages ---------------------------------------------------------------------------------

SUBPACKAGES = {
    "conformance.spec": [
        "ERRATA",
        "AppliedErratum",
        "Documents",
        "Erratum",
        "MediaType",
        "Operation",
        "Parameter",
        "RequestBody",
        "Response",
        "Spec",
        "Stream",
        "load_spec",
    ],
    "conformance.schema": [
        "DIRECTIONS",
        "DISCRIMINATOR",
        "MAX_DEPTH",
        "SchemaSet",
        "schema_set",
        "strict_schema",
    ],
    "conformance.validate": ["ERROR", "WARNING", "Engine", "Limits", "Validator", "Violation"],
    "conformance.validate.semantics": [
        "ANSWER",
        "REQUEST",
        "RULES",
        "Event",
        "Exchange",
        "Finding",
        "Rule",
        "api_code",
        "check",
        "complied",
        "comply",
        "rule",
        "rules_for",
    ],
    "conformance.strategies": [
        "PROFILES",
        "InvalidRequest",
        "Profile",
        "RequestCase",
        "ResponseCase",
        "breaks_of",
        "invalid_requests",
        "requests",
        "responses",
        "streams",
    ],
    "conformance.mock": [
        "FAULTS",
        "Fault",
        "Mock",
        "MockRequest",
        "MockResponse",
        "Override",
        "OverrideError",
        "RequestLog",
        "mock_router",
    ],
    "conformance.results": [
        "ALL_AXES",
        "AXES",
        "FORMAT",
        "GRADES",
        "MARKER",
        "VERSION",
        "Document",
        "Redactor",
        "Replay",
        "Request",
        "Response",
        "Result",
        "Verdict",
        "axis_of",
        "read_results",
        "schema",
        "worst",
    ],
    "conformance.reports": [
        "FORMATS",
        "SPEC_CHECKS",
        "Change",
        "Finding",
        "RunDiff",
        "SpecCheck",
        "SpecDiff",
        "Summary",
        "curl_command",
        "diff_runs",
        "diff_specs",
        "fingerprint",
        "redact_document",
        "to_html",
        "to_json",
        "to_junit",
        "to_markdown",
        "write_reports",
    ],
    "conformance.suites": [
        "CHECKS",
        "FAMILIES",
        "Budget",
        "Case",
        "Sender",
        "Target",
        "cases_for",
        "conformance_checks",
        "grade",
        "judge",
        "load_target",
        "probes_for",
        "reachable",
        "run_suite",
        "select",
    ],
    "conformance.fuzz": [
        "Case",
        "CaseResult",
        "Client",
        "Framing",
        "Harness",
        "Minimized",
        "Outcome",
        "Run",
        "Session",
        "Sessions",
        "Step",
        "classify",
        "framings",
        "load_case",
        "minimize",
        "plan",
        "replay",
        "serve",
        "served",
        "wire",
    ],
    "conformance.cli": ["main", "run"],
}


def _public(package: ModuleType) -> set[str]:
    """What a package's namespace shows: names without ``_`` that are not submodules and not
    borrowed from elsewhere (a class or function of another package or library)."""
    out = set()
    for name, value in vars(package).items():
        if name.startswith("_") or name == "annotations" or isinstance(value, ModuleType):
            continue
        home = getattr(value, "__module__", None)
        if isinstance(home, str) and not home.startswith(package.__name__ + "."):
            continue  # e.g. semantics' Violation, for annotations: validate's API, not its own
        out.add(name)
    return out


@pytest.mark.parametrize("name", sorted(SUBPACKAGES))
def test_subpackage_exports_exist_and_nothing_public_is_missing(name: str) -> None:
    package = importlib.import_module(name)
    exported = set(package.__all__)
    assert len(exported) == len(package.__all__), "a name listed twice"
    for member in exported:
        assert hasattr(package, member), member
    missing = _public(package) - exported
    assert not missing, f"{name} shows {sorted(missing)} without exporting them"


@pytest.mark.parametrize("name", sorted(SUBPACKAGES))
def test_subpackage_exported_api_names(name: str) -> None:
    assert sorted(importlib.import_module(name).__all__) == sorted(SUBPACKAGES[name])


def test_every_subpackage_is_locked() -> None:
    packages = {
        "conformance." + ".".join(init.parent.relative_to(ROOT).parts)
        for init in ROOT.rglob("__init__.py")
        if init.parent != ROOT
    }
    assert packages == set(SUBPACKAGES)


# -- modules -------------------------------------------------------------------------------------


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(ROOT.parent)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(ROOT.rglob("*.py"))
    ]


def _all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list)
            return [str(v) for v in value]
    return None


def _bound(tree: ast.Module) -> dict[str, ast.stmt]:
    """Top-level names (also under ``if``/``try``), with the statement that binds each."""
    out: dict[str, ast.stmt] = {}
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        out[leaf.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                out[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, ast.If):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + [s for handler in node.handlers for s in handler.body]
    return out


def test_module_all_lists_only_what_the_module_binds() -> None:
    wrong = [
        f"{path}: {name}"
        for path, tree in _modules()
        for name in _all(tree) or []
        if name not in _bound(tree) or (name.startswith("_") and name != "__version__")
    ]
    assert not wrong


def test_modules_do_not_offer_another_package_s_names() -> None:
    """A module's ``__all__`` may offer what a sibling module defines, never a name it imports
    from another package (``strategies.streams`` listed semantics' ``response_events``)."""
    wrong = []
    for path, tree in _modules():
        if path.endswith("__init__.py"):
            continue  # a package's __all__ is its API, locked above
        bound = _bound(tree)
        for name in _all(tree) or []:
            node = bound.get(name)
            if isinstance(node, ast.Import) or (
                isinstance(node, ast.ImportFrom) and node.level != 1
            ):
                wrong.append(f"{path}: {name}")
    assert not wrong


def test_what_a_package_exports_its_module_offers() -> None:
    """Every name a package re-exports from one of its modules is in that module's ``__all__``."""
    trees = dict(_modules())
    wrong = []
    for path, tree in trees.items():
        if not path.endswith("__init__.py"):
            continue
        exported = set(_all(tree) or [])
        folder = path.rsplit("/", 1)[0]
        for node in tree.body:
            if not (isinstance(node, ast.ImportFrom) and node.level == 1 and node.module):
                continue
            source = trees.get(f"{folder}/{node.module.replace('.', '/')}.py")
            offered = set(_all(source) or []) if source is not None else set()
            wrong += [
                f"{path}: {a.name} from .{node.module}"
                for a in node.names
                if (a.asname or a.name) in exported and a.name not in offered
            ]
    assert not wrong
