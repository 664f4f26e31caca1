"""A service's route as a Graphviz DOT diagram, for the Centre page: steps (with their department),
parallel groups (AND split and join), branches with their shares, supplement loops and special
procedures as loops on their step, Markov routes with their next-step shares."""

from __future__ import annotations

from slasim.io.i18n import _


def quoted(text: str) -> str:
    """A DOT string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def share(p) -> str:
    return f"{float(p):.0%}"


class Diagram:
    """Nodes and edges of one route, added block by block."""

    def __init__(self):
        self.lines: list[str] = []
        self.count = 0

    def node(self, label: str, **attrs) -> str:
        self.count += 1
        name = f"n{self.count}"
        extra = "".join(f", {k}={quoted(v)}" for k, v in attrs.items())
        self.lines.append(f"  {name} [label={quoted(label)}{extra}];")
        return name

    def edge(self, a: str, b: str, label: str | None = None, **attrs) -> None:
        parts = [f"label={quoted(label)}"] if label else []
        parts += [f"{k}={quoted(v)}" for k, v in attrs.items()]
        self.lines.append(f"  {a} -> {b}" + (f" [{', '.join(parts)}]" if parts else "") + ";")

    def join(self, exits: list[tuple[str, str | None]], target: str) -> None:
        for name, label in exits:
            self.edge(name, target, label)

    def step(self, step: dict, exits: list) -> list:
        label = step["step"] + (f"\n({step['department']})" if step.get("department") else "")
        node = self.node(label, shape="box", style="rounded")
        self.join(exits, node)
        if step.get("supplement") is not None:
            self.edge(node, node, _("supplement"), style="dashed")
        special = step.get("special_procedure")
        if special is not None:
            text = _("special procedure {share}").format(share=share(special.get("probability", 1)))
            self.edge(node, node, text, style="dotted")
        return [(node, None)]

    def block(self, items: list, exits: list) -> list:
        for item in items:
            if "parallel" in item:
                split = self.node("+", shape="diamond")
                self.join(exits, split)
                ends = [
                    e for branch in item["parallel"] for e in self.block(branch, [(split, None)])
                ]
                joined = self.node("+", shape="diamond")
                self.join(ends, joined)
                exits = [(joined, None)]
            elif "branch" in item:
                point = self.node("×", shape="diamond")
                self.join(exits, point)
                exits = []
                for branch in item["branch"]:
                    label = share(branch["probability"])
                    if branch.get("steps"):
                        exits += self.block(branch["steps"], [(point, label)])
                    else:  # a branch of no steps goes straight on, with its share
                        exits.append((point, label))
            elif "markov" in item:
                exits = self.markov(item["markov"], exits)
            else:
                exits = self.step(item, exits)
        return exits

    def markov(self, route: dict, exits: list) -> list:
        entry = self.node("", shape="point")
        self.join(exits, entry)
        nodes = {s["step"]: self.step(s, [])[0][0] for s in route["steps"]}
        out = self.node("", shape="point")
        nodes["end"] = out
        for name, p in route["start"].items():
            self.edge(entry, nodes[name], share(p))
        for name, following in route["next"].items():
            for other, p in following.items():
                self.edge(nodes[name], nodes[other], share(p))
        return [(out, None)]


def route_dot(service: dict) -> str:
    """The DOT text of a service's route, from arrival to the case closed."""
    diagram = Diagram()
    start = diagram.node(_("arrival"), shape="ellipse")
    exits = diagram.block(service.get("steps") or [], [(start, None)])
    end = diagram.node(_("case closed"), shape="ellipse")
    diagram.join(exits, end)
    head = 'digraph route {\n  rankdir=LR;\n  node [fontname="Noto Sans CJK SC"];'
    return "\n".join([head, *diagram.lines, "}"])
