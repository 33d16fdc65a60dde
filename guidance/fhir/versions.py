"""Each distinct content of an encounter's FHIR document, stamped once (DESIGN §8, issue 25).

A FHIR document is immutable: a registry keyed on `Bundle.identifier` keeps the first one it
filed. So the content (everything but the stamps) is hashed; the same content downloaded
again carries the same identifier and time, and a new content (a review recorded, the
course's last day passed) a new identifier and time, a `Composition.relatesTo` `replaces`
naming the document before, and the next version. The Composition's own identifier stays
the encounter's.
"""

import hashlib
import json
import uuid

from django.db import transaction

from guidance.encounters.models import Encounter
from guidance.fhir.document import encounter_document
from guidance.fhir.models import IssuedDocument

URI = "urn:ietf:rfc:3986"


def _digest(document):
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()


@transaction.atomic
def _issue(encounter, digest):
    """The version of this content, and the one before it (None for the first)."""
    Encounter.objects.select_for_update().filter(pk=encounter.pk).first()  # one at a time
    issued = list(IssuedDocument.objects.filter(encounter=encounter).order_by("-version")[:2])
    if issued and issued[0].content_hash == digest:
        return issued[0], issued[1] if len(issued) > 1 else None
    previous = issued[0] if issued else None
    current = IssuedDocument.objects.create(
        encounter=encounter,
        version=previous.version + 1 if previous else 1,
        content_hash=digest,
    )
    return current, previous


def issued_document(encounter, base_url):
    """The encounter's document, stamped with the version of its content."""
    document = encounter_document(encounter, base_url)
    current, previous = _issue(encounter, _digest(document))
    issued_at = current.issued_at.isoformat()
    document["identifier"] = {"system": URI, "value": f"urn:uuid:{current.identifier}"}
    document["timestamp"] = issued_at
    composition = document["entry"][0]["resource"]
    composition["identifier"] = {
        "system": URI,
        "value": f"urn:uuid:{uuid.uuid5(encounter.pk, 'Composition')}",
    }
    composition["meta"] = {"versionId": str(current.version)}
    composition["date"] = issued_at
    if previous:
        composition["relatesTo"] = [
            {
                "code": "replaces",
                "targetIdentifier": {"system": URI, "value": f"urn:uuid:{previous.identifier}"},
            }
        ]
    return document
