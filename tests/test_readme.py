"""Every command of README.md and docs/*.md, and of their Chinese mirrors README.zh-CN.md and
docs/zh/*.md, runs by copy-paste in a fresh clone, in order.

The conventions (which blocks run, output samples, `# exit N`, `# not run in tests`, `# needs:`)
are documented in docs/README.md. Each page runs in its own temporary folder laid out like a
clone (`scenarios/` and `calendars/` copied), with `slasim` resolving to `python -m slasim` of the
interpreter running the tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ZH_PAGES = [ROOT / "README.zh-CN.md"] + sorted((ROOT / "docs" / "zh").glob("*.md"))
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")) + ZH_PAGES
FENCE = re.compile(r"^```(\w*)\s*$")
EXIT = re.compile(r"#\s*exit (\d+)\b")
NEEDS = re.compile(r"#\s*needs:\s*([\w-]+)")
SKIP = "# not run in tests"
SKIP_BLOCK = "<!-- not run in tests -->"
NEVER = re.compile(r"\bpip install\b|(^|[;&|]\s*)pytest\b", re.M)
TIMEOUT = 120


@dataclass
class Command:
    """One thing to run: a console command (with its output sample) or a whole script block."""

    page: str
    line: int
    kind: str  # "console", "bash" or "python"
    text: str
    sample: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        found = EXIT.search(self.text)
        return int(found.group(1)) if found else 0


def blocks(text: str) -> list[tuple[str, int, list[str]]]:
    """Fenced blocks of a Markdown page: (language, line number of the first body line, lines);
    a block right after the line `<!-- not run in tests -->` has the language "skip"."""
    out, lang, start, body, previous = [], None, 0, [], ""
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line.strip())
        if lang is None and match:
            lang, start, body = match.group(1), number + 1, []
            if previous.strip() == SKIP_BLOCK:
                lang = "skip"
        elif lang is not None and line.strip() == "```":
            out.append((lang, start, body))
            lang = None
        elif lang is not None:
            body.append(line)
        previous = line
    return out


def commands(page: Path) -> list[Command]:
    """The page's commands in order, with skipped lines left out."""
    name = str(page.relative_to(ROOT))
    found: list[Command] = []
    for lang, start, body in blocks(page.read_text(encoding="utf-8")):
        if lang == "console":
            current: Command | None = None
            continued = False
            for offset, line in enumerate(body):
                if continued and current is not None:
                    current.text += "\n" + line
                elif line.startswith("$ "):
                    current = Command(name, start + offset, "console", line[2:])
                    found.append(current)
                elif current is not None and line.strip():
                    current.sample.append(line.rstrip())
                continued = line.rstrip().endswith("\\")
        elif lang in ("bash", "python"):
            script = [line for line in body if SKIP not in line]
            if any(line.strip() and not line.lstrip().startswith("#") for line in script):
                found.append(Command(name, start, lang, "\n".join(script)))
    return [c for c in found if not (c.kind == "console" and SKIP in c.text)]


def _sample_shown(sample: list[str], output: str) -> str | None:
    """None when every sample line appears in the output, in order; else the first one missing."""
    lines = [line.rstrip() for line in output.splitlines()]
    at = 0
    for want in sample:
        if want.strip() == "...":
            continue
        while at < len(lines) and lines[at] != want:
            at += 1
        if at == len(lines):
            return want
        at += 1
    return None


@pytest.fixture(scope="module")
def shim(tmp_path_factory) -> Path:
    """A folder with a `slasim` that runs `python -m slasim` of this interpreter."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "slasim"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m slasim "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return folder


def _clone(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    clone.mkdir()
    for part in ("scenarios", "calendars"):
        shutil.copytree(ROOT / part, clone / part)
    return clone


def _run(command: Command, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    if command.kind == "python":
        argv = [sys.executable, "-c", command.text]
    else:
        argv = ["bash", "-e", "-c", command.text]
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_command_of_the_page_runs(page, shim, tmp_path):
    cmds = commands(page)
    clone = _clone(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "120",
    }
    env.pop("SLASIM_SCHEDULER", None)
    failures, skipped = [], []
    for command in cmds:
        # Installs and the test suite itself must be marked, never run from here.
        code = "\n".join(line.split(" #")[0] for line in command.text.splitlines())
        assert not NEVER.search(code), f"{command.page}:{command.line}: mark it {SKIP!r}"
        need = NEEDS.search(command.text)
        if need:
            skipped.append(f"{command.page}:{command.line} needs {need.group(1)}")
            continue
        done = _run(command, clone, env)
        where = f"{command.page}:{command.line}: {command.text.splitlines()[0]}"
        if done.returncode != command.exit_code:
            failures.append(
                f"{where}\n  exit {done.returncode}, expected {command.exit_code}\n"
                f"  stderr: {done.stderr.strip()[-600:]}"
            )
            continue
        missing = _sample_shown(command.sample, done.stdout + done.stderr)
        if missing is not None:
            failures.append(f"{where}\n  output lacks the line shown: {missing!r}")
        if page in ZH_PAGES and command.kind == "console" and JSON_OUT.search(_code(command)):
            # JSON is an interface: the same bytes whichever language the page asks for.
            english = Command(command.page, command.line, "console", _in_english(command.text))
            if _run(english, clone, env).stdout != done.stdout:
                failures.append(f"{where}\n  --json differs between --lang zh and --lang en")
    assert not failures, "\n".join(failures)
    if skipped:
        pytest.skip("not landed yet: " + "; ".join(skipped))


def test_the_readme_shows_the_real_deadline_json():
    """The README's `deadline --json` sample is the whole real output, not a shortened one."""
    readme = commands(ROOT / "README.md")
    (shown,) = [c for c in readme if c.text.startswith("slasim deadline") and "--json" in c.text]
    real = subprocess.run(
        [sys.executable, "-m", "slasim", *shown.text.split()[1:]],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert shown.sample == real.stdout.rstrip("\n").splitlines()


def test_the_readme_is_short_and_shows_the_shipped_minimal_scenario():
    import yaml

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    (shown,) = [body for lang, _, body in blocks(text) if lang == "yaml"][:1]
    shipped = yaml.safe_load((ROOT / "scenarios/minimal.yaml").read_text(encoding="utf-8"))
    shipped.pop("description")
    shipped.pop("description_zh", None)
    assert yaml.safe_load("\n".join(shown)) == shipped


def test_the_extractor_reads_the_conventions():
    page = ROOT / "README.md"
    text = "\n".join(
        [
            "```console",
            "$ slasim deadline 2025-09-26 20wd   # exit 0",
            "due 2025",
            "...",
            "$ slasim deadline 2026-12-20 20wd --strict   # exit 2: provisional",
            "$ slasim run district-centre \\",
            "      --reps 2",
            "$ pip install .   # not run in tests",
            "```",
            "```bash",
            "pip install -e .   # not run in tests",
            "```",
            "<!-- not run in tests -->",
            "```bash",
            "pip install . && pytest",
            "```",
            "```yaml",
            "name: x",
            "```",
        ]
    )
    fake = page.parent / "out" / "conventions.md"
    fake.parent.mkdir(exist_ok=True)
    try:
        fake.write_text(text, encoding="utf-8")
        found = commands(fake)
    finally:
        fake.unlink()
    assert [c.text for c in found] == [
        "slasim deadline 2025-09-26 20wd   # exit 0",
        "slasim deadline 2026-12-20 20wd --strict   # exit 2: provisional",
        "slasim run district-centre \\\n      --reps 2",
    ]
    assert [c.exit_code for c in found] == [0, 2, 0]
    assert found[0].sample == ["due 2025", "..."]
    assert _sample_shown(["a", "...", "c"], "a\nb\nc\n") is None
    assert _sample_shown(["c", "a"], "a\nb\nc\n") == "a"


# The Chinese pages: README.zh-CN.md and the planner's guide in docs/zh/ (their commands run above).
README_ZH = ROOT / "README.zh-CN.md"
LANG_ZH = re.compile(r"\s--lang(?:=|\s+)zh\b")
JSON_OUT = re.compile(r"\s(--json|--format[= ]json)\b")
SLASIM_CALL = re.compile(r"(?:^|&&|\|\|?|;)\s*(slasim\b[^;&|\n]*)", re.M)


def _code(command: Command) -> str:
    """A command without its comments (`# exit 2: …`, explanations in Chinese)."""
    return "\n".join(line.split(" #")[0] for line in command.text.splitlines())


def _in_english(text: str) -> str:
    return LANG_ZH.sub(" --lang en", text)


def _without_language(command: Command) -> str:
    return " ".join(LANG_ZH.sub(" ", " " + _code(command)).split())


@pytest.mark.parametrize("page", ZH_PAGES, ids=[str(p.relative_to(ROOT)) for p in ZH_PAGES])
def test_the_chinese_pages_run_slasim_in_chinese(page):
    """Every slasim command of a Chinese page asks for Chinese, so a reader who copies it sees
    Chinese output, and the copy-paste check runs it as the page shows it."""
    calls = [
        (command.line, call)
        for command in commands(page)
        if command.kind != "python"
        for call in SLASIM_CALL.findall(_code(command))
    ]
    assert calls, f"{page.name}: no slasim command found"
    plain = [
        f"{page.name}:{line}: {call}" for line, call in calls if not LANG_ZH.search(" " + call)
    ]
    assert not plain, "without --lang zh:\n" + "\n".join(plain)


def test_the_chinese_readme_shows_the_readme_commands():
    """README.zh-CN.md mirrors README.md: the same console commands, each with `--lang zh`, and
    the same minimal scenario (the shipped file)."""
    import yaml

    def console(page: Path) -> list[str]:
        return [_without_language(c) for c in commands(page) if c.kind == "console"]

    assert console(README_ZH) == console(ROOT / "README.md")
    (shown,) = [
        body for lang, _, body in blocks(README_ZH.read_text(encoding="utf-8")) if lang == "yaml"
    ]
    shipped = yaml.safe_load((ROOT / "scenarios/minimal.yaml").read_text(encoding="utf-8"))
    shipped.pop("description")
    shipped.pop("description_zh", None)
    assert yaml.safe_load("\n".join(shown)) == shipped
    assert len(README_ZH.read_text(encoding="utf-8").splitlines()) <= 150


def test_the_chinese_readme_shows_the_real_deadline_json_the_same_in_both_languages():
    """Its `deadline --json` sample is the whole real output in Chinese, which is the English
    README's sample byte for byte (JSON keys and values never change with the language)."""
    (shown,) = [
        c for c in commands(README_ZH) if c.text.startswith("slasim") and "--json" in c.text
    ]
    argv = shown.text.split("#")[0].split()[1:]
    assert "--lang" in argv
    real = subprocess.run(
        [sys.executable, "-m", "slasim", *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert shown.sample == real.stdout.rstrip("\n").splitlines()
    (english,) = [
        c
        for c in commands(ROOT / "README.md")
        if c.text.startswith("slasim deadline") and "--json" in c.text
    ]
    assert shown.sample == english.sample


def test_every_english_guide_has_a_chinese_page_linking_to_it():
    zh_text = "\n".join(p.read_text(encoding="utf-8") for p in ZH_PAGES)
    guides = sorted(p.name for p in (ROOT / "docs").glob("guide-*.md"))
    assert len(guides) >= 6
    missing = [name for name in guides if f"](../{name})" not in zh_text]
    assert not missing, f"no Chinese page links to {missing}"
    assert "](docs/zh/README.md)" in README_ZH.read_text(encoding="utf-8")


def test_the_language_check_sees_a_command_without_it():
    page = ROOT / "out" / "zh-conventions.md"
    page.parent.mkdir(exist_ok=True)
    try:
        page.write_text(
            "```console\n$ slasim --lang zh deadline 2025-09-26 20wd\n"
            "$ printf 'x' | slasim deadline --from -\n```\n",
            encoding="utf-8",
        )
        calls = [call for c in commands(page) for call in SLASIM_CALL.findall(_code(c))]
    finally:
        page.unlink()
    assert calls == ["slasim --lang zh deadline 2025-09-26 20wd", "slasim deadline --from -"]
    assert [bool(LANG_ZH.search(" " + call)) for call in calls] == [True, False]
    assert _in_english("slasim --lang zh run x --json") == "slasim --lang en run x --json"
    assert [bool(JSON_OUT.search(c)) for c in ("a --json", "a --format json", "a > b.json")] == [
        True,
        True,
        False,
    ]
