"""The guideline and finalized encounters as FHIR R4 resources (DESIGN.md §8), as plain dicts.

`guideline_bundle` is a `collection` of the published revision: a Questionnaire (the
pathway's steps as groups, each question an item coded with its field name) and a
PlanDefinition (one action per statement code, whose applicability condition is the
engine's rule in FHIRPath over the QuestionnaireResponse). `encounter_document` is a
`document` of a finalized encounter, built from its snapshot (what the clinician saw) and
its course reviews: a Composition, the answers, the IVIG course as a MedicationRequest,
the DELTA-P score and each review score as Observations.

Nothing clinical is restated here: steps, questions, values, ranges and rules come from
guidance/pathway.py, labels from guidance/wording.py, statements and citations from the
revision. Plain `enableWhen` holds one AND or one OR of answers, so a condition that ANDs
several ORs (the IVIG step: confirmed, and 3,4-DAP inadequate or not tolerated, and severe
weakness or rapid improvement or bridging) becomes groups nested one in another, one level
per OR, the item itself carrying the innermost: every renderer of R4 understands that, where
the SDC `enableWhenExpression` extension needs an SDC-aware one.
"""

import datetime
import uuid
from types import MappingProxyType

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from guidance.encounters.wording import (
    AUSTRALIAN_CRITERIA,
    DELTA_P_ITEM_NAMES,
    FIELD_LABELS,
    ONTARIO_CALCULATOR,
    STEP_TITLES,
    TUMOUR_RISK_HEADING,
    VALUE_LABELS,
    baseline_words,
    format_number,
    score_change_words,
)
from guidance.engine import ivig_review, pathway, tumour_risk
from guidance.engine.pathway import AllOf, AnyOf, Is, IsNot

QUESTIONNAIRE_ID = "lems-ivig-pathway"
PLAN_DEFINITION_ID = "lems-ivig-guideline"
QUESTION_CODES_ID = "lems-ivig-questions"
FHIR_JSON = "application/fhir+json"
XHTML = "http://www.w3.org/1999/xhtml"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# Standard codes only where one names exactly what is meant: WHO ATC J06BA02 is normal
# human immunoglobulin for intravascular use, SNOMED CT 47625008 the intravenous route.
# DELTA-P, QMG and the MRC sum score have no LOINC or SNOMED CT code we could cite, so
# their Observations name them in `code.text` only (no local code passed off as standard).
IVIG_MEDICATION = {
    "coding": [
        {
            "system": "http://www.whocc.no/atc",
            "code": "J06BA02",
            "display": "immunoglobulins, normal human, for intravascular adm.",
        }
    ],
    "text": "IVIG (intravenous immunoglobulin)",
}
INTRAVENOUS = {
    "coding": [
        {"system": "http://snomed.info/sct", "code": "47625008", "display": "Intravenous route"}
    ],
    "text": "Intravenous",
}
DELTA_P_CODE = {"text": "DELTA-P score (Dutch-English LEMS Tumour Association Prediction)"}

_STEP_OF_FIELD = {field: step for step, fields in pathway.STEP_FIELDS.items() for field in fields}
# The patient is the resource's subject (by its pseudonymous identifier), not an answer.
_NOT_QUESTIONS = ("patient_reference",)
_RANGES = {"weight_kg": pathway.WEIGHT_RANGE_KG, "height_cm": pathway.HEIGHT_RANGE_CM}


def _is_date(field):
    return field.endswith("_date")


def canonical(base_url, kind, resource_id):
    return f"{base_url.rstrip('/')}/{kind}/{resource_id}"


# Conditions as nested enableWhen levels


def _flatten(kind, conditions):
    for condition in conditions:
        if isinstance(condition, kind):
            yield from _flatten(kind, condition.conditions)
        else:
            yield condition


def enable_levels(condition):
    """A condition as enableWhen levels, outermost first: ("all" | "any", (Is, ...)).

    The answers every route needs come first, then one level per alternative. Raises
    ValueError for a shape plain enableWhen cannot hold (an AND inside an OR).
    """
    if condition is None:
        return []
    required, alternatives = [], []
    for part in _flatten(AllOf, (condition,)):
        if isinstance(part, (Is, IsNot)):
            required.append(part)
            continue
        options = tuple(_flatten(AnyOf, part.conditions))
        if not all(isinstance(option, (Is, IsNot)) for option in options):
            raise ValueError(f"enableWhen cannot express {part!r}")
        alternatives.append(("any", tuple(dict.fromkeys(options))))
    levels = [("all", tuple(dict.fromkeys(required)))] if required else []
    return levels + alternatives


def _wrappers(link_id, condition):
    """The linkIds of the groups wrapping an item (outermost first), each with its level,
    and the item's own level."""
    levels = enable_levels(condition)
    if not levels:
        return [], None
    outer = [(f"{link_id}-when-{number}", level) for number, level in enumerate(levels[:-1], 1)]
    return outer, levels[-1]


def _item_path(field):
    """The linkIds from the top of the Questionnaire down to the question of `field`."""
    step = _STEP_OF_FIELD[field]
    step_wrappers, _ = _wrappers(step, pathway.STEP_CONDITIONS.get(step))
    question_wrappers, _ = _wrappers(field, pathway.QUESTION_CONDITIONS.get(field))
    return [
        *(link_id for link_id, _ in step_wrappers),
        step,
        *(link_id for link_id, _ in question_wrappers),
        field,
    ]


def _enable_when(level):
    behaviour, answers = level
    enable_when = {
        "enableWhen": [
            {
                "question": answer.field,
                # "!=": no answer equal to it, which holds while the question is unanswered
                "operator": "!=" if isinstance(answer, IsNot) else "=",
                "answerCoding": {"code": answer.value},
            }
            for answer in answers
        ]
    }
    if len(answers) > 1:
        enable_when["enableBehavior"] = behaviour
    return enable_when


def _wrapped(item, condition, *, with_enable_when=True):
    """The item inside the groups its condition needs (in a QuestionnaireResponse, the same
    nesting without the conditions)."""
    outer, own = _wrappers(item["linkId"], condition)
    if own and with_enable_when:
        item = {**item, **_enable_when(own)}
    for link_id, level in reversed(outer):
        wrapper = {"linkId": link_id}
        if with_enable_when:
            wrapper |= {"type": "group", **_enable_when(level)}
        item = {**wrapper, "item": [item]}
    return item


# The engine's rules in FHIRPath


def engine_condition(condition):
    """The condition as the engine applies it: an answer counts only while its step applies."""
    if isinstance(condition, IsNot):
        raise ValueError("a rule never negates an answer")
    if isinstance(condition, Is):
        step_condition = pathway.STEP_CONDITIONS.get(_STEP_OF_FIELD[condition.field])
        return AllOf(step_condition, condition) if step_condition else condition
    kind = AllOf if isinstance(condition, AllOf) else AnyOf
    return kind(*(engine_condition(part) for part in condition.conditions))


_TRUE = AllOf()


def _options(condition):
    """The answers of an OR of answers (one answer is an OR of one), else None."""
    if isinstance(condition, Is):
        return frozenset((condition,))
    if isinstance(condition, AnyOf) and all(isinstance(part, Is) for part in condition.conditions):
        return frozenset(condition.conditions)
    return None


def _simplified(condition, known=frozenset()):
    """The same condition, shorter: nested ANDs and ORs flattened, repeats dropped, and an
    OR of answers taken as true inside an AND that already requires one of them (`known`
    holds the ORs of answers required around this one)."""
    options = _options(condition)
    if options is not None and any(required <= options for required in known):
        return _TRUE
    if isinstance(condition, Is):
        return condition
    if isinstance(condition, AllOf):
        parts = list(dict.fromkeys(_flatten(AllOf, condition.conditions)))
        required = {_options(part) for part in parts} - {None}
        kept = []
        for part in parts:
            part = _simplified(part, known | (required - {_options(part)}))
            if part is not _TRUE and part not in kept:
                kept.append(part)
        return AllOf(*kept) if len(kept) != 1 else kept[0]
    kept = []
    for part in _flatten(AnyOf, condition.conditions):
        part = _simplified(part, known)
        if part is _TRUE:
            return _TRUE
        if part not in kept:
            kept.append(part)
    return AnyOf(*kept) if len(kept) != 1 else kept[0]


def fhirpath(condition):
    """The FHIRPath over a QuestionnaireResponse that holds exactly when the engine's does."""
    condition = engine_condition(condition)
    while (shorter := _simplified(condition)) != condition:
        condition = shorter
    return _render(condition, top=True)


def _render(condition, top=False):
    if condition is _TRUE:
        return "true"
    options = _options(condition)
    if options is not None and len({answer.field for answer in options}) == 1:
        # One question, any of these answers: one term.
        field = next(iter(options)).field
        values = (
            [answer.value for answer in condition.conditions]
            if len(options) > 1
            else [condition.value]
        )
        # linkIds are unique, so the question's depth and its own linkId find it: naming
        # every group on the way is longer and slower for no gain.
        path = ".item" * (len(_item_path(field)) - 1) + f".item.where(linkId = '{field}')"
        codes = " or ".join(f"code = '{value}'" for value in values)
        return f"QuestionnaireResponse{path}.answer.value.where({codes}).exists()"
    joiner = " and " if isinstance(condition, AllOf) else " or "
    rendered = joiner.join(_render(part) for part in condition.conditions)
    return rendered if top else f"({rendered})"


# The Questionnaire


def _label(field):
    # A field the forms do not word yet reads as its name.
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


def _answer_coding(field, value):
    label = VALUE_LABELS.get(field, {}).get(value)
    return {"code": value, "display": label[0] if label else value}


def _question(field, base_url):
    step = _STEP_OF_FIELD[field]
    item = {
        "linkId": field,
        "code": [
            {
                "system": canonical(base_url, "CodeSystem", QUESTION_CODES_ID),
                "code": field,
                "display": _label(field),
            }
        ],
        "text": _label(field),
        "required": field in pathway.REQUIRED_FIELDS[step],
    }
    if field in pathway.CHOICES:
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": _answer_coding(field, value)} for value in pathway.CHOICES[field]
        ]
        if field == "ivig_risk_factors":
            item["repeats"] = True  # tick any that apply
    elif field in _RANGES:
        low, high = _RANGES[field]
        item["type"] = "decimal"
        item["extension"] = [
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDecimal": low},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": high},
        ]
    elif _is_date(field):
        item["type"] = "date"
    else:
        item["type"] = "string"
    return _wrapped(item, pathway.QUESTION_CONDITIONS.get(field))


def _step_group(step, base_url):
    group = {
        "linkId": step,
        "text": STEP_TITLES[step],
        "type": "group",
        "item": [
            _question(field, base_url)
            for field in pathway.STEP_FIELDS[step]
            if field not in _NOT_QUESTIONS
        ],
    }
    return _wrapped(group, pathway.STEP_CONDITIONS.get(step))


def _metadata(revision, base_url, kind, resource_id, name, title):
    guideline = revision.guideline
    return {
        "resourceType": kind,
        "id": resource_id,
        "url": canonical(base_url, kind, resource_id),
        "version": str(revision.number),
        "name": name,
        "title": title,
        "status": "active",
        "date": revision.published_at.isoformat() if revision.published_at else None,
        "publisher": guideline.developer or None,
    }


def _without_empty(resource):
    return {key: value for key, value in resource.items() if value not in (None, "", [])}


def question_codes(revision, base_url):
    """The CodeSystem of the questions' codes: the field names of the pathway."""
    return _without_empty(
        {
            **_metadata(
                revision,
                base_url,
                "CodeSystem",
                QUESTION_CODES_ID,
                "LemsIvigQuestions",
                f"{revision.guideline.title}: questions",
            ),
            "content": "complete",
            "concept": [
                {"code": field, "display": _label(field)}
                for field in _STEP_OF_FIELD
                if field not in _NOT_QUESTIONS
            ],
        }
    )


def questionnaire(revision, base_url):
    """The pathway's steps and questions; `enableWhen` says which apply."""
    return _without_empty(
        {
            **_metadata(
                revision,
                base_url,
                "Questionnaire",
                QUESTIONNAIRE_ID,
                "LemsIvigPathway",
                f"{revision.guideline.title}: the pathway's questions",
            ),
            "subjectType": ["Patient"],
            "item": [_step_group(step, base_url) for step in pathway.STEPS],
        }
    )


# The PlanDefinition


def _related_artifact(citation):
    """A citation, with its DOI, PubMed ID and address where it has them."""
    identifiers = [
        f"doi:{citation.doi}" if citation.doi else "",
        citation.pmid and f"PMID: {citation.pmid}",
    ]
    text = " ".join(
        [citation.vancouver, *(identifier + "." for identifier in identifiers if identifier)]
    )
    return _without_empty(
        {
            "type": "citation",
            "label": str(citation.number),
            "display": citation.title,
            "citation": text,
            "url": citation.doi_url or citation.pubmed_url or citation.url,
        }
    )


def _action(statement, condition):
    return _without_empty(
        {
            "id": statement.code,
            "title": statement.code,
            "description": statement.text,
            "documentation": [
                _related_artifact(citation) for citation in statement.ordered_citations
            ],
            "condition": [
                {
                    "kind": "applicability",
                    "expression": {
                        "language": "text/fhirpath",
                        "expression": fhirpath(condition),
                    },
                }
            ],
            "input": [{"type": "QuestionnaireResponse"}],
        }
    )


def plan_definition(revision, statements, base_url):
    """One action per statement code, in the engine's order; `statements` by code."""
    guideline = revision.guideline
    return _without_empty(
        {
            **_metadata(
                revision,
                base_url,
                "PlanDefinition",
                PLAN_DEFINITION_ID,
                "LemsIvigGuideline",
                guideline.title,
            ),
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                        "code": "eca-rule",
                    }
                ]
            },
            "description": guideline.scope_note,
            "usage": guideline.disclaimer,
            # The conditions read answers to this Questionnaire.
            "relatedArtifact": [
                {
                    "type": "depends-on",
                    "display": "The pathway's questions",
                    "resource": f"{canonical(base_url, 'Questionnaire', QUESTIONNAIRE_ID)}"
                    f"|{revision.number}",
                }
            ],
            "action": [
                _action(statements[code], condition)
                for code, condition in pathway.RULES
                if code in statements
            ],
        }
    )


def guideline_bundle(revision, statements, base_url):
    """The published revision as a `collection`: question codes, Questionnaire, PlanDefinition."""
    resources = [
        question_codes(revision, base_url),
        questionnaire(revision, base_url),
        plan_definition(revision, statements, base_url),
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": resource["url"], "resource": resource} for resource in resources],
    }


# The QuestionnaireResponse


def _answer(field, value):
    if field in pathway.CHOICES:
        values = value if isinstance(value, (list, tuple)) else [value]
        return [{"valueCoding": _answer_coding(field, one)} for one in values]
    if field in _RANGES:
        return [{"valueDecimal": value}]
    if _is_date(field):
        return [{"valueDate": value}]  # validated as YYYY-MM-DD
    return [{"valueString": str(value)}]


def _held(condition, answers):
    return condition is None or condition.reasons(answers) is not None


def response_items(answers, *, applicable_only=True):
    """The answers as QuestionnaireResponse items, nested as the Questionnaire's.

    A FHIR form leaves out the answers of questions that do not apply; with
    `applicable_only=False` every answer given is kept (the conditions must then ignore them
    as the engine does, which is what the proof tests check)."""
    answers = pathway.validate(answers)
    items = []
    for step in pathway.STEPS:
        if applicable_only and not _held(pathway.STEP_CONDITIONS.get(step), answers):
            continue
        questions = []
        for field in pathway.STEP_FIELDS[step]:
            condition = pathway.QUESTION_CONDITIONS.get(field)
            if field in _NOT_QUESTIONS or answers.get(field) in (None, (), []):
                continue
            if applicable_only and not _held(condition, answers):
                continue
            question = {"linkId": field, "answer": _answer(field, answers[field])}
            questions.append(_wrapped(question, condition, with_enable_when=False))
        if questions:
            group = {"linkId": step, "item": questions}
            items.append(_wrapped(group, pathway.STEP_CONDITIONS.get(step), with_enable_when=False))
    return items


def questionnaire_response(
    answers, *, questionnaire_version, base_url, applicable_only=True, **extra
):
    """The answers against the Questionnaire of that revision (canonical URL|version)."""
    questionnaire_url = canonical(base_url, "Questionnaire", QUESTIONNAIRE_ID)
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire_url}|{questionnaire_version}",
        "status": "completed",
        **extra,
        "item": response_items(answers, applicable_only=applicable_only),
    }


# The finalized encounter as a document


def _div(*parts):
    """An XHTML narrative; every part is already escaped (format_html)."""
    return format_html(
        '<div xmlns="{}">{}</div>', XHTML, format_html_join("", "{}", ((part,) for part in parts))
    )


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


def plan_section(snapshot, encounter, links=NO_LINKS):
    """ "For this patient" as the summary shows it: the plan in short (a snapshot from before
    it has none), then the scope statements and the high-priority warnings."""
    plan = format_html_join(
        "", "<li>{}: {}</li>", ((line["label"], line["text"]) for line in snapshot.get("plan", []))
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
        references = format_html_join(
            "",
            '<li value="{}">{}{}</li>',
            (
                (
                    reference["number"],
                    reference["vancouver"],
                    f" doi:{reference['doi']}" if reference["doi"] else "",
                )
                for reference in snapshot["references"]
            ),
        )
        parts.append(format_html("<p>References</p><ol>{}</ol>", references))
    return _section("Evidence and references", *parts)


def doses_section(snapshot, encounter, links=NO_LINKS):
    doses = snapshot["doses"]
    parts = []
    if ivig := doses.get("ivig"):
        dosing = ivig["dosing"]
        criteria = dosing.get("criteria", AUSTRALIAN_CRITERIA)
        calculator = dosing.get("calculator", ONTARIO_CALCULATOR)
        lines = [f"On actual body weight (as the guideline states it): {ivig['actual']}"]
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
    if course := snapshot.get("course"):
        parts.append(format_html("<p>IVIG course prescribed: {}</p>", course["sentence"]))
    parts = parts or [format_html("<p>{}</p>", "No dose applied.")]
    return _section("Doses", *parts, entries=links["course"])


def tumour_risk_section(snapshot, encounter, links=NO_LINKS):
    """The DELTA-P score and the screening plan, as the summary words them; None until the
    score is complete."""
    risk = snapshot.get("tumour_risk")
    if not risk:
        return None
    lines = [
        f"{risk['score']}: {risk['items']}.",
        f"{risk['sclc']}; {risk['derivation']}.",
        risk["schedule"],
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
    """Each review of the IVIG course as the summary shows it (the snapshot's reviews)."""
    course = snapshot.get("course")
    if not course:
        return _section("Reviews", format_html("<p>{}</p>", "No IVIG course recorded."))
    window = format_html(
        "<p>Review due from {} to {}; decide on what next before {}.</p>",
        course["review_due_from"],
        course["review_due_until"],
        course["decide_before"],
    )
    baseline = (
        format_html("<p>Baseline for the review: {}</p>", course["baseline"]["text"])
        if course.get("baseline")
        else ""
    )
    reviews = [_review_part(review) for review in snapshot.get("reviews", [])]
    if not reviews:
        reviews = [format_html("<p>{}</p>", "No IVIG course review recorded.")]
    return _section("Reviews", window, baseline, *reviews, entries=links["reviews"])


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


def _resource_uuid(encounter, kind):
    """A fixed id per encounter and resource: downloading twice gives the same document."""
    return str(uuid.uuid5(encounter.pk, kind))


def _subject(encounter):
    # Only the pseudonymous reference the clinician typed: no name, no date of birth.
    if not encounter.patient_reference:
        return {}
    return {"subject": {"identifier": {"value": encounter.patient_reference}}}


def _author(encounter):
    return {"display": encounter.owner.get_full_name() or encounter.owner.get_username()}


def encounter_response(encounter, base_url):
    """The answers the summary was evaluated on, against the revision's Questionnaire."""
    return {
        "id": _resource_uuid(encounter, "QuestionnaireResponse"),
        **questionnaire_response(
            encounter.answers,
            questionnaire_version=encounter.snapshot["guideline"]["revision"],
            base_url=base_url,
            **_subject(encounter),
            authored=encounter.finalized_at.isoformat(),
            author=_author(encounter),
        ),
    }


def _reference(resource):
    return f"urn:uuid:{resource['id']}"


def _patient(encounter):
    # MedicationRequest must name its subject: without a reference, a display says so.
    return _subject(encounter) or {"subject": {"display": "No patient reference recorded"}}


def medication_request(encounter):
    """The IVIG course recorded with the decision, as the snapshot words it; None without
    one. Intent `plan` and status `active`: the course as decided when the encounter was
    finalized (reviews, and what they decide next, are Observations and narrative)."""
    course = encounter.snapshot.get("course")
    if not course:
        return None
    start = datetime.date.fromisoformat(course["start_date"])
    days = course["days"]
    weight_basis = f"Dosing weight {format_number(course['dosing_weight_kg'])} kg"
    if encounter.dose_basis:
        weight_basis += f": {encounter.get_dose_basis_display()}"
    return {
        "resourceType": "MedicationRequest",
        "id": _resource_uuid(encounter, "MedicationRequest"),
        "status": "active",
        "intent": "plan",
        "medicationCodeableConcept": IVIG_MEDICATION,
        **_patient(encounter),
        "authoredOn": encounter.finalized_at.isoformat(),
        "requester": _author(encounter),
        "dosageInstruction": [
            {
                "text": f"{course['sentence']}. {weight_basis}.",
                # One infusion a day on `days` days in a row, from the start date.
                "timing": {
                    "repeat": {
                        "boundsPeriod": {
                            "start": start.isoformat(),
                            "end": (start + datetime.timedelta(days=days - 1)).isoformat(),
                        },
                        "count": days,
                        "frequency": 1,
                        "period": 1,
                        "periodUnit": "d",
                    }
                },
                "route": INTRAVENOUS,
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": course["daily_g"],
                            "unit": "g",
                            "system": UCUM,
                            "code": "g",
                        }
                    }
                ],
            }
        ],
    }


def _category(code, display):
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def delta_p_observation(encounter, response):
    """The DELTA-P score shown on the summary, None when it was not computed. The score and
    its items come from the engine on the encounter's answers (read-only once finalized),
    the words on the SCLC share and the schedule from the snapshot."""
    shown = encounter.snapshot.get("tumour_risk")
    risk = tumour_risk.delta_p(encounter.answers) if shown else None
    if risk is None:
        return None
    return {
        "resourceType": "Observation",
        "id": _resource_uuid(encounter, "Observation/delta-p"),
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": DELTA_P_CODE,
        **_subject(encounter),
        "effectiveDateTime": encounter.finalized_at.isoformat(),
        "valueInteger": risk["score"],
        "note": [{"text": f"{shown['sclc']}; {shown['derivation']}. {shown['schedule']}"}],
        "derivedFrom": [{"reference": _reference(response)}],
        # One component per item, present or not, in the score's order.
        "component": [
            {"code": {"text": DELTA_P_ITEM_NAMES[item]}, "valueBoolean": item in risk["items"]}
            for item in tumour_risk.ITEMS
        ],
    }


def review_observations(encounter, course_request):
    """One Observation per review with a score, on the baseline's scale (none when no
    baseline was recorded: a review then takes no score)."""
    if course_request is None or not encounter.baseline_scale:
        return []
    scale = ivig_review.SCALES[encounter.baseline_scale]
    baseline = baseline_words(encounter.baseline_scale, encounter.baseline_score)
    return [
        {
            "resourceType": "Observation",
            "id": _resource_uuid(encounter, f"Observation/review/{review.pk}"),
            "basedOn": [{"reference": _reference(course_request)}],
            "status": "final",
            "category": _category("exam", "Exam"),
            "code": {"text": f"{scale.name} score"},
            **_subject(encounter),
            "effectiveDateTime": review.review_date.isoformat(),
            "valueInteger": review.score,
            "note": [
                {
                    "text": score_change_words(
                        ivig_review.score_change(
                            encounter.baseline_scale, encounter.baseline_score, review.score
                        )
                    )
                    + f" (baseline {baseline})"
                }
            ],
        }
        for review in encounter.reviews.all()
        if review.score is not None
    ]


def composition(encounter, base_url, links):
    snapshot = encounter.snapshot
    guideline = snapshot["guideline"]
    plan_url = canonical(base_url, "PlanDefinition", PLAN_DEFINITION_ID)
    sections = (build(snapshot, encounter, links) for build in SECTIONS)
    return {
        "resourceType": "Composition",
        "id": _resource_uuid(encounter, "Composition"),
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/cqf-relatedArtifact",
                "valueRelatedArtifact": {
                    "type": "depends-on",
                    "display": f"{guideline['title']}, revision {guideline['revision']} "
                    f"({guideline['revision_date']})",
                    "resource": f"{plan_url}|{guideline['revision']}",
                },
            }
        ],
        "status": "final",
        "type": {"text": "LEMS IVIG pathway summary"},
        **_subject(encounter),
        "date": encounter.finalized_at.isoformat(),
        "author": [_author(encounter)],
        "title": f"{guideline['title']}: summary",
        "section": [section for section in sections if section is not None],
    }


def encounter_document(encounter, base_url):
    """A finalized encounter as a `document` Bundle: the Composition, then what it cites:
    the answers, the IVIG course, the DELTA-P score and the review scores."""
    response = encounter_response(encounter, base_url)
    course = medication_request(encounter)
    delta_p = delta_p_observation(encounter, response)
    reviews = review_observations(encounter, course)
    links = {
        "response": [_reference(response)],
        "course": [_reference(course)] if course else [],
        "delta_p": [_reference(delta_p)] if delta_p else [],
        "reviews": [_reference(review) for review in reviews],
    }
    resources = [response, *([course] if course else []), *([delta_p] if delta_p else [])]
    first = composition(encounter, base_url, links)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{encounter.pk}"},
        "type": "document",
        "timestamp": encounter.finalized_at.isoformat(),
        "entry": [
            {"fullUrl": _reference(resource), "resource": resource}
            for resource in (first, *resources, *reviews)
        ],
    }
