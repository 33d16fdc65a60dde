"""The pathway's questions as a Questionnaire (and the CodeSystem of their codes), and a set of
answers as a QuestionnaireResponse."""

from guidance.encounters.wording import (
    FIELD_LABELS,
    STEP_TITLES,
)
from guidance.engine import pathway
from guidance.fhir.common import (
    NOT_QUESTIONS,
    QUESTION_CODES_ID,
    QUESTIONNAIRE_ID,
    RANGES,
    UCUM,
    canonical,
    is_date,
    metadata,
    without_empty,
)
from guidance.fhir.conditions import wrapped
from guidance.fhir.terminology import answer_coding

# The unit of each decimal question, as UCUM codes it.
UNITS = {
    "weight_kg": {"code": "kg", "display": "kilogram"},
    "height_cm": {"code": "cm", "display": "centimeter"},
}


def _label(field):
    # A field the forms do not word yet reads as its name.
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


def _question(field, base_url):
    step = pathway.STEP_OF_FIELD[field]
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
            {"valueCoding": answer_coding(field, value, base_url)}
            for value in pathway.CHOICES[field]
        ]
        if field == "ivig_risk_factors":
            item["repeats"] = True  # tick any that apply
    elif field in RANGES:
        low, high = RANGES[field]
        item["type"] = "decimal"
        item["extension"] = [
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDecimal": low},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": high},
            {
                "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
                "valueCoding": {"system": UCUM, **UNITS[field]},
            },
        ]
    elif is_date(field):
        item["type"] = "date"
    else:
        item["type"] = "string"
    return wrapped(item, pathway.QUESTION_CONDITIONS.get(field))


def _step_group(step, base_url):
    group = {
        "linkId": step,
        "text": STEP_TITLES[step],
        "type": "group",
        "item": [
            _question(field, base_url)
            for field in pathway.STEP_FIELDS[step]
            if field not in NOT_QUESTIONS
        ],
    }
    return wrapped(group, pathway.STEP_CONDITIONS.get(step))


def question_codes(revision, base_url):
    """The CodeSystem of the questions' codes: the field names of the pathway."""
    return without_empty(
        {
            **metadata(
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
                for field in pathway.STEP_OF_FIELD
                if field not in NOT_QUESTIONS
            ],
        }
    )


def questionnaire(revision, base_url):
    """The pathway's steps and questions; `enableWhen` says which apply."""
    return without_empty(
        {
            **metadata(
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


def _answer(field, value, base_url):
    if field in pathway.CHOICES:
        values = value if isinstance(value, (list, tuple)) else [value]
        return [{"valueCoding": answer_coding(field, one, base_url)} for one in values]
    if field in RANGES:
        return [{"valueDecimal": value}]
    if is_date(field):
        return [{"valueDate": value}]  # validated as YYYY-MM-DD
    return [{"valueString": str(value)}]


def _held(condition, answers):
    return condition is None or condition.reasons(answers) is not None


def response_items(answers, *, base_url, applicable_only=True):
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
            if field in NOT_QUESTIONS or answers.get(field) in (None, (), []):
                continue
            if applicable_only and not _held(condition, answers):
                continue
            question = {"linkId": field, "answer": _answer(field, answers[field], base_url)}
            questions.append(wrapped(question, condition, with_enable_when=False))
        if questions:
            group = {"linkId": step, "item": questions}
            items.append(wrapped(group, pathway.STEP_CONDITIONS.get(step), with_enable_when=False))
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
        "item": response_items(answers, base_url=base_url, applicable_only=applicable_only),
    }


# The finalized encounter as a document
