"""Each rule of the pathway in words: why a statement is shown, as a clinician reads it.

One wording per statement code, kept here beside the rules (`pathway.RULES`) so that a
rule and its wording change together; tests/test_rule_words.py fails when a code the
engine can produce has none. The wordings restate DESIGN.md §4 "Rules" (the predicates:
C, IS, IVIG, ...) and add nothing: "Why" on the summary, print, PDF and FHIR narrative
reads "3,4-DAP is not enough and weakness is severe", then the answers behind it.
"""

# The predicates of DESIGN.md §4 "Rules", in words.
_CONFIRMED = "LEMS is confirmed"
_NOT_ENOUGH = "3,4-DAP is not enough (inadequate response, or not tolerated)"
_IVIG = (
    "IVIG applies: 3,4-DAP is not enough, and weakness is severe, rapid short-term "
    "improvement is needed, or immunosuppression is starting"
)
_TUMOUR_FOUND = "a tumour was found (paraneoplastic LEMS)"
_SCREENING_OPEN = "no tumour has been found so far (screened negative, or not screened yet)"

RULE_WORDS = {
    "out-of-scope": "LEMS is not confirmed",
    "dap-unavailable": f"{_CONFIRMED} and 3,4-DAP is not tolerated or contraindicated",
    "ivig-reserved": _IVIG,
    "dap-first-line": _CONFIRMED,
    "dap-qmg-benefit": _CONFIRMED,
    "dap-cmap-benefit": _CONFIRMED,
    "dap-evidence-quality": _CONFIRMED,
    "ivig-when-refractory": f"{_NOT_ENOUGH} and weakness is severe",
    "ivig-when-rapid": f"{_NOT_ENOUGH} and rapid short-term improvement is needed",
    "ivig-when-bridge": f"{_NOT_ENOUGH} and immunosuppression is starting",
    "ivig-dose": _IVIG,
    "ivig-strength-benefit": _IVIG,
    "ivig-cmap-ns": _IVIG,
    "ivig-duration": _IVIG,
    "prednisone": f"{_NOT_ENOUGH}: inadequately controlled by symptomatic treatment alone",
    "steroid-sparing": f"{_NOT_ENOUGH} and no tumour was found on screening",
    "bridge-ivig-plex": f"{_NOT_ENOUGH} and immunosuppression is starting",
    "anti-tumour-priority": _TUMOUR_FOUND,
    "smoker-screening": "a current or former smoker, not screened yet or screened without a "
    "tumour found: one negative screen does not end the intensive screening",
    "tumour-therapy-helps": _TUMOUR_FOUND,
    "concurrent-treatment": _TUMOUR_FOUND,
    "ivig-single-rct": _IVIG,
    "ivig-rct-primary-outcome": _IVIG,
    "ivig-evidence-lower": _IVIG,
    "pitfall-ivig-first-line": "3,4-DAP has not been started, and weakness is severe or rapid "
    "short-term improvement is needed",
    "pitfall-ivig-long-term": _IVIG,
    "pitfall-delay-screening": "the diagnosis is not confirmed yet, or no tumour screen has been "
    "done, or the negative screen did not include FDG-PET",
    "pitfall-ivig-risks": _IVIG,
    "pitfall-plex-equal": _IVIG,
    "ivig-dosing-weight": _IVIG,
    "prednisone-established": f"{_NOT_ENOUGH} and immunosuppression is already established",
    "ivig-bridge-only": "IVIG applies only as a bridge: 3,4-DAP is not enough and "
    "immunosuppression is starting, while weakness is mild or moderate and no rapid "
    "improvement is needed",
    "delta-p": _SCREENING_OPEN,
    "screening-schedule": _SCREENING_OPEN,
    # The local statements of DESIGN §4 "Tumour risk", "IVIG safety" and "3,4-DAP dosing".
    "screen-pet-now": "no tumour was found, but the negative screen did not include FDG-PET",
    "ivig-before-treatment": _IVIG,
    "ivig-risk-mitigation": f"{_IVIG}; and a thrombosis or renal risk factor is recorded",
    "dap-titration": "3,4-DAP has not been started, or its response is inadequate",
}


def rule_words(code: str) -> str:
    """Why `code` is shown, in words (KeyError for a code without a wording: see the test)."""
    return RULE_WORDS[code]
