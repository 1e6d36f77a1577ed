"""The security audits of `make audit` and CI.

- pip-audit checks every pinned package of requirements.txt and requirements-dev.txt (the
  lock) against the vulnerability feed of PyPI's JSON API.
- bandit checks the project's own code (tests, .venv and node_modules excluded) for findings
  of medium or high severity and medium or high confidence.

A finding fails the audit unless security-exceptions.toml accepts it (with a reason and a
date). If the vulnerability feed cannot be reached, pip-audit's part says so in capitals and
does not fail: the packages were not audited, which is not the same as audited and clean.

Usage: .venv/bin/python scripts/security_audit.py [--only pip-audit|bandit]
"""

import argparse
import json
import linecache
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS = ROOT / "security-exceptions.toml"
LOCK_FILES = ("requirements.txt", "requirements-dev.txt")
BANDIT_EXCLUDE = ("tests", ".venv", "node_modules", "var", "staticfiles", ".git")
BIN = Path(sys.executable).parent
NETWORK_ERRORS = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "timed out", "ServiceError")


@dataclass
class Report:
    failures: list = field(default_factory=list)
    accepted: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    used_exceptions: set = field(default_factory=set)


def load_exceptions(path=EXCEPTIONS):
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for section in ("pip_audit", "bandit"):
        for entry in data.get(section, []):
            missing = {"reason", "date"} - entry.keys()
            if missing:
                raise SystemExit(f"{path.name}: an entry of [[{section}]] lacks {', '.join(sorted(missing))}: {entry}")
    return data


# --- pip-audit -------------------------------------------------------------------------------


def run_pip_audit(root=ROOT):
    """pip-audit's JSON report of the lock files and its exit code, its errors as text."""
    command = [str(BIN / "pip-audit"), "--format", "json", "--progress-spinner", "off", "--timeout", "15"]
    for lock in LOCK_FILES:
        command += ["--requirement", str(root / lock)]
    # The lock pins every package, so no resolution is needed (and none is done).
    command += ["--no-deps", "--disable-pip"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
    return result.returncode, result.stdout, result.stderr


def judge_pip_audit(returncode, stdout, stderr, exceptions, report):
    """Fail on each vulnerability no exception accepts; note what could not be audited."""
    try:
        document = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        document = None
    if document is None:
        if any(marker in stderr for marker in NETWORK_ERRORS):
            report.notes.append(
                "pip-audit: NOT AUDITED - the vulnerability feed could not be reached "
                f"({_last_line(stderr)}). Not a failure; run `make audit` where PyPI's JSON API answers."
            )
        else:
            report.failures.append(f"pip-audit did not run (exit {returncode}): {_last_line(stderr)}")
        return
    dependencies = document.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if dependencies and len(skipped) == len(dependencies):
        report.notes.append(
            f"pip-audit: NOT AUDITED - the vulnerability feed answered for none of the {len(dependencies)} pinned "
            f"packages (e.g. {skipped[0]['skip_reason']}). Not a failure; run `make audit` where PyPI's JSON API "
            "answers."
        )
        return
    for dependency in skipped:
        report.notes.append(f"pip-audit: {dependency['name']} not audited: {dependency['skip_reason']}")
    entries = exceptions.get("pip_audit", [])
    audited = len(dependencies) - len(skipped)
    found = 0
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            found += 1
            ids = {vuln["id"], *vuln.get("aliases", [])}
            entry = next(
                (e for e in entries if e["id"] in ids and e.get("package", dependency["name"]) == dependency["name"]),
                None,
            )
            line = f"{dependency['name']} {dependency['version']}: {vuln['id']}" + (
                f" (fixed in {', '.join(vuln['fix_versions'])})" if vuln.get("fix_versions") else ""
            )
            if entry:
                report.accepted.append(f"{line} - accepted {entry['date']}: {entry['reason']}")
                report.used_exceptions.add(("pip_audit", entry["id"]))
            else:
                report.failures.append(
                    f"{line}: upgrade the pin, or accept it in {EXCEPTIONS.name} with a reason and a date"
                )
    report.notes.append(f"pip-audit: {audited} pinned packages audited, {found} known vulnerabilities")


# --- bandit ----------------------------------------------------------------------------------


def run_bandit(root=ROOT):
    command = [
        str(BIN / "bandit"),
        "--recursive",
        ".",
        "--exclude",
        ",".join(f"./{name}" for name in BANDIT_EXCLUDE),
        "--severity-level",
        "medium",
        "--confidence-level",
        "medium",
        "--format",
        "json",
        "--quiet",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
    return result.returncode, result.stdout, result.stderr


def judge_bandit(returncode, stdout, stderr, exceptions, report, root=ROOT):
    """Fail on each finding that no exception accepts. An exception names the test id, the
    file and a piece of the flagged line, so that it survives the line moving."""
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError:
        report.failures.append(f"bandit did not run (exit {returncode}): {_last_line(stderr)}")
        return
    for error in document.get("errors", []):
        report.failures.append(f"bandit could not read {error.get('filename')}: {error.get('reason')}")
    entries = exceptions.get("bandit", [])
    results = document.get("results", [])
    for result in results:
        path = Path(result["filename"]).as_posix().removeprefix("./")
        source = linecache.getline(str(root / path), result["line_number"]).strip()
        where = f"{result['test_id']} {path}:{result['line_number']}"
        entry = next(
            (
                e
                for e in entries
                if e["test"] == result["test_id"] and e["file"] == path and e.get("code", "") in source
            ),
            None,
        )
        if entry:
            report.accepted.append(f"{where} - accepted {entry['date']}: {entry['reason']}")
            report.used_exceptions.add(("bandit", entry["test"], entry["file"], entry.get("code", "")))
        else:
            report.failures.append(
                f"{where} [{result['issue_severity'].lower()} severity, {result['issue_confidence'].lower()} "
                f"confidence] {result['issue_text']}\n      {source}\n"
                f"      Fix it, or accept it in {EXCEPTIONS.name} (test, file, code, reason, date)."
            )
    report.notes.append(f"bandit: {len(results)} findings of medium or high severity and confidence")


def stale_exceptions(exceptions, report, *, checked):
    """Exceptions that matched nothing: say so, so that the file does not outlive its reasons."""
    stale = []
    if "bandit" in checked:
        for e in exceptions.get("bandit", []):
            if ("bandit", e["test"], e["file"], e.get("code", "")) not in report.used_exceptions:
                stale.append(f"[[bandit]] {e['test']} {e['file']}")
    if "pip-audit" in checked and not any(n.startswith("pip-audit: NOT AUDITED") for n in report.notes):
        for e in exceptions.get("pip_audit", []):
            if ("pip_audit", e["id"]) not in report.used_exceptions:
                stale.append(f"[[pip_audit]] {e['id']}")
    for entry in stale:
        report.notes.append(f"{EXCEPTIONS.name}: {entry} matches no finding any more; remove it")


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["pip-audit", "bandit"])
    args = parser.parse_args(argv)
    checked = [args.only] if args.only else ["pip-audit", "bandit"]
    exceptions = load_exceptions()
    report = Report()
    if "pip-audit" in checked:
        judge_pip_audit(*run_pip_audit(), exceptions, report)
    if "bandit" in checked:
        judge_bandit(*run_bandit(), exceptions, report)
    stale_exceptions(exceptions, report, checked=checked)
    for note in report.notes:
        print(note)
    for line in report.accepted:
        print(f"accepted: {line}")
    for line in report.failures:
        print(f"FINDING: {line}")
    print(f"security audit: {len(report.failures)} new findings, {len(report.accepted)} accepted")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
