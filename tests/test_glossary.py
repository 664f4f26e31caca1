"""The glossary (docs/glossary.md) holds the official terms, each with the law or document it
follows, and the Chinese text uses them: every term occurs in a zh_CN catalog's translations or
in the Chinese guide, no translation or Chinese page uses a wording the glossary rejects, and the
Chinese pages' links (to the glossary's articles too) resolve."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from slasim.io.i18n import LOCALE_DIR

from .helpers import ROOT, anchor, md_links

GLOSSARY = ROOT / "docs" / "glossary.md"
ZH_PAGES = [ROOT / "README.zh-CN.md"] + sorted((ROOT / "docs" / "zh").glob("*.md"))
CATALOGS = sorted((LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po"))

# The official terms every Chinese text uses (the list agreed for issue 30), as a reader would
# look them up: each must be a term of the glossary.
OFFICIAL = [
    "受理",
    "补正",
    "特别程序",
    "延长",
    "法定时限",
    "承诺时限",
    "即办件",
    "承诺件",
    "黄牌",
    "红牌",
    "亮牌率",
    "办结",
    "一件事",
    "容缺受理",
    "告知承诺",
    "串联改并联",
    "工作日",
    "调休",
    "法定节假日",
    "电子监察",
    "办件",
    "事项",
    "环节",
    "窗口",
    "部门",
    "人员",
    "到件",
    "积压",
    "排队",
    "利用率",
    "办理时长",
    "按时办结率",
    "到期日",
    "时限",
    "暂定",
    "情景",
    "改革措施",
    "仿真",
    "重复次数",
    "置信区间",
    "随机种子",
    "日历",
    "拟合",
    "保真度",
    "基准",
    "预测",
    "校验",
    "案例日志",
    "事件日志",
    "开始计算",
    "到期日逢节假日顺延",
]

# The articles a reader must be able to check (issue 30), as headings of the glossary's quotes.
ARTICLES = [
    "《行政许可法》第三十二条",
    "《行政许可法》第四十二条",
    "《行政许可法》第四十五条",
    "《行政许可法》第八十二条",
    "《民法典》第二百零一条",
    "《民法典》第二百零三条",
]


def tables(text: str) -> dict[str, list[list[str]]]:
    """The glossary's tables by their header's first two cells ("术语 | English"), each a list
    of rows of cells."""
    found: dict[str, list[list[str]]] = {}
    header = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = " | ".join(cells[:2])
            found.setdefault(header, [])
        elif not set("".join(cells)) <= set("-: "):
            found[header].append(cells)
    return found


@pytest.fixture(scope="module")
def glossary() -> dict[str, list[list[str]]]:
    return tables(GLOSSARY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def terms(glossary) -> dict[str, list[str]]:
    rows = glossary["术语 | English"]
    return {row[0]: row for row in rows}


@pytest.fixture(scope="module")
def translations() -> list[tuple[str, str, str]]:
    """(catalog, msgid, msgstr) of every translated message."""
    found = []
    for path in CATALOGS:
        with open(path, "rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    found.append((path.name, message.id, message.string))
    return found


def _zh_text() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in ZH_PAGES)


def test_the_glossary_holds_every_official_term_with_its_english_and_its_place(terms):
    assert not [term for term in OFFICIAL if term not in terms]
    assert len(terms) >= len(OFFICIAL)
    for term, row in terms.items():
        assert len(row) == 4, f"{term}: a row is term | English | in slasim | source"
        english, where, source = row[1:]
        assert re.search(r"[A-Za-z]", english), f"{term}: no English"
        assert where, f"{term}: what it maps to in slasim is missing"
        assert source, f"{term}: its source is missing (— when it has none)"


def test_the_terms_the_issue_names_cite_the_law_or_say_what_they_follow(terms):
    """受理 … 电子监察 each name their article or document: a law article by number, a policy
    document by its number and as not a law article, a local rule as such."""
    cited = {
        "受理": "第三十二条",
        "补正": "第三十二条",
        "特别程序": "第四十五条",
        "延长": "第四十二条",
        "法定时限": "第四十二条",
        "工作日": "第八十二条",
        "开始计算": "第二百零一条",
        "到期日逢节假日顺延": "第二百零三条",
        "即办件": "GB/T 39046-2020",
        "承诺件": "GB/T 39046-2020",
        "调休": "节假日安排通知",
        "一件事": "国发〔2024〕3号",
        "告知承诺": "国办发〔2020〕42号",
        "容缺受理": "国发〔2024〕3号",
        "串联改并联": "国办发〔2019〕11号",
    }
    wrong = [term for term, source in cited.items() if source not in terms[term][3]]
    assert not wrong, f"not citing their source: {wrong}"
    for term in ("一件事", "告知承诺", "容缺受理", "串联改并联", "电子监察", "承诺时限"):
        assert "不是法律条文" in terms[term][3], f"{term}: say that its source is not a law"


def test_the_glossary_quotes_each_article_it_cites():
    text = GLOSSARY.read_text(encoding="utf-8")
    headings = re.findall(r"^### (.+)$", text, re.M)
    missing = [a for a in ARTICLES if not any(h.startswith(a) for h in headings)]
    assert not missing, f"no quote of {missing}"
    # Spot checks of the quoted wording against the law's text.
    for words in (
        "逾期不告知的，自收到申请材料之日起即为受理",
        "应当自受理行政许可申请之日起二十日内作出行政许可决定",
        "可以延长十日",
        "所需时间不计算在本节规定的期限内",
        "以工作日计算，不含法定节假日",
        "开始的当日不计入，自下一日开始计算",
        "以法定休假日结束的次日为期间的最后一日",
    ):
        assert words in text, words


def test_every_term_is_used_in_the_catalogs_or_the_chinese_guide(terms, translations):
    used = _zh_text() + "\n".join(msgstr for _, _, msgstr in translations)
    unused = [term for term in terms if term not in used]
    assert not unused, f"glossary terms used nowhere in Chinese: {unused}"


@pytest.fixture(scope="module")
def avoided(glossary, terms) -> dict[str, str]:
    """Rejected wording → the glossary's term."""
    found = {row[1]: row[0] for row in glossary["术语 | 不用"]}
    assert found and set(found.values()) <= set(terms)
    return found


def test_no_translation_uses_a_rejected_wording(avoided, translations):
    found = [
        f"{catalog}: {msgid!r} → {msgstr!r} uses {word!r} (write {avoided[word]!r})"
        for catalog, msgid, msgstr in translations
        for word in avoided
        if word in msgstr
    ]
    assert not found, "\n".join(found)


def test_no_chinese_page_uses_a_rejected_wording(avoided):
    found = [
        f"{page.name}: uses {word!r} (write {avoided[word]!r})"
        for page in ZH_PAGES
        for word in avoided
        if word in page.read_text(encoding="utf-8")
    ]
    assert not found, "\n".join(found)


def test_the_table_reader_reads_a_glossary_table():
    text = (
        "| 术语 | English | 在 slasim 中 | 依据 |\n|---|---|---|---|\n"
        "| 受理 | acceptance | `x` | 第三十二条 |\n\n"
        "| 术语 | 不用 | 原因 |\n|---|---|---|\n| 红牌 | 红卡 | 说明 |\n"
    )
    assert tables(text) == {
        "术语 | English": [["受理", "acceptance", "`x`", "第三十二条"]],
        "术语 | 不用": [["红牌", "红卡", "说明"]],
    }


# Links of the Chinese pages (tests/test_docs_links.py checks README.md and docs/*.md).
def test_anchor_drops_full_width_punctuation():
    assert anchor("何时到期？") == "何时到期"
    assert (
        anchor("《民法典》第二百零三条（最后一日与截止时间）")
        == "民法典第二百零三条最后一日与截止时间"
    )
    assert anchor("时限的计算 The legal clock") == "时限的计算-the-legal-clock"


@pytest.mark.parametrize("page", ZH_PAGES, ids=[str(p.relative_to(ROOT)) for p in ZH_PAGES])
def test_the_chinese_pages_link_to_the_glossary_and_their_links_resolve(page):
    targets, broken = md_links(page)
    assert any("glossary.md" in target for target in targets), "link the glossary"
    assert not broken, "; ".join(broken)
