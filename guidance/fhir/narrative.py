"""The encounter document's Composition sections: XHTML narrative built from the snapshot."""

import re
from types import MappingProxyType

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from guidance.encounters.summary import courses_shown, plan_marker_words
from guidance.encounters.wording import (
    AUSTRALIAN_CRITERIA,
    ONTARIO_CALCULATOR,
    TUMOUR_RISK_HEADING,
)
from guidance.fhir.common import XHTML

# Characters XML 1.0 does not allow even escaped. Forms refuse them since issue 21; a
# summary finalized before may hold one, and a narrative must stay valid XHTML (txt-1).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _div(*parts):
    """An XHTML narrative; every part is already escaped (format_html), and characters XML
    cannot hold are shown as U+FFFD."""
    html = format_html(
        '<div xmlns="{}">{}</div>', XHTML, format_html_join("", "{}", ((part,) for part in parts))
    )
    return mark_safe(NOT_XML.sub("\ufffd", html))


def _section(title, *parts, entries=()):
    section = {"title": title, "text": {"status": "generated", "div": _div(*parts)}}
    if entries:
        section["entry"] = [{"reference": reference} for reference in entries]
    return section


def _statement_paragraph(statement):
    markers = [f"Evidence grade: {statement['evidence_quality'].lower()}"]
    if statement["origin"] == "local":
        markers.append("Local: added by this product, not in the guideline")
    if statement["verification"] != "verified":
        markers.append(f"{statement['verification_label']} by the cited sources")
    if statement["priority"]:
        markers.insert(0, "High priority: " + ", ".join(statement["priority"]))
    citations = ", ".join(str(number) for number in statement["citations"])
    return format_html(
        "<p>{}{}{} ({})</p>{}",
        format_html("<b>{}</b> ", statement["lead_in"]) if statement["lead_in"] else "",
        statement["text"],
        f" [{citations}]" if citations else "",
        "; ".join(markers),
        format_html("<p>Why: {}</p>", "; ".join(statement["why"])) if statement["why"] else "",
    )


def _statements(snapshot, kind=None, priority=False):
    # "For this patient" shows some statements first and its groups the rest (a snapshot
    # from before it has no "first"): each statement is in exactly one of them.
    shown = snapshot.get("first", []) + [
        statement for group in snapshot["groups"] for statement in group["statements"]
    ]
    return [
        statement
        for statement in shown
        if (kind is None or statement["kind"] == kind) and (not priority or statement["priority"])
    ]


def _statement_parts(statements, empty):
    if not statements:
        return [format_html("<p>{}</p>", empty)]
    return [_statement_paragraph(statement) for statement in statements]


def _statement_section(title, statements, empty):
    return _section(title, *_statement_parts(statements, empty))


# A section built on its own (without the document) cites no other resource.
NO_LINKS = MappingProxyType({"response": [], "course": [], "delta_p": [], "reviews": []})


def _plan_markers(markers):
    words = [word for _, word in plan_marker_words(markers)]
    return f" ({', '.join(words)})" if words else ""


def _plan_line(line):
    caveat = line.get("caveat")
    return (
        line["label"],
        f"{caveat['text']}{_plan_markers(caveat['markers'])}; " if caveat else "",
        line["text"],
        _plan_markers(line.get("markers", {})),
    )


def plan_section(snapshot, encounter, links=NO_LINKS):
    """ "For this patient" as the summary shows it: the plan, each line with its statement's
    markers (a snapshot from before it has none), then the scope statements and the
    high-priority warnings."""
    plan = format_html_join(
        "", "<li>{}: {}{}{}</li>", (_plan_line(line) for line in snapshot.get("plan", []))
    )
    first = _statements(snapshot, "scope") + [
        statement
        for statement in _statements(snapshot, priority=True)
        if statement["kind"] != "scope"
    ]
    parts = [format_html("<ul>{}</ul>", plan)] if plan else []
    parts += _statement_parts(first, "Nothing to settle before the recommendations.")
    return _section("Plan", *parts)


def recommendations_section(snapshot, encounter, links=NO_LINKS):
    return _statement_section(
        "Recommendations", _statements(snapshot, "recommendation"), "No recommendation applied."
    )


def pitfalls_section(snapshot, encounter, links=NO_LINKS):
    return _statement_section(
        "Pitfalls to avoid", _statements(snapshot, "warning"), "No pitfall applied."
    )


def evidence_section(snapshot, encounter, links=NO_LINKS):
    parts = _statement_parts(_statements(snapshot, "evidence"), "No evidence statement applied.")
    if snapshot["references"]:
        # The citation number as text: FHIR's XHTML has no `li value`.
        references = format_html_join(
            "",
            "<li>{}. {}{}</li>",
            (
                (
                    reference["number"],
                    reference["vancouver"],
                    f" doi:{reference['doi']}" if reference["doi"] else "",
                )
                for reference in snapshot["references"]
            ),
        )
        parts.append(format_html("<p>References</p><ul>{}</ul>", references))
    return _section("Evidence and references", *parts)


def doses_section(snapshot, encounter, links=NO_LINKS):
    doses = snapshot["doses"]
    parts = []
    if ivig := doses.get("ivig"):
        dosing = ivig["dosing"]
        criteria = dosing.get("criteria", AUSTRALIAN_CRITERIA)
        calculator = dosing.get("calculator", ONTARIO_CALCULATOR)
        lines = [f"On actual body weight: {ivig['actual']}"]
        if dosing["basis"] == "adjusted":
            lines += [
                f"On the adjusted body weight of {criteria}, {dosing['dosing_weight_kg']} kg: "
                f"{dosing['arithmetic']}; to the nearest 5 g ({calculator}): {dosing['vials']}",
                f"Why this weight is offered: {dosing['reason']}.",
            ]
        else:
            # No adjusted figure when none is offered: the reason, in one line.
            lines += [
                f"To the nearest 5 g ({calculator}): {dosing['vials']}",
                f"No adjusted weight offered: {dosing['reason']}.",
            ]
        parts.append(
            format_html(
                "<p>IVIG</p><ul>{}</ul>",
                format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
            )
        )
    if prednisone := doses.get("prednisone"):
        label = doses.get("prednisone_label")
        parts.append(
            format_html("<p>Prednisone{}: {}</p>", f", {label}" if label else "", prednisone)
        )
    if dap := doses.get("dap"):
        parts.append(
            format_html(
                "<p>3,4-DAP (amifampridine), as labelled</p><ul>{}</ul>",
                format_html_join("", "<li>{}</li>", ((line,) for line in dap)),
            )
        )
    shown = courses_shown(snapshot)
    for each in shown:
        named = f"IVIG course {each['number']}" if each["several"] else "IVIG course"
        parts.append(format_html("<p>{} prescribed: {}</p>", named, each["course"]["sentence"]))
    parts = parts or [format_html("<p>{}</p>", "No dose applied.")]
    return _section("Doses", *parts, entries=links["course"])


def tumour_risk_section(snapshot, encounter, links=NO_LINKS):
    """The DELTA-P score and the screening plan, as the summary words them (an incomplete
    score as points so far); None when it does not apply."""
    risk = snapshot.get("tumour_risk")
    if not risk:
        return None
    lines = [
        f"{risk['score']}: {risk['items']}.",
        f"{risk['sclc']}; {risk['derivation']}.",
        risk["schedule"],
        risk.get("authors_suggestion", ""),
        risk.get("pet_now", ""),
        risk["screen_now"],
        risk["next_line"],
        risk["dates_line"],
        risk["new_symptoms"],
    ]
    paragraphs = format_html_join("", "<p>{}</p>", ((line,) for line in lines if line))
    return _section(TUMOUR_RISK_HEADING, paragraphs, entries=links["delta_p"])


def decision_section(snapshot, encounter, links=NO_LINKS):
    rows = [("Recommendations", encounter.get_decision_display())]
    if encounter.decision_reason:
        rows.append(("Reason", encounter.get_decision_reason_display()))
    if encounter.dose_basis:
        rows.append(("IVIG dose based on", encounter.get_dose_basis_display()))
    if encounter.decision_note:
        rows.append(("Note", encounter.decision_note))
    return _section("Decision", format_html_join("", "<p>{}: {}</p>", rows))


def _lines(text):
    """Text with its line breaks kept, as XHTML (each line escaped)."""
    return format_html_join(mark_safe("<br/>"), "{}", ((line,) for line in text.splitlines()))


def _review_part(review):
    facts = [
        *([("Score", review["score_change"])] if review["score_change"] else []),
        ("Adverse events", ", ".join(review["adverse_events"]) or "None"),
        ("Response", review["response"]),
        ("Plan", review["plan"]),
        *([("Next course", review["next_course"])] if review.get("next_course") else []),
    ]
    items = format_html_join("", "<li>{}: {}</li>", facts)
    if review["note"]:
        items = format_html("{}<li>Note: {}</li>", items, _lines(review["note"]))
    pitfalls = format_html_join(
        "",
        "<p>High priority with this review: {}. {}{}</p>",
        (
            (
                ", ".join(pitfall["priority"]),
                pitfall["text"],
                f" [{', '.join(str(number) for number in pitfall['citations'])}]"
                if pitfall["citations"]
                else "",
            )
            for pitfall in review["pitfalls"]
        ),
    )
    return format_html(
        "<p><b>Review on {}, day {} after the course start</b></p><ul>{}</ul>{}",
        review["date"],
        review["day"],
        items,
        pitfalls,
    )


def reviews_section(snapshot, encounter, links=NO_LINKS):
    """Each course's review window and reviews as the summary shows them (the snapshot's),
    the courses in order."""
    shown = courses_shown(snapshot)
    if not shown:
        return _section("Reviews", format_html("<p>{}</p>", "No IVIG course recorded."))
    parts = []
    for each in shown:
        course = each["course"]
        if each["several"]:
            parts.append(format_html("<p><b>IVIG course {}</b></p>", each["number"]))
        parts.append(
            format_html(
                "<p>Review due from {} to {}; decide on what next before {}.</p>",
                course["review_due_from"],
                course["review_due_until"],
                course["decide_before"],
            )
        )
        if course.get("baseline"):
            parts.append(
                format_html("<p>Baseline for the review: {}</p>", course["baseline"]["text"])
            )
        reviews = [_review_part(review) for review in each["reviews"]]
        parts += reviews or [format_html("<p>{}</p>", "No IVIG course review recorded.")]
    return _section("Reviews", *parts, entries=links["reviews"])


def answers_section(snapshot, encounter, links=NO_LINKS):
    steps = format_html_join(
        "",
        "<p>{}: {}</p>",
        (
            (step["title"], "; ".join(f"{label}: {value}" for label, value in step["answers"]))
            for step in snapshot["steps"]
        ),
    )
    return _section("Answers", steps, entries=links["response"])


# The document's sections, in order; each builder takes the snapshot, the encounter and
# the references of the document's other resources by what they hold (`links`), and
# returns None when it has nothing to say.
SECTIONS = (
    plan_section,
    recommendations_section,
    pitfalls_section,
    evidence_section,
    doses_section,
    tumour_risk_section,
    decision_section,
    reviews_section,
    answers_section,
)
