"""3,4-DAP dosing (guidance/engine/dap_dosing.py and the dose box) against DESIGN.md §4
"3,4-DAP dosing": the labels' figures, shown while `dap-titration` applies and only then."""

import json
import re

import pytest
from django.urls import reverse

from guidance.engine.dap_dosing import dap_dose, dap_dose_lines


def test_the_lines_carry_every_figure_of_the_design():
    text = " ".join(dap_dose_lines(dap_dose()))
    for words in (
        "start 15-30 mg a day in 3-5 divided doses (EU: 15 mg a day)",
        "raise by 5 mg a day every 3-4 days (EU: 4-5)",
        "at most 20 mg a dose and 100 mg a day (EU: 60 mg, 80 mg in exceptional cases)",
        "Renal or hepatic impairment: start at the lowest dose.",
        "Contraindicated after seizures.",
    ):
        assert words in text


def test_the_lines_read_the_same_from_a_json_snapshot():
    dose = dap_dose()
    assert dap_dose_lines(json.loads(json.dumps(dose))) == dap_dose_lines(dose)


def test_each_call_is_a_new_copy():
    dose = dap_dose()
    dose["us"]["max_mg_a_day"] = 1
    assert dap_dose()["us"]["max_mg_a_day"] == 100


@pytest.mark.parametrize(
    ("dap_status", "shown"),
    [("not_started", True), ("inadequate", True), ("adequate", False), ("not_tolerated", False)],
)
def test_the_dose_box_shows_3_4_dap_while_its_titration_applies(
    clinician_client, make_encounter, dap_status, shown
):
    answers = {
        "weight_kg": 70.0,
        "diagnosis_confirmed": "yes",
        "tumour_status": "found",
        "smoking": "never",
        "dap_status": dap_status,
        "weakness": "mild",
        "rapid_improvement_needed": "no",
        "immunosuppression": "none",
    }
    encounter = make_encounter(answers=answers, status="complete")

    for name in ("summary", "print"):
        html = clinician_client.get(reverse(name, args=[encounter.pk])).content.decode()
        box = re.search(r"data-dap-dose>(.*?)</p>", html, re.S)
        assert bool(box) is shown, name
        if shown:
            assert "100 mg a day (EU: 60 mg, 80 mg in exceptional cases)" in box.group(1)
