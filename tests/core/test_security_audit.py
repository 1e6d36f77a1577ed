"""The security audit of `make audit` (scripts/security_audit.py): bandit really runs over a
folder of code; pip-audit's answers are given as the documents it prints, because its
vulnerability feed is a remote service."""

import json
import textwrap

import pytest

from scripts import security_audit

INSECURE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
ACCEPTED_SHELL = {
    "bandit": [
        {"test": "B602", "file": "app/tasks.py", "code": "shell=True", "reason": "fixed command", "date": "2026-12-04"}
    ]
}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    return tmp_path


def judge_bandit(project, exceptions):
    report = security_audit.Report()
    security_audit.judge_bandit(*security_audit.run_bandit(root=project), exceptions, report, root=project)
    return report


def test_bandit_fails_on_a_new_finding_naming_test_file_and_line(project):
    (project / "app" / "tasks.py").write_text(INSECURE)
    report = judge_bandit(project, {})
    assert len(report.failures) == 1
    assert report.failures[0].startswith("B602 app/tasks.py:5 [high severity, high confidence]")
    assert "subprocess.call(cmd, shell=True)" in report.failures[0]


def test_bandit_finding_passes_once_accepted_with_a_reason(project):
    (project / "app" / "tasks.py").write_text(INSECURE)
    report = judge_bandit(project, ACCEPTED_SHELL)
    assert report.failures == []
    assert report.accepted == ["B602 app/tasks.py:5 - accepted 2026-12-04: fixed command"]


def test_an_exception_covers_only_the_line_it_names(project):
    (project / "app" / "tasks.py").write_text(
        INSECURE + "\n\ndef other(cmd):\n    return subprocess.run(cmd, shell=True)\n"
    )
    exceptions = {"bandit": [{**ACCEPTED_SHELL["bandit"][0], "code": "subprocess.call(cmd, shell=True)"}]}
    report = judge_bandit(project, exceptions)
    assert len(report.accepted) == 1
    assert [failure.split(" [")[0] for failure in report.failures] == ["B602 app/tasks.py:9"]


def test_bandit_leaves_the_tests_out(project):
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text(INSECURE)
    assert judge_bandit(project, {}).failures == []


def test_low_severity_findings_do_not_fail(project):
    (project / "app" / "util.py").write_text("import random\n\n\ndef pick(items):\n    return random.choice(items)\n")
    assert judge_bandit(project, {}).failures == []  # B311 is low severity


def test_the_project_has_no_unaccepted_bandit_finding():
    report = security_audit.Report()
    exceptions = security_audit.load_exceptions()
    security_audit.judge_bandit(*security_audit.run_bandit(), exceptions, report)
    assert report.failures == []
    security_audit.stale_exceptions(exceptions, report, checked=["bandit"])
    assert not [note for note in report.notes if "matches no finding" in note]


def pip_audit_document(*dependencies):
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


VULNERABLE = {
    "name": "django",
    "version": "6.1.0",
    "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["6.1.1"], "aliases": ["CVE-2099-0001"], "description": "…"}],
}
CLEAN = {"name": "celery", "version": "5.7.0", "vulns": []}


def judge_pip_audit(returncode, stdout, stderr="", exceptions=None):
    report = security_audit.Report()
    security_audit.judge_pip_audit(returncode, stdout, stderr, exceptions or {}, report)
    return report


def test_a_known_vulnerability_fails_with_its_fix_version():
    report = judge_pip_audit(1, pip_audit_document(VULNERABLE, CLEAN))
    assert report.failures == [
        "django 6.1.0: PYSEC-2099-1 (fixed in 6.1.1): upgrade the pin, or accept it in security-exceptions.toml "
        "with a reason and a date"
    ]
    assert "pip-audit: 2 pinned packages audited, 1 known vulnerabilities" in report.notes


def test_a_vulnerability_accepted_under_one_of_its_aliases_passes():
    exceptions = {"pip_audit": [{"id": "CVE-2099-0001", "package": "django", "reason": "unused", "date": "2026-12-04"}]}
    report = judge_pip_audit(1, pip_audit_document(VULNERABLE), exceptions=exceptions)
    assert report.failures == []
    assert report.accepted == ["django 6.1.0: PYSEC-2099-1 (fixed in 6.1.1) - accepted 2026-12-04: unused"]


def test_a_feed_that_answers_for_no_package_is_reported_and_does_not_fail():
    skipped = [
        {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)"}
        for name in ("django", "celery")
    ]
    report = judge_pip_audit(0, pip_audit_document(*skipped))
    assert report.failures == []
    assert report.notes[0].startswith("pip-audit: NOT AUDITED - the vulnerability feed answered for none of the 2")


def test_an_unreachable_feed_is_reported_and_does_not_fail():
    stderr = "requests.exceptions.ConnectionError: HTTPSConnectionPool(...): Max retries exceeded with url: /v1/query"
    report = judge_pip_audit(1, "", stderr)
    assert report.failures == []
    assert report.notes[0].startswith("pip-audit: NOT AUDITED - the vulnerability feed could not be reached")


def test_pip_audit_failing_for_another_reason_fails_the_audit():
    report = judge_pip_audit(1, "", "ERROR: invalid requirement: 'django=='")
    assert report.failures == ["pip-audit did not run (exit 1): ERROR: invalid requirement: 'django=='"]


def test_an_exception_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "exceptions.toml"
    path.write_text(
        textwrap.dedent("""
        [[bandit]]
        test = "B602"
        file = "app/tasks.py"
        date = 2026-12-04
    """)
    )
    with pytest.raises(SystemExit, match="lacks reason"):
        security_audit.load_exceptions(path)
