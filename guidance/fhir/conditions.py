"""The engine's rules as FHIR: nested `enableWhen` levels for the Questionnaire and FHIRPath
expressions over the QuestionnaireResponse for the PlanDefinition's applicability conditions."""

from guidance.engine import pathway
from guidance.engine.pathway import AllOf, AnyOf, Is, IsNot


def _flatten(kind, conditions):
    for condition in conditions:
        if isinstance(condition, kind):
            yield from _flatten(kind, condition.conditions)
        else:
            yield condition


class Unanswered:
    """An enableWhen that holds while `field` has no answer (operator `exists`, false)."""

    def __init__(self, field):
        self.field = field

    def __eq__(self, other):
        return isinstance(other, Unanswered) and other.field == self.field

    def __hash__(self):
        return hash(("unanswered", self.field))


def _not_equal(answer):
    """ "Not this answer, or no answer yet" as an OR a conformant form filler evaluates as
    the engine does: R4's `!=` is false while a question is unanswered, so `sex != female`
    would hide a question until sex is given. Unanswered, or any of the other answers."""
    others = (Is(answer.field, value) for value in pathway.CHOICES[answer.field])
    return ("any", (Unanswered(answer.field), *(o for o in others if o.value != answer.value)))


def enable_levels(condition):
    """A condition as enableWhen levels, outermost first: ("all" | "any", (Is, ...)).

    The answers every route needs come first, then one level per alternative (an answer
    that must not be given is such an alternative: see `_not_equal`). Raises ValueError for
    a shape plain enableWhen cannot hold (an AND inside an OR).
    """
    if condition is None:
        return []
    required, alternatives = [], []
    for part in _flatten(AllOf, (condition,)):
        if isinstance(part, Is):
            required.append(part)
            continue
        if isinstance(part, IsNot):
            alternatives.append(_not_equal(part))
            continue
        options = tuple(_flatten(AnyOf, part.conditions))
        if not all(isinstance(option, Is) for option in options):
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
    step = pathway.STEP_OF_FIELD[field]
    step_wrappers, _ = _wrappers(step, pathway.STEP_CONDITIONS.get(step))
    question_wrappers, _ = _wrappers(field, pathway.QUESTION_CONDITIONS.get(field))
    return [
        *(link_id for link_id, _ in step_wrappers),
        step,
        *(link_id for link_id, _ in question_wrappers),
        field,
    ]


def _one_enable_when(answer):
    if isinstance(answer, Unanswered):
        return {"question": answer.field, "operator": "exists", "answerBoolean": False}
    return {"question": answer.field, "operator": "=", "answerCoding": {"code": answer.value}}


def _enable_when(level):
    behaviour, answers = level
    enable_when = {"enableWhen": [_one_enable_when(answer) for answer in answers]}
    if len(answers) > 1:
        enable_when["enableBehavior"] = behaviour
    return enable_when


def wrapped(item, condition, *, with_enable_when=True):
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
        step_condition = pathway.STEP_CONDITIONS.get(pathway.STEP_OF_FIELD[condition.field])
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
