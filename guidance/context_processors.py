"""What every page's navigation needs to know about the signed-in user."""


def roles(request):
    from guidance.views import _is_clinician

    # A callable: the template asks only when it renders the navigation.
    return {"is_clinician": lambda: _is_clinician(request.user)}
