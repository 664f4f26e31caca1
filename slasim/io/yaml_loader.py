"""The YAML loader for slasim's input files (imported only when a YAML file is read: commands
that read none, such as `slasim deadline`, do not pay for PyYAML).

Safe (libyaml's C parser when PyYAML has it), dates left as text for slasim's own located
parsing, a key given twice refused at its line, and `1e5` read as a number as YAML 1.2 reads it.
"""

from __future__ import annotations

import re

import yaml

from slasim.io.errors import shown


class TextDatesLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader (libyaml's C parser when PyYAML has it, ~10x faster on large check files) that
    leaves dates as text: slasim parses them itself, with located errors (PyYAML's own timestamp
    parsing raises bare ValueErrors for dates like 2025-02-30). A key given twice in one mapping
    is an error at its line, not "the last one wins"."""

    def construct_mapping(self, node, deep=False):
        """The mapping, after checking that no scalar key repeats (merge keys `<<` aside)."""
        seen: set = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = key_node.value
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {shown(key)}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)


TextDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# YAML 1.1 reads `1e5` and `1.5e3` (no sign in the exponent) as text; YAML 1.2 reads numbers.
TextDatesLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
