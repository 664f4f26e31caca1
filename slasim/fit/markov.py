"""A service's route fitted as a stochastic directly-follows graph (a `markov:` route item), and the
choice between it and the block-structured route of `discover`.

From the fitted cases, each kept activity's successors are counted in the order the case did them
(the activities `discover` dropped left out): the shares of the first activity, of what follows
each one, and of `end`. Each activity is its fitted step (work or delay, from `build`); one with an
idle-handler wait before it is two states, the wait then the step. A repeat of an activity is a
move back to its step, so its step carries no supplement loop here; the loop's response (the log's
working days from a visit's end to the case's next visit of the activity) becomes a delay state
the move back goes through, in place of the idle wait, so a repeat does not follow at once. A case
leaves the route after as many steps as the longest fitted case took.

Block-structured discovery keeps an activity once per case at most, with shares multiplied along
its branches; where cases interleave many optional activities (BPIC15-like logs) that makes some
activities far rarer than in the log. Each activity's presence (the share of cases that do it at
least once) is worked out for both forms — the blocks' from their branch shares, the chain's as
absorption probabilities — and set beside the log's; `choose` takes the chain when the blocks miss
some activity's presence by more than `GAP` and the chain misses less.

Opt-in (`fit_log(routes="markov"|"auto")`). Measured on BPIC15_1 (dated completions only; the
field's protocol, 5 simulated logs): the Markov route brings the 3-gram distance from 0.929 to
0.595 but the cycle-time distance from 1,237 to 1,421 h; a first-order chain forgets what a case
has done, so activities nearly every case does come out in about half (auto keeps the blocks).

Rework loops, on either form. An activity repeated in cases, with other activities that (almost)
only ever happen between two of its visits — check, send back, the applicant completes, check
again — is one loop. Blocks would fit it as a supplement loop on the repeated step and a branch of
the others, so the log's order (check, send back, complete, check) comes out as check, check, send
back, complete. `rework_loops` finds such loops (each of the others at least `INSIDE` of its
occurrences between the first and last visit of the repeated activity in its case, all of them in
route items of their own beside the repeated step) and puts one ("loop", activities, presence)
item in their place: it is written as a `markov:` route item over the loop's activities alone,
fitted from the cases that do the repeated activity (their moves among those activities; `end`
goes on with the rest of the route), so each repeat comes back through the loop's steps in the
log's order and the rest of the route keeps its blocks.
"""

from __future__ import annotations

import numpy as np

from slasim.fit.discover import step_names

GAP = 0.05  # presence points the block route may miss before the Markov route is preferred
INSIDE = 0.95  # share of an activity's occurrences between two visits of a repeated one: its loop
END = "end"
ANY = "(any activity)"  # a presence: the cases that do at least one activity


def any_presence(traces, activities: list[str]) -> float:
    """Share of the cases that do at least one of `activities`."""
    kept = set(activities)
    return sum(not kept.isdisjoint(t.activities) for t in traces) / max(len(traces), 1)


def real_presence(traces, activities: list[str]) -> dict[str, float]:
    """Share of the cases that do each activity at least once."""
    n = max(len(traces), 1)
    return {a: sum(a in t.activities for t in traces) / n for a in activities}


def block_presence(route, share: float = 1.0, out: dict | None = None) -> dict[str, float]:
    """Presence of each activity on a `discover` route: the product of branch shares above it."""
    out = {} if out is None else out
    for item in route:
        if isinstance(item, str):
            out[item] = out.get(item, 0.0) + share
        elif item[0] == "parallel":
            for act in item[1]:
                out[act] = out.get(act, 0.0) + share
        elif item[0] == "loop":  # a rework loop: its chain's presences
            for act in item[1]:
                out[act] = out.get(act, 0.0) + share * item[2][act]
        else:
            total = sum(s for s, _ in item[1])
            scale = 1.0 / total if total > 1 else 1.0
            for s, branch in item[1]:
                block_presence(branch, share * s * scale, out)
    return out


def block_empty(route) -> float:
    """Chance that a case does none of a `discover` route's activities: every item skipped, each
    branch point by its skip share and its branches' own chances, independently of the others."""
    chance = 1.0
    for item in route:
        if isinstance(item, str) or item[0] in ("parallel", "loop"):
            return 0.0  # a step, a parallel group, a rework loop (entered by its step): always done
        total = sum(s for s, _ in item[1])
        scale = 1.0 / total if total > 1 else 1.0
        chance *= 1.0 - total * scale + sum(s * scale * block_empty(b) for s, b in item[1])
    return chance


def _shares(counts: dict[str, int]) -> dict[str, float]:
    """Counts as shares rounded to 4 places that sum to 1 (the largest takes the rounding)."""
    total = sum(counts.values())
    shares = {k: round(v / total, 4) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}
    top = next(iter(shares))
    shares[top] = round(shares[top] + 1.0 - sum(shares.values()), 6)
    return {k: v for k, v in shares.items() if v > 0}


def transitions(traces, activities: list[str]) -> tuple[dict, dict, int]:
    """(start counts, successor counts per activity, longest case) over the kept activities."""
    kept = set(activities)
    start: dict[str, int] = {}
    follows: dict[str, dict[str, int]] = {a: {} for a in activities}
    longest = 1
    for trace in traces:
        path = [a for a in trace.activities if a in kept]
        longest = max(longest, len(path))
        previous = None
        for act in [*path, END]:
            counts = start if previous is None else follows[previous]
            counts[act] = counts.get(act, 0) + 1
            previous = act
    return start, follows, longest


def chain_presence(start: dict, follows: dict, activities: list[str]) -> dict[str, float]:
    """Chance that the chain visits each activity at least once: for activity j, the absorption
    probability into j from the start with j absorbing (h = (I − Q₋ⱼ)⁻¹ qⱼ)."""
    index = {a: i for i, a in enumerate(activities)}
    n = len(activities)
    q = np.zeros((n, n))
    for a, counts in follows.items():
        total = sum(counts.values())
        for b, c in counts.items():
            if b != END and total:
                q[index[a], index[b]] = c / total
    s = np.zeros(n)
    total = sum(start.values())
    for a, c in start.items():
        if a != END:
            s[index[a]] = c / total
    out = {}
    for j, a in enumerate(activities):
        into = q.copy()
        into[:, j] = 0.0  # reaching j ends the walk: h_i = q_ij + sum over k != j of q_ik h_k
        h = np.linalg.solve(np.eye(n) - into, q[:, j])
        h[j] = 1.0
        out[a] = float(s @ h)
    return out


def markov_item(
    traces, activities: list[str], items: dict[str, list[dict]], pooled: dict | None = None
) -> dict:
    """The `markov:` route item over `activities` (each with its fitted step items), its comment
    and its evidence. `pooled`: per activity, the gap before any repeat over all rounds (a
    step's `gap`; its supplement's response holds only the later rounds' when it has a first
    round of its own)."""
    start, follows, longest = transitions(traces, activities)
    states: list[dict] = []
    entry, exit_ = {}, {}
    chain_next: dict[str, dict[str, float]] = {}
    gaps: dict[str, str] = {}  # activity: its gap state
    taken = {s["step"] for act in activities for s in items[act]}
    for act in activities:
        steps = [{k: v for k, v in s.items() if k != "supplement"} for s in items[act]]
        entry[act], exit_[act] = steps[0]["step"], steps[-1]["step"]
        for a, b in zip(steps, steps[1:]):  # an idle wait, then the step
            chain_next[a["step"]] = {b["step"]: 1.0}
        states.extend(steps)
        loop = items[act][-1].get("supplement")
        if loop and follows[act].get(act):  # the log's gap before a repeat, as a state of its own
            gap = f"{exit_[act]}-gap"
            while gap in taken:
                gap += "-"
            taken.add(gap)
            gaps[act] = gap
            states.append({"step": gap, "delay": (pooled or {}).get(act) or loop["response"]})
            chain_next[gap] = {exit_[act]: 1.0}  # a repeat skips the idle wait: the gap is it

    def named(counts: dict[str, int], act: str | None = None) -> dict[str, float]:
        to = {**entry, **({act: gaps[act]} if act in gaps else {})}
        return _shares({to.get(k, END): c for k, c in counts.items()})

    for act in activities:
        chain_next[exit_[act]] = named(follows[act], act) if follows[act] else {END: 1.0}
    item = {
        "markov": {
            "steps": states,
            "start": named(start),
            "next": {s["step"]: chain_next[s["step"]] for s in states},
            "max_visits": longest * max(len(items[a]) + (a in gaps) for a in activities),
        }
    }
    fitted = chain_presence(start, follows, activities)
    fitted[ANY] = 1.0 - start.get(END, 0) / max(sum(start.values()), 1)
    real = real_presence(traces, activities)
    evidence = {
        "cases": len(traces),
        "longest_case": longest,
        "presence": {
            a: {"real": round(real[a], 4), "fitted": round(fitted[a], 4)} for a in activities
        },
    }
    note = (
        f"Markov route: shares of the first step and of each step's successor over {len(traces)} "
        f"fitted cases; at most {longest} activities per case (the longest fitted)"
    )
    return {"item": item, "note": note, "evidence": evidence, "presence": fitted, "gaps": gaps}


def choose(traces, route, activities: list[str], chain_presence_of: dict[str, float]) -> tuple:
    """("markov" | "blocks", reason, evidence): the chain when the blocks miss an activity's
    presence by more than `GAP` and the chain misses less. The presence of `ANY` (the cases that do
    at least one of the activities) counts as one more: independent branches can leave a case
    with nothing to do where no case of the log is so."""
    real = real_presence(traces, activities)
    real[ANY] = any_presence(traces, activities)
    blocks = block_presence(route)
    blocks[ANY] = 1.0 - block_empty(route)
    chain = {ANY: chain_presence_of.get(ANY, real[ANY]), **chain_presence_of}
    compared = [*activities, ANY]
    gap_blocks = max((abs(blocks.get(a, 0.0) - real[a]), a) for a in compared)
    gap_chain = max((abs(chain[a] - real[a]), a) for a in compared)
    evidence = {
        "blocks_worst_gap": {"activity": gap_blocks[1], "points": round(gap_blocks[0], 4)},
        "markov_worst_gap": {"activity": gap_chain[1], "points": round(gap_chain[0], 4)},
        "any_activity": {
            "real": round(real[ANY], 4),
            "blocks": round(blocks[ANY], 4),
            "markov": round(chain[ANY], 4),
        },
        "rule": f"Markov when the block route misses a presence by more than {GAP} and it less",
    }
    if gap_blocks[0] > GAP and gap_chain[0] < gap_blocks[0]:
        what = (
            "the share of cases doing any activity"
            if gap_blocks[1] == ANY
            else f"{gap_blocks[1]!r}'s presence"
        )
        why = (
            f"the block route misses {what} by {gap_blocks[0]:.3f}, the Markov route at most "
            f"{gap_chain[0]:.3f}"
        )
        return "markov", why, evidence
    return "blocks", f"the block route keeps every presence within {gap_blocks[0]:.3f}", evidence


def fitted_route(traces, route, steps: dict[str, dict], form: str = "auto") -> dict:
    """The route a service's fit writes: {item (a `markov:` item, or None to keep the blocks),
    comments (by path under `steps`), evidence}. `form`: auto (`choose`), blocks or markov;
    `steps`: each activity's fitted items and notes (`build`)."""
    activities = [a for a in step_names(route) if a in steps]
    if form == "blocks" or not activities or not traces:
        return {"item": None, "comments": {}, "evidence": {"form": "blocks", "why": "asked for"}}
    chain = markov_item(traces, activities, *_items_and_gaps(steps, activities))
    if form == "auto":
        form, why, evidence = choose(traces, route, activities, chain["presence"])
    else:
        why, evidence = "asked for", {}
    evidence = {"form": form, "why": why, **evidence, "markov": chain["evidence"]}
    if form == "blocks":
        return {"item": None, "comments": {}, "evidence": evidence}
    comments = {(0,): f"{chain['note']}; {why}"}
    for path, note in _state_notes(activities, steps, chain["gaps"]).items():
        comments[(0, *path)] = note
    return {"item": chain["item"], "comments": comments, "evidence": evidence}


def _state_notes(activities: list[str], steps: dict[str, dict], gaps: dict) -> dict:
    """The notes of a `markov:` item's states (by path under the item): each activity's fitted
    notes, then its gap state's."""
    comments = {}
    k = 0
    for act in activities:
        for note in steps[act]["notes"]:
            if "repeated in" in note:  # `build`'s loop evidence: here a move back to the step
                after = " after the gap" if act in gaps else ""
                note += f" (on this route, a repeat is a move back to the step{after})"
            comments[("markov", "steps", k)] = note
            k += 1
        if act in gaps:
            comments[("markov", "steps", k)] = (
                f"gap before a repeat of {act!r} (the step's supplement response: the working "
                "days from a visit's end to the case's next visit of it)"
            )
            k += 1
    return comments


def rework_loops(traces, route, repeated) -> tuple[list, list[dict]]:
    """`route` (of `discover`) with each rework loop (module docstring) as one ("loop",
    activities, presence) item in place of its repeated step and its other activities' items, and
    each loop's evidence. `repeated`: the activities some case does more than once."""
    names = step_names(route)
    total = dict.fromkeys(names, 0)
    spans: dict[str, list] = {a: [] for a in names if a in repeated}  # (trace, first, last)
    for trace in traces:
        first, last = {}, {}
        for i, act in enumerate(trace.activities):
            if act in total:
                total[act] += 1
                first.setdefault(act, i)
                last[act] = i
        for act, i in first.items():
            if act in spans:
                spans[act].append((trace, i, last[act]))
    used: set[str] = set()
    evidence = []
    for act, found in spans.items():
        if act in used:
            continue
        inside: dict[str, int] = {}
        cases = [trace for trace, _, _ in found]
        again = sum(i < j for _, i, j in found)
        for trace, i, j in found:
            for other in trace.activities[i + 1 : j]:
                if other != act and other in total:
                    inside[other] = inside.get(other, 0) + 1
        body = [
            a
            for a in names
            if a not in used and a != act and inside.get(a, 0) >= max(1, INSIDE * total[a])
        ]
        if not body:
            continue
        loop = [act, *body]
        start, follows, _ = transitions(cases, loop)
        presence = chain_presence(start, follows, loop)
        changed = _put_loop(route, ("loop", loop, presence))
        if changed is None:  # the others are not in items of their own beside the step
            continue
        route = changed
        used.update(loop)
        real = real_presence(cases, loop)
        evidence.append(
            {
                "activity": act,
                "steps": body,
                "cases": len(cases),
                "cases_repeating": again,
                "inside": {a: round(inside[a] / total[a], 4) for a in body},
                "presence": {
                    a: {"real": round(real[a], 4), "fitted": round(presence[a], 4)} for a in loop
                },
                "rule": f"activities at least {INSIDE} of whose occurrences lie between two "
                f"visits of {act!r}, fitted with it as a Markov route item",
            }
        )
    return route, evidence


def _put_loop(route: list, loop: tuple) -> list | None:
    """`route` with `loop` in place of its repeated step, the items of its other activities left
    out; None unless the step is an item of this route (or of a branch in it) and the others fill
    whole items beside it."""
    act, body = loop[1][0], set(loop[1][1:])
    for i, item in enumerate(route):
        if item == act:
            around = {
                j for j, other in enumerate(route) if j != i and set(step_names([other])) & body
            }
            inner = [set(step_names([route[j]])) for j in around]
            if not all(names <= body for names in inner) or set().union(*inner) != body:
                return None
            return [loop if j == i else x for j, x in enumerate(route) if j not in around]
        if isinstance(item, tuple) and item[0] == "branch":
            for k, (share, branch) in enumerate(item[1]):
                changed = _put_loop(branch, loop)
                if changed is not None:
                    branches = list(item[1])
                    branches[k] = (share, changed)
                    return [*route[:i], ("branch", branches), *route[i + 1 :]]
    return None


def loop_item(traces, activities: list[str], steps: dict[str, dict]) -> tuple[dict, dict]:
    """A rework loop's `markov:` route item (a ("loop", activities, …) item of `rework_loops`),
    fitted from the cases that do its repeated activity, and its comments by path under it."""
    act = activities[0]
    cases = [t for t in traces if act in t.activities]
    chain = markov_item(cases, activities, *_items_and_gaps(steps, activities))
    comments = {
        (): f"rework loop: {act!r} done again after {', '.join(map(repr, activities[1:]))}; "
        f"shares of each step's successor over the {len(cases)} fitted cases that do {act!r} "
        "(`end` goes on with the route)",
        **_state_notes(activities, steps, chain["gaps"]),
    }
    return chain["item"], comments


def _items_and_gaps(steps: dict[str, dict], activities: list[str]) -> tuple[dict, dict]:
    """Each activity's fitted step items, and its loop's gap over all rounds where it has one."""
    items = {a: steps[a]["items"] for a in activities}
    return items, {a: steps[a].get("gap") for a in activities}
