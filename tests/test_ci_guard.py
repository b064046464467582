"""CI can't be fooled by a skip: the guard in tests/ci_guard.py, run on small test files in a
separate pytest process, the way CI runs the suite."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci_guard import in_ci

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# One PostgreSQL-parametrized test and one browser test, so the collection check is satisfied.
COVERED = """
import pytest

@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_backend(engine):
    assert engine

@pytest.mark.browser
def test_in_browser():
    assert True
"""


@pytest.fixture
def run_suite(pytester, monkeypatch):
    """Run pytest on the given files in a subprocess with CI set to `ci` (None: unset)."""
    pytester.makeini("[pytest]\nmarkers =\n    browser: drives the real app\n")
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)

    def run(ci: str | None, *args: str, **files: str):
        if ci is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", ci)
        pytester.makepyfile(**files)
        return pytester.runpytest_subprocess("-p", "tests.ci_guard", "-p", "no:cacheprovider", "-rA", *args)

    return run


SKIPPING = COVERED + """
def test_needs_a_part():
    pytest.skip("PostgreSQL is not installed")

@pytest.mark.skipif(True, reason="no Chromium here")
def test_marked_skip():
    assert True

def test_import_skip():
    pytest.importorskip("a_module_that_is_not_installed")

@pytest.mark.xfail(reason="known broken")
def test_expected_failure():
    assert False
"""


@pytest.mark.parametrize("ci", ["true", "TRUE", "1", "yes"])
def test_under_ci_every_kind_of_skip_fails_the_run_with_its_reason(run_suite, ci):
    result = run_suite(ci, test_suite=SKIPPING)
    # A skip mark fires in setup, so that one is reported as an error: a failure all the same.
    result.assert_outcomes(passed=3, failed=3, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    assert "CI=true forbids skipping, but this test skipped: PostgreSQL is not installed" in output
    assert "this test skipped: no Chromium here" in output
    assert "could not import 'a_module_that_is_not_installed'" in output
    assert "this test skipped: expected failure: known broken" in output


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_outside_ci_a_missing_part_skips_with_its_reason(run_suite, ci):
    result = run_suite(ci, test_suite=SKIPPING)
    result.assert_outcomes(passed=3, skipped=3, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "PostgreSQL is not installed" in result.stdout.str()


def test_under_ci_a_run_without_postgresql_tests_fails(run_suite):
    result = run_suite("true", test_suite="""
import pytest

@pytest.mark.parametrize("engine", ["sqlite"])
def test_backend(engine):
    assert engine

@pytest.mark.browser
def test_in_browser():
    assert True
""")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "CI=true but no PostgreSQL-parametrized test was collected" in result.stderr.str()


def test_under_ci_a_run_without_browser_tests_fails(run_suite):
    result = run_suite("true", test_suite="""
def test_pg(postgres_engine):
    assert postgres_engine

import pytest

@pytest.fixture
def postgres_engine():
    return "a server"
""")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "CI=true but no browser test was collected" in result.stderr.str()


def test_under_ci_a_marker_expression_that_drops_the_browser_tests_fails(run_suite):
    assert run_suite("true", test_suite=COVERED).ret == pytest.ExitCode.OK
    # The same suite with the browser tests deselected, as a stray PYTEST_ADDOPTS would do.
    result = run_suite("true", "-m", "not browser", test_suite=COVERED)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "CI=true but no browser test was collected" in result.stderr.str()


def test_ci_detection_reads_the_environment(monkeypatch):
    for value, expected in [("true", True), ("1", True), ("True", True), ("false", False), ("", False)]:
        monkeypatch.setenv("CI", value)
        assert in_ci() is expected
    monkeypatch.delenv("CI")
    assert in_ci() is False


def test_ci_script_clears_pytest_addopts_and_runs_the_readme_command():
    """A PYTEST_ADDOPTS='-m "not browser"' left in CI's environment would drop tests silently."""
    script = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "unset PYTEST_ADDOPTS" in script
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert script.rstrip().splitlines()[-1].endswith("python -m pytest")
    assert "pip install -r requirements-dev.txt && python -m pytest" in readme
