"""Plain YAML documents read event by event: the same data as `yaml_loader.TextDatesLoader`
gives, built straight from libyaml's parse events, so a large file never exists as PyYAML's node
tree (a node, with two marks, per scalar) beside its data.

Only plain documents are read here — mappings, sequences and scalars without anchors, aliases,
tags or merge keys, one document, no key given twice. Anything else, and any syntax error, raises
`NotPlain`: the caller reads the file with the full loader, which gives its data or its error.
Scalars are resolved by the loader's own rules (YAML 1.1, dates as text), once per distinct text.
"""

from __future__ import annotations

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from slasim.io.yaml_loader import TextDatesLoader

STR = "tag:yaml.org,2002:str"
SIMPLE = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_KEY = object()  # a mapping waiting for its next key
_SEQ = object()  # a sequence (never waits for a key)


class NotPlain(Exception):
    """The document is not one this reader takes: read it with the full loader."""


def load_plain(text: str):
    """The data of a plain YAML document (None for an empty stream); `NotPlain` otherwise."""
    loader = TextDatesLoader(text)
    try:
        return _build(loader)
    except yaml.YAMLError:
        raise NotPlain from None
    finally:
        loader.dispose()


def _build(loader):
    get = loader.get_event
    resolved: dict = {}
    get()  # the stream's start
    event = get()
    if type(event) is StreamEndEvent:
        return None
    if type(event) is not DocumentStartEvent:
        raise NotPlain
    # One frame per open collection: [container, pending key (_KEY: none; _SEQ: a sequence),
    # raw key texts seen].
    frames: list = []
    root = None
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise NotPlain
            raw = event.value
            if event.implicit[0]:  # a plain scalar: null, bool, int, float or text
                value = resolved.get(raw, _KEY)
                if value is _KEY:
                    value = _scalar(loader, raw)
                    if len(resolved) < 1 << 16:
                        resolved[raw] = value
            else:
                value = raw
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                raise NotPlain
            if frames and frames[-1][1] is _KEY:
                raise NotPlain  # a mapping or sequence as a key
            frames.append([{}, _KEY, set()] if kind is MappingStartEvent else [[], _SEQ, None])
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value, raw = frames.pop()[0], None
        elif kind is DocumentEndEvent:
            break
        else:  # an alias
            raise NotPlain
        if not frames:
            root = value
            continue
        frame = frames[-1]
        key = frame[1]
        if key is _SEQ:
            frame[0].append(value)
        elif key is _KEY:
            if raw in frame[2]:
                raise NotPlain  # a key given twice: the full loader names it
            frame[2].add(raw)
            frame[1] = value
        else:
            frame[0][key] = value
            frame[1] = _KEY
    if type(get()) is not StreamEndEvent:
        raise NotPlain  # several documents
    return root


def _scalar(loader, raw: str):
    """A plain scalar as the loader constructs it."""
    tag = loader.resolve(yaml.ScalarNode, raw, (True, False))
    if tag == STR:
        return raw
    if tag not in SIMPLE:
        raise NotPlain  # a merge key, or a type of the full loader only
    return loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, raw))
