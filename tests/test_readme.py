"""Every command of README.md and docs/*.md, and of their Chinese mirrors README.zh-CN.md and
docs/zh/*.md, runs by copy-paste in a fresh clone, in order.

The conventions (which blocks run, output samples, `# exit N`, `# not run in tests`, `# needs:`)
are documented in docs/README.md. Each page runs in its own temporary folder laid out like a
clone (`scenarios/` and `calendars/` copied), with `slasim` resolving to `python -m slasim` of the
interpreter running the tests.

Where the time goes (a process's start-up and imports are most of a short command): the first
command of each kind (`run`, `report`, `calendar`, …) in each language runs in a real process, and
so does every script block and every console line that needs a shell (pipes, redirections, `&&`);
a later plain `slasim …` line runs in this process through the console entry point, its words
split and its globs expanded by bash as typed. A Chinese page's `--json` output is compared with
the English guide's run of the same command on the same input files, run again only when no
English page ran it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .helpers import Ran, slasim

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
    """The command in a real process: python, or bash running the block or line as typed."""
    if command.kind == "python":
        argv = [sys.executable, "-c", command.text]
    else:
        argv = ["bash", "-e", "-c", command.text]
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


# The command kinds (`run`, `calendar`, …) per language that have run in a real process.
_IN_A_PROCESS: set[tuple[str, str]] = set()
SHELL_OPERATOR = re.compile(r"^[();<>|&]+$")


def _plain_call(command: Command) -> str | None:
    """The kind of command (its first word after `slasim`) when the line is one plain `slasim …`
    call that this process can run; None when it needs a shell (pipes, redirections, chains,
    variables, substitutions) or is no slasim call."""
    if command.kind != "console":
        return None
    code = command.text.replace("\\\n", " ")
    lexer = shlex.shlex(code, posix=True, punctuation_chars=True)
    lexer.commenters = "#"
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        return None
    if len(words) < 2 or words[0] != "slasim" or "$" in code or "`" in code:
        return None
    if any(SHELL_OPERATOR.match(word) for word in words):
        return None
    rest = [w for i, w in enumerate(words[1:]) if w != "--lang" and words[i] != "--lang"]
    return rest[0] if rest else None


def _words(command: Command, cwd: Path) -> list[str]:
    """The arguments bash passes to `slasim` for this line (its quoting, globs and comments)."""
    show = 'slasim() { printf "%s\\0" "$@"; }\n' + command.text
    done = subprocess.run(
        ["bash", "-e", "-c", show], cwd=cwd, capture_output=True, check=True, timeout=TIMEOUT
    )
    return done.stdout.decode().split("\0")[:-1]


def _language(text: str) -> str:
    return "zh" if LANG_ZH.search(" " + text) else "en"


def run_command(command: Command, cwd: Path, env: dict, monkeypatch) -> Ran:
    """The command as a user runs it: in a real process the first time its kind is met in its
    language (or when it needs one), else through the console entry point in this process."""
    kind = _plain_call(command)
    first = (kind, _language(command.text)) not in _IN_A_PROCESS
    if kind is None or first:
        if kind is not None:
            _IN_A_PROCESS.add((kind, _language(command.text)))
        done = _run(command, cwd, env)
        return Ran(done.returncode, done.stdout, done.stderr)
    with monkeypatch.context() as patch:
        for name in ("COLUMNS", "PATH", "PYTHONPATH"):
            patch.setenv(name, env[name])
        patch.delenv("SLASIM_SCHEDULER", raising=False)
        return slasim(*_words(command, cwd), cwd=cwd)


def _fingerprint(words: list[str], cwd: Path) -> str:
    """A digest of what a command reads: the files and folders its words name (in the clone)
    and the clone's scenarios and calendars (which it may find by name)."""
    digest = hashlib.sha256()
    named = [cwd / w for w in words if w and not w.startswith("-")]
    for top in [cwd / "scenarios", cwd / "calendars", *named]:
        try:
            files = sorted(top.rglob("*")) if top.is_dir() else [top] if top.is_file() else []
        except OSError:  # a word too long or otherwise no path
            continue
        for path in files:
            if path.is_file():
                digest.update(str(path.relative_to(cwd)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


REPS = re.compile(r"(--reps[= ])(\d+)\b")
ZH_REPS = 2


def _twin_ran(command: Command) -> bool:
    """Whether an English page has this console command (without its `--lang zh`)."""
    return command.kind == "console" and _without_language(command) in ENGLISH_CALLS


def _capped(command: Command) -> Command:
    """A Chinese page's command with at most ZH_REPS replications. For a command whose English
    twin runs as documented and whose output the page shows no line of, all this run checks is
    that the Chinese output path ends with the documented exit code: the number of replications
    does not matter there."""
    text = REPS.sub(lambda m: m.group(1) + str(min(int(m.group(2)), ZH_REPS)), command.text)
    return Command(command.page, command.line, command.kind, text, command.sample)


# The stdout of the English pages' `--json` commands, by command (without its language) and the
# digest of what it read: a Chinese page's same command is compared with it.
_ENGLISH_JSON: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_command_of_the_page_runs(page, shim, tmp_path, monkeypatch):
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
        json_out = command.kind == "console" and JSON_OUT.search(_code(command))
        if page in ZH_PAGES and not (json_out or command.sample) and _twin_ran(command):
            command = _capped(command)
        key = None  # a plain call's output can be looked up by what it reads (see _fingerprint)
        if json_out and _plain_call(command):
            key = (_without_language(command), _fingerprint(_words(command, clone), clone))
        done = run_command(command, clone, env, monkeypatch)
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
        if key and page not in ZH_PAGES:
            _ENGLISH_JSON[key] = done.stdout
        elif json_out and page in ZH_PAGES:
            # JSON is an interface: the same bytes whichever language the page asks for.
            english = _ENGLISH_JSON.get(key) if key else None
            if english is None:  # no English page ran it on the same files (or it needs bash)
                again = Command(command.page, command.line, "console", _in_english(command.text))
                english = run_command(again, clone, env, monkeypatch).stdout
            if english != done.stdout:
                failures.append(f"{where}\n  --json differs between --lang zh and --lang en")
    assert not failures, "\n".join(failures)
    if skipped:
        pytest.skip("not landed yet: " + "; ".join(skipped))


def test_the_readme_shows_the_real_deadline_json():
    """The README's `deadline --json` sample is the whole real output, not a shortened one."""
    readme = commands(ROOT / "README.md")
    (shown,) = [c for c in readme if c.text.startswith("slasim deadline") and "--json" in c.text]
    real = slasim(*shown.text.split()[1:], cwd=ROOT)  # the page's run above is a real process
    assert real.returncode == 0, real.stderr
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


def test_the_runner_tells_a_plain_call_from_a_line_that_needs_a_shell(tmp_path):
    def console(text: str) -> Command:
        return Command("x.md", 1, "console", text)

    staff = console('slasim --lang zh staff minimal -t "past_promised<=1%"   # exit 0: 注释')
    assert _plain_call(staff) == "staff"
    assert _plain_call(console("slasim calendar show cn --year 2026")) == "calendar"
    for text in (
        "slasim schema > out/scenario.schema.json",
        "printf 'x' | slasim deadline --from -",
        "mkdir -p out && slasim schema",
        "slasim run $SCENARIO",
        "slasim --lang zh",
        "python -m slasim run minimal",
    ):
        assert _plain_call(console(text)) is None, text
    assert _plain_call(Command("x.md", 1, "bash", "slasim run minimal")) is None
    # bash splits the words: quotes, globs (sorted), continued lines, comments
    for name in ("b.yaml", "a.yaml"):
        (tmp_path / name).touch()
    line = "slasim check *.yaml --set 'x=[{a: 1}]' \\\n    -t \"p<=1%\"   # exit 1: b fails"
    assert _words(console(line), tmp_path) == [
        "check", "a.yaml", "b.yaml", "--set", "x=[{a: 1}]", "-t", "p<=1%",
    ]  # fmt: skip
    # a Chinese page's run capped at ZH_REPS replications, fewer left as they are
    assert _capped(console("slasim --lang zh run x --reps 20 --out o  # 注释")).text == (
        "slasim --lang zh run x --reps 2 --out o  # 注释"
    )
    assert _capped(console("slasim --lang zh run x --reps=1")).text.endswith("--reps=1")
    assert _twin_ran(console("slasim --lang zh compare construction-project --reps 3  # 注释"))
    assert not _twin_ran(console("slasim --lang zh compare construction-project --reps 4"))
    # what a command reads: a file it names changes the digest, a file it does not name does not
    before = _fingerprint(["check", "a.yaml"], tmp_path)
    (tmp_path / "c.yaml").write_text("x")
    assert _fingerprint(["check", "a.yaml"], tmp_path) == before
    (tmp_path / "a.yaml").write_text("x")
    assert _fingerprint(["check", "a.yaml"], tmp_path) != before


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


ENGLISH_CALLS = {
    _without_language(c)
    for page in PAGES
    if page not in ZH_PAGES
    for c in commands(page)
    if c.kind == "console"
}


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
    real = slasim(*argv, cwd=ROOT)
    assert real.returncode == 0, real.stderr
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
