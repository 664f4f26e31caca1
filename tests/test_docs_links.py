"""Every relative link of README.md and docs/*.md points at a file that exists, and at a heading
that exists when it names one (GitHub's anchors: lower case, punctuation dropped, spaces as -)."""

import pytest

from .helpers import ROOT, anchor, md_links

PAGES = [ROOT / "README.md", ROOT / "scenarios/logs/README.md"] + sorted(
    (ROOT / "docs").glob("*.md")
)


def test_anchor_follows_github():
    assert anchor("Engines and what they are tested to agree on") == (
        "engines-and-what-they-are-tested-to-agree-on"
    )
    assert anchor("When is it due?") == "when-is-it-due"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page):
    _, broken = md_links(page)
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)
