"""The guideline and finalized encounters as FHIR R4 resources (DESIGN.md §8), as plain dicts.

`guideline_bundle` is a `collection` of the published revision: a Questionnaire (the
pathway's steps as groups, each question an item coded with its field name) and a
PlanDefinition (one action per statement code, whose applicability condition is the
engine's rule in FHIRPath over the QuestionnaireResponse). `encounter_document` is a
`document` of a finalized encounter, built from its snapshot: what the clinician saw.

Nothing clinical is restated here: steps, questions, values, ranges and rules come from
guidance/pathway.py, labels from guidance/wording.py, statements and citations from the
revision. Plain `enableWhen` holds one AND or one OR of answers, so a condition that ANDs
several ORs (the IVIG step: confirmed, and 3,4-DAP inadequate or not tolerated, and severe
weakness or rapid improvement or bridging) becomes groups nested one in another, one level
per OR, the item itself carrying the innermost: every renderer of R4 understands that, where
the SDC `enableWhenExpression` extension needs an SDC-aware one.
"""

import uuid

from django.utils import timezone
from django.utils.html import format_html, format_html_join

from guidance import pathway
from guidance.pathway import AllOf, AnyOf, Is, IsNot
from guidance.wording import FIELD_LABELS, STEP_TITLES, VALUE_LABELS

QUESTIONNAIRE_ID = "lems-ivig-pathway"
PLAN_DEFINITION_ID = "lems-ivig-guideline"
QUESTION_CODES_ID = "lems-ivig-questions"
FHIR_JSON = "application/fhir+json"
XHTML = "http://www.w3.org/1999/xhtml"

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
    return [
        statement
        for group in snapshot["groups"]
        for statement in group["statements"]
        if (kind is None or statement["kind"] == kind) and (not priority or statement["priority"])
    ]


def _statement_parts(statements, empty):
    if not statements:
        return [format_html("<p>{}</p>", empty)]
    return [_statement_paragraph(statement) for statement in statements]


def _statement_section(title, statements, empty):
    return _section(title, *_statement_parts(statements, empty))


def plan_section(snapshot, encounter):
    """What comes first: the scope statements, then the high-priority warnings."""
    first = _statements(snapshot, "scope") + [
        statement
        for statement in _statements(snapshot, priority=True)
        if statement["kind"] != "scope"
    ]
    return _statement_section("Plan", first, "Nothing to settle before the recommendations.")


def recommendations_section(snapshot, encounter):
    return _statement_section(
        "Recommendations", _statements(snapshot, "recommendation"), "No recommendation applied."
    )


def pitfalls_section(snapshot, encounter):
    return _statement_section(
        "Pitfalls to avoid", _statements(snapshot, "warning"), "No pitfall applied."
    )


def evidence_section(snapshot, encounter):
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


def doses_section(snapshot, encounter):
    doses = snapshot["doses"]
    parts = []
    if ivig := doses.get("ivig"):
        dosing = ivig["dosing"]
        lines = [
            f"On actual body weight (as the guideline states it): {ivig['actual']}",
            f"On the dosing weight of the national criteria, {dosing['dosing_weight_kg']} kg "
            f"({dosing['basis']} weight): {dosing['arithmetic']}",
            f"Why this weight: {dosing['reason']}.",
        ]
        parts.append(
            format_html(
                "<p>IVIG</p><ul>{}</ul>",
                format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
            )
        )
    if prednisone := doses.get("prednisone"):
        parts.append(format_html("<p>Prednisone: {}</p>", prednisone))
    return _section("Doses", *(parts or [format_html("<p>{}</p>", "No dose applied.")]))


def decision_section(snapshot, encounter):
    rows = [("Recommendations", encounter.get_decision_display())]
    if encounter.decision_reason:
        rows.append(("Reason", encounter.get_decision_reason_display()))
    if encounter.dose_basis:
        rows.append(("IVIG dose based on", encounter.get_dose_basis_display()))
    if encounter.decision_note:
        rows.append(("Note", encounter.decision_note))
    return _section("Decision", format_html_join("", "<p>{}: {}</p>", rows))


def reviews_section(snapshot, encounter):
    return _section("Reviews", format_html("<p>{}</p>", "No IVIG course review recorded."))


def answers_section(snapshot, encounter, response_reference):
    steps = format_html_join(
        "",
        "<p>{}: {}</p>",
        (
            (step["title"], "; ".join(f"{label}: {value}" for label, value in step["answers"]))
            for step in snapshot["steps"]
        ),
    )
    return _section("Answers", steps, entries=[response_reference])


# The document's sections, in order; each builder takes the snapshot and the encounter.
SECTIONS = (
    plan_section,
    recommendations_section,
    pitfalls_section,
    evidence_section,
    doses_section,
    decision_section,
    reviews_section,
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


def composition(encounter, base_url, response_reference):
    snapshot = encounter.snapshot
    guideline = snapshot["guideline"]
    plan_url = canonical(base_url, "PlanDefinition", PLAN_DEFINITION_ID)
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
        "section": [
            *(build(snapshot, encounter) for build in SECTIONS),
            answers_section(snapshot, encounter, response_reference),
        ],
    }


def encounter_document(encounter, base_url):
    """A finalized encounter as a `document` Bundle: the Composition, then what it cites."""
    response = encounter_response(encounter, base_url)
    resources = [response]
    first = composition(encounter, base_url, f"urn:uuid:{response['id']}")
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{encounter.pk}"},
        "type": "document",
        "timestamp": encounter.finalized_at.isoformat(),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in (first, *resources)
        ],
    }
