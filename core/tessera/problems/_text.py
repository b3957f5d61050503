"""Reading instance files: the format error, file access and TSPLIB's keyword layout."""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["InstanceFormatError"]


class InstanceFormatError(ValueError):
    """A malformed instance or solution file.

    The message names the file, the line when there is one, what was expected and what
    was found.
    """


_LIBRARIES = {
    ".tsp": "TSPLIB",
    ".atsp": "TSPLIB",
    ".tour": "TSPLIB",
    ".vrp": "CVRPLIB",
    ".sol": "CVRPLIB",
    ".dat": "QAPLIB",
    ".sln": "QAPLIB",
    ".txt": "flow shop",
    ".fsp": "flow shop",
}


def format_error(
    path: str, expected: str, found: str, line: int | None = None
) -> InstanceFormatError:
    """An :class:`InstanceFormatError` for ``path``, at ``line`` if given."""
    library = _LIBRARIES.get(inner_suffix(path), "instance")
    where = f"{library} file '{path}'" + ("" if line is None else f", line {line}")
    return InstanceFormatError(f"{where}: expected {expected}, found {found}")


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of ``path``; a ``.gz`` file is decompressed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"instance file '{path}' does not exist")
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as file:
            return file.read()
    return path.read_text(encoding="utf-8", errors="replace")


def inner_suffix(path: str | os.PathLike[str]) -> str:
    """The suffix that names the format, under a ``.gz``: ``a.tsp.gz`` → ``.tsp``."""
    path = Path(path)
    if path.suffix == ".gz":
        path = path.with_suffix("")
    return path.suffix.lower()


def stem(path: str | os.PathLike[str]) -> str:
    """The file name without the format suffix: ``a.opt.tour`` → ``a``."""
    name = Path(path).name
    for suffix in (
        ".gz",
        ".opt.tour",
        ".tour",
        ".tsp",
        ".atsp",
        ".vrp",
        ".sol",
        ".dat",
        ".sln",
        ".txt",
        ".fsp",
    ):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Token:
    """A whitespace-separated word of a file and the line it stands on."""

    text: str
    line: int


def tokens_of(text: str, first_line: int = 1) -> list[Token]:
    """Every whitespace-separated token of ``text`` with its line number."""
    return [
        Token(word, number)
        for number, line in enumerate(text.splitlines(), first_line)
        for word in line.split()
    ]


def parse_int(token: Token, path: str, what: str) -> int:
    """``token`` as an integer, or a format error naming ``what`` was expected."""
    try:
        return int(token.text)
    except ValueError:
        raise format_error(path, what, repr(token.text), token.line) from None


def parse_number(token: Token, path: str, what: str) -> int | float:
    """``token`` as an ``int`` if it is written as one, else as a ``float``."""
    try:
        return int(token.text)
    except ValueError:
        pass
    try:
        return float(token.text)
    except ValueError:
        raise format_error(path, what, repr(token.text), token.line) from None


# TSPLIB's layout: "KEY : value" lines, then "NAME_SECTION" followed by data lines

_KEYWORD = re.compile(r"^([A-Z][A-Z0-9_]*)\s*(:?)\s*(.*)$")


@dataclass
class Section:
    """A data section of a TSPLIB-style file: its header line and its data lines."""

    line: int
    rows: list[list[Token]] = field(default_factory=list)

    @property
    def tokens(self) -> list[Token]:
        return [token for row in self.rows for token in row]


@dataclass
class KeywordFile:
    """A TSPLIB-style file split into its specification entries and data sections."""

    path: str
    entries: dict[str, tuple[str, int]]
    sections: dict[str, Section]
    end: int

    @classmethod
    def parse(cls, path: str, text: str) -> KeywordFile:
        """Split ``text``; stop at ``EOF`` or at the end of the text."""
        entries: dict[str, tuple[str, int]] = {}
        sections: dict[str, Section] = {}
        current: Section | None = None
        number = 0
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            if line == "EOF":
                break
            match = _KEYWORD.match(line)
            if match is None:
                if current is None:
                    raise format_error(
                        path, "a 'KEY : value' line or a section keyword", repr(line), number
                    )
                current.rows.append([Token(word, number) for word in line.split()])
                continue
            key, colon, rest = match.groups()
            if key.endswith("_SECTION"):
                if key in sections:
                    raise format_error(path, f"one {key}", f"a second {key}", number)
                current = sections[key] = Section(number)
                if rest:
                    current.rows.append([Token(word, number) for word in rest.split()])
                continue
            if not colon:
                raise format_error(
                    path, "a 'KEY : value' line or a section keyword", repr(line), number
                )
            if key in entries:
                raise format_error(path, f"one {key} entry", "a second one", number)
            entries[key] = (rest.strip(), number)
            current = None
        return cls(path, entries, sections, number)

    def value(self, key: str, default: str | None = None) -> str | None:
        """The value of entry ``key``, or ``default``."""
        return self.entries[key][0] if key in self.entries else default

    def require(self, key: str) -> tuple[str, int]:
        """The value and line of entry ``key``, or a format error if it is missing."""
        if key not in self.entries:
            raise format_error(self.path, f"a '{key} :' entry", "none")
        return self.entries[key]

    def positive_int(self, key: str) -> int:
        """Entry ``key`` as a positive integer."""
        value, line = self.require(key)
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise format_error(self.path, f"a positive integer for {key}", repr(value), line)
        return number

    def section(self, name: str) -> Section:
        """Section ``name``, or a format error if it is missing."""
        if name not in self.sections:
            raise format_error(self.path, f"a {name}", "none")
        return self.sections[name]
