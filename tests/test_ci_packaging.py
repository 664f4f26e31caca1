"""The CI packaging shipped in the repository, run on a sample repository of check files: the
pre-commit hooks (`.pre-commit-hooks.yaml`, run as pre-commit runs them: the hook's `files`
pattern selects the staged files, its `entry` gets them as arguments) and the GitHub action
(`action.yml` and the script it runs, with the environment the runner gives it)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .helpers import ROOT

FAILING = """\
calendar: cn
cases:
  - name: a rule that drifted
    accepted: 2025-03-03
    limit: 1wd
    expect: {due: 2025-03-05}
"""
NEXT_YEAR = """\
calendar: cn
cases:
  - name: next year
    accepted: 2027-03-01
    limit: 1wd
    expect: {due: 2027-03-02}
"""


@pytest.fixture
def sample(tmp_path):
    """A repository with passing check files, a folder of notes that are not check files, and a
    `slasim` command on PATH (as `pip install` gives one)."""
    repo = tmp_path / "repo"
    (repo / "rules" / "checks").mkdir(parents=True)
    for path in (ROOT / "scenarios" / "checks").glob("*.yaml"):
        shutil.copy(path, repo / "rules" / "checks" / path.name)
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.yaml").write_text("not: a check file\n", encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "slasim"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m slasim "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "100"}
    return repo, env


def _hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return next(h for h in hooks if h["id"] == hook_id)


def _run_hook(hook: dict, repo: Path, env: dict) -> subprocess.CompletedProcess:
    """As pre-commit runs a hook over all files: those matching `files` and `types_or`."""
    staged = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file())
    suffixes = {"yaml": (".yaml", ".yml"), "json": (".json",)}
    kinds = tuple(s for kind in hook["types_or"] for s in suffixes[kind])
    chosen = [f for f in staged if re.search(hook["files"], f) and f.endswith(kinds)]
    return subprocess.run(
        [*shlex.split(hook["entry"]), *chosen],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_hook_definitions_are_complete():
    for hook_id in ("slasim-check", "slasim-check-strict"):
        hook = _hook(hook_id)
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert hook["language"] == "python" and hook["entry"].startswith("slasim check")


def test_the_pre_commit_hook_passes_good_files_and_fails_a_drifted_rule(sample):
    repo, env = sample
    hook = _hook("slasim-check")
    done = _run_hook(hook, repo, env)
    assert done.returncode == 0, done.stderr
    assert "rules/checks/licence-national.yaml" in done.stdout and "notes" not in done.stdout
    (repo / "rules" / "checks" / "drifted.yaml").write_text(FAILING, encoding="utf-8")
    done = _run_hook(hook, repo, env)
    assert done.returncode == 1
    assert "FAIL a rule that drifted (rules/checks/drifted.yaml:3)" in done.stdout


def test_the_strict_hook_refuses_provisional_dates(sample):
    repo, env = sample
    (repo / "rules" / "checks" / "next-year.yaml").write_text(NEXT_YEAR, encoding="utf-8")
    assert _run_hook(_hook("slasim-check"), repo, env).returncode == 0  # a warning only
    done = _run_hook(_hook("slasim-check-strict"), repo, env)
    assert done.returncode == 2 and "(--strict)" in done.stderr


def _action_step() -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {"files", "junit-xml", "strict"} <= set(action["inputs"])
    return action["runs"]["steps"][-1]


def _run_action(repo: Path, env: dict, tmp_path: Path, **inputs) -> subprocess.CompletedProcess:
    """The action's last step as the runner runs it: its env with the inputs substituted."""
    step = _action_step()
    assert step["run"] == 'bash "${{ github.action_path }}/ci/github-check.sh"'
    names = {"files": "", "junit-xml": "", "strict": "false", **inputs}
    step_env = {
        key: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: names[m.group(1)], value)
        for key, value in step["env"].items()
    }
    summary = tmp_path / "summary.md"
    return subprocess.run(
        ["bash", str(ROOT / "ci" / "github-check.sh")],
        cwd=repo,
        env={**env, **step_env, "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True,
        text=True,
    )


def test_the_action_annotates_failing_cases_and_writes_a_job_summary(sample, tmp_path):
    repo, env = sample
    (repo / "rules" / "checks" / "drifted.yaml").write_text(FAILING, encoding="utf-8")
    done = _run_action(repo, env, tmp_path, files="rules/**/*.yaml", **{"junit-xml": "j.xml"})
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith("::error file=rules/checks/drifted.yaml,line=3,")
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| `rules/checks/drifted.yaml` | 1 | 0 | 1 | 0 |" in summary
    assert "| `rules/checks/licence-national.yaml` | 20 | 20 | 0 | 0 |" in summary
    assert (repo / "j.xml").is_file()


def test_the_action_passes_clean_files_and_refuses_a_pattern_matching_nothing(sample, tmp_path):
    repo, env = sample
    done = _run_action(repo, env, tmp_path, files="rules/**/*.yaml", strict="true")
    assert done.returncode == 0, done.stdout + done.stderr
    done = _run_action(repo, env, tmp_path, files="rules/**/*.toml")
    assert done.returncode == 2
    assert done.stdout.startswith("::error title=slasim check::no check file matches")
