"""README's `$apply` example, run as written: its token command, its request and the actions
it says come back."""

import json
import re
import shlex
from pathlib import Path

from django.core.management import call_command
from django.test import Client

from guidance.engine import pathway
from guidance.fhir.apply import answers_of

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### `$apply`", 1)[1].split("\n### ", 1)[0]
EXAMPLE = SECTION.split("```sh\n", 1)[1].split("```", 1)[0]


def curl_arguments():
    words = shlex.split(EXAMPLE.split("curl ", 1)[1].replace("\\\n", " "))
    data = json.loads(words[words.index("-d") + 1])
    url = next(word for word in words if word.startswith("$site/"))
    return url.removeprefix("$site").replace("\\$", "$"), data


def test_the_readme_example_returns_the_actions_it_names(guideline, clinician, capsys):
    username, name = re.search(r"issue_fhir_token (\S+) --name \"([^\"]+)\"", EXAMPLE).groups()
    clinician.username = username
    clinician.save()
    call_command("issue_fhir_token", username, "--name", name)
    token = capsys.readouterr().out.strip()

    path, body = curl_arguments()
    response = Client().post(
        path,
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content
    plan = json.loads(response.content)
    returned = [action["id"] for action in plan["contained"][0]["action"]]

    said = re.search(r"answers a CarePlan with the actions (.+?) \(the", SECTION, re.S).group(1)
    assert returned == re.findall(r"`([a-z-]+)`", said)
    answers = answers_of(body["parameter"][0]["resource"])
    assert returned == list(pathway.evaluate(answers).codes)
