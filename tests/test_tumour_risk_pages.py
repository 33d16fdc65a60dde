"""Tumour risk on the pages: the DELTA-P questions of the tumour step, the score and the
screening dates on the panel, summary, print, PDF and snapshot, the next screen in the
encounter tables and the screens due on the home page (DESIGN.md §4 "Tumour risk").

The score itself is tested exhaustively in test_tumour_risk.py; here, what a clinician
sees and posts.
"""

import datetime
import re
from html import unescape
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guidance.encounters.wording import screen_due_line
from guidance.engine import tumour_risk
from guidance.models import Encounter
from tests.pages import text_of
from tests.paths import as_shown
from tests.test_pdf import pdf_text

HTMX = {"HX-Request": "true"}
ITEMS = (
    "onset_age_50_or_over",
    "weight_loss_5_percent",
    "bulbar_involvement",
    "erectile_dysfunction",
    "karnofsky_below_70",
)


def today():
    return timezone.localdate()


def months_ago(months):
    return tumour_risk.add_months(today(), -months)


def patient_answers(sex=None):
    answers = {"weight_kg": 70.0, "diagnosis_confirmed": "yes"}
    if sex:
        answers["sex"] = sex
    return answers


# The README's worked example: a 62-year-old current smoker, weight loss of 5 % or more, no
# bulbar signs, no erectile dysfunction, Karnofsky 80: score 3; the negative screen included
# FDG-PET.
def worked_example_post(screen_date):
    return {
        "tumour_status": "not_found",
        "screen_included_pet": "yes",
        "smoking": "current",
        "onset_age_50_or_over": "yes",
        "weight_loss_5_percent": "yes",
        "bulbar_involvement": "no",
        "erectile_dysfunction": "no",
        "karnofsky_below_70": "no",
        "last_negative_screen_date": screen_date.isoformat(),
    }


def worked_example_answers(screen_date, **more):
    return {
        **patient_answers("male"),
        **worked_example_post(screen_date),
        "dap_status": "adequate",
        **more,
    }


def tumour_url(encounter):
    return reverse("step", args=[encounter.pk, "tumour"])


def radio_names(html):
    return set(re.findall(r'type="radio"[^>]*name="([a-z0-9_]+)"', html))


def block(html, marker):
    """The opening tag of the element carrying `marker`."""
    return re.search(rf"<[a-z]+[^>]*{marker}[^>]*>", html).group(0)


# --- the tumour step's questions -------------------------------------------------------


def test_the_tumour_step_asks_the_five_items_each_with_what_counts(
    clinician_client, make_encounter
):
    encounter = make_encounter(answers=patient_answers("male"))

    html = clinician_client.get(tumour_url(encounter)).content.decode()

    assert set(ITEMS) <= radio_names(html)
    assert 'name="last_negative_screen_date"' in html
    assert "at onset or within 3 months" in html.lower()
    assert "Dysarthria, dysphagia, chewing or neck weakness" in html
    assert "needs help with daily activities" in html


@pytest.mark.parametrize(
    ("status", "items_hidden", "date_hidden"),
    [
        (None, False, False),  # without JavaScript the questions must be reachable
        ("not_found", False, False),
        ("not_screened", False, True),
        ("found", True, True),
    ],
)
def test_the_server_shows_the_items_and_the_date_only_where_the_status_allows(
    clinician_client, make_encounter, status, items_hidden, date_hidden
):
    answers = patient_answers()
    if status:
        answers.update(tumour_status=status, smoking="never")
    encounter = make_encounter(answers=answers)

    html = clinician_client.get(tumour_url(encounter)).content.decode()

    assert (" hidden" in block(html, "data-tumour-risk")) is items_hidden
    assert (" hidden" in block(html, "data-screen-date")) is date_hidden


def test_a_womans_tumour_step_has_no_erectile_dysfunction_question(
    clinician_client, make_encounter
):
    woman = make_encounter(answers=patient_answers("female"))
    man = make_encounter(answers=patient_answers("male"))

    womans = clinician_client.get(tumour_url(woman)).content.decode()
    mans = clinician_client.get(tumour_url(man)).content.decode()

    assert "erectile_dysfunction" not in womans
    assert "Erectile dysfunction" not in womans
    assert "erectile_dysfunction" in radio_names(mans)
    # The other four are asked of her all the same.
    assert set(ITEMS) - {"erectile_dysfunction"} <= radio_names(womans)


def test_a_woman_scores_without_the_question_and_a_posted_answer_is_not_kept(
    clinician_client, make_encounter
):
    encounter = make_encounter(answers=patient_answers("female"))
    posted = {**worked_example_post(months_ago(1)), "erectile_dysfunction": "yes"}

    response = clinician_client.post(tumour_url(encounter), posted)

    assert response.status_code == 302
    encounter.refresh_from_db()
    assert "erectile_dysfunction" not in encounter.answers
    page = clinician_client.get(reverse("step", args=[encounter.pk, "symptomatic"]))
    assert "DELTA-P score 3 of 6" in page.content.decode()


# --- bad values: a message beside the field, the other answers kept -------------------


@pytest.mark.parametrize(
    ("screen_date", "message"),
    [
        (lambda: (today() + datetime.timedelta(days=1)).isoformat(), "cannot be in the future"),
        (lambda: (months_ago(36) - datetime.timedelta(days=1)).isoformat(), "at most 3 years"),
        (lambda: "2026-02-30", "as YYYY-MM-DD"),
        (lambda: "yesterday", "as YYYY-MM-DD"),
    ],
    ids=["future", "over-3-years", "no-such-day", "words"],
)
def test_a_bad_screen_date_gets_a_message_beside_it_and_keeps_the_other_answers(
    clinician_client, make_encounter, screen_date, message
):
    encounter = make_encounter(answers=patient_answers("male"))
    posted = {**worked_example_post(today()), "last_negative_screen_date": screen_date()}

    response = clinician_client.post(tumour_url(encounter), posted, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    # Beside the field: its feedback sits in the field's own block, after its input.
    field_block = html[html.index('id="div_id_last_negative_screen_date"') :]
    field_block = field_block[: field_block.index("</div>\n", field_block.index("feedback"))]
    assert message in field_block
    assert 'href="#id_last_negative_screen_date"' in html  # and in the error summary
    for field in ("tumour_status", "smoking", *ITEMS):
        assert re.search(rf'name="{field}" value="{posted[field]}"[^>]*checked', html), field
    assert f'value="{posted["last_negative_screen_date"]}"' in html
    encounter.refresh_from_db()
    assert "tumour_status" not in encounter.answers  # nothing stored


def test_a_screen_exactly_3_years_ago_and_one_today_are_accepted(clinician_client, make_encounter):
    for screen_date in (months_ago(36), today()):
        encounter = make_encounter(answers=patient_answers("male"))
        response = clinician_client.post(tumour_url(encounter), worked_example_post(screen_date))
        assert response.status_code == 302
        encounter.refresh_from_db()
        assert encounter.answers["last_negative_screen_date"] == screen_date.isoformat()


def test_a_bad_item_value_gets_a_message_beside_it(clinician_client, make_encounter):
    encounter = make_encounter(answers=patient_answers("male"))
    posted = {**worked_example_post(today()), "bulbar_involvement": "maybe"}

    html = clinician_client.post(tumour_url(encounter), posted).content.decode()

    assert "That is not one of the choices" in html
    assert 'href="#id_bulbar_involvement_0"' in html
    assert re.search(r'name="smoking" value="current"[^>]*checked', html)


def test_answers_the_status_rules_out_are_dropped_not_refused(clinician_client, make_encounter):
    not_screened = make_encounter(answers=patient_answers("male"))
    found = make_encounter(answers=patient_answers("male"))
    post = worked_example_post(today())

    clinician_client.post(
        tumour_url(not_screened),
        {**post, "tumour_status": "not_screened", "last_negative_screen_date": "garbage"},
    )
    clinician_client.post(tumour_url(found), {**post, "tumour_status": "found"})

    not_screened.refresh_from_db()
    found.refresh_from_db()
    assert not_screened.answers["tumour_status"] == "not_screened"
    assert "last_negative_screen_date" not in not_screened.answers
    assert not_screened.answers["onset_age_50_or_over"] == "yes"
    assert found.answers["tumour_status"] == "found"
    assert not set(ITEMS) & set(found.answers)


# --- the score and the dates wherever the summary is shown -----------------------------


def test_the_panel_shows_points_so_far_until_every_item_is_answered(
    clinician_client, make_encounter
):
    encounter = make_encounter(answers=patient_answers("male"))
    incomplete = {
        **worked_example_post(today()),
        "karnofsky_below_70": "",
        "bulbar_involvement": "",
    }

    first = clinician_client.post(tumour_url(encounter), incomplete, headers=HTMX)
    second = clinician_client.post(
        tumour_url(encounter), worked_example_post(today()), headers=HTMX
    )

    partial = unescape(first.content.decode())
    assert "DELTA-P score 3 of 6" not in partial
    assert (
        "DELTA-P incomplete: 4 of 6 items answered (not answered: bulbar involvement, "
        "Karnofsky performance status below 70); at least 3 points so far"
    ) in partial
    assert "as for a high score until the score is complete" in partial
    html = second.content.decode()
    assert "DELTA-P score 3 of 6" in html
    assert "age 50 or over, weight loss of 5 % or more, smoking at diagnosis" in html
    assert "55.5 % of the prospective cohort with this score (Maddison 2020, 87 patients)" in html
    assert (
        "Titulaer 2011 (derivation cohort 107 Dutch patients, validation cohort 112 British "
        "patients): not reported"
    ) in html


def test_the_summary_and_print_show_the_next_screen_and_the_dates_up_to_2_years(
    clinician_client, make_encounter
):
    screened = datetime.date(2026, 8, 31)
    encounter = make_encounter(answers=worked_example_answers(screened), status="complete")

    for name in ("summary", "print"):
        html = clinician_client.get(reverse(name, args=[encounter.pk])).content.decode()
        assert "Last negative screen 2026-08-31: next screen due 2026-11-30." in html, name
        assert (
            "Screens due up to 2 years after it: 2026-11-30, 2027-02-28, 2027-08-31, "
            "2028-02-29, 2028-08-31."
        ) in html, name
        assert "screen again at 3 and 6 months, then every 6 months up to 2 years" in html


def test_not_screened_says_screen_now(clinician_client, make_encounter):
    answers = worked_example_answers(today(), tumour_status="not_screened")
    encounter = make_encounter(answers=answers, status="complete")

    html = clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode()

    assert "Screen now (CT of the thorax, then FDG-PET if it is negative)" in html
    assert "next screen due" not in html  # the stale date counts only after a screen


@pytest.mark.parametrize(
    ("months_before_today", "line"),
    [
        (1, "(within 3 months)"),  # next screen at 3 months: due in 2 months
        (4, "Tumour screen overdue"),
        (0, "(within 3 months)"),  # exactly 3 months ahead still counts
    ],
)
def test_for_this_patient_names_a_screen_due_within_3_months_or_overdue(
    clinician_client, make_encounter, months_before_today, line
):
    answers = worked_example_answers(months_ago(months_before_today))
    encounter = make_encounter(answers=answers, status="complete")

    html = clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode()

    assert re.search(r"data-screen-due>[^<]*" + re.escape(line), html)


def test_no_due_line_when_the_next_screen_is_further_off(clinician_client, make_encounter):
    # Score 1: the first repeat at 6 months, so a screen last week is next due in 6 months.
    answers = {
        **worked_example_answers(today() - datetime.timedelta(days=7)),
        "smoking": "never",
        "weight_loss_5_percent": "no",
    }
    encounter = make_encounter(answers=answers, status="complete")

    html = unescape(clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode())

    assert "screen again at 6 months, then every 6 months up to 2 years" in html
    assert "data-screen-due" not in html


def test_score_1_is_screened_for_2_years_with_the_authors_stop_suggestion_only_as_theirs(
    clinician_client, make_encounter
):
    screened = datetime.date(2026, 8, 31)
    answers = {
        **worked_example_answers(screened),
        "smoking": "never",
        "weight_loss_5_percent": "no",
    }
    encounter = make_encounter(answers=answers, status="complete")

    html = unescape(clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode())

    assert "DELTA-P score 1 of 6" in html
    assert "2026-08-31: next screen due 2027-02-28" in html
    assert "2027-02-28, 2027-08-31, 2028-02-29, 2028-08-31." in html  # 2 years
    suggestion = re.search(r"data-authors-suggestion>([^<]*)<", html).group(1)
    assert "their suggestion, not this schedule" in suggestion
    assert "18.8 %" in suggestion and "2 years" in suggestion


def test_a_smoker_after_a_ct_only_screen_sees_fdg_pet_now_first_and_no_date_from_it(
    clinician_client, make_encounter
):
    answers = {
        **worked_example_answers(months_ago(1)),
        "screen_included_pet": "no",
        **dict.fromkeys(ITEMS, "yes"),
    }
    encounter = make_encounter(answers=answers, status="complete")

    html = unescape(clinician_client.get(reverse("summary", args=[encounter.pk])).content.decode())

    due = re.search(r"data-screen-due>([^<]*)<", html).group(1)
    assert due.startswith("FDG-PET now")
    assert "next screen due" not in html
    assert re.search(r"data-pet-now>FDG-PET now", html)
    for code in ("screen-pet-now", "smoker-screening", "pitfall-delay-screening"):
        assert f'id="s-{code}"' in html, code


def test_the_due_line_by_date():
    day = datetime.date(2026, 12, 1)
    assert screen_due_line(None, day) == ""
    assert "overdue" in screen_due_line(datetime.date(2026, 11, 30), day)
    assert "within 3 months" in screen_due_line(day, day)
    assert "within 3 months" in screen_due_line(datetime.date(2027, 3, 1), day)
    assert screen_due_line(datetime.date(2027, 3, 2), day) == ""


def test_the_snapshot_and_the_pdf_keep_the_score_and_the_dates(clinician_client, make_encounter):
    screened = datetime.date(2026, 8, 31)
    encounter = make_encounter(answers=worked_example_answers(screened), status="complete")

    response = clinician_client.post(
        reverse("finalize", args=[encounter.pk]), as_shown({"decision": "followed"}, encounter)
    )

    assert response.status_code == 302
    encounter.refresh_from_db()
    assert encounter.snapshot["tumour_risk"]["score"] == "DELTA-P score 3 of 6"
    assert encounter.snapshot["tumour_risk"]["dates"] == [
        "2026-11-30",
        "2027-02-28",
        "2027-08-31",
        "2028-02-29",
        "2028-08-31",
    ]
    _, text = pdf_text(clinician_client.get(reverse("summary_pdf", args=[encounter.pk])))
    text = " ".join(text.split())
    assert "DELTA-P score 3 of 6" in text
    assert "next screen due 2026-11-30" in text
    assert "2028-08-31" in text


# --- the encounter tables and the home page --------------------------------------------


def test_my_encounters_show_each_next_screen_when_known(clinician_client, make_encounter):
    make_encounter(patient_reference="MRN-DATED", answers=worked_example_answers(months_ago(2)))
    make_encounter(patient_reference="MRN-UNDATED", answers=patient_answers())
    next_screen = tumour_risk.add_months(months_ago(2), 3).isoformat()

    html = clinician_client.get(reverse("encounter_list")).content.decode()

    dated = html[html.index("MRN-DATED") :].split("</tr>")[0]
    undated = html[html.index("MRN-UNDATED") :].split("</tr>")[0]
    assert next_screen in dated
    assert "not known" in undated


def test_the_home_page_lists_my_screens_due_in_30_days_or_overdue_only(
    clinician_client, make_encounter, other_clinician
):
    # Score 3: the next screen is 3 months after the last negative one.
    overdue = make_encounter(
        patient_reference="MRN-OVERDUE", answers=worked_example_answers(months_ago(4))
    )
    due_soon = make_encounter(
        patient_reference="MRN-SOON",
        answers=worked_example_answers(months_ago(3) + datetime.timedelta(days=20)),
    )
    make_encounter(patient_reference="MRN-LATER", answers=worked_example_answers(months_ago(1)))
    make_encounter(
        owner=other_clinician,
        patient_reference="MRN-THEIRS",
        answers=worked_example_answers(months_ago(4)),
    )

    html = clinician_client.get(reverse("home")).content.decode()

    section = html[html.index('id="screens-due-heading"') : html.index("My recent encounters")]
    assert "MRN-OVERDUE" in section and "overdue" in section
    assert "MRN-SOON" in section
    assert section.index("MRN-OVERDUE") < section.index("MRN-SOON")  # soonest first
    assert "MRN-LATER" not in section
    assert "MRN-THEIRS" not in html
    assert reverse("summary", args=[overdue.pk]) in section
    assert reverse("summary", args=[due_soon.pk]) in section


def test_after_a_ct_only_screen_the_worklists_say_fdg_pet_is_due_now(
    clinician_client, make_encounter
):
    ct_only = make_encounter(
        patient_reference="MRN-CT",
        answers=worked_example_answers(months_ago(1), screen_included_pet="no"),
    )
    make_encounter(patient_reference="MRN-OVERDUE", answers=worked_example_answers(months_ago(4)))
    no_date = worked_example_answers(months_ago(1))
    del no_date["last_negative_screen_date"]
    make_encounter(
        patient_reference="MRN-CT-UNDATED", answers={**no_date, "screen_included_pet": "no"}
    )

    html = clinician_client.get(reverse("home")).content.decode()
    section = text_of(html[html.index('id="screens-due-heading"') : html.index("My recent")])
    assert re.search(r"MRN-CT :\s*FDG-PET due now \(the negative screen was a CT only\)", section)
    assert re.search(r"MRN-CT-UNDATED :\s*FDG-PET due now", section)
    assert section.index("MRN-CT :") < section.index("MRN-OVERDUE")  # due now comes first
    assert reverse("summary", args=[ct_only.pk]) in html

    listed = clinician_client.get(reverse("encounter_list")).content.decode()
    row = listed[listed.index("MRN-CT<") :].split("</tr>")[0]
    assert "FDG-PET now" in text_of(row)
    assert "not known" not in row


def test_a_newer_negative_screen_supersedes_the_patients_older_due_date(
    clinician_client, make_encounter
):
    older = make_encounter(patient_reference="MRN-7", answers=worked_example_answers(months_ago(5)))
    make_encounter(patient_reference="MRN-7", answers=worked_example_answers(months_ago(1)))
    Encounter.objects.filter(pk=older.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=90)
    )

    html = clinician_client.get(reverse("home")).content.decode()

    assert "No screen is due in the next 30 days." in html


def test_the_home_page_costs_as_many_queries_however_many_screens_are_known(
    clinician_client, make_encounter
):
    make_encounter(patient_reference="MRN-0", answers=worked_example_answers(months_ago(4)))
    clinician_client.get(reverse("home"))  # the session's first request renews it
    with CaptureQueriesContext(connection) as few:
        clinician_client.get(reverse("home"))
    for number in range(1, 40):
        make_encounter(
            patient_reference=f"MRN-{number}", answers=worked_example_answers(months_ago(4))
        )
    with CaptureQueriesContext(connection) as many:
        response = clinician_client.get(reverse("home"))

    assert response.content.decode().count("overdue</strong>") == 40
    assert len(many) == len(few)


def test_the_readme_worked_example_is_what_the_print_page_prints(clinician_client, make_encounter):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("<!-- worked-example:tumour-risk", 1)[1].split("```")[1]
    lines = [line for line in example.splitlines() if line.strip()]
    encounter = make_encounter(
        answers=worked_example_answers(datetime.date(2026, 10, 15)), status="complete"
    )

    html = clinician_client.get(reverse("print", args=[encounter.pk])).content.decode()

    section = html[html.index('class="tumour-risk') :]
    section = section[: section.index("</section>")]
    printed = [
        " ".join(line.split())
        for line in unescape(re.sub(r"<[^>]+>", "", section.split(">", 1)[1])).splitlines()
        if line.strip()
    ]
    assert len(lines) == 6
    assert printed[1:] == lines  # after the heading, line for line


@pytest.mark.parametrize(("marker", "lands_on"), [(False, "tumour"), (True, "symptomatic")])
def test_without_javascript_the_items_hidden_under_tumour_found_are_asked_before_going_on(
    clinician_client, make_encounter, marker, lands_on
):
    answers = {**patient_answers("male"), "tumour_status": "found", "smoking": "current"}
    encounter = make_encounter(answers=answers)
    page = clinician_client.get(tumour_url(encounter)).content.decode()
    assert re.search(r'name="delta_p_asked" value="1" disabled', page)  # not sent as shown
    posted = {"tumour_status": "not_found", "smoking": "current"}
    if marker:  # the items were on screen (pathway.js showed them), the FDG-PET question too
        posted["delta_p_asked"] = "1"
        posted["screen_included_pet"] = "yes"
    else:  # the FDG-PET question was hidden too: it is asked, required, before anything is saved
        asked = clinician_client.post(tumour_url(encounter), posted)
        assert asked.status_code == 200
        assert " hidden" not in block(asked.content.decode(), "data-screen-pet")
        assert "Did the negative screen include FDG-PET?" in asked.content.decode()
        posted["screen_included_pet"] = "yes"

    response = clinician_client.post(tumour_url(encounter), posted)

    assert response.url == reverse("step", args=[encounter.pk, lands_on])
    encounter.refresh_from_db()
    assert encounter.answers["tumour_status"] == "not_found"  # saved either way
    again = clinician_client.get(tumour_url(encounter)).content.decode()
    assert " hidden" not in block(again, "data-tumour-risk")
    assert re.search(r'name="delta_p_asked" value="1">', again)
    # Posting the step again goes on, answered or not: no loop.
    following = clinician_client.post(tumour_url(encounter), posted)
    assert following.url == reverse("step", args=[encounter.pk, "symptomatic"])


# --- the FDG-PET question (DESIGN.md §4 "Steps and answers") ----------------------------


@pytest.mark.parametrize(
    ("status", "hidden"),
    [(None, False), ("not_found", False), ("not_screened", True), ("found", True)],
)
def test_the_fdg_pet_question_is_shown_only_after_a_negative_screen(
    clinician_client, make_encounter, status, hidden
):
    answers = patient_answers()
    if status:
        answers.update(tumour_status=status, smoking="never")
    encounter = make_encounter(answers=answers)

    html = clinician_client.get(tumour_url(encounter)).content.decode()

    assert "Did the negative screen include FDG-PET?" in html
    assert (" hidden" in block(html, "data-screen-pet")) is hidden
    assert {"screen_included_pet"} <= radio_names(html)


def test_the_fdg_pet_answer_is_required_after_a_negative_screen(clinician_client, make_encounter):
    encounter = make_encounter(answers=patient_answers("male"))
    posted = {k: v for k, v in worked_example_post(today()).items() if k != "screen_included_pet"}

    response = clinician_client.post(tumour_url(encounter), posted)

    assert response.status_code == 200
    assert "Choose an answer for “Did the negative screen include FDG-PET?”" in (
        response.content.decode()
    )
    encounter.refresh_from_db()
    assert "tumour_status" not in encounter.answers


@pytest.mark.parametrize("status", ["found", "not_screened"])
def test_the_fdg_pet_answer_is_neither_required_nor_kept_with_another_status(
    clinician_client, make_encounter, status
):
    for pet in ("", "no"):
        encounter = make_encounter(answers=patient_answers("male"))
        posted = {
            **worked_example_post(today()),
            "tumour_status": status,
            "screen_included_pet": pet,
        }

        response = clinician_client.post(tumour_url(encounter), posted)

        assert response.status_code == 302
        encounter.refresh_from_db()
        assert "screen_included_pet" not in encounter.answers


def test_the_ivig_step_hint_lists_the_labels_risk_factors(clinician_client, make_encounter):
    from tests.paths import IVIG_PATH_ANSWERS, answers_before

    encounter = make_encounter(answers=answers_before("ivig", IVIG_PATH_ANSWERS))

    html = unescape(
        clinician_client.get(reverse("step", args=[encounter.pk, "ivig"])).content.decode()
    )

    for factor in (
        "prolonged immobilisation",
        "active cancer among them",
        "earlier venous or arterial thrombosis",
        "oestrogens",
        "indwelling vascular catheters",
        "hyperviscosity",
        "cardiovascular risk factors",
        "Any renal insufficiency, diabetes, age over 65, volume depletion, sepsis",
        "paraproteinaemia, nephrotoxic drugs",
    ):
        assert factor in html, factor
