"""Would Jinja2 beat Django's template engine on the summary's per-patient fragments?
`python -m bench.jinja2_probe` (issue 27: "consider Jinja2 ... only if it measurably beats
caching"; these fragments depend on the patient, so they cannot be kept).

Renders two fragments of the summary of a completed encounter of the small benchmark
database with each engine, from the same context: the doses block as
templates/guidance/partials/_doses.html has it (with _dap_dose.html), translated mechanically
to Jinja2, and the answers list of templates/guidance/summary.html. Checks the two outputs
are the same HTML (whitespace and the entity for an apostrophe aside), then prints each
engine's median over 2,000 renders. Nothing here is used by the app.
"""

import re
import statistics
import time
from pathlib import Path

import jinja2
from django.template import engines
from django.urls import reverse

import bench.config  # noqa: F401 (configures Django)
from bench.scenario import use_small_database
from guidance.content.rendered import published_for_content
from guidance.encounters import workflow
from guidance.encounters.models import Encounter
from guidance.engine import pathway

PARTIALS = Path(__file__).resolve().parent.parent / "templates" / "guidance" / "partials"

ANSWERS = (
    "{% for step in summary.steps %}"
    '<h3 class="small fw-semibold mb-1 mt-2">{{ step.title }}{% if not encounter.is_finalized %}'
    ' <a href="@EDIT@" class="edit-link">edit<span class="visually-hidden"> {{ step.title }}</span>'
    "</a>{% endif %}</h3>"
    '<dl class="answers small mb-0">{% for label, value in step.answers %}<dt>{{ label }}</dt>'
    "<dd>{{ value }}</dd>{% endfor %}</dl>{% endfor %}"
)


def _without_comments(source):
    return re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", source, flags=re.S)


def _doses_source():
    """_doses.html with _dap_dose.html put in, comments out."""
    dap = _without_comments((PARTIALS / "_dap_dose.html").read_text())
    doses = _without_comments((PARTIALS / "_doses.html").read_text())
    return doses.replace('{% include "guidance/partials/_dap_dose.html" %}', dap)


def _as_jinja2(source):
    """The few Django template constructs these fragments use, in Jinja2's words."""
    source = re.sub(r'\|default:("[^"]*")', r"|default(\1, true)", source)
    source = source.replace(
        "{% with ivig=summary.doses.ivig %}", "{% set ivig = summary.doses.ivig %}"
    )
    source = source.replace("{% endwith %}", "").replace("forloop.last", "loop.last")
    source = source.replace(
        "{% url 'step' encounter.pk 'ivig' %}", "{{ url('step', encounter.pk, 'ivig') }}"
    )
    return source.replace("@EDIT@", "{{ url('step', encounter.pk, step.step) }}")


def _same(html, other):
    def plain(text):
        return re.sub(r"\s+", " ", str(text).replace("&#x27;", "&#39;")).strip()

    return plain(html) == plain(other)


def _median_us(render, count=2_000):
    for _ in range(50):
        render()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        render()
        times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times)


def main():
    use_small_database()
    encounter = Encounter.objects.filter(status=Encounter.Status.COMPLETE).first()
    assessment = pathway.assess(encounter.answers)
    summary = workflow.shown_summary(encounter, assessment, published_for_content())
    context = {"summary": summary, "encounter": encounter, "layout": "summary"}

    django_engine = engines["django"]
    jinja = jinja2.Environment(autoescape=True)
    jinja.globals["url"] = lambda name, *args: reverse(name, args=args)
    for name, source in (("doses", _doses_source()), ("answers", ANSWERS)):
        django_source = source.replace("@EDIT@", "{% url 'step' encounter.pk step.step %}")
        django_template = django_engine.from_string(django_source)
        jinja_template = jinja.from_string(_as_jinja2(source))
        html = django_template.render(context)
        assert _same(html, jinja_template.render(**context)), f"{name}: the outputs differ"
        django_us = _median_us(lambda t=django_template: t.render(context))
        jinja_us = _median_us(lambda t=jinja_template: t.render(**context))
        print(
            f"{name} ({len(html):,} bytes): Django {django_us:.0f} µs, Jinja2 {jinja_us:.0f} µs,"
            f" {django_us / jinja_us:.1f}× faster"
        )


if __name__ == "__main__":
    main()
