"""What the admin opens on for editors and reviewers (DESIGN §3 "what needs me"): the open
draft with what changed so far and how to submit it (or how to start one), the revision
waiting for my review, and the last publications."""

from guidance.content.models import GUIDELINE_SLUG, Guideline, Revision
from guidance.content.revisions import against_published, edited_by, open_draft

LAST_PUBLICATIONS = 5
KINDS = ("guideline", "sections", "statements", "citations")
KIND_WORDS = {
    "guideline": "guideline attributes",
    "sections": "sections",
    "statements": "statements",
    "citations": "citations",
}


def changed_so_far(revision):
    """One line per kind of content the draft changed against what clinicians see, e.g.
    "statements: 2 changed (ivig-dose, prednisone), 1 added (x)"; empty when nothing yet."""
    changes = against_published(revision)["changes"]
    if not changes:
        return []
    lines = []
    for kind in KINDS:
        groups = [
            f"{len(items)} {group} ({', '.join(str(item['key']) for item in items)})"
            for group in ("changed", "added", "removed")
            if (items := changes[kind][group])
        ]
        if groups:
            lines.append(f"{KIND_WORDS[kind]}: {', '.join(groups)}")
    return lines


def person(user):
    """How the admin names a person: full name, else user name."""
    if user is None:
        return "load_guideline (the seed)"
    return user.get_full_name() or user.get_username()


def _submission(revision):
    """The history record of the revision's last submission (who and when), or None."""
    return (
        Revision.history.filter(id=revision.pk, history_change_reason="submitted for review")
        .select_related("history_user")
        .order_by("-history_date")
        .first()
    )


def what_needs_me(user):
    """What waits for `user` in the admin, as the index page shows it."""
    guideline = Guideline.objects.filter(slug=GUIDELINE_SLUG).first()
    if guideline is None:
        return None
    revision = open_draft(guideline)
    can_edit = user.has_perm("guidance.change_revision")
    can_review = user.has_perm("guidance.publish_revision")
    needs = {
        "can_start": user.has_perm("guidance.add_revision") and revision is None,
        "can_review": can_review,
        "published": Revision.objects.published(guideline).first(),
        "draft": None,
        "in_review": None,
        "last_publications": [
            {
                "revision": published,
                "drafted_by": person(published.drafted_by),
                "reviewed_by": person(published.reviewed_by) if published.reviewed_by else "",
            }
            for published in guideline.revisions.filter(published_at__isnull=False)
            .select_related("drafted_by", "reviewed_by")
            .order_by("-published_at")[:LAST_PUBLICATIONS]
        ],
    }
    if revision is None:
        return needs
    if revision.is_draft and (can_edit or can_review):
        needs["draft"] = {
            "revision": revision,
            "drafted_by": person(revision.drafted_by),
            "changed": changed_so_far(revision),
            "can_submit": can_edit,
        }
    elif revision.status == Revision.Status.IN_REVIEW:
        submission = _submission(revision)
        needs["in_review"] = {
            "revision": revision,
            # A submission outside a request (a shell) records no user: the drafter then.
            "submitted_by": person((submission and submission.history_user) or revision.drafted_by),
            "submitted_at": submission.history_date if submission else None,
            "changed": changed_so_far(revision),
            # The reviewer is a second person: whoever drafted or edited it cannot review it.
            "mine_to_review": can_review
            and user.pk != revision.drafted_by_id
            and not edited_by(revision, user),
        }
    return needs
