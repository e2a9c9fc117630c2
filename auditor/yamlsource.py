"""Load YAML while remembering where every value came from, so errors can say file:line:column."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from auditor.errors import Location, Problem
from auditor.i18n import spoken, tr

Path_ = tuple[str | int, ...]
MAX_DEPTH = 40  # mappings and lists inside each other
MAX_VALUES = 200_000  # values built from one file, aliases and merge keys expanded ("billion laughs" stop here)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with nesting and alias expansion bounded (a 669-byte file must not take gigabytes)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def flatten_mapping(self, node):
        super().flatten_mapping(node)
        if len(node.value) > MAX_VALUES:
            raise yaml.constructor.ConstructorError(None, None, "merge keys (<<) expand this mapping past "
                                                    f"{MAX_VALUES:,} entries", node.start_mark)


# YAML 1.2 booleans: only true / false. YAML 1.1 also reads yes / no / on / off as booleans, which turned the
# config's `on:` key (the events a notify destination takes) into True.
_BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_BoundedLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                     list("tTfF"))


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_VALUES


class Located:
    """Parsed YAML data plus the source location of every mapping key and value in it."""

    def __init__(self, path: Path, data: Any, marks: dict[Path_, tuple[int, int]], key_marks: dict[Path_, tuple[int, int]]):
        self.path = path
        self.data = data
        self._marks = marks
        self._key_marks = key_marks

    def key_location(self, loc: Path_) -> Location:
        """Where the key of the value at loc is written (for 'unknown key'); else the value's location."""
        if tuple(loc) in self._key_marks:
            return Location(self.path, *self._key_marks[tuple(loc)])
        return self.location(loc)

    def location(self, loc: Path_) -> Location:
        """The location of the value at loc, or of its nearest ancestor that exists in the file."""
        loc = tuple(loc)
        while loc and loc not in self._marks:
            loc = loc[:-1]
        line, col = self._marks.get(loc, (1, 1))
        return Location(self.path, line, col)

    def problems_from(self, err: ValidationError, prefix: Path_ = (), model=None) -> list[Problem]:
        """Turn pydantic's errors into located problems; with the model, an unknown key or a wrong choice one
        edit from a right one says "did you mean"."""
        problems = []
        for e in err.errors():
            loc = prefix + tuple(p for p in e["loc"] if not _is_type_tag(p))
            msg = e["msg"]
            where = self.location(loc)
            if e["type"] in _PYDANTIC and spoken() != "en":  # pydantic speaks English only: its common words, ours
                try:
                    msg = tr(_PYDANTIC[e["type"]], **{k: str(v) for k, v in (e.get("ctx") or {}).items()})
                except KeyError:  # a ctx without the value the template names: pydantic's words, then
                    pass
            if e["type"] == "extra_forbidden":
                msg = tr("unknown key")
                where = self.key_location(loc)
                if model is not None and loc:
                    msg += _did_you_mean(loc[-1], field_names(model, loc[len(prefix):-1]))
            elif e["type"] == "missing":
                msg = tr("required key is missing")
            elif e["type"] == "value_error":  # our own validators' words, without pydantic's prefix
                msg = msg.removeprefix("Value error, ")
            elif e["type"] == "literal_error" and isinstance(e.get("input"), str):
                msg += _did_you_mean(e["input"], re.findall(r"'([^']*)'", str((e.get("ctx") or {}).get("expected", ""))))
            problems.append(Problem(where, f"{format_path(loc)}: {msg}"))
        return problems


# pydantic's messages of the kinds a config or rule file meets, as templates of the message table (its values:
# the error's ctx); in English, pydantic's own words are kept as they are
_PYDANTIC = {
    "literal_error": "Input should be {expected}",
    "int_parsing": "Input should be a valid integer", "int_type": "Input should be a valid integer",
    "int_from_float": "Input should be a valid integer", "float_parsing": "Input should be a valid number",
    "float_type": "Input should be a valid number", "bool_parsing": "Input should be a valid boolean",
    "bool_type": "Input should be a valid boolean", "string_type": "Input should be a valid string",
    "list_type": "Input should be a valid list", "dict_type": "Input should be a valid dictionary",
    "model_type": "Input should be a mapping of settings", "model_attributes_type": "Input should be a mapping of settings",
    "greater_than_equal": "Input should be greater than or equal to {ge}",
    "greater_than": "Input should be greater than {gt}", "less_than_equal": "Input should be less than or equal to {le}",
    "less_than": "Input should be less than {lt}", "string_too_short": "String should have at least {min_length} characters",
    "string_too_long": "String should have at most {max_length} characters",
    "too_short": "List should have at least {min_length} items", "too_long": "List should have at most {max_length} items",
    "enum": "Input should be {expected}",
}


def _did_you_mean(word, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return tr(" (did you mean {word!r}?)", word=close[0]) if close else ""


def field_names(model, loc: Path_) -> list[str]:
    """The keys a pydantic model accepts at a place in the data (its fields' names and aliases)."""
    current = model
    for part in loc:
        current = _inner(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _inner(tp, part):
    """The type found one step into tp (a model's field, a list's item, a dict's value)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, f in tp.model_fields.items():
            if part in (name, f.alias):
                return _unwrap(f.annotation)
        return None
    origin = get_origin(tp)
    if origin in (list, tuple) and isinstance(part, int):
        return _unwrap(get_args(tp)[0])
    if origin is dict:
        return _unwrap(get_args(tp)[1])
    return None


def _unwrap(tp):
    """X from X | None."""
    if get_origin(tp) in (Union, UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _is_type_tag(part: str | int) -> bool:
    # pydantic adds tags such as 'function-after[...]' or 'list[str]' for unions; they are not keys.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"})


def format_path(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_located(path: Path, error_cls: type) -> Located:
    """Read a YAML file; raise error_cls (a SourceError) with file:line:column on syntax errors."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_cls([Problem(Location(path), tr("file not found"))]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise error_cls([Problem(Location(path), tr("cannot read: {e}", e=e))]) from None
    loader = None
    try:
        loader = _BoundedLoader(text)
        node = loader.get_single_node()
        marks: dict[Path_, tuple[int, int]] = {}
        key_marks: dict[Path_, tuple[int, int]] = {}
        problems: list[Problem] = []
        data = _build(loader, node, (), (marks, key_marks), problems, path, _Budget()) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise error_cls([Problem(where, tr("YAML syntax: {value}", value=plain_yaml_error(e)))]) from None
    except yaml.reader.ReaderError as e:  # a NUL or another character YAML does not allow
        line, column = _line_column(text, e.position)
        raise error_cls([Problem(Location(path, line, column),
                                 tr("a character YAML does not allow (#x{character:04x}): remove it",
                                    character=e.character))]) from None
    except yaml.YAMLError as e:
        raise error_cls([Problem(Location(path), tr("YAML syntax: {e}", e=e))]) from None
    except _TooLarge as e:
        raise error_cls([Problem(Location(path, *e.mark), str(e))]) from None
    except RecursionError:
        raise error_cls([Problem(Location(path), tr("nested too deeply (more than {MAX_DEPTH} levels)",
                                                    MAX_DEPTH=MAX_DEPTH))]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise error_cls(problems)
    return Located(Path(path), data, marks, key_marks)


_PLAIN = [  # PyYAML's words -> what staff can act on
    (re.compile(r"expected <block end>, but found '<block (mapping|sequence) start>'|expected <block end>"),
     "this line is indented differently from the lines above it (a space too many or too few?)"),
    (re.compile(r"found character '\\t'|found character '\t'"), "a tab character: indent YAML with spaces only"),
    (re.compile(r"expected ',' or '\}'"), "a '{' opened earlier is not closed (a missing '}')"),
    (re.compile(r"expected ',' or '\]'"), "a '[' opened earlier is not closed (a missing ']')"),
    (re.compile(r"while scanning a quoted scalar|found unexpected end of stream"), "a quote opened earlier is not closed"),
    (re.compile(r"mapping values are not allowed here"),
     "a ':' where YAML expects none (put the text in quotes, or check the indentation)"),
    (re.compile(r"could not find expected ':'"), "a line without its ':' (or an indentation mistake)"),
    (re.compile(r"found undefined alias"), "an alias (*name) with no anchor (&name) defined before it"),
]


def plain_yaml_error(e: yaml.MarkedYAMLError) -> str:
    """The likely cause in plain words, then PyYAML's own, for whoever wants it."""
    original = " ".join(x for x in (e.context, e.problem) if x)
    for pattern, plain in _PLAIN:
        if pattern.search(original):
            return f"{plain} [{e.problem or e.context}]"
    return str(e.problem or e.context)


class _TooLarge(Exception):
    def __init__(self, mark: tuple[int, int]):
        self.mark = mark
        super().__init__(f"the file expands to more than {MAX_VALUES:,} values (aliases inside aliases?)")


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _build(loader, node, loc: Path_, all_marks, problems, path, budget: _Budget) -> Any:
    marks, key_marks = all_marks
    budget.left -= 1
    if budget.left < 0:
        raise _TooLarge((node.start_mark.line + 1, node.start_mark.column + 1))
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                where = Location(path, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                problems.append(Problem(where, tr("a key must be a plain value")))
                continue
            if key in out:
                where = Location(path, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                problems.append(Problem(where, tr("{value}: duplicate key", value=format_path(loc + (str(key),)))))
                continue
            key_marks[loc + (str(key),)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _build(loader, value_node, loc + (str(key),), all_marks, problems, path, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, n, loc + (i,), all_marks, problems, path, budget) for i, n in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
