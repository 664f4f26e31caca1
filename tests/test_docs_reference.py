"""docs/scenario-reference.md is generated from the scenario schema and cannot go stale."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("make_reference", ROOT / "docs/make_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reference_matches_the_schema():
    committed = (ROOT / "docs/scenario-reference.md").read_text(encoding="utf-8")
    assert committed == _generator().generate(), (
        "docs/scenario-reference.md is stale: run python docs/make_reference.py"
    )


def test_a_small_schema_renders_each_kind_of_field():
    schema = {
        "description": "Top.",
        "required": ["desk"],
        "properties": {
            "desk": {"$ref": "#/$defs/Desk"},
            "mode": {"default": "a", "enum": ["a", "b"], "type": "string"},
            "days": {"anyOf": [{"minimum": 1, "type": "integer"}, {"type": "null"}]},
        },
        "$defs": {
            "Desk": {
                "description": "A desk.",
                "required": ["staff"],
                "properties": {"staff": {"type": "integer", "description": "People | heads."}},
            }
        },
    }
    page = _generator().render(schema)
    assert "| `desk` | [Desk](#desk) | **required** |" in page
    assert '| `mode` | `a` \\| `b` | `"a"` |' in page
    assert "| `days` | integer (≥ 1) or null |  |" in page
    # the Desk section comes after the top level and carries its field's description, escaped
    assert page.index("## Scenario (top level)") < page.index("## Desk")
    assert "| `staff` | integer | **required** | People \\| heads. |" in page
