"""Word-level highlighting in the reviewer's comparison (guidance.content.textdiff)."""

import re

from django.template import Context, Template

from guidance.content.textdiff import word_diff


def visible(html):
    """What a sighted reader sees: the tags and the visually hidden labels taken out."""
    html = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", html)
    return re.sub(r"<[^>]+>", "", html)


def test_only_the_changed_word_is_marked_in_each_text():
    marked = word_diff("Give IVIG 2 g/kg over 5 days.", "Give IVIG 2 g/kg over 2 to 5 days.")
    assert marked["before"] == "Give IVIG 2 g/kg over 5 days."  # nothing removed
    assert (
        '<ins class="word-added"><span class="visually-hidden">[added: </span>2 to'
        in (marked["after"])
    )
    assert visible(marked["after"]) == "Give IVIG 2 g/kg over 2 to 5 days."


def test_a_replaced_word_is_removed_in_before_and_added_in_after():
    marked = word_diff("Consider 3,4-DAP first.", "Consider amifampridine first.")
    assert re.search(r"<del class=\"word-removed\">.*3,4-DAP.*</del>", marked["before"])
    assert re.search(r"<ins class=\"word-added\">.*amifampridine.*</ins>", marked["after"])
    assert "Consider" not in re.findall(r"<del.*?</del>", marked["before"])[0]


def test_screen_readers_hear_removed_and_added_not_just_a_colour():
    marked = word_diff("old words", "new words")
    assert '<span class="visually-hidden">[removed: </span>' in marked["before"]
    assert '<span class="visually-hidden">[added: </span>' in marked["after"]


def test_the_texts_are_escaped():
    marked = word_diff("a <b>", 'a <script>alert("x")</script>')
    assert "<script>" not in marked["after"] and "<b>" not in marked["before"]
    assert "&lt;" in marked["after"] and "&quot;x&quot;" in marked["after"]


def test_spacing_alone_is_not_marked_and_empty_texts_work():
    assert "<ins" not in word_diff("two  spaces", "two spaces")["after"]
    assert visible(word_diff("", "now a note")["after"]) == "now a note"
    assert visible(word_diff(None, "")["before"]) == ""


def test_the_template_tag_marks_any_before_and_after_pair():
    template = Template(
        "{% load textdiff %}{% word_diff old new as marked %}{{ marked.before }}|{{ marked.after }}"
    )
    html = template.render(Context({"old": "Moderate", "new": "High"}))
    assert "<del" in html.split("|")[0] and "<ins" in html.split("|")[1]
