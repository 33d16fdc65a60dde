"""What every page's navigation needs to know about the signed-in user."""

from guidance.encounters import is_clinician


def roles(request):
    # A callable: the template asks only when it renders the navigation.
    return {"is_clinician": lambda: is_clinician(request.user)}
