"""The pytest plugin: an ``openai_mock`` fixture that answers OpenAI API calls from the spec and
fails the test when the code under test sent a request the spec does not allow.

Loaded through the ``pytest11`` entry point in every project that installs
``openai-conformance``, so it imports nothing but pytest and the standard library until a test
asks for one of its fixtures (as Hypothesis' ``_hypothesis_pytestplugin`` does).

Configure the spec once, on the command line or in the ini file::

    pytest --conformance-spec path/or/url/openapi.yaml
    # [pytest]
    # conformance_spec = specs/openai.yaml   (relative to the ini file)

then, in a test::

    def test_summary(openai_mock):
        openai_mock.override("createChatCompletion", body={...})
        assert summarize("text") == ...     # calls https://api.openai.com/v1 with any httpx client

    @pytest.mark.openai_mock(seed=3, faults="rate-limit", allow_invalid=True)
    def test_retries(openai_mock): ...
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock import Mock, Record
    from .spec import Spec

__all__ = [
    "MARKER_OPTIONS",
    "conformance_spec",
    "openai_mock",
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_call",
]

# what @pytest.mark.openai_mock(...) accepts
MARKER_OPTIONS = {
    "seed": "generate with this seed (default: --conformance-seed, else 0)",
    "profile": "generate with this profile: default, typical, edge (default: --conformance-profile)",
    "faults": 'misbehave: "NAME[=VALUE][:RATE],..." (rate-limit, drop, latency=0.5, ...)',
    "overrides": '{"operationId": {"body": ..., "status": ..., "headers": ..., "latency": ...}}',
    "base_url": "the URL the mock answers under (default https://api.openai.com/v1)",
    "state": "remember created objects (default True)",
    "strict": "reject undeclared request fields (default False)",
    "auth": "require an API key when the spec declares security (default True)",
    "allow_invalid": "do not fail the test for requests the spec does not allow (default False)",
}
_SPEC_HELP = (
    "OpenAPI spec the openai_mock fixture serves and checks requests against: a path or an "
    "http(s) URL (YAML or JSON)"
)
_NO_SPEC = (
    "{fixture} needs an OpenAPI spec: pass --conformance-spec=PATH_OR_URL, or set "
    "'conformance_spec = PATH_OR_URL' in the [pytest] section of your ini file "
    "(e.g. OpenAI's openapi.yaml from https://github.com/openai/openai-openapi)"
)
_MOCK_KEY = pytest.StashKey["Mock"]()
_ALLOW_KEY = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--conformance-spec``, ``--conformance-profile``, ``--conformance-seed`` and their
    ini twins ``conformance_spec``, ``conformance_profile``, ``conformance_seed``.

    Usage: ``pytest --conformance-spec specs/openai.yaml --conformance-seed 3``
    """
    group = parser.getgroup("conformance", "OpenAPI conformance (openai-conformance)")
    group.addoption(
        "--conformance-spec", dest="conformance_spec", metavar="PATH_OR_URL", help=_SPEC_HELP
    )
    group.addoption(
        "--conformance-profile",
        dest="conformance_profile",
        metavar="NAME",
        help="profile the mock generates answers with: default, typical (the default), edge",
    )
    group.addoption(
        "--conformance-seed",
        dest="conformance_seed",
        metavar="SEED",
        help="seed the mock generates answers with (default 0)",
    )
    parser.addini("conformance_spec", _SPEC_HELP + "; a relative path is relative to the ini file")
    parser.addini("conformance_profile", "profile for the openai_mock fixture", default="typical")
    parser.addini("conformance_seed", "seed for the openai_mock fixture", default="0")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``openai_mock`` marker (so ``--strict-markers`` accepts it).

    Usage: ``@pytest.mark.openai_mock(seed=1, faults="drop:0.5", allow_invalid=True)``
    """
    config.addinivalue_line(
        "markers",
        "openai_mock(" + ", ".join(f"{name}=..." for name in MARKER_OPTIONS) + "): configure "
        "the openai_mock fixture of openai-conformance for this test",
    )


def _spec_source(config: pytest.Config) -> str | None:
    """The configured spec: the CLI value as given (relative to the working directory), else
    the ini value (a relative path made relative to the ini file); ``None`` when neither."""
    given: str | None = config.getoption("conformance_spec")
    if given:
        return given
    value = config.getini("conformance_spec")
    if not value:
        return None
    text = str(value).strip()
    if "://" in text or os.path.isabs(text):
        return text
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return str(base / text)


def _setting(config: pytest.Config, name: str) -> str:
    value = config.getoption(name)
    return str(value) if value is not None else str(config.getini(name))


def _seed(value: Any) -> int | str:
    text = str(value).strip()
    return int(text) if text.lstrip("-").isdigit() else text


@pytest.fixture(scope="session")
def conformance_spec(pytestconfig: pytest.Config) -> Spec:
    """The spec set with ``--conformance-spec`` / ``conformance_spec``, loaded once a session.

    Usage: ``def test_ops(conformance_spec): assert conformance_spec.operation("listModels")``
    """
    source = _spec_source(pytestconfig)
    if source is None:
        pytest.fail(_NO_SPEC.format(fixture="conformance_spec"), pytrace=False)
    from .errors import ConformanceError
    from .spec import load_spec

    try:
        return load_spec(source)
    except ConformanceError as error:
        pytest.fail(f"conformance_spec: cannot load {source}: {error}", pytrace=False)


def _marker_options(node: pytest.Item) -> dict[str, Any]:
    """The keyword arguments of the ``openai_mock`` markers on ``node`` (closest wins)."""
    options: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("openai_mock"))):
        if marker.args:
            pytest.fail(
                "@pytest.mark.openai_mock takes keyword arguments only: "
                + ", ".join(MARKER_OPTIONS),
                pytrace=False,
            )
        options.update(marker.kwargs)
    unknown = sorted(set(options) - set(MARKER_OPTIONS))
    if unknown:
        pytest.fail(
            f"@pytest.mark.openai_mock: unknown option(s) {', '.join(unknown)} "
            f"(known: {', '.join(MARKER_OPTIONS)})",
            pytrace=False,
        )
    return options


@pytest.fixture
def openai_mock(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Mock]:
    """A fresh mock of the API, answering every httpx request under https://api.openai.com/v1
    for the duration of the test; the test fails if any request broke the spec.

    Usage: ``def test_it(openai_mock): openai_mock.override("listModels", body={...})``
    """
    if _spec_source(pytestconfig) is None:
        pytest.fail(_NO_SPEC.format(fixture="openai_mock"), pytrace=False)
    spec: Spec = request.getfixturevalue("conformance_spec")
    from .errors import ConformanceError
    from .mock import Mock
    from .mock.transport import DEFAULT_BASE_URL, mock_router

    options = _marker_options(request.node)
    try:
        mock = Mock(
            spec,
            profile=str(options.get("profile") or _setting(pytestconfig, "conformance_profile")),
            seed=_seed(options.get("seed", _setting(pytestconfig, "conformance_seed"))),
            state=bool(options.get("state", True)),
            faults=options.get("faults"),
            strict=bool(options.get("strict", False)),
            auth=bool(options.get("auth", True)),
        )
        for operation, rule in (options.get("overrides") or {}).items():
            mock.override(operation, **rule)
    except (ConformanceError, TypeError) as error:
        pytest.fail(f"@pytest.mark.openai_mock: {error}", pytrace=False)
    request.node.stash[_MOCK_KEY] = mock
    request.node.stash[_ALLOW_KEY] = bool(options.get("allow_invalid", False))
    with mock_router(mock, str(options.get("base_url") or DEFAULT_BASE_URL)):
        yield mock
    mock.log.close()


def _invalid_report(records: list[Record]) -> str:
    """One block per invalid request: ``METHOD path (operation) -> status``, then each error."""
    lines = [f"openai_mock: {len(records)} request(s) broke the spec:"]
    for record in records:
        lines.append(
            f"  {record.method} {record.path} ({record.operation or 'no operation'}) -> {record.status}"
        )
        lines += [f"    {violation}" for violation in record.violations if violation.is_error]
    lines.append("(mark the test @pytest.mark.openai_mock(allow_invalid=True) if that is intended)")
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that used ``openai_mock`` when a request it sent broke the spec (unless
    ``allow_invalid=True``); when the test failed anyway, add the list as a report section.

    Usage: pytest calls it; see ``openai_mock``.
    """
    try:
        result = yield
    except BaseException:
        mock = item.stash.get(_MOCK_KEY, None)
        invalid = [r for r in mock.records if not r.valid] if mock is not None else []
        if invalid:
            item.add_report_section("call", "openai_mock", _invalid_report(invalid))
        raise
    mock = item.stash.get(_MOCK_KEY, None)
    if mock is not None and not item.stash.get(_ALLOW_KEY, False):
        invalid = [r for r in mock.records if not r.valid]
        if invalid:
            pytest.fail(_invalid_report(invalid), pytrace=False)
    return result
