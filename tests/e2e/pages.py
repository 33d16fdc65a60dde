"""What a clinician does in the browser, step by step, and what every page is checked for.

The answers of the IVIG path (DESIGN §4) are written once here, in the clinician's words
as the forms show them, so each test reads as the visit it stands for.
"""

import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

PASSWORD = "correct-horse-e2e-7"
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}
BLOCKING_IMPACTS = {"serious", "critical"}

# Step by step, the answers of the IVIG path: (question, answer) as the form words them.
IVIG_PATH = {
    # Female, 160 cm, not pregnant, 70 kg: an adjusted weight (59.4 kg) is offered.
    "patient": [("Is LEMS confirmed?", "Yes, confirmed"), ("Sex", "Female"), ("Pregnant?", "No")],
    "tumour": [
        ("Tumour screening", "Screened, no tumour found"),
        ("Did the negative screen include FDG-PET?", "Yes, CT and FDG-PET"),
        ("Smoking", "Never smoked"),
    ],
    "symptomatic": [("3,4-diaminopyridine", "Inadequate response")],
    "severity": [
        ("Weakness", "Severe"),
        ("Is rapid short-term improvement needed?", "No"),
        ("Immunosuppression", "Starting"),
    ],
    "ivig": [
        ("Is plasma exchange available for this patient?", "Yes, available"),
        ("IVIG risk factors", "Thrombosis risk"),
    ],
}
STEP_HEADINGS = {
    "patient": "Patient",
    "tumour": "Tumour screening",
    "symptomatic": "Symptomatic treatment",
    "severity": "Severity",
    "ivig": "IVIG",
}
UUID = r"[0-9a-f-]{36}"


def step_url(step):
    return re.compile(rf"/encounters/{UUID}/{step}/$")


SUMMARY_URL = re.compile(rf"/encounters/{UUID}/$")


def sign_in(page: Page, username, then="/"):
    """Sign in through the login form, which then opens the page `then`."""
    page.goto(f"/accounts/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def start_encounter(page: Page):
    page.goto("/")
    page.get_by_role("button", name="Start a new encounter").click()
    expect(page).to_have_url(step_url("patient"))


def option(page: Page, question, answer):
    """The radio or checkbox `answer` of the question `question` (labels start with it)."""
    group = page.get_by_role("group", name=question)
    name = re.compile("^" + re.escape(answer))
    return group.get_by_role("radio", name=name).or_(group.get_by_role("checkbox", name=name))


def choose(page: Page, question, answer):
    option(page, question, answer).check()


def answer_step(page: Page, step, weight="70", reference="E2E-0001"):
    """Fill one step of the IVIG path (the patient step also takes weight and reference)."""
    expect(page.get_by_role("heading", level=1)).to_have_text(STEP_HEADINGS[step])
    if step == "patient":
        page.get_by_label("Patient reference").fill(reference)
        page.get_by_label("Actual body weight (kg)").fill(weight)
        page.get_by_label("Height (cm, optional)").fill("160")
    for question, answer in IVIG_PATH[step]:
        choose(page, question, answer)


def save_and_continue(page: Page):
    """Click and wait for the server's answer, so the step is stored before the test goes on
    (a `goto` straight after the click would otherwise race the POST). The step's form posts to
    the step's own address (the page's, less a #field an error link added)."""
    step = page.url.partition("#")[0]
    with page.expect_response(lambda r: r.request.method == "POST" and r.url == step):
        page.get_by_role("button", name="Save and continue").click()


def recommendations_panel(page: Page):
    return page.get_by_role("complementary", name="Applies so far")


def shoot(page: Page, name):
    """A full-page screenshot at the desktop and the tablet width, for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    current = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("tablet", TABLET)):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(current)


def assert_accessible(page: Page, name, exclude=()):
    """No serious or critical axe-core violation on the page as it stands (outside the CSS
    selectors of `exclude`). Transitions off (reduced motion), so axe judges the settled colours,
    not a button half-way into its hover colour under the pointer that just clicked it."""
    page.emulate_media(reduced_motion="reduce")
    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    violations = Axe().run(page, context=context).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}; nodes: "
        + ", ".join(f"{node['target']} ({node.get('failureSummary', '')})" for node in v["nodes"])
        for v in blocking
    )
    assert not blocking, f"axe found on the {name} page:\n{details}"
