"""Reading terraform-provider-aws' Go source without a Go toolchain: a small reader of the
expressions validators are written in (calls, selectors, generics, composite literals, integer
arithmetic on constants), the attribute blocks of a schema and the fields written in each, and a
package's top-level functions, variables and constants. Used by tools/provider_validation.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import force_new

# --- A small reader of Go expressions: calls, selectors, generics, literals -------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<raw>`[^`]*`)|(?P<str>\"(?:\\.|[^\"\\])*\")|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][\w.]*(?:\[[\w.]+\])?)|(?P<punct>\.\.\.|[(){}\[\],:&*+-]))"
)


@dataclass
class Call:
    name: str
    args: list[Any]


@dataclass
class Name:
    name: str


@dataclass
class Composite:
    """`[]string{...}`: its elements."""

    items: list[Any]


# Constants the provider's validators use from outside the package.
# terraform-plugin-sdk helper/id/id.go:27 `const UniqueIDSuffixLength = 26`.
EXTERNAL_CONSTANTS = {"id.UniqueIDSuffixLength": 26}


class _Parser:
    def __init__(self, text: str, constants: dict[str, Any] | None = None):
        self.constants = {**EXTERNAL_CONSTANTS, **(constants or {})}
        text = _drop_comments(text)
        self.tokens = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                if text[position:].strip():
                    raise ValueError(f"cannot read Go expression at: {text[position:][:40]!r}")
                break
            self.tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expression(self) -> Any:
        """A term, and `+`/`-` between numbers (`63-id.UniqueIDSuffixLength`)."""
        left = self.term()
        while self.peek() and self.peek()[1] in "+-" and self.peek()[0] == "punct":
            operator = self.take()[1]
            right = self.term()
            if not (isinstance(left, int) and isinstance(right, int)):
                raise ValueError("arithmetic on something other than integer constants")
            left = left + right if operator == "+" else left - right
        return left

    def term(self) -> Any:
        kind, value = self.take()
        if kind == "raw":
            return value[1:-1]
        if kind == "str":
            return json.loads(value)
        if kind == "num":
            return float(value) if "." in value else int(value)
        if value == "&":
            return self.term()
        if value == "(":
            inner = self.expression()
            self.take()
            return inner
        if value == "[":  # []string{...}
            while self.peek() and self.peek()[1] != "{":
                self.take()
            return Composite(self._items("{", "}"))
        if kind != "name":
            raise ValueError(f"unexpected {value!r}")
        constant = self.constants.get(value, self.constants.get(value.lower()))
        if constant is not None and not (self.peek() and self.peek()[1] == "("):
            return constant
        node: Any = Name(value)
        while self.peek() and self.peek()[1] in ("(", "{"):
            opening = self.peek()[1]
            items = self._items(opening, ")" if opening == "(" else "}")
            node = Call(value, items) if opening == "(" else Composite(items)
        if self.peek() and self.peek()[1] == "...":
            self.take()
        return node

    def _items(self, opening: str, closing: str) -> list[Any]:
        assert self.take()[1] == opening
        items = []
        while self.peek() and self.peek()[1] != closing:
            items.append(self.expression())
            if self.peek() and self.peek()[1] == ",":
                self.take()
        self.take()
        return items


def parse_go(text: str, constants: dict[str, Any] | None = None) -> Any:
    return _Parser(text, constants).expression()


def _drop_comments(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif text[i] in '"`':
            quote, j = text[i], i + 1
            while j < n and text[j] != quote:
                j += 2 if quote == '"' and text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# --- Attribute blocks and their fields ---------------------------------------------------------


def matching_bracket(code: str, start: int) -> int:
    """Index of the bracket closing the one at `start` (code has strings and comments blanked)."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    depth = 0
    for position in range(start, len(code)):
        char = code[position]
        if char in pairs:
            depth += 1
        elif char in ")}]":
            depth -= 1
            if depth == 0:
                return position
    return len(code)


def attribute_blocks(
    text: str, constants: dict[str, str]
) -> Iterator[tuple[tuple[str, ...], int, int]]:
    """(Terraform attribute path, start, end) of every attribute's own literal block."""
    text = force_new.current_schema_text(text)
    code = force_new._strip(text)
    entries = {m.end() - 1: m for m in force_new._ENTRY.finditer(text)}
    stack: list[tuple[str, int]] = []  # (attribute, the index where its block ends)
    for position, char in enumerate(code):
        while stack and position > stack[-1][1]:
            stack.pop()
        if char != "{" or position not in entries:
            continue
        entry = entries[position]
        name = entry["literal"] or constants.get(entry["constant"] or "", "")
        if not name:
            continue
        end = matching_bracket(code, position)
        stack.append((name, end))
        yield tuple(n for n, _ in stack), position, end


_FIELD = re.compile(r"\s*(\w+)\s*:")


def own_fields(text: str, code: str, start: int, end: int) -> dict[str, tuple[str, int]]:
    """The fields written directly in a block: name -> (its expression's text, its offset)."""
    fields = {}
    position = start + 1
    while position < end:
        match = _FIELD.match(code, position)
        value_start = match.end() if match else position
        stop = value_start
        while stop < end and code[stop] != ",":
            stop = matching_bracket(code, stop) + 1 if code[stop] in "({[" else stop + 1
        if match:
            fields[match.group(1)] = (text[value_start:stop].strip(), value_start)
        position = stop + 1
    return fields


# --- The package around a file -----------------------------------------------

_DEFINITION = re.compile(r"^(?:func\s+(\w+)\s*\(|var\s+(\w+)(?:\s+[\w.]+)?\s*=)", re.M)
_CONST_BLOCK = re.compile(r"^const\s*\((.*?)^\)", re.M | re.S)
_CONST = re.compile(r'^\s*(?:const\s+)?(\w+)(?:\s+\w+)?\s*=\s*(-?\d+|"[^"\\]*")\s*(?://.*)?$', re.M)


def package_constants(directory: Path) -> dict[str, Any]:
    """The number and string constants of a Go package (`const X = 28`, `const ( Y = "z" )`)."""
    found: dict[str, Any] = {}
    for text in _go_files(directory):
        found.update(constants_from_text(text))
    return found


def constants_from_text(text: str) -> dict[str, Any]:
    blocks = [m[1] for m in _CONST_BLOCK.finditer(text)]
    singles = re.findall(r"^const\s+\w+.*$", text, re.M)
    return {
        name: json.loads(value)
        for chunk in [*blocks, *singles]
        for name, value in _CONST.findall(chunk)
    }


def _go_files(directory: Path) -> list[str]:
    return [
        file.read_text(encoding="utf-8")
        for file in sorted(directory.glob("*.go"))
        if not file.name.endswith("_test.go")
    ]


def package_definitions(directory: Path) -> dict[str, str]:
    """Every top-level function and variable of a Go package (test files aside)."""
    found: dict[str, str] = {}
    for text in _go_files(directory):
        found.update(package_definitions_from_text(text))
    return found


def package_definitions_from_text(text: str) -> dict[str, str]:
    found = {}
    matches = list(_DEFINITION.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=False):
        end = following.start() if following else len(text)
        found[match[1] or match[2]] = text[match.start() : end]
    return found
