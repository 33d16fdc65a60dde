"""The floors every endpoint is timed against (DESIGN §7), served only by the benchmark.

- `django_floor`: a view behind the app's whole middleware stack that returns a static page
  of the requested size: the cost of Django itself.
- `authenticated_floor`: also loads the signed-in user and their own encounter through the
  views' owner-scoped helper, then returns the same bytes: the work no step can avoid.
"""

from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from guidance.encounters.workflow import get_for_owner

PAGE_START = b"<!doctype html>\n<title>floor</title>\n<p>"


@lru_cache(maxsize=512)
def static_page_of_size(size):
    """A fixed HTML page of exactly `size` bytes."""
    if size <= len(PAGE_START):
        return PAGE_START[:size]
    return PAGE_START + b"x" * (size - len(PAGE_START))


def django_floor(request, size):
    return HttpResponse(static_page_of_size(size), content_type="text/html; charset=utf-8")


@login_required
def authenticated_floor(request, encounter_id, size):
    get_for_owner(request.user, encounter_id)
    return HttpResponse(static_page_of_size(size), content_type="text/html; charset=utf-8")
