"""Bodies that fit GitHub's limit (pipeline/comment_text.py)."""

from __future__ import annotations

from pipeline.comment_text import GITHUB_BODY_LIMIT, Section, fit, github_length, trim


def test_length_counts_utf16_units():
    assert github_length("abc") == 3
    assert github_length("é") == 1
    assert github_length("😀") == 2


def test_a_body_that_fits_is_untouched():
    sections = [Section("head\n"), Section("plan\n", trimmable=True)]
    assert fit(sections, "artifact") == "head\nplan\n"


def test_the_last_trimmable_section_gives_way_first():
    head = Section("head\n")
    changes = Section("".join(f"- change {i}\n" for i in range(100)), trimmable=True)
    page = Section("".join(f"row {i} " + "x" * 80 + "\n" for i in range(2000)), trimmable=True)
    footer = Section("\n---\nlinks\n")
    body = fit([head, changes, page, footer], "see the artifact", limit=20_000)
    assert github_length(body) <= 20_000
    assert body.startswith("head\n") and body.endswith("links\n")
    assert changes.text in body
    assert "characters cut here to fit GitHub's comment limit: see the artifact." in body


def test_a_cut_closes_code_fences_and_details():
    text = "<details open><summary>s</summary>\n\n```\n" + "line\n" * 5000 + "```\n</details>\n"
    cut = trim(text, 1000, "artifact")
    assert github_length(cut) <= 1000
    assert cut.count("```") % 2 == 0
    assert cut.count("<details") == cut.count("</details>")


def test_huge_untrimmable_text_is_cut_all_the_same():
    body = fit([Section("<!-- marker -->\n" + "y\n" * 70_000)], "artifact")
    assert github_length(body) < GITHUB_BODY_LIMIT
    assert body.startswith("<!-- marker -->\n")
