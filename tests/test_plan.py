"""The reconciled plan (guidance/encounters/summary.py `plan`, DESIGN §4 "One reconciled
plan") over the answers that decide it: never IVIG alone while `pitfall-plex-equal`
applies and plasma exchange may be available, the bridge-only caveat, the tumour lines."""

import dataclasses
import datetime
import itertools

from guidance.encounters.summary import plan
from guidance.engine import pathway

DECIDING = {
    "tumour_status": ("found", "not_found", "not_screened"),
    "dap_status": ("not_started", "adequate", "inadequate", "not_tolerated"),
    "weakness": ("mild", "moderate", "severe"),
    "rapid_improvement_needed": ("yes", "no"),
    "immunosuppression": ("none", "starting", "established"),
    "plasma_exchange_available": (None, "yes", "no"),
    "ivig_risk_factors": ((), ("renal",), ("thrombosis", "renal")),
}
BASE = {"weight_kg": 70, "diagnosis_confirmed": "yes", "smoking": "never"}


def every_case():
    for values in itertools.product(*DECIDING.values()):
        answers = {**BASE, **dict(zip(DECIDING, values, strict=True))}
        answers["ivig_risk_factors"] = list(answers["ivig_risk_factors"])
        yield answers, pathway.assess(answers)


def test_the_plan_never_shows_ivig_alone_while_plasma_exchange_is_equally_effective():
    wrong = []
    for answers, assessment in every_case():
        lines = {line["treatment"]: line for line in plan(assessment)}
        codes = assessment.outcome.codes
        ivig = lines.get("ivig")
        if "ivig-reserved" not in codes:
            if ivig is not None:
                wrong.append(("IVIG without IVIG applying", answers))
            continue
        if answers["plasma_exchange_available"] == "no":
            expected = "IVIG (plasma exchange not available here)"
        else:
            expected = "IVIG or plasma exchange"
        if ivig is None or ivig["label"] != expected:
            wrong.append((ivig and ivig["label"], answers))
        elif expected == "IVIG or plasma exchange" and ivig["code"] != "pitfall-plex-equal":
            wrong.append(("not linked to pitfall-plex-equal", answers))
        factors = answers["ivig_risk_factors"]
        if expected == "IVIG or plasma exchange" and bool(factors) != (
            "IVIG risk factors recorded" in ivig["text"]
        ):
            wrong.append(("risk factors", answers))
        # The caveat is there exactly when IVIG applies only as a bridge.
        if (ivig["caveat"] is not None) != ("ivig-bridge-only" in codes):
            wrong.append(("caveat", answers))
    assert wrong == []


def test_every_line_links_to_a_code_that_applies_and_has_its_markers():
    for _, assessment in every_case():
        for line in plan(assessment):
            assert line["code"] in assessment.outcome.codes
            assert set(line["markers"]) == {
                "origin",
                "verification",
                "verification_label",
                "priority",
            }
            if line["code"] in assessment.outcome.priority:
                assert line["markers"]["priority"]


def test_a_tumour_found_leads_and_not_screened_says_screen_now():
    found = pathway.assess({**BASE, "tumour_status": "found", "dap_status": "adequate"})
    assert plan(found)[0]["treatment"] == "tumour"
    assert plan(found)[0]["code"] == "anti-tumour-priority"

    unscreened = pathway.assess({**BASE, "tumour_status": "not_screened", "dap_status": "adequate"})
    (tumour,) = [line for line in plan(unscreened) if line["treatment"] == "tumour"]
    assert tumour["text"] == "Screen now: CT of the thorax, then FDG-PET if negative."
    assert tumour["code"] in unscreened.outcome.codes


def test_fdg_pet_now_leads_the_tumour_line_when_the_engine_gives_screen_pet_now():
    # The code another part of the engine adds (DESIGN §4 "Tumour risk"): simulated here.
    assessment = pathway.assess({**BASE, "tumour_status": "not_found", "dap_status": "adequate"})
    outcome = dataclasses.replace(
        assessment.outcome, codes=(*assessment.outcome.codes, "screen-pet-now")
    )
    with_pet = dataclasses.replace(assessment, outcome=outcome)
    (tumour,) = [line for line in plan(with_pet) if line["treatment"] == "tumour"]
    assert (tumour["code"], tumour["text"]) == (
        "screen-pet-now",
        "FDG-PET now: the negative screen was a CT only.",
    )


def test_a_known_next_screen_is_a_plan_line_unless_the_due_line_says_it():
    answers = {
        **BASE,
        "tumour_status": "not_found",
        "dap_status": "adequate",
        "onset_age_50_or_over": "no",
        "weight_loss_5_percent": "no",
        "bulbar_involvement": "no",
        "erectile_dysfunction": "no",
        "karnofsky_below_70": "no",
        "last_negative_screen_date": (
            datetime.date.today() - datetime.timedelta(days=10)
        ).isoformat(),
    }
    assessment = pathway.assess(answers)
    next_screen = assessment.tumour_risk["next"].isoformat()
    (tumour,) = [line for line in plan(assessment) if line["treatment"] == "tumour"]
    assert tumour["text"] == f"Next screen due {next_screen}."
    due = plan(assessment, due_line=f"Next tumour screen due {next_screen} (within 3 months).")
    assert [line for line in due if line["treatment"] == "tumour"] == []
