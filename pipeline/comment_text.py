"""Markdown bodies for GitHub comments and issues that always fit GitHub's limit.

GitHub refuses a comment or issue body over 65,536 characters ("Body is too long (maximum is
65536 characters)", the REST API's 422). Bodies here are measured in UTF-16 code units, which is
never fewer than the characters GitHub counts, and kept a margin below the limit. A body is a
list of sections; the ones marked `trimmable` give way, the last first, each cut at a line
boundary with its code fences and `<details>` closed and a line saying what was cut and where the
whole text is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GITHUB_BODY_LIMIT = 65_536
# Room for what GitHub may add to a body (line-ending normalisation) and for the cut notes.
MARGIN = 512
FENCE = "```"


def github_length(text: str) -> int:
    """UTF-16 code units: a character outside the BMP counts twice, never less than GitHub."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Section:
    text: str
    trimmable: bool = False


def _cut_note(cut: int, where: str) -> str:
    return f"\n\n> … {cut:,} characters cut here to fit GitHub's comment limit: {where}.\n"


def _balanced(text: str) -> str:
    """Close a code fence and `<details>` blocks left open by a cut."""
    closing = ""
    if text.count(FENCE) % 2:
        closing += f"\n{FENCE}"
    opened = text.count("<details") - text.count("</details>")
    closing += "\n</details>" * max(opened, 0)
    return text + closing


def trim(text: str, budget: int, where: str) -> str:
    """`text` cut to at most `budget` UTF-16 units (note included), at a line boundary."""
    if github_length(text) <= budget:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    # The note and the closers take at most this much.
    reserve = github_length(_cut_note(github_length(text), where)) + 64
    for line in lines:
        size = github_length(line) + 1
        if used + size > budget - reserve:
            break
        kept.append(line)
        used += size
    head = "\n".join(kept)
    return _balanced(head) + _cut_note(github_length(text) - github_length(head), where)


def fit(sections: Sequence[Section], where: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """The sections joined; trimmable ones cut, from the last, until the body fits `limit`."""
    budget = limit - MARGIN
    texts = [s.text for s in sections]
    for index in reversed(range(len(sections))):
        total = sum(github_length(t) for t in texts)
        if total <= budget:
            break
        if sections[index].trimmable:
            others = total - github_length(texts[index])
            texts[index] = trim(texts[index], max(budget - others, 0), where)
    body = "".join(texts)
    if github_length(body) > budget:  # only untrimmable text left: cut it all the same
        body = trim(body, budget, where)
    return body
