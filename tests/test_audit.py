"""`make audit`: what it checks, and that an unanswered check never reads as clean."""

from tools.audit import REQUIREMENTS, installed_closure, top_level, verdict

PINNED = {"django": "5.2.19", "sqlparse": "0.6.1"}


def test_the_audit_covers_the_requirements_and_what_they_pull_in():
    names = top_level(REQUIREMENTS)
    assert {"Django", "pytest", "django-ipware", "pip-audit"} <= set(names)
    pinned = installed_closure(names)
    assert {"django", "asgiref", "sqlparse", "python-ipware"} <= set(pinned)


def test_no_advisory_answer_says_nothing_was_checked():
    skipped = {"name": "django", "skip_reason": "Dependency not found on PyPI"}
    status, lines = verdict({"dependencies": [skipped, {**skipped, "name": "sqlparse"}]}, PINNED)
    assert status == 2
    assert "NOTHING WAS CHECKED" in lines[-1]
    assert not any("No known vulnerabilities" in line for line in lines)
    assert verdict(None, PINNED)[0] == 2


def test_a_known_vulnerability_fails_and_names_the_fix():
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.19",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.20"]}],
            },
            {"name": "sqlparse", "version": "0.6.1", "vulns": []},
        ]
    }
    status, lines = verdict(report, PINNED)
    assert status == 1
    assert "VULNERABLE django 5.2.19: PYSEC-1 (5.2.20)" in lines


def test_a_partial_answer_lists_what_was_not_checked():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "sqlparse", "skip_reason": "not found"},
        ]
    }
    status, lines = verdict(report, PINNED)
    assert status == 1
    assert "1 of 2 packages checked" in lines[0]
    assert "  sqlparse: not found" in lines
    clean = {"dependencies": [{"name": n, "version": v, "vulns": []} for n, v in PINNED.items()]}
    assert verdict(clean, PINNED)[0] == 0
