"""What every page's navigation needs to know about the signed-in user."""

from guidance.encounters.workflow import is_clinician, reviews_due_count


def roles(request):
    # Callables: the template asks only when it renders the navigation (not in an htmx
    # swap of the main content), and only for a clinician.
    return {
        "is_clinician": lambda: is_clinician(request.user),
        "reviews_due_count": lambda: reviews_due_count(request.user),
    }
