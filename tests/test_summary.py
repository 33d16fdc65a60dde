"""The summary, the decision and finalize, the snapshot, and the print page.

The summary shows each statement that applies with why it applies, its evidence, citation
numbers and verification, and the doses worked out for the patient. Finalizing records the
decision and freezes exactly what was shown.
"""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from guidance.content.revisions import publish, start_draft, submit_for_review
from guidance.encounters import workflow as encounters
from guidance.engine import pathway
from guidance.engine.rule_words import rule_words
from guidance.models import Encounter, Guideline, Statement
from tests.pages import article, error_next_to, shown_codes, text_of
from tests.paths import as_shown


def summary_page(client, encounter):
    response = client.get(reverse("summary", args=[encounter.pk]))
    assert response.status_code == 200
    return response.content.decode()


def print_page(client, encounter):
    response = client.get(reverse("print", args=[encounter.pk]))
    assert response.status_code == 200
    return response.content.decode()


def finalize(client, encounter, **decision):
    return client.post(reverse("finalize", args=[encounter.pk]), as_shown(decision, encounter))


@pytest.fixture
def ivig_encounter(make_encounter, ivig_answers):
    return make_encounter(answers=ivig_answers, status="complete", patient_reference="MRN-0042")


@pytest.fixture
def adjusted_encounter(make_encounter, ivig_answers):
    """The IVIG path for a patient whose adjusted weight is offered (male, 175 cm, 100 kg)."""
    ivig_answers.update(weight_kg=100.0, height_cm=175.0, sex="male")
    return make_encounter(answers=ivig_answers, status="complete")


@pytest.fixture
def finalized(clinician_client, ivig_encounter):
    response = finalize(
        clinician_client,
        ivig_encounter,
        decision="partly",
        decision_reason="clinical_judgment",
        decision_note="Plasma exchange first; IVIG if it fails.",
        dose_basis="actual",
    )
    assert response.status_code == 302
    ivig_encounter.refresh_from_db()
    return ivig_encounter


# --- what the summary shows --------------------------------------------------------------


def test_recommendations_come_before_pitfalls_and_pitfalls_before_the_evidence(
    clinician_client, ivig_encounter
):
    page = summary_page(clinician_client, ivig_encounter)
    groups = re.findall(r'<h2 class="h5" id="group-([a-z]+)">([^<]+)</h2>', page)
    assert groups == [
        ("recommendation", "Recommendations"),
        ("warning", "Pitfalls to avoid"),
        ("evidence", "The evidence behind them"),
    ]
    codes = shown_codes(page)
    # The high-priority pitfalls come first, in "For this patient"; the rest in their groups.
    assert codes[:2] == ["pitfall-ivig-risks", "pitfall-plex-equal"]
    assert codes.index("ivig-when-bridge") < codes.index("pitfall-ivig-long-term")
    assert codes.index("pitfall-ivig-long-term") < codes.index("ivig-single-rct")


def test_a_scope_note_comes_before_the_recommendations(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers["dap_status"] = "not_tolerated"
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = summary_page(clinician_client, encounter)
    groups = re.findall(r'<h2 class="h5" id="group-([a-z]+)">', page)
    assert groups[:2] == ["scope", "recommendation"]
    # After "For this patient" (here its high-priority pitfalls), the scope note leads.
    codes = shown_codes(page)
    # (the renal risk of the path makes the mitigation warning the last of them).
    assert codes[codes.index("ivig-risk-mitigation") + 1] == "dap-unavailable"
    assert "Before you go on" in page


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("dap-first-line", "Why: LEMS is confirmed (answered: LEMS confirmed: Yes, confirmed)"),
        (
            "steroid-sparing",
            "Why: 3,4-DAP is not enough (inadequate response, or not tolerated) and no tumour "
            "was found on screening (answered: LEMS confirmed: Yes, confirmed; Tumour: Screened, "
            "no tumour found; 3,4-DAP: Inadequate response)",
        ),
        (
            "ivig-when-bridge",
            "Why: 3,4-DAP is not enough (inadequate response, or not tolerated) and "
            "immunosuppression is starting (answered: LEMS confirmed: Yes, confirmed; 3,4-DAP: "
            "Inadequate response; Immunosuppression: Starting)",
        ),
        (
            "ivig-when-refractory",
            "Why: 3,4-DAP is not enough (inadequate response, or not tolerated) and weakness is "
            "severe (answered: LEMS confirmed: Yes, confirmed; 3,4-DAP: Inadequate response; "
            "Weakness: Severe)",
        ),
        (
            "ivig-reserved",
            "Why: IVIG applies: 3,4-DAP is not enough, and weakness is severe, rapid short-term "
            "improvement is needed, or immunosuppression is starting (answered: LEMS confirmed: "
            "Yes, confirmed; 3,4-DAP: Inadequate response; Weakness: Severe; Immunosuppression: "
            "Starting)",
        ),
    ],
)
def test_each_statement_says_its_rule_in_words_and_the_answers_behind_it(
    clinician_client, ivig_encounter, code, why
):
    block = article(summary_page(clinician_client, ivig_encounter), code)
    # One line, with the evidence grade and the source check behind it, on demand.
    assert text_of(re.search(r"<summary>(.*?)</summary>", block, re.S).group(1)) == why


def test_every_shown_statement_has_its_why(clinician_client, ivig_encounter):
    page = summary_page(clinician_client, ivig_encounter)
    codes = shown_codes(page)
    assert sorted(codes) == sorted(pathway.evaluate(ivig_encounter.answers).codes)
    for code in codes:
        why = f"Why: {rule_words(code)} (answered: LEMS confirmed: Yes, confirmed"
        assert why in text_of(article(page, code)), code


def test_citation_numbers_link_to_a_reference_list_of_exactly_the_cited_numbers(
    clinician_client, make_encounter
):
    encounter = make_encounter(
        answers={
            "weight_kg": 70,
            "diagnosis_confirmed": "yes",
            "tumour_status": "found",
            "smoking": "current",
            "dap_status": "adequate",
        },
        status="complete",
    )
    page = summary_page(clinician_client, encounter)

    for code in shown_codes(page):
        statement = Statement.objects.get(code=code)
        cited = [citation.number for citation in statement.ordered_citations]
        links = re.findall(r'<a href="#ref-(\d+)"', article(page, code))
        assert [int(number) for number in links] == cited, code
    listed = {int(number) for number in re.findall(r'<li id="ref-(\d+)"', page)}
    linked = {int(number) for number in re.findall(r'href="#ref-(\d+)"', page)}
    assert listed == linked == {1, 2, 4}
    references = re.search(r'<ul class="references[^"]*">(.*?)</ul>', page, re.S).group(1)
    # Each reference's number is printed as text, never left to the list to count.
    assert re.findall(r'<span class="reference-number">(\d+)\.</span>', references) == [
        "1",
        "2",
        "4",
    ]
    assert "value=" not in references
    assert "https://doi.org/10.1016/S1474-4422(11)70245-9" in references
    assert "https://pubmed.ncbi.nlm.nih.gov/22094130/" in references
    assert "Skeie GO" not in references


def test_a_statement_the_sources_did_not_confirm_is_marked(clinician_client, ivig_encounter):
    page = summary_page(clinician_client, ivig_encounter)

    bridge = article(page, "ivig-when-bridge")
    assert '<span class="marker marker-verification">Not confirmed</span>' in bridge
    assert "Checked against the sources: Not found in the cited guideline text seen." in (
        text_of(bridge)
    )
    assert '<span class="marker marker-verification">Partly confirmed</span>' in article(
        page, "ivig-reserved"
    )
    assert "marker-verification" not in article(page, "dap-first-line")


def test_the_products_own_statements_say_they_are_not_in_the_guideline(
    clinician_client, ivig_encounter
):
    page = summary_page(clinician_client, ivig_encounter)
    local = article(page, "ivig-dosing-weight")
    assert '<span class="marker marker-local">Local</span>' in local
    assert "Added by this product; not in the guideline" in text_of(local)
    assert "Added by this product" not in text_of(article(page, "ivig-dose"))
    assert "marker-local" not in article(page, "ivig-dose")


def test_the_ivig_and_prednisone_doses_for_70_kg_are_written_out(clinician_client, ivig_encounter):
    page = summary_page(clinician_client, ivig_encounter)
    doses = text_of(re.search(r'<section class="doses".*?</section>', page, re.S).group(0))

    assert "70 kg × 1-2 g/kg = 70-140 g in total, over 2-5 days: 14-70 g a day" in doses
    assert "1.5 mg/kg × 70 kg = 105 mg, capped at 100 mg, on alternate days" in doses
    assert (
        "the actual weight is not above the adjusted weight, so the actual weight is used" in doses
    )
    assert "BMI 22.9" in doses  # 70 / 1.75^2 = 22.86
    assert "BMI above 30" not in doses


def test_a_tall_heavy_man_is_offered_the_adjusted_weight_beside_the_actual_one(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers.update(weight_kg=100.0, height_cm=175.0, sex="male")
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = summary_page(clinician_client, encounter)
    doses = text_of(re.search(r'<section class="doses".*?</section>', page, re.S).group(0))

    assert "100 kg × 1-2 g/kg = 100-200 g in total, over 2-5 days: 20-100 g a day" in doses
    assert (
        "Ideal body weight (Devine): 50 kg (male) + 2.3 kg × (175 cm ÷ 2.54 − 60 in) = 70.5 kg"
        in doses
    )
    assert "Adjusted body weight: 70.5 kg + 0.4 × (100 kg − 70.5 kg) = 82.3 kg" in doses
    assert (
        "On the adjusted body weight of Australia's national criteria (BloodSTAR, since July "
        "2026), 82.3 kg: 82.3 kg × 1-2 g/kg = 82.3-164.6 g in total, over 2-5 days: "
        "16.5-82.3 g a day; to the nearest 5 g (Ontario's IVIG dose calculator), at most "
        "2.0 g/kg: 80-160 g." in doses
    )
    # 100 / 1.75^2 = 32.65
    assert "BMI 32.7: BMI above 30: Ontario's calculator requires a dosing weight [ 8 ]" in doses
    assert '[<a href="#ref-8" aria-label="Reference 8">8</a>]' in page
    assert "1.5 mg/kg × 100 kg = 150 mg, capped at 100 mg, on alternate days" in doses


def test_a_light_patient_is_given_prednisone_without_the_cap(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers["weight_kg"] = 60.0
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = text_of(summary_page(clinician_client, encounter))
    assert "1.5 mg/kg × 60 kg = 90 mg, on alternate days" in page
    assert "capped" not in page


@pytest.mark.parametrize(
    ("plasma_exchange", "risk_factors", "flags"),
    [
        (
            "yes",
            ["renal"],
            {
                "pitfall-ivig-risks": "Renal risk (risk of renal failure)",
                "pitfall-plex-equal": "Renal risk (risk of renal failure)",
                "ivig-risk-mitigation": "Renal risk (risk of renal failure)",
            },
        ),
        (
            "no",
            ["thrombosis", "aseptic_meningitis"],
            {
                "pitfall-ivig-risks": "Thrombosis risk, Aseptic meningitis risk",
                "ivig-risk-mitigation": "Thrombosis risk",  # the factors it answers to
            },
        ),
        ("no", ["aseptic_meningitis"], {"pitfall-ivig-risks": "Aseptic meningitis risk"}),
        ("yes", [], {}),
    ],
)
def test_ivig_pitfalls_are_high_priority_naming_the_patients_risk_factors(
    clinician_client, make_encounter, ivig_answers, plasma_exchange, risk_factors, flags
):
    ivig_answers.update(plasma_exchange_available=plasma_exchange, ivig_risk_factors=risk_factors)
    encounter = make_encounter(answers=ivig_answers, status="complete")
    page = summary_page(clinician_client, encounter)

    for code in ("pitfall-ivig-risks", "pitfall-plex-equal", "ivig-risk-mitigation"):
        if code == "ivig-risk-mitigation" and code not in flags:
            assert 'id="s-ivig-risk-mitigation"' not in page
            continue
        block = article(page, code)
        if code in flags:
            assert f"High priority for this patient: {flags[code]}" in text_of(block), code
            assert 'class="statement kind-warning high-priority"' in page
        else:
            assert "High priority" not in block, code
    # Each once in full, and the plan line standing for a high-priority statement says so too.
    in_statements = re.findall(
        r'<p class="markers[^"]*">.*?<span class="marker marker-priority">High priority', page
    )
    assert len(in_statements) == len(flags)
    plan = re.search(r'<ul class="plan">.*?</ul>', page, re.S).group(0)
    assert ("marker-priority" in plan) == ("pitfall-plex-equal" in flags)


def test_the_summary_lists_the_answers_with_links_to_edit_each_step(
    clinician_client, ivig_encounter
):
    page = summary_page(clinician_client, ivig_encounter)
    answers = re.search(r'aria-labelledby="answers-heading">(.*?)</section>', page, re.S).group(1)
    assert re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", answers) == [
        ("Weight", "70 kg"),
        ("LEMS confirmed", "Yes, confirmed"),
        ("Height", "175 cm"),
        ("Sex", "Male"),
        ("Tumour", "Screened, no tumour found"),
        ("Smoking", "Never smoked"),
        ("Negative screen included FDG-PET", "Yes, CT and FDG-PET"),
        ("3,4-DAP", "Inadequate response"),
        ("Weakness", "Severe"),
        ("Rapid improvement needed", "No"),
        ("Immunosuppression", "Starting"),
        ("Plasma exchange available", "Yes, available"),
        ("IVIG risk factors", "Renal risk (risk of renal failure)"),
    ]
    for step in ("patient", "tumour", "symptomatic", "severity", "ivig"):
        assert reverse("step", args=[ivig_encounter.pk, step]) in answers


def test_an_unfinished_summary_says_so_and_cannot_be_finalized(clinician_client, make_encounter):
    encounter = make_encounter(answers={"weight_kg": 70, "diagnosis_confirmed": "yes"})
    page = summary_page(clinician_client, encounter)
    assert "Some steps are still unanswered" in page
    assert re.search(r'<button type="submit" class="btn btn-primary" disabled>Finalize', page)
    assert "Doses for this patient" not in page


def test_an_answered_summary_can_be_finalized(clinician_client, ivig_encounter):
    page = summary_page(clinician_client, ivig_encounter)
    assert "Some steps are still unanswered" not in page
    assert re.search(r'<button type="submit" class="btn btn-primary">Finalize', page)
    assert 'name="dose_basis"' not in page  # no height or sex: no adjusted weight to choose


def test_the_dose_basis_is_asked_when_an_adjusted_weight_is_offered(
    clinician_client, adjusted_encounter
):
    assert 'name="dose_basis"' in summary_page(clinician_client, adjusted_encounter)


def test_without_an_adjusted_weight_the_actual_weight_is_recorded_as_the_basis(
    clinician_client, ivig_encounter
):
    response = finalize(clinician_client, ivig_encounter, decision="followed")
    assert response.status_code == 302
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.dose_basis == "actual"


def test_a_new_encounter_has_an_empty_summary(clinician_client, make_encounter):
    page = summary_page(clinician_client, make_encounter())
    assert "No recommendation applies yet." in page
    assert shown_codes(page) == []
    assert 'class="references"' not in page


# --- the decision and finalize -----------------------------------------------------------


def assert_not_finalized(encounter):
    encounter.refresh_from_db()
    assert encounter.status == "complete"
    assert encounter.snapshot is None
    assert encounter.finalized_at is None
    assert encounter.decision == ""


def test_finalize_needs_a_decision(clinician_client, ivig_encounter):
    response = finalize(clinician_client, ivig_encounter, dose_basis="actual")
    assert response.status_code == 200
    page = response.content.decode()
    assert error_next_to(page, "decision") == "Choose what was decided."
    assert "Please correct the answers marked below" in page
    assert_not_finalized(ivig_encounter)


def test_an_unknown_decision_is_refused(clinician_client, ivig_encounter):
    response = finalize(clinician_client, ivig_encounter, decision="ignored", dose_basis="actual")
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), "decision")
    assert_not_finalized(ivig_encounter)


@pytest.mark.parametrize("decision", ["partly", "not_followed"])
def test_advice_not_fully_followed_needs_a_reason(clinician_client, ivig_encounter, decision):
    response = finalize(
        clinician_client, ivig_encounter, decision=decision, dose_basis="actual", decision_note="x"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert error_next_to(page, "decision_reason") == (
        "Give the main reason the advice was not followed."
    )
    assert 'value="x"' not in page  # the note is a textarea: kept as its content
    assert re.search(r">\s*x</textarea>", page)
    assert_not_finalized(ivig_encounter)


@pytest.mark.parametrize("note", ["", "   \n  "])
def test_the_reason_other_needs_a_note(clinician_client, ivig_encounter, note):
    response = finalize(
        clinician_client,
        ivig_encounter,
        decision="not_followed",
        decision_reason="other",
        decision_note=note,
        dose_basis="adjusted",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert error_next_to(page, "decision_note") == "Say what the other reason was."
    assert re.search(r'name="decision" value="not_followed"[^>]*checked', page)
    assert re.search(r'name="decision_reason" value="other"[^>]*checked', page)
    assert_not_finalized(ivig_encounter)


def test_the_dose_basis_is_needed_when_ivig_applies(clinician_client, adjusted_encounter):
    response = finalize(clinician_client, adjusted_encounter, decision="followed")
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), "dose_basis") == (
        "Choose which weight the IVIG dose is based on."
    )
    assert_not_finalized(adjusted_encounter)


def test_an_unknown_dose_basis_is_refused(clinician_client, adjusted_encounter):
    response = finalize(
        clinician_client, adjusted_encounter, decision="followed", dose_basis="ideal"
    )
    assert response.status_code == 200
    assert error_next_to(response.content.decode(), "dose_basis")
    assert_not_finalized(adjusted_encounter)


def test_without_ivig_there_is_no_dose_basis_to_choose_and_none_is_stored(
    clinician_client, make_encounter, ivig_answers
):
    ivig_answers["dap_status"] = "adequate"
    encounter = make_encounter(answers=ivig_answers, status="complete")
    assert 'name="dose_basis"' not in summary_page(clinician_client, encounter)

    response = finalize(clinician_client, encounter, decision="followed", dose_basis="adjusted")

    assert response.status_code == 302
    encounter.refresh_from_db()
    assert encounter.status == "finalized"
    assert encounter.dose_basis == ""


def test_finalizing_before_every_step_is_answered_is_refused_with_a_message(
    clinician_client, make_encounter, ivig_answers
):
    del ivig_answers["plasma_exchange_available"]
    encounter = make_encounter(answers=ivig_answers)
    response = finalize(clinician_client, encounter, decision="followed", dose_basis="actual")
    assert response.status_code == 200
    assert "Answer every step before finalizing." in text_of(response.content.decode())
    encounter.refresh_from_db()
    assert encounter.status == "in_progress"
    assert encounter.snapshot is None


def test_followed_advice_keeps_no_reason(clinician_client, adjusted_encounter):
    finalize(
        clinician_client,
        adjusted_encounter,
        decision="followed",
        decision_reason="contraindication",
        dose_basis="adjusted",
    )
    adjusted_encounter.refresh_from_db()
    assert adjusted_encounter.decision == "followed"
    assert adjusted_encounter.decision_reason == ""
    assert adjusted_encounter.dose_basis == "adjusted"


def test_finalizing_stores_the_decision_and_a_snapshot_of_the_summary(
    clinician_client, ivig_encounter
):
    shown = json.loads(json.dumps(encounters.shown_summary(ivig_encounter)))

    response = finalize(
        clinician_client,
        ivig_encounter,
        decision="partly",
        decision_reason="other",
        decision_note="Waiting for the renal team.",
        dose_basis="actual",
    )

    assert response["Location"] == reverse("summary", args=[ivig_encounter.pk])
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.status == "finalized"
    assert ivig_encounter.finalized_at is not None
    assert (ivig_encounter.decision, ivig_encounter.decision_reason) == ("partly", "other")
    # What was shown, plus what the decision recorded: no IVIG course, no review yet.
    assert ivig_encounter.snapshot == {**shown, "course": None, "reviews": []}
    assert ivig_encounter.snapshot["guideline"]["revision"] == 1


def test_a_finalized_summary_shows_the_decision_and_no_form(clinician_client, finalized):
    page = summary_page(clinician_client, finalized)
    decision = text_of(re.search(r'id="decision".*?</section>', page, re.S).group(0))
    assert "Recommendations Partly followed" in decision
    assert "Reason Clinical judgment" in decision
    assert "IVIG dose based on Actual body weight Note" in decision
    assert "as the guideline states" not in decision
    assert "Note Plasma exchange first; IVIG if it fails." in decision
    assert "Finalized on" in page
    assert reverse("finalize", args=[finalized.pk]) not in page
    assert '<form method="post" action="/encounters/' not in page
    assert 'aria-label="Pathway steps"' not in page
    assert ">edit<" not in page


STEP_POSTS = {
    "patient": {"weight_kg": "90", "diagnosis_confirmed": "no"},
    "tumour": {"tumour_status": "found", "smoking": "current"},
    "symptomatic": {"dap_status": "adequate"},
    "severity": {"weakness": "mild", "rapid_improvement_needed": "no", "immunosuppression": "none"},
    "ivig": {"plasma_exchange_available": "no", "ivig_risk_factors": []},
}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("step", list(STEP_POSTS))
def test_after_finalize_a_post_to_any_step_answers_409_and_changes_nothing(
    clinician_client, finalized, step, htmx
):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    before = Encounter.objects.get(pk=finalized.pk)

    response = clinician_client.post(
        reverse("step", args=[finalized.pk, step]), STEP_POSTS[step], **headers
    )

    assert response.status_code == 409
    assert "finalized" in response.content.decode()
    finalized.refresh_from_db()
    assert finalized.answers == before.answers
    assert finalized.snapshot == before.snapshot
    assert finalized.updated_at == before.updated_at


def test_after_finalize_a_step_page_leads_back_to_the_summary(clinician_client, finalized):
    response = clinician_client.get(reverse("step", args=[finalized.pk, "severity"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("summary", args=[finalized.pk])


def test_a_second_finalize_answers_409_and_keeps_the_first_decision(clinician_client, finalized):
    first = finalized.finalized_at
    response = finalize(clinician_client, finalized, decision="followed", dose_basis="adjusted")
    assert response.status_code == 409
    finalized.refresh_from_db()
    assert (finalized.decision, finalized.dose_basis) == ("partly", "actual")
    assert finalized.finalized_at == first


@pytest.mark.parametrize(
    ("posted", "status"),
    [
        # The last of repeated values counts: "partly", which needs a reason.
        ({"decision": ["followed", "partly"], "dose_basis": ["actual", "adjusted"]}, "complete"),
        (
            {"decision": "followed", "dose_basis": "actual", "status": "in_progress", "owner": 9},
            "finalized",
        ),
        ({"decision": "x" * 100_000, "decision_reason": "\x00", "dose_basis": "a"}, "complete"),
        (
            {"decision": "followed", "dose_basis": "actual", "decision_note": "n" * 100_000},
            "complete",
        ),
    ],
    ids=["repeated", "extra-fields", "huge-decision", "huge-note"],
)
def test_a_garbage_finalize_is_answered_without_failing(
    clinician_client, clinician, ivig_encounter, posted, status
):
    response = clinician_client.post(
        reverse("finalize", args=[ivig_encounter.pk]), as_shown(posted, ivig_encounter)
    )
    assert response.status_code == (302 if status == "finalized" else 200)
    ivig_encounter.refresh_from_db()
    assert ivig_encounter.status == status
    assert ivig_encounter.owner == clinician


def test_a_note_over_2000_characters_is_refused_with_the_limit_and_kept(
    clinician_client, ivig_encounter
):
    note = "n" * 2_001
    response = clinician_client.post(
        reverse("finalize", args=[ivig_encounter.pk]),
        as_shown(
            {"decision": "followed", "dose_basis": "actual", "decision_note": note}, ivig_encounter
        ),
    )
    assert response.status_code == 200
    assert "Keep the note to 2,000 characters or fewer (it has 2001)" in response.text
    assert note in response.text  # what was typed is still there
    assert_not_finalized(ivig_encounter)
    accepted = clinician_client.post(
        reverse("finalize", args=[ivig_encounter.pk]),
        as_shown(
            {"decision": "followed", "dose_basis": "actual", "decision_note": note[:2_000]},
            ivig_encounter,
        ),
    )
    assert accepted.status_code == 302


def test_finalize_is_post_only(clinician_client, ivig_encounter):
    response = clinician_client.get(reverse("finalize", args=[ivig_encounter.pk]))
    assert response.status_code == 405
    assert_not_finalized(ivig_encounter)


# --- the snapshot outlives content edits ------------------------------------------------

NEW_TEXT = "Edited after the encounter was finalized: bridge with plasma exchange."


def edit_content_after_finalize():
    """What editors do later: new wording and a corrected reference, published as revision 2."""
    editor = User.objects.create_user(username="later_editor")
    reviewer = User.objects.create_user(username="later_reviewer")
    draft = start_draft(Guideline.objects.get(slug="lems-ivig"), editor)
    draft.statements.filter(code="ivig-when-bridge").update(text=NEW_TEXT)
    draft.citations.filter(number=6).update(authors="Corrected A")
    publish(submit_for_review(draft, editor, "Reworded the bridging statement."), reviewer)


def test_a_finalized_summary_keeps_the_text_it_was_finalized_with(clinician_client, finalized):
    old_text = Statement.objects.get(code="ivig-when-bridge").text
    edit_content_after_finalize()

    for page in (
        summary_page(clinician_client, finalized),
        print_page(clinician_client, finalized),
    ):
        assert old_text in page
        assert NEW_TEXT not in page
        assert "Stiehm ER" in page
        assert "Corrected A" not in page
        assert "revision 1" in page


def test_a_new_encounter_shows_the_edited_text(
    clinician_client, finalized, make_encounter, ivig_answers
):
    old_text = Statement.objects.get(code="ivig-when-bridge").text
    edit_content_after_finalize()
    fresh = make_encounter(answers=ivig_answers, status="complete")

    for page in (summary_page(clinician_client, fresh), print_page(clinician_client, fresh)):
        assert NEW_TEXT in page
        assert old_text not in page
        assert "Corrected A" in page
        assert "revision 2" in page


# --- the print page ----------------------------------------------------------------------


def test_the_print_page_holds_everything_the_chart_needs(clinician_client, finalized):
    page = print_page(clinician_client, finalized)
    text = text_of(page)

    assert "Patient reference MRN-0042" in text
    assert "Clinician Ada Byron" in text
    assert "Guideline IVIG for Lambert-Eaton Myasthenic Syndrome, revision 1 (2026-11-25)" in text
    assert "(not finalized: a draft)" not in text
    for answer in ("Weight 70 kg", "3,4-DAP Inadequate response", "Immunosuppression Starting"):
        assert answer in text
    assert "Recommendations" in text
    assert Statement.objects.get(code="ivig-when-bridge").text + " [3]" in text
    assert '<span class="marker marker-verification">Not confirmed</span>' in page
    assert "High priority for this patient: Renal risk (risk of renal failure)" in text
    assert "70 kg × 1-2 g/kg = 70-140 g in total, over 2-5 days: 14-70 g a day" in text
    assert "1.5 mg/kg × 70 kg = 105 mg, capped at 100 mg, on alternate days" in text
    # 1-9, 10-13 of the tumour-risk statements (screened, none found), 15-16 of the IVIG
    # precautions (a renal risk) and 17-18 of 3,4-DAP dosing; 14 is not cited.
    numbers = re.findall(r'<span class="reference-number">(\d+)\.</span>', page)
    assert [int(n) for n in numbers] == [*range(1, 14), *range(15, 19)]
    assert "<li value" not in page  # printed as text: WeasyPrint ignores `li value`
    # The legend of the markers, one line each.
    for term in ("Local:", "Partly confirmed:", "Not confirmed:", "High priority:"):
        assert term in text
    assert "Not graded in the source:" in text
    assert "Recommendations Partly followed" in text
    assert "Reason Clinical judgment" in text
    assert "Note Plasma exchange first; IVIG if it fails." in text
    assert "IVIG dose based on Actual body weight" in text
    assert Guideline.objects.get().disclaimer in text
    assert "Printed by Ada Byron at" in text


def test_the_print_page_has_no_navigation_or_buttons(clinician_client, finalized):
    page = print_page(clinician_client, finalized)
    assert "<nav" not in page
    assert "<form" not in page
    # One button: Print, which the page's script shows and wires (no inline script).
    assert re.findall(r"<button[^>]*>[^<]*</button>", page) == [
        '<button type="button" class="print-button" data-print hidden>Print</button>'
    ]
    assert "<script>" not in page
    assert "/static/js/pathway.js" in page


def test_a_draft_prints_as_a_draft_without_a_decision(clinician_client, ivig_encounter):
    text = text_of(print_page(clinician_client, ivig_encounter))
    assert "(not finalized: a draft)" in text
    assert "No decision recorded yet: this encounter is not finalized." in text
    assert "Printed by Ada Byron" in text


def test_a_print_without_a_patient_reference_says_none_was_given(
    clinician_client, make_encounter, ivig_answers
):
    encounter = make_encounter(answers=ivig_answers, status="complete")
    assert "Patient reference (none given)" in text_of(print_page(clinician_client, encounter))
