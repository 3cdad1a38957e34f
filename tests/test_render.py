"""Rendering: the layout of digest.json, archive months, URL paths."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.model import StoryCard
from digest.render import Records, archive_months, readable_json, sort_stories, url_path


def _one_line(value: dict[str, Any] | list[Any]) -> bool:
    if isinstance(value, list):
        return not any(isinstance(item, (dict, list)) for item in value)
    return all(not isinstance(v, dict) and (not isinstance(v, list) or _one_line(v)) for v in value.values())


def _layout_by_the_rule(value: Any, indent: str = "") -> str:
    """readable_json's rule, value by value: nesting indented by two spaces, an
    object or list of plain values (or an object of such lists) on one line."""
    if isinstance(value, (dict, list)) and not _one_line(value):
        inner = indent + "  "
        if isinstance(value, dict):
            items = [
                f"{inner}{json.dumps(k, ensure_ascii=False)}: {_layout_by_the_rule(v, inner)}" for k, v in value.items()
            ]
            return "{\n" + ",\n".join(items) + "\n" + indent + "}"
        return "[\n" + ",\n".join(inner + _layout_by_the_rule(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


# Text includes the two control characters readable_json uses as markers.
_TEXT = st.text(alphabet=st.sampled_from("ab “”é\n\x1e\x1f]["), max_size=6)
_PLAIN = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _TEXT
_VALUES = st.recursive(
    _PLAIN, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=30
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_readable_json_lays_out_by_its_rule(value: Any) -> None:
    text = readable_json(value)
    assert text == _layout_by_the_rule(value)
    assert json.loads(text) == value


def test_a_digest_record_list_is_one_line_per_record() -> None:
    story = {
        "slug": "s",
        "claims": [{"id": "c1", "sources": ["s1", "s2"], "members": [{"source": "s1", "score": 87.5}]}],
    }
    assert readable_json(story) == (
        "{\n"
        '  "slug": "s",\n'
        '  "claims": [\n'
        "    {\n"
        '      "id": "c1",\n'
        '      "sources": ["s1", "s2"],\n'
        '      "members": [\n'
        '        {"source": "s1", "score": 87.5}\n'
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}"
    )


def _as_records(value: Any) -> Any:
    """The value with every dict value that is a list of one-line dicts (or empty)
    marked as Records, as digest_json marks its record lists."""
    if isinstance(value, list):
        return [_as_records(v) for v in value]
    if not isinstance(value, dict):
        return value
    marked = {}
    for key, item in value.items():
        records = isinstance(item, list) and all(isinstance(r, dict) and _one_line(r) for r in item)
        marked[key] = Records(item) if records else _as_records(item)
    return marked


_RECORD = st.dictionaries(_TEXT, _PLAIN | st.lists(_PLAIN, max_size=3), max_size=3)
_WITH_RECORDS = st.recursive(
    st.lists(_RECORD, max_size=3) | _PLAIN,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_WITH_RECORDS)
def test_marked_record_lists_lay_out_as_plain_ones(value: Any) -> None:
    marked = _as_records(value)
    assert readable_json(marked) == _layout_by_the_rule(value)


def test_an_editors_note_takes_tables_and_strikethrough_but_no_markup_of_its_own() -> None:
    from digest.render import _markdown

    html = _markdown()(
        "| outlet | said |\n| --- | --- |\n| RFE/RL | *serious differences* |\n\n"
        "~~Friday~~ Thursday. <b>bold</b> [a](javascript:alert(1)) [b](../other/)\n"
    )
    assert "<table>" in html and "<th>outlet</th>" in html and "<td><em>serious differences</em></td>" in html
    assert "<s>Friday</s> Thursday." in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "[a](javascript:alert(1))" in html and 'href="javascript' not in html  # left as text, not linked
    assert '<a href="../other/">b</a>' in html


def test_archive_months_group_the_index_order_with_undated_stories_last() -> None:
    cards = [
        StoryCard("b", "2021-05-20", (), "k", "Second of May"),
        StoryCard("z", None, (), "k", "No date at all"),
        StoryCard("a", "2021-05-03", (), "k", "First of May"),
        StoryCard("c", "2020-12-31", ("x",), "k", "New Year's Eve"),
    ]
    months = archive_months(sort_stories(cards))
    assert [(m["id"], m["name"], [s["title"] for s in m["stories"]]) for m in months] == [
        ("2021-05", "May 2021", ["Second of May", "First of May"]),
        ("2020-12", "December 2020", ["New Year's Eve"]),
        ("undated", "Undated", ["No date at all"]),
    ]
    assert months[0]["stories"][1] == {
        "url": "a/index.html",
        "title": "First of May",
        "date": "2021-05-03",
        "date_text": "3 May 2021",
        "draft": False,
    }
    assert months[2]["stories"][0]["date_text"] is None


@given(st.text() | st.from_regex(r"[a-z0-9/_.~-]*", fullmatch=True))
def test_url_paths_are_quoted_as_quote_does(path: str) -> None:
    assert url_path(path) == quote(path)
