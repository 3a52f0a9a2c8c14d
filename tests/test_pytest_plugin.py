"""The pytest plugin, run with pytester: the conformance_mock fixture (and its openai_mock alias),
its marker, its options, the environment it sets, what fails a test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import httpcore2  # noqa: F401
import openai  # noqa: F401
import pytest
from support import SPECS

# openai, httpcore2 and the transport are imported here once: pytester's in-process runs restore
# sys.modules after each run, so what the inner runs import first would be imported again in each
# (slow, and httpx2 caches httpcore2's exception classes from the first import).
import conformance.mock.transport  # noqa: F401

pytest_plugins = ["pytester"]

SPEC = SPECS / "openai-2.3.0.yaml"

# the plugin comes in through the pytest11 entry point: no -p needed
HEADER = """
import openai
import pytest

USER = [{"role": "user", "content": "hi"}]

def client(**options):
    return openai.OpenAI(api_key="sk-test", **options)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project whose ini file points at the shared 2.3.0 spec."""
    pytester.makeini(f"[pytest]\nconformance_spec = {SPEC}\n")
    return pytester


def write(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_app=HEADER + textwrap.dedent(body))


def test_valid_requests_pass(project: pytest.Pytester) -> None:
    write(
        project,
        """
        def test_models(openai_mock):
            assert all(m.object == "model" for m in client().models.list().data)

        def test_chat_and_stream(openai_mock):
            assert len(client().chat.completions.create(model="gpt-4o", messages=USER, n=2).choices) == 2
            chunks = list(client().chat.completions.create(model="gpt-4o", messages=USER, stream=True))
            assert chunks
            assert [r.valid for r in openai_mock.records] == [True, True]
        """,
    )
    project.runpytest("--strict-markers").assert_outcomes(passed=2)


def test_invalid_request_fails_the_test_and_names_the_violation(project: pytest.Pytester) -> None:
    write(
        project,
        """
        def test_bad(openai_mock):
            with pytest.raises(openai.BadRequestError):
                client().chat.completions.create(model="gpt-4o", messages=[{"role": "nope", "content": "x"}])
        """,
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*openai_mock: 1 request(s) broke the spec or an OpenAI rule:*",
            "*POST /v1/chat/completions (createChatCompletion) -> 400*",
            "*createChatCompletion request.body /messages/0: object with role 'nope'*",
            "*@pytest.mark.openai_mock(allow_invalid=True)*",
        ]
    )


def test_allow_invalid_suppresses_the_failure(project: pytest.Pytester) -> None:
    write(
        project,
        """
        @pytest.mark.openai_mock(allow_invalid=True)
        def test_bad_on_purpose(openai_mock):
            with pytest.raises(openai.BadRequestError):
                client().chat.completions.create(model="gpt-4o", messages=[{"role": "nope", "content": "x"}])
            assert not openai_mock.records[0].valid
        """,
    )
    project.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_a_failing_test_gets_the_invalid_requests_as_a_section(project: pytest.Pytester) -> None:
    write(
        project,
        """
        def test_fails_anyway(openai_mock):
            client().chat.completions.create(model="gpt-4o", messages=[{"role": "nope", "content": "x"}])
        """,
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*BadRequestError*", "*openai_mock*", "*POST /v1/chat/completions*"]
    )


def test_marker_seed_profile_overrides_faults(project: pytest.Pytester) -> None:
    write(
        project,
        """
        @pytest.mark.openai_mock(seed=5, profile="edge")
        def test_seed(openai_mock):
            assert (openai_mock.seed, openai_mock.profile) == (5, "edge")

        @pytest.mark.openai_mock(overrides={"listModels": {"body": {"object": "list", "data": []}}})
        def test_override(openai_mock):
            assert client().models.list().data == []

        @pytest.mark.openai_mock(faults="rate-limit")
        def test_rate_limit(openai_mock):
            with pytest.raises(openai.RateLimitError):
                client(max_retries=0).models.list()

        @pytest.mark.openai_mock(faults="drop")
        def test_drop(openai_mock):
            with pytest.raises(openai.APIConnectionError):
                client(max_retries=0).models.list()

        @pytest.mark.openai_mock(base_url="http://localhost:9/v1")
        def test_base_url(openai_mock):
            client(base_url="http://localhost:9/v1").models.list()
            assert openai_mock.records[0].path == "/v1/models"

        def test_cli_defaults(openai_mock):
            assert (openai_mock.seed, openai_mock.profile) == (7, "default")
        """,
    )
    result = project.runpytest(
        "--strict-markers", "--conformance-seed=7", "--conformance-profile=default"
    )
    result.assert_outcomes(passed=6)


def test_same_seed_same_answers(project: pytest.Pytester) -> None:
    write(
        project,
        """
        import json

        SEEN = []

        @pytest.mark.parametrize("run", [1, 2])
        @pytest.mark.openai_mock(seed=11)
        def test_seeded(openai_mock, run):
            SEEN.append(client().models.list().model_dump())

        def test_compare():
            assert SEEN[0] == SEEN[1]
        """,
    )
    project.runpytest().assert_outcomes(passed=3)


def test_unknown_marker_option_is_a_clear_error(project: pytest.Pytester) -> None:
    write(
        project,
        """
        @pytest.mark.openai_mock(sed=1)
        def test_typo(openai_mock):
            pass
        """,
    )
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown option(s) sed*"])


def test_missing_spec_is_a_clear_error(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_needs_spec(openai_mock):
            pass
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*openai_mock needs an OpenAPI spec: pass --conformance-spec=PATH_OR_URL*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_unloadable_spec_is_a_clear_error(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_needs_spec(openai_mock):
            pass
        """,
    )
    result = pytester.runpytest("--conformance-spec", "no-such-spec.yaml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*conformance_spec: cannot load no-such-spec.yaml*"])


def test_cli_flag_and_relative_ini_path(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        def test_spec(conformance_spec):
            assert conformance_spec.operation("listModels")
        """,
    )
    pytester.runpytest("--conformance-spec", str(SPEC)).assert_outcomes(passed=1)
    pytester.makeini(f"[pytest]\nconformance_spec = {os.path.relpath(SPEC, pytester.path)}\n")
    sub = pytester.mkdir("sub")
    sub.joinpath("test_here.py").write_text(
        "def test_spec(conformance_spec):\n    assert conformance_spec.operation('listModels')\n"
    )
    pytester.runpytest("sub").assert_outcomes(passed=1)


def test_conformance_mock_and_conformance_marker_are_the_primary_names(
    project: pytest.Pytester,
) -> None:
    write(
        project,
        """
        @pytest.mark.conformance(seed=5, profile="edge")
        def test_primary(conformance_mock):
            assert (conformance_mock.seed, conformance_mock.profile) == (5, "edge")

        @pytest.mark.openai_mock(seed=6)
        def test_alias(openai_mock, conformance_mock):
            assert openai_mock is conformance_mock and openai_mock.seed == 6

        def test_bad(conformance_mock):
            with pytest.raises(openai.BadRequestError):
                client().chat.completions.create(model="gpt-4o", messages=[{"role": "nope", "content": "x"}])
        """,
    )
    result = project.runpytest("--strict-markers")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*conformance_mock: 1 request(s) broke the spec or an OpenAI rule:*",
            "*@pytest.mark.conformance(allow_invalid=True)*",
        ]
    )


OTHER_PLUGIN = {
    "attribute": """
        import pytest

        @pytest.fixture
        def openai_mock():
            return "theirs"
        """,
    "named": """
        import pytest

        @pytest.fixture(name="openai_mock")
        def _their_fixture():
            return "theirs"
        """,
}


@pytest.mark.parametrize("how", sorted(OTHER_PLUGIN))
def test_openai_mock_is_left_to_another_plugin_that_defines_it(
    project: pytest.Pytester, how: str
) -> None:
    # as the openai-responses plugin does: its openai_mock fixture must win, and its marker
    # options must not be read as ours
    project.makepyfile(other_plugin=textwrap.dedent(OTHER_PLUGIN[how]))
    project.syspathinsert()
    write(
        project,
        """
        @pytest.mark.openai_mock(not_one_of_ours=True)
        def test_theirs(openai_mock):
            assert openai_mock == "theirs"

        def test_ours(conformance_mock):
            assert client().models.list().data
        """,
    )
    project.runpytest("-p", "other_plugin").assert_outcomes(passed=2)


def test_the_environment_has_a_dummy_key_and_the_mocked_base_url(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://proxy.invalid/v1")
    write(
        project,
        """
        import os

        def test_from_the_environment(conformance_mock):
            assert os.environ["OPENAI_API_KEY"] == "sk-conformance-dummy"
            assert os.environ["OPENAI_BASE_URL"] == "https://api.openai.com/v1"
            assert openai.OpenAI().models.list().data  # no key, no base URL given

        @pytest.mark.conformance(base_url="http://localhost:9/v1")
        def test_other_base_url(conformance_mock):
            assert openai.OpenAI().models.list().data
            assert conformance_mock.records[0].path == "/v1/models"

        def test_restored_after():
            assert "OPENAI_API_KEY" not in os.environ
            assert os.environ["OPENAI_BASE_URL"] == "https://proxy.invalid/v1"
        """,
    )
    project.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_a_key_already_set_is_kept(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-mine")
    write(
        project,
        """
        import os

        def test_kept(conformance_mock):
            assert os.environ["OPENAI_API_KEY"] == "sk-mine"
        """,
    )
    project.runpytest().assert_outcomes(passed=1)


def test_a_rule_about_requests_fails_the_test(project: pytest.Pytester) -> None:
    from conformance.validate.codes import CODES

    if "rule.request.stream-options" not in CODES:
        pytest.skip("the request-side rules are not in this tree yet")
    # schema-valid, but the API refuses stream_options without stream: true
    write(
        project,
        """
        def test_sends_stream_options_without_stream(conformance_mock):
            with pytest.raises(openai.BadRequestError):
                client().chat.completions.create(
                    model="gpt-4o", messages=USER, stream_options={"include_usage": True}
                )
        """,
    )
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*conformance_mock: 1 request(s) broke the spec or an OpenAI rule:*",
            "*request.body*[[]rule.request.stream-options[]]*",
        ]
    )


def test_only_verdicts_on_what_was_sent_count() -> None:
    from conformance.pytest_plugin import _sent_errors
    from conformance.validate import Violation

    sent = Violation("x", where="request.body", code="rule.request.tool-choice")
    query = Violation("x", where="request.query", code="schema.type", keyword="type")
    answer = Violation("x", where="response.body", code="rule.usage.total")
    warning = Violation("x", where="request.body", code="undeclared.property", severity="warning")
    record = SimpleNamespace(violations=(sent, answer, warning, query))
    assert _sent_errors(record) == [sent, query]  # type: ignore[arg-type]


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, conformance.pytest_plugin\n"
        "print(*[name in sys.modules for name in "
        f"{HEAVY!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"] * len(HEAVY)


HEAVY = (
    "conformance.spec",
    "conformance.validate",
    "conformance.mock",
    "yaml",
    "jsonschema_rs",
    "respx",
    "hypothesis",
    "openai",
    "httpx",
)
