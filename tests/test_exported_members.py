"""The public API is exactly what ``__all__`` says (as httpx locks its own)."""

import conformance


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
