"""One form per pathway step, the decision form and the encounter search.

The labels and hints are those of `guidance.encounters.wording`; the messages here say how to put a
wrong answer right.
"""

import copy
import datetime
import math

from django import forms
from django.utils import timezone
from django.utils.html import format_html

from guidance.encounters.models import REVIEW_NOTE_MAX_LENGTH, Encounter, Review
from guidance.encounters.wording import (
    AUSTRALIAN_CRITERIA,
    FIELD_HINTS,
    FIELD_LABELS,
    IVIG_STEP_HINT,
    IVIG_STEP_LABELS,
    TUMOUR_RISK_INTRO,
    TUMOUR_RISK_ITEMS,
    TUMOUR_RISK_LEGEND,
    VALUE_LABELS,
)
from guidance.engine import dosing, ivig_review, pathway, tumour_risk
from lems_site.plain_text import PlainTextForm


def _choices(field):
    return [
        (
            value,
            format_html('{}<span class="choice-hint">{}</span>', label, hint) if hint else label,
        )
        for value, (label, hint) in VALUE_LABELS[field].items()
    ]


def _choice_field(field, required=True):
    return forms.ChoiceField(
        label=FIELD_LABELS[field],
        help_text=FIELD_HINTS.get(field, ""),
        # An optional question can be taken back to unanswered once answered.
        choices=_choices(field) if required else [*_choices(field), ("", "Leave unanswered")],
        widget=forms.RadioSelect,
        required=required,
        error_messages={
            "required": f"Choose an answer for “{FIELD_LABELS[field]}”",
            "invalid_choice": "That is not one of the choices; choose one of those listed.",
        },
    )


class MeasurementField(forms.FloatField):
    """A number in a range, with messages a clinician can act on.

    A text box, not `type="number"`: Chromium turns "82,5" typed there into 825 (the comma
    read as a thousands separator) before the form is sent. Here a decimal comma means what
    it means in most of Europe: "82,5" is 82.5. No weight or height runs into thousands, so
    a comma is never a thousands separator; "1,234.5" or "82,5,1" are refused as not a
    number.
    """

    def __init__(self, *, name, unit, low, high, below_note="", **kwargs):
        example = "72.5" if unit == "kg" else "170"
        messages = {
            "required": f"Enter the {name} in {unit}.",
            "invalid": f"Enter the {name} in {unit} as a number, e.g. {example}.",
            "min_value": f"The {name} must be at least {low} {unit}{below_note}.",
            "max_value": f"The {name} must be at most {high} {unit}.",
        }
        super().__init__(
            min_value=low,
            max_value=high,
            error_messages=messages,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str) and value.count(",") == 1 and "." not in value:
            value = value.replace(",", ".")
        number = super().to_python(value)
        if number is not None and not math.isfinite(number):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class StepForm(PlainTextForm, forms.Form):
    """Validates one step; the engine's own check catches what crosses fields."""

    step = ""
    assessment = None  # the pathway's assessment of all the answers, once valid
    questions_unseen = False  # saved, but with questions still to show: see TumourForm

    def __init__(self, *args, earlier_answers=None, **kwargs):
        self.earlier_answers = earlier_answers or {}
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.assess_with_earlier_answers()
        return cleaned

    def assess_with_earlier_answers(self):
        """Whether this step fits the other steps' answers (e.g. pregnant with sex). When it
        does, `assessment` holds what the pathway makes of all the answers, so nothing after
        the form needs to validate them again."""
        try:
            self.assessment = pathway.assess(self.merged_answers())
        except pathway.AnswerError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.problem[:1].upper() + error.problem[1:])
            return False
        return True

    def merged_answers(self):
        """All the encounter's answers with this step's replacing the step's earlier ones."""
        fields = pathway.STEP_FIELDS[self.step]
        kept = {
            field: value for field, value in self.earlier_answers.items() if field not in fields
        }
        return {**kept, **self.step_answers(self.cleaned_data)}

    def step_answers(self, cleaned):
        """The engine's answers of this step: unanswered optional fields stay out."""
        return {
            field: value
            for field, value in cleaned.items()
            if field in pathway.STEP_FIELDS[self.step] and value not in (None, "")
        }


class PatientForm(StepForm):
    step = "patient"
    patient_reference = forms.CharField(
        label=FIELD_LABELS["patient_reference"],
        max_length=pathway.PATIENT_REFERENCE_MAX_LENGTH,
        required=False,
        help_text="A pseudonymous identifier from your records, not the patient's name.",
        error_messages={"max_length": "Keep the reference to 64 characters or fewer."},
    )
    weight_kg = MeasurementField(
        name="weight",
        unit="kg",
        low=pathway.WEIGHT_RANGE_KG[0],
        high=pathway.WEIGHT_RANGE_KG[1],
        below_note=" (the pathway is for adults)",
        label=FIELD_LABELS["weight_kg"],
    )
    diagnosis_confirmed = _choice_field("diagnosis_confirmed")
    height_cm = MeasurementField(
        name="height",
        unit="cm",
        low=pathway.HEIGHT_RANGE_CM[0],
        high=pathway.HEIGHT_RANGE_CM[1],
        label=FIELD_LABELS["height_cm"],
        required=False,
        help_text=f"With sex, gives the adjusted body weight {AUSTRALIAN_CRITERIA} dose IVIG "
        "on; no IVIG dose is shown without them.",
    )
    sex = _choice_field("sex", required=False)
    pregnant = _choice_field("pregnant", required=False)

    def step_answers(self, cleaned):
        answers = super().step_answers(cleaned)
        answers.pop("patient_reference", None)
        return answers


# How far back a negative screen may lie: the schedule's dates run 2 years from it.
SCREEN_DATE_MAX_AGE_MONTHS = 36


class ScreenDateField(forms.DateField):
    """The last negative screen: a real date, not in the future, at most 3 years ago."""

    def __init__(self, **kwargs):
        super().__init__(
            input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={
                "invalid": "Enter the date of the last negative screen as YYYY-MM-DD, "
                "e.g. 2026-11-15."
            },
            **kwargs,
        )

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError(
                "The last negative screen cannot be in the future: enter the date it was done.",
                code="future",
            )
        earliest = tumour_risk.add_months(today, -SCREEN_DATE_MAX_AGE_MONTHS)
        if value < earliest:
            raise forms.ValidationError(
                f"The last negative screen must be at most 3 years ago (on or after "
                f"{earliest.isoformat()}); an older screen is no basis for the schedule: "
                "screen again.",
                code="too_old",
            )


class TumourForm(StepForm):
    """Tumour status and smoking; with no tumour found (or not yet screened) also the
    DELTA-P items and, when screened, whether the screen included FDG-PET (required then)
    and the date of the last negative screen."""

    step = "tumour"
    risk_legend = TUMOUR_RISK_LEGEND
    risk_intro = TUMOUR_RISK_INTRO
    tumour_status = _choice_field("tumour_status")
    smoking = _choice_field("smoking")
    # Required, but only when asked: with "screened, no tumour found" (see clean).
    screen_included_pet = _choice_field("screen_included_pet")
    onset_age_50_or_over = _choice_field("onset_age_50_or_over", required=False)
    weight_loss_5_percent = _choice_field("weight_loss_5_percent", required=False)
    bulbar_involvement = _choice_field("bulbar_involvement", required=False)
    erectile_dysfunction = _choice_field("erectile_dysfunction", required=False)
    karnofsky_below_70 = _choice_field("karnofsky_below_70", required=False)
    last_negative_screen_date = ScreenDateField(
        label=FIELD_LABELS["last_negative_screen_date"],
        help_text=FIELD_HINTS["last_negative_screen_date"],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required only after a negative screen (clean): no HTML `required`, which would stop
        # a browser without JavaScript from sending the form while the question is hidden.
        self.fields["screen_included_pet"].required = False
        # Not asked of a woman (DESIGN §4): it scores 0, so the question is left out.
        if self.earlier_answers.get("sex") == "female":
            del self.fields["erectile_dysfunction"]

    def clean(self):
        status = self.cleaned_data.get("tumour_status")
        # Answers that do not apply to the status chosen are dropped, not stored: a stale
        # screen date, say, from before "not screened" was chosen. Nor does a bad value in
        # a question that does not apply stop the step.
        if status != "not_found":
            for field in ("screen_included_pet", "last_negative_screen_date"):
                self.cleaned_data.pop(field, None)
                self.errors.pop(field, None)
        elif not self.cleaned_data.get("screen_included_pet") and not self.has_error(
            "screen_included_pet"
        ):
            pet = self.fields["screen_included_pet"]
            self.add_error("screen_included_pet", pet.error_messages["required"])
        if status not in ("not_found", "not_screened"):
            for item in TUMOUR_RISK_ITEMS:
                self.cleaned_data.pop(item, None)
                self.errors.pop(item, None)
        return super().clean()

    @property
    def questions_unseen(self):
        """The items were hidden when this was posted: "tumour found" was saved, and
        without JavaScript nothing showed them when another status was chosen. The page
        marks hidden items with a disabled `delta_p_asked` (pathway.js enables it as it
        shows them), so only such a post lacks it; the step is then shown again, with
        the items."""
        return (
            self.earlier_answers.get("tumour_status") == "found"
            and self.cleaned_data.get("tumour_status") in ("not_found", "not_screened")
            and "delta_p_asked" not in self.data
        )

    def step_answers(self, cleaned):
        answers = super().step_answers(cleaned)
        if isinstance(answers.get("last_negative_screen_date"), datetime.date):
            answers["last_negative_screen_date"] = answers["last_negative_screen_date"].isoformat()
        return answers


class SymptomaticForm(StepForm):
    step = "symptomatic"
    dap_status = _choice_field("dap_status")


class SeverityForm(StepForm):
    step = "severity"
    weakness = _choice_field("weakness")
    rapid_improvement_needed = _choice_field("rapid_improvement_needed")
    immunosuppression = _choice_field("immunosuppression")


def _dosing_weight_field(field):
    """Height or sex as the IVIG step asks it: required, since no IVIG dose is shown without."""
    if field == "height_cm":
        return MeasurementField(
            name="height",
            unit="cm",
            low=pathway.HEIGHT_RANGE_CM[0],
            high=pathway.HEIGHT_RANGE_CM[1],
            label=IVIG_STEP_LABELS[field],
            help_text=IVIG_STEP_HINT,
        )
    chosen = _choice_field(field)
    chosen.label = IVIG_STEP_LABELS[field]
    chosen.help_text = IVIG_STEP_HINT
    chosen.error_messages["required"] = f"Choose an answer for “{IVIG_STEP_LABELS[field]}”"
    return chosen


class IvigForm(StepForm):
    step = "ivig"
    plasma_exchange_available = _choice_field("plasma_exchange_available")
    ivig_risk_factors = forms.MultipleChoiceField(
        label=FIELD_LABELS["ivig_risk_factors"],
        choices=_choices("ivig_risk_factors"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked if none applies.",
        error_messages={"invalid_choice": "That is not one of the risk factors listed."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The dosing weight needs height and sex before any IVIG figure (DESIGN §4): asked
        # here when the patient step left them blank, as the same answers.
        for field in dosing.IVIG_NEEDS:
            if self.earlier_answers.get(field) in (None, ""):
                self.fields[field] = _dosing_weight_field(field)

    def step_answers(self, cleaned):
        # An empty list is an answer here ("none"), not a missing one.
        answers = super().step_answers(cleaned)
        for field in dosing.IVIG_NEEDS:
            if cleaned.get(field) not in (None, ""):
                answers[field] = cleaned[field]
        # Once each, however often a factor was posted.
        answers["ivig_risk_factors"] = list(dict.fromkeys(cleaned.get("ivig_risk_factors", [])))
        return answers


STEP_FORMS = {
    form.step: form for form in (PatientForm, TumourForm, SymptomaticForm, SeverityForm, IvigForm)
}


COURSE_FIELDS = ("ivig_g_per_kg", "ivig_days", "course_start_date")
BASELINE_FIELDS = ("baseline_scale", "baseline_score")
# The decisions a course is recorded with: IVIG given as advised, or in part.
DECISIONS_WITH_COURSE = (Encounter.Decision.FOLLOWED, Encounter.Decision.PARTLY)
COURSE_START_MAX_DAYS_AHEAD = 60
_OUTSIDE_DOSE_RANGE = (
    "The guideline gives 1.0-2.0 g/kg: for another dose, record “Partly followed” or "
    "“Not followed” with a note, and leave the course empty."
)


# The course's fields, the same on the decision form (the first course) and on the review
# form (the next course, DESIGN §5): one definition, so the labels and messages agree.
_DOSE_FIELD = forms.DecimalField(
    label="IVIG dose (g/kg, 1.0-2.0)",
    required=False,
    decimal_places=1,
    min_value=dosing.COURSE_G_PER_KG_RANGE[0],
    max_value=dosing.COURSE_G_PER_KG_RANGE[1],
    widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    error_messages={
        "invalid": "Enter the dose in g/kg as a number, e.g. 2.0.",
        "min_value": f"The dose must be at least 1.0 g/kg. {_OUTSIDE_DOSE_RANGE}",
        "max_value": f"The dose must be at most 2.0 g/kg. {_OUTSIDE_DOSE_RANGE}",
        "max_decimal_places": "Give the dose to one decimal, e.g. 1.5.",
    },
)
_DAYS_FIELD = forms.IntegerField(
    label="Over how many days (2-5)",
    required=False,
    min_value=dosing.COURSE_DAYS_RANGE[0],
    max_value=dosing.COURSE_DAYS_RANGE[1],
    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    error_messages={
        "invalid": "Enter the number of days as a whole number from 2 to 5.",
        "min_value": "The guideline gives the dose over 2 to 5 days: at least 2.",
        "max_value": "The guideline gives the dose over 2 to 5 days: at most 5.",
    },
)
_START_FIELD = forms.DateField(
    label="Course starts on",
    required=False,
    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    help_text="Today or within the next 60 days.",
    error_messages={"invalid": "Enter the start date as a date, e.g. 2026-12-01."},
)
_BASELINE_SCALE_FIELD = forms.ChoiceField(
    label="Baseline score for the review (optional)",
    required=False,
    choices=[*Encounter.BaselineScale.choices, ("", "No baseline score")],
    widget=forms.RadioSelect,
    error_messages={"invalid_choice": "Choose QMG, MRC sum or no baseline score."},
)
_BASELINE_SCORE_FIELD = forms.IntegerField(
    label="Baseline score",
    required=False,
    min_value=0,
    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    help_text="QMG 0-39 or MRC sum 0-60, a whole number.",
    error_messages={
        "invalid": "Enter the baseline score as a whole number.",
        "min_value": "A score is 0 or more.",
    },
)

COURSE_FORM_FIELDS = {
    "ivig_g_per_kg": _DOSE_FIELD,
    "ivig_days": _DAYS_FIELD,
    "course_start_date": _START_FIELD,
    "baseline_scale": _BASELINE_SCALE_FIELD,
    "baseline_score": _BASELINE_SCORE_FIELD,
}
_MISSING_COURSE_MESSAGES = {
    "ivig_g_per_kg": "Enter the dose in g/kg: once a course is begun it needs its dose.",
    "ivig_days": "Enter over how many days: once a course is begun it needs them.",
    "course_start_date": "Enter the start date: once a course is begun it needs it.",
}


def check_course_start(start):
    """The start of a course being prescribed: today or within the next 60 days."""
    today = timezone.localdate()
    if start < today:
        raise forms.ValidationError("The course cannot start before today.")
    if start > today + datetime.timedelta(days=COURSE_START_MAX_DAYS_AHEAD):
        raise forms.ValidationError(
            "The course starts within 60 days: record a later course when it is planned."
        )
    return start


def _given(form, field, cleaned):
    """Posted with a value, valid or not (an invalid value is not "left empty")."""
    if field in form._errors:
        return True
    return cleaned.get(field) not in (None, "")


def clean_course(form, cleaned):
    """A course on `form` (decision or review): optional as a whole, every one of its three
    fields required once any course field is given, the baseline whole or absent. Says
    whether a course was given. The days offered by default (`offer_longest_course`) left
    alone are no course begun."""
    given = [field for field in COURSE_FORM_FIELDS if _given(form, field, cleaned)]
    offered = getattr(form, "offered_days", None)
    if given == ["ivig_days"] and offered is not None and cleaned.get("ivig_days") == offered:
        cleaned["ivig_days"] = None
        return False
    if not given:
        return False
    for field, message in _MISSING_COURSE_MESSAGES.items():
        if not _given(form, field, cleaned):
            form.add_error(field, message)
    _clean_baseline(form, cleaned)
    return True


def ignore_course(form, cleaned):
    """No course is taken, whatever the fields hold (without JavaScript they stay on the
    page whatever the decision or plan)."""
    for field in COURSE_FORM_FIELDS:
        form._errors.pop(field, None)
        cleaned[field] = "" if field == "baseline_scale" else None


def _clean_baseline(form, cleaned):
    scale, score = cleaned.get("baseline_scale"), cleaned.get("baseline_score")
    if "baseline_scale" in form._errors or "baseline_score" in form._errors:
        return
    if scale and score is None:
        form.add_error("baseline_score", "Enter the baseline score on the chosen scale.")
    elif score is not None and not scale:
        form.add_error("baseline_scale", "Choose the scale the baseline score is on.")
    elif scale:
        try:
            ivig_review.check_score(scale, score)
        except ValueError as error:
            form.add_error("baseline_score", str(error))


def offer_longest_course(form):
    """With a thrombosis or renal risk (`ivig-risk-mitigation`), the course is offered over
    its longest, 5 days (DESIGN §4 "IVIG safety"); the clinician may change it."""
    longest = form.offered_days = dosing.COURSE_DAYS_RANGE[1]
    form.fields["ivig_days"].initial = longest
    if form.initial.get("ivig_days") is None:  # a ModelForm's instance has none yet
        form.initial["ivig_days"] = longest


class DecisionForm(PlainTextForm, forms.ModelForm):
    """What the clinician decided; a reason is needed unless the advice was followed.

    When IVIG applies, it also takes the IVIG course prescribed: optional as a whole, every
    field of it required once one is given, and kept only with a decision of followed or
    partly followed (with another decision the course fields are ignored, whatever they hold).
    """

    ivig_g_per_kg = COURSE_FORM_FIELDS["ivig_g_per_kg"]
    ivig_days = COURSE_FORM_FIELDS["ivig_days"]
    course_start_date = COURSE_FORM_FIELDS["course_start_date"]
    baseline_scale = COURSE_FORM_FIELDS["baseline_scale"]
    baseline_score = COURSE_FORM_FIELDS["baseline_score"]

    class Meta:
        model = Encounter
        fields = [
            "decision",
            "decision_reason",
            "decision_note",
            "dose_basis",
            *COURSE_FIELDS,
            *BASELINE_FIELDS,
        ]
        labels = {
            "decision": "Were the recommendations followed?",
            "decision_reason": "Main reason, if not fully followed",
            "decision_note": "Note",
            "dose_basis": "IVIG dose based on",
        }
        widgets = {
            "decision": forms.RadioSelect,
            "decision_reason": forms.RadioSelect,
            "dose_basis": forms.RadioSelect,
            "decision_note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"decision_note": "Up to 2,000 characters."}
        error_messages = {
            "decision_note": {
                "max_length": "Keep the note to 2,000 characters or fewer "
                "(it has %(show_value)d): the summary and its PDF print it whole."
            }
        }

    def __init__(
        self, *args, dose_basis_needed=False, course_offered=False, longest_course=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["decision"].required = True
        self.fields["decision"].choices = Encounter.Decision.choices
        self.fields["decision"].error_messages["required"] = "Choose what was decided."
        self.fields["decision_reason"].choices = Encounter.Reason.choices
        self.fields["dose_basis"].choices = Encounter.DoseBasis.choices
        if dose_basis_needed:
            self.fields["dose_basis"].required = True
            self.fields["dose_basis"].error_messages["required"] = (
                "Choose which weight the IVIG dose is based on."
            )
        else:
            del self.fields["dose_basis"]
        self.course_offered = course_offered
        # Offered over its longest (the blank form's HTML is kept per process by this too).
        self.longest_course = course_offered and longest_course
        if not course_offered:
            for field in (*COURSE_FIELDS, *BASELINE_FIELDS):
                del self.fields[field]
        elif longest_course:
            offer_longest_course(self)

    @property
    def decision_fields(self):
        return [field for field in self if field.name not in (*COURSE_FIELDS, *BASELINE_FIELDS)]

    @property
    def course_fields(self):
        return [field for field in self if field.name in (*COURSE_FIELDS, *BASELINE_FIELDS)]

    def clean_course_start_date(self):
        start = self.cleaned_data.get("course_start_date")
        return start if start is None else check_course_start(start)

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        reason = cleaned.get("decision_reason")
        if decision and decision != Encounter.Decision.FOLLOWED and not reason:
            self.add_error("decision_reason", "Give the main reason the advice was not followed.")
        if decision == Encounter.Decision.FOLLOWED and reason:
            cleaned["decision_reason"] = ""
        if reason == Encounter.Reason.OTHER and not cleaned.get("decision_note", "").strip():
            self.add_error("decision_note", "Say what the other reason was.")
        if self.course_offered:
            self._clean_course(cleaned, decision)
        return cleaned

    def _clean_course(self, cleaned, decision):
        if decision not in DECISIONS_WITH_COURSE:
            ignore_course(self, cleaned)  # not given as advised: no course is recorded
            return
        clean_course(self, cleaned)


class ReviewForm(PlainTextForm, forms.ModelForm):
    """A review of one IVIG course of the encounter: its date within the course start and
    today, the score on the baseline's scale (asked, and required, only when a baseline was
    recorded), adverse events, the clinician's judgment of the response, the plan, a note.

    On the latest course's review (`next_course_offered`) it also takes the next course
    when the plan repeats the course: the decision form's course fields, with their
    messages (`COURSE_FORM_FIELDS`, `clean_course`); optional, so a repeat without them
    records no further course. With another plan the course fields are ignored.
    """

    review_date = forms.DateField(
        label="Date of the review",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Enter the date of the review.",
            "invalid": "Enter the date of the review as a date, e.g. 2026-12-15.",
        },
    )
    score = forms.IntegerField(
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the score as a whole number.",
            "min_value": "A score is 0 or more.",
        },
    )
    adverse_events = forms.MultipleChoiceField(
        label="Adverse events since the course (tick any)",
        choices=Review.AdverseEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave all unticked if there were none.",
        error_messages={"invalid_choice": "That is not one of the adverse events listed."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=REVIEW_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Up to 2,000 characters.",
        error_messages={
            "max_length": "Keep the note to 2,000 characters or fewer (it has "
            "%(show_value)d): the summary and its PDF print it whole."
        },
    )

    class Meta:
        model = Review
        fields = ["review_date", "score", "adverse_events", "response", "plan", "note"]
        labels = {
            "response": "Response to the course (your judgment)",
            "plan": "Plan",
        }
        widgets = {"response": forms.RadioSelect, "plan": forms.RadioSelect}
        error_messages = {
            "response": {
                "required": "Choose how the patient responded.",
                "invalid_choice": "That is not one of the responses listed.",
            },
            "plan": {
                "required": "Choose the plan.",
                "invalid_choice": "That is not one of the plans listed.",
            },
        }

    def __init__(
        self,
        *args,
        encounter,
        course=None,
        next_course_offered=False,
        longest_course=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.encounter = encounter
        # The course reviewed: the encounter itself for the first, else a `Course`; both
        # hold `course_start_date`, `baseline_scale` and `baseline_score`.
        self.course = course or encounter
        self.fields["response"].choices = Review.Response.choices
        self.fields["plan"].choices = Review.Plan.choices
        if self.course.baseline_scale:
            scale = ivig_review.SCALES[self.course.baseline_scale]
            better = "higher" if scale.higher_is_better else "lower"
            self.fields[
                "score"
            ].label = (
                f"{scale.name} score at the review ({scale.low}-{scale.high}, {better} is better)"
            )
            self.fields[
                "score"
            ].help_text = f"The baseline was {scale.name} {self.course.baseline_score}."
            self.fields["score"].required = True
            self.fields["score"].error_messages["required"] = (
                f"Enter the {scale.name} score: the course has a {scale.name} baseline to "
                "compare it with."
            )
        else:
            del self.fields["score"]  # no baseline: nothing to compare a score with
        self.next_course_offered = next_course_offered
        if next_course_offered:
            for name, field in COURSE_FORM_FIELDS.items():
                self.fields[name] = copy.deepcopy(field)
            if longest_course:
                offer_longest_course(self)

    @property
    def course_fields(self):
        return [field for field in self if field.name in COURSE_FORM_FIELDS]

    @property
    def review_fields(self):
        return [field for field in self if field.name not in COURSE_FORM_FIELDS]

    def clean_course_start_date(self):
        start = self.cleaned_data.get("course_start_date")
        return start if start is None else check_course_start(start)

    def clean_review_date(self):
        review_date = self.cleaned_data["review_date"]
        start = self.course.course_start_date
        if review_date < start:
            raise forms.ValidationError(
                f"The review cannot be before the course started ({start.isoformat()})."
            )
        if review_date > timezone.localdate():
            raise forms.ValidationError("The review date cannot be in the future.")
        return review_date

    def clean_score(self):
        score = self.cleaned_data.get("score")
        if score is not None:
            try:
                ivig_review.check_score(self.course.baseline_scale, score)
            except ValueError as error:
                raise forms.ValidationError(str(error)) from None
        return score

    def clean_adverse_events(self):
        # Once each, in the order listed, however they were posted.
        chosen = set(self.cleaned_data["adverse_events"])
        return [event for event in Review.AdverseEvent.values if event in chosen]

    def clean(self):
        cleaned = super().clean()
        note = cleaned.get("note", "").strip()
        if "note" not in self._errors and not note:
            if Review.AdverseEvent.OTHER in cleaned.get("adverse_events", []):
                self.add_error("note", "Say what the other adverse event was.")
            elif cleaned.get("plan") == Review.Plan.OTHER:
                self.add_error("note", "Say what the other plan is.")
        self.next_course = None
        if self.next_course_offered:
            if cleaned.get("plan") != Review.Plan.REPEAT_COURSE:
                ignore_course(self, cleaned)
            elif clean_course(self, cleaned) and not any(
                field in self._errors for field in COURSE_FORM_FIELDS
            ):
                self.next_course = {field: cleaned[field] for field in COURSE_FORM_FIELDS}
        return cleaned


class EncounterSearchForm(PlainTextForm, forms.Form):
    """Search of my encounters; posted, so a patient reference never lands in a URL."""

    reference = forms.CharField(
        label="Patient reference",
        max_length=64,
        required=False,
        error_messages={"max_length": "A patient reference has at most 64 characters."},
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[
            ("", "Any status"),
            *Encounter.Status.choices,
            ("review_due", "IVIG review due or overdue"),
        ],
        required=False,
    )
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
