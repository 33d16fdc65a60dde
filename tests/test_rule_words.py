"""The table of rule wordings (guidance/engine/rule_words.py) against the rules: every code
the engine can produce has its "Why" in words, and the wordings say what the rules test."""

import pytest

from guidance.engine import pathway
from guidance.engine.rule_words import RULE_WORDS, rule_words

# The local codes DESIGN §4 "Rules" adds beside the engine's present ones.
DESIGN_LOCAL_CODES = (
    "screen-pet-now",
    "ivig-before-treatment",
    "ivig-risk-mitigation",
    "dap-titration",
)


def test_every_code_the_engine_can_produce_has_a_wording():
    missing = [code for code in pathway.ALL_CODES if code not in RULE_WORDS]
    assert missing == []


def test_the_designs_new_local_codes_have_their_wording_too():
    assert all(RULE_WORDS.get(code) for code in DESIGN_LOCAL_CODES)


def test_a_code_without_a_wording_is_an_error_not_a_blank():
    with pytest.raises(KeyError):
        rule_words("no-such-code")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("ivig-when-refractory", "weakness is severe"),
        ("ivig-when-rapid", "rapid short-term improvement is needed"),
        ("ivig-when-bridge", "immunosuppression is starting"),
        ("anti-tumour-priority", "a tumour was found"),
        ("out-of-scope", "LEMS is not confirmed"),
        ("prednisone-established", "already established"),
    ],
)
def test_a_wording_names_the_answer_its_rule_tests(code, words):
    assert words in rule_words(code)


def test_each_wording_reads_after_why_as_part_of_a_sentence():
    # "Why: 3,4-DAP is not enough and weakness is severe (answered: ...)"
    for code, words in RULE_WORDS.items():
        assert words.strip() == words and not words.endswith("."), code
        assert not words[0].isupper() or words.startswith(("LEMS", "IVIG")), code
