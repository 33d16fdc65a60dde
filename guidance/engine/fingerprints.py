"""What was shown is what is stored (DESIGN §5, last subsection): a fingerprint of a page.

A page that leads to a record (the summary with its Finalize button, the course review, the
reviewer's Publish page) carries, in a hidden `shown_fingerprint` field, a fingerprint of
what it showed. The request that records checks it against the record as it stands then: a
change in between (the weight changed in another tab, another review was recorded, the
editor changed a returned draft) refuses the request with a message and the fresh page.

A fingerprint is the SHA-256 of the canonical JSON of what was shown. It is not secret (it
could be computed by anyone who can read the page, and that is fine): it only has to change
whenever what was shown changes, and a post without one, or with any other, is refused.
"""

import hashlib
import json

FIELD = "shown_fingerprint"


def of(shown) -> str:
    """The fingerprint of `shown`: JSON-able values (dates and decimals as text)."""
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def posted(data) -> str:
    """The fingerprint a form posted: "" when missing (which then matches nothing)."""
    value = data.get(FIELD, "")
    return value if isinstance(value, str) else ""
