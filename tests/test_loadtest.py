"""The load harness and the restore drill (`make loadtest`, `make restore-drill`) check
what they claim: the finalize they post is the summary's own form, a finalization missing
or half-written is counted against the server that handled it, and a restore that lost an
encounter or changed a snapshot by one character is reported."""

from guidance.models import Encounter
from loadtest.restore_drill import compare_encounters
from loadtest.run import DECISION, DECISION_SHOWN, Results, check_database, hidden_fields
from tests.paths import answers_through


def test_the_harness_finalizes_with_every_hidden_field_of_the_summarys_finalize_form(
    clinician_client, make_encounter
):
    encounter = make_encounter(answers=answers_through("ivig"), status="complete")
    finalize = f"/encounters/{encounter.pk}/finalize/"
    page = clinician_client.get(f"/encounters/{encounter.pk}/").content

    shown = hidden_fields(page, finalize)

    assert "revision_shown" in shown
    assert clinician_client.post(finalize, {**shown, **DECISION}).status_code == 302
    encounter.refresh_from_db()
    assert encounter.status == "finalized"
    assert encounter.get_decision_display() == DECISION_SHOWN


def test_hidden_fields_takes_only_the_named_forms_enabled_hidden_inputs():
    page = b"""
        <form action="/other/"><input type="hidden" name="elsewhere" value="1"></form>
        <form method="post" action="/encounters/x/finalize/">
          <input type="hidden" name="revision_shown" value="3">
          <input name="fingerprint" type="hidden" value="a&amp;b">
          <input type="hidden" name="off" value="1" disabled>
          <input type="text" name="decision_note" value="typed">
        </form>"""

    assert hidden_fields(page, "/encounters/x/finalize/") == {
        "revision_shown": "3",
        "fingerprint": "a&b",
    }


def test_the_database_check_counts_a_missing_or_half_written_finalization_against_its_server(
    make_encounter,
):
    finalized = make_encounter(
        answers=answers_through("ivig"), status="finalized", decision="followed"
    )
    Encounter.objects.filter(pk=finalized.pk).update(
        snapshot={"shown": True}, finalized_at="2026-12-01T10:00:00Z"
    )
    never_finalized = make_encounter(answers=answers_through("ivig"), status="complete")
    half_written = make_encounter(
        answers=answers_through("ivig"), status="finalized", decision="followed"
    )  # no snapshot, no time: half-written
    results = Results([8001, 8002])
    for encounter in (finalized, never_finalized, half_written):
        results.started(str(encounter.pk))
    results.finalize_sent(0, str(finalized.pk))
    results.acknowledged(0, str(finalized.pk))
    results.finalize_sent(1, str(never_finalized.pk))
    results.acknowledged(1, str(never_finalized.pk))
    results.finalize_sent(1, str(half_written.pk))

    overall, per_server = check_database(results)

    assert per_server["A"] == {
        "finalizations_acknowledged": 1,
        "acknowledged_in_database": 1,
        "acknowledged_missing": 0,
        "finalized_but_not_acknowledged": 0,
        "half_written": 0,
    }
    assert per_server["B"]["acknowledged_missing"] == 1
    assert per_server["B"]["half_written"] == 1
    assert per_server["B"]["finalized_but_not_acknowledged"] == 1
    assert overall["acknowledged_missing"] == 1
    assert overall["half_written"] == 1


def encounter_row(snapshot):
    return {"snapshot": snapshot, "row": f"(row,{snapshot})", "owner": "o", "reference": "r"}


def test_the_restore_drill_reports_a_snapshot_changed_by_one_character():
    before = {"a": encounter_row('{"dose": "2.0"}'), "b": encounter_row('{"dose": "1.0"}')}
    restored = {"a": encounter_row('{"dose": "2.0"}'), "b": encounter_row('{"dose": "1.1"}')}

    comparison = compare_encounters(before, restored, acknowledged_before={"a"})

    assert comparison["found_after_restore"] == 2
    assert comparison["snapshots_differ"] == ["b"]
    assert comparison["rows_differ"] == ["b"]


def test_the_restore_drill_reports_a_lost_encounter_an_extra_one_and_one_acknowledged_not_dumped():
    before = {"a": encounter_row("{}"), "b": encounter_row("{}")}
    restored = {"a": encounter_row("{}"), "c": encounter_row("{}")}

    comparison = compare_encounters(before, restored, acknowledged_before={"a", "d"})

    assert comparison["finalized_before_dump"] == 2
    assert comparison["found_after_restore"] == 1
    assert comparison["missing_after_restore"] == ["b"]
    assert comparison["finalized_after_restore_not_in_dump"] == ["c"]
    assert comparison["acknowledged_before_dump_missing"] == ["d"]
    assert comparison["snapshots_differ"] == comparison["rows_differ"] == []
