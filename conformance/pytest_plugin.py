"""The pytest plugin: a ``conformance_mock`` fixture that answers OpenAI API calls from the spec
and fails the test when the code under test sent a request the spec (or one of the OpenAI rules
about requests) does not allow.

Loaded through the ``pytest11`` entry point in every project that installs
``openai-conformance``, so it imports nothing but pytest and the standard library until a test
asks for one of its fixtures (as Hypothesis' ``_hypothesis_pytestplugin`` does).

Configure the spec once, on the command line or in the ini file::

    pytest --conformance-spec path/or/url/openapi.yaml
    # [pytest]
    # conformance_spec = specs/openai.yaml   (relative to the ini file)

then, in a test::

    def test_summary(conformance_mock):
        conformance_mock.override("createChatCompletion", body={...})
        assert summarize("text") == ...     # calls https://api.openai.com/v1 with any httpx client

    @pytest.mark.conformance(seed=3, faults="rate-limit", allow_invalid=True)
    def test_retries(conformance_mock): ...

``openai_mock`` (fixture and marker) is an alias of ``conformance_mock`` (and ``conformance``),
registered only when no other installed plugin defines an ``openai_mock`` fixture (the
openai-responses plugin does): then that plugin keeps the name and this one uses its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock import Mock
    from .results import Result
    from .spec import Spec
    from .validate import Violation

__all__ = [
    "ALIAS",
    "DUMMY_API_KEY",
    "FIXTURE",
    "MARKER",
    "MARKER_OPTIONS",
    "conformance_mock",
    "conformance_spec",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_call",
]

FIXTURE = "conformance_mock"  # the fixture's name
MARKER = "conformance"  # the marker's name
ALIAS = "openai_mock"  # fixture and marker alias, when no other plugin defines the fixture
DUMMY_API_KEY = "sk-conformance-dummy"  # OPENAI_API_KEY during a test, when unset

# what @pytest.mark.conformance(...) accepts
MARKER_OPTIONS = {
    "seed": "generate with this seed (default: --conformance-seed, else 0)",
    "profile": "generate with this profile: default, typical, edge (default: --conformance-profile)",
    "faults": 'misbehave: "NAME[=VALUE][:RATE],..." (rate-limit, drop, latency=0.5, ...)',
    "overrides": '{"operationId": {"body": ..., "status": ..., "headers": ..., "latency": ...}}',
    "base_url": "the URL the mock answers under (default https://api.openai.com/v1)",
    "state": "remember created objects (default True)",
    "max_objects": "stored objects kept, the oldest evicted first (default 10,000)",
    "max_bytes": "stored bytes kept (objects' JSON, uploads), the oldest evicted first (256 MiB)",
    "strict": "reject undeclared request fields (default False)",
    "auth": "require an API key when the spec declares security (default True)",
    "allow_invalid": "do not fail the test for requests the spec does not allow (default False)",
}
_SPEC_HELP = (
    "OpenAPI spec the conformance_mock fixture serves and checks requests against: a path or an "
    "http(s) URL (YAML or JSON)"
)
_NO_SPEC = (
    "{fixture} needs an OpenAPI spec: pass --conformance-spec=PATH_OR_URL, or set "
    "'conformance_spec = PATH_OR_URL' in the [pytest] section of your ini file "
    "(e.g. OpenAI's openapi.yaml from https://github.com/openai/openai-openapi)"
)
_MOCK_KEY = pytest.StashKey["Mock"]()
_ALLOW_KEY = pytest.StashKey[bool]()
_NAME_KEY = pytest.StashKey[str]()  # the fixture name the test asked for
_ALIASED_KEY = pytest.StashKey[bool]()  # whether openai_mock is ours in this session


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
    suite = parser.getgroup("conformance-suite", "OpenAPI conformance suite against a live server")
    suite.addoption(
        "--conformance-base-url",
        dest="conformance_base_url",
        metavar="URL",
        help="run the conformance suite against this server: one test per operation and axis",
    )
    suite.addoption(
        "--conformance-model",
        dest="conformance_model",
        action="append",
        metavar="[FAMILY=]NAME",
        help="model name to send (chat=NAME, embeddings=NAME…; repeatable)",
    )
    suite.addoption(
        "--conformance-api-key-env",
        dest="conformance_api_key_env",
        metavar="VAR",
        help="environment variable holding the server's API key (default OPENAI_API_KEY)",
    )
    suite.addoption(
        "--conformance-operations",
        dest="conformance_operations",
        metavar="IDS",
        help="comma-separated operationIds to run (default: all)",
    )
    try:
        suite.addoption(
            "--shard",
            "--conformance-shard",
            dest="conformance_shard",
            metavar="i/N",
            help="run only the operations whose place in the spec is i modulo N",
        )
    except ValueError:  # another plugin owns --shard
        suite.addoption("--conformance-shard", dest="conformance_shard", metavar="i/N")
    parser.addini("conformance_spec", _SPEC_HELP + "; a relative path is relative to the ini file")
    parser.addini(
        "conformance_profile", "profile for the conformance_mock fixture", default="typical"
    )
    parser.addini("conformance_seed", "seed for the conformance_mock fixture", default="0")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``conformance`` marker (so ``--strict-markers`` accepts it) and, unless
    another plugin defines an ``openai_mock`` fixture, the ``openai_mock`` fixture and marker
    as aliases.

    Usage: ``@pytest.mark.conformance(seed=1, faults="drop:0.5", allow_invalid=True)``
    """
    options = "(" + ", ".join(f"{name}=..." for name in MARKER_OPTIONS) + ")"
    config.addinivalue_line(
        "markers",
        f"{MARKER}{options}: configure the {FIXTURE} fixture of openai-conformance for this test",
    )
    config.addinivalue_line(
        "markers", "xdist_group(name): pytest-xdist's --dist loadgroup keeps a group on one worker"
    )
    aliased = not _defined_elsewhere(config, ALIAS)
    config.stash[_ALIASED_KEY] = aliased
    if aliased:
        config.addinivalue_line(
            "markers", f"{ALIAS}{options}: alias of @pytest.mark.{MARKER} (openai-conformance)"
        )
        config.pluginmanager.register(_Alias(), "conformance-openai-mock-alias")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """With ``--conformance-base-url``, add the suite's tests (``conformance.suites.plugin``).

    Usage: ``pytest --conformance-spec openai.yaml --conformance-base-url http://127.0.0.1:8080/v1``
    """
    if not config.getoption("conformance_base_url", default=None):
        return
    from .suites.plugin import suite_items

    added = suite_items(session, config, _spec_source(config))
    items.extend(added)
    session.testscollected += len(added)  # what the summary and --collect-only count


def _defined_elsewhere(config: pytest.Config, name: str) -> bool:
    """Whether a plugin other than this one defines a fixture called ``name`` (by attribute or
    by ``@pytest.fixture(name=...)``)."""
    try:
        from _pytest.fixtures import getfixturemarker
    except ImportError:  # pragma: no cover - a pytest without it: assume the name is taken
        return True
    this = sys.modules[__name__]
    for plugin in config.pluginmanager.get_plugins():
        if plugin is None or plugin is this or isinstance(plugin, _Alias):
            continue
        holder = plugin if isinstance(plugin, type(sys)) else type(plugin)
        for attr, value in list(vars(holder).items()):
            marker = getfixturemarker(value)
            if marker is not None and (marker.name or attr) == name:
                return True
    return False


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


def _marker_options(node: pytest.Item, aliased: bool) -> dict[str, Any]:
    """The keyword arguments of the ``conformance`` markers (and ``openai_mock`` ones, when that
    alias is ours) on ``node``: closest wins, ``conformance`` over ``openai_mock``."""
    options: dict[str, Any] = {}
    for name in (ALIAS, MARKER) if aliased else (MARKER,):
        for marker in reversed(list(node.iter_markers(name))):
            if marker.args:
                pytest.fail(
                    f"@pytest.mark.{name} takes keyword arguments only: "
                    + ", ".join(MARKER_OPTIONS),
                    pytrace=False,
                )
            options.update(marker.kwargs)
    unknown = sorted(set(options) - set(MARKER_OPTIONS))
    if unknown:
        pytest.fail(
            f"@pytest.mark.{MARKER}: unknown option(s) {', '.join(unknown)} "
            f"(known: {', '.join(MARKER_OPTIONS)})",
            pytrace=False,
        )
    return options


@pytest.fixture
def conformance_mock(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Mock]:
    """A fresh mock of the API, answering every httpx request under https://api.openai.com/v1
    for the duration of the test; the test fails if any request broke the spec or an OpenAI
    rule about requests. ``OPENAI_API_KEY`` is set to a dummy key when unset, and
    ``OPENAI_BASE_URL`` to the mocked base URL, for the test's duration.

    Usage: ``def test_it(conformance_mock): conformance_mock.override("listModels", body={...})``
    """
    name = request.node.stash.get(_NAME_KEY, FIXTURE)
    if _spec_source(pytestconfig) is None:
        pytest.fail(_NO_SPEC.format(fixture=name), pytrace=False)
    spec: Spec = request.getfixturevalue("conformance_spec")
    from .errors import ConformanceError
    from .mock import Mock
    from .mock.transport import DEFAULT_BASE_URL, mock_router

    options = _marker_options(request.node, pytestconfig.stash.get(_ALIASED_KEY, False))
    try:
        mock = Mock(
            spec,
            profile=str(options.get("profile") or _setting(pytestconfig, "conformance_profile")),
            seed=_seed(options.get("seed", _setting(pytestconfig, "conformance_seed"))),
            state=bool(options.get("state", True)),
            faults=options.get("faults"),
            strict=bool(options.get("strict", False)),
            auth=bool(options.get("auth", True)),
            **{k: options[k] for k in ("max_objects", "max_bytes") if k in options},
        )
        for operation, rule in (options.get("overrides") or {}).items():
            mock.override(operation, **rule)
    except (ConformanceError, TypeError) as error:
        pytest.fail(f"@pytest.mark.{MARKER}: {error}", pytrace=False)
    request.node.stash[_MOCK_KEY] = mock
    request.node.stash[_ALLOW_KEY] = bool(options.get("allow_invalid", False))
    base_url = str(options.get("base_url") or DEFAULT_BASE_URL)
    with pytest.MonkeyPatch.context() as env, mock_router(mock, base_url):
        if not os.environ.get("OPENAI_API_KEY"):
            env.setenv("OPENAI_API_KEY", DUMMY_API_KEY)
        env.setenv("OPENAI_BASE_URL", base_url)  # a client made from the environment: here
        yield mock
    mock.log.close()


class _Alias:
    """The ``openai_mock`` fixture, registered as a plugin only when the name is free."""

    @pytest.fixture
    def openai_mock(self, request: pytest.FixtureRequest) -> Mock:
        """Alias of ``conformance_mock`` (see the module docstring for when it exists).

        Usage: ``def test_it(openai_mock): openai_mock.records``
        """
        request.node.stash[_NAME_KEY] = ALIAS
        mock: Mock = request.getfixturevalue(FIXTURE)
        return mock


def _sent_errors(record: Result) -> list[Violation]:
    """What was wrong with what the app sent: errors about the request (schema or rule), not
    about the mock's own answer."""
    return [v for v in record.violations if v.is_error and v.where.startswith("request")]


def _invalid_report(name: str, records: list[Result]) -> str:
    """One block per invalid request: ``METHOD path (operation) -> status``, then each error."""
    lines = [f"{name}: {len(records)} request(s) broke the spec or an OpenAI rule:"]
    for record in records:
        lines.append(
            f"  {record.method} {record.path} ({record.operation or 'no operation'}) -> {record.status}"
        )
        lines += [f"    {violation}" for violation in _sent_errors(record)]
    marker = ALIAS if name == ALIAS else MARKER
    lines.append(f"(mark the test @pytest.mark.{marker}(allow_invalid=True) if that is intended)")
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test that used ``conformance_mock`` when a request it sent broke the spec or an
    OpenAI rule about requests (unless ``allow_invalid=True``); when the test failed anyway, add
    the list as a report section.

    Usage: pytest calls it; see ``conformance_mock``.
    """
    name = item.stash.get(_NAME_KEY, FIXTURE)
    try:
        result = yield
    except BaseException:
        mock = item.stash.get(_MOCK_KEY, None)
        invalid = [r for r in mock.records if _sent_errors(r)] if mock is not None else []
        if invalid:
            item.add_report_section("call", name, _invalid_report(name, invalid))
        raise
    mock = item.stash.get(_MOCK_KEY, None)
    if mock is not None and not item.stash.get(_ALLOW_KEY, False):
        invalid = [r for r in mock.records if _sent_errors(r)]
        if invalid:
            pytest.fail(_invalid_report(name, invalid), pytrace=False)
    return result
