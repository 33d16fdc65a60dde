"""A session that ends mid-step loses nothing.

When a signed-in session has ended (idle timeout, or the server's session was cleared) and
the clinician then posts a form of an encounter (a step, the decision, a review: any POST to
/encounters/<uuid>/...), `login_required` would redirect to the sign-in page; htmx follows
that redirect inside the request and swaps a whole page into the old one, and the post is
lost. Instead, `SessionEndedMiddleware` keeps the post in the (new, anonymous) session and
answers with the sign-in form in place, saying the session ended. Signing in continues at
`resume_post`, which hands the kept post to the view it was meant for, as the user now
signed in: the encounter views scope every encounter to its owner, so the same clinician's
post is applied (or re-shown with its errors) and anyone else gets the usual 404.

Also here: `keep_alive`, which the idle warning's "Stay signed in" button posts to.
"""

import re
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from lems_site.forms import SignInForm

PENDING_POST = "pending_post"
# The posts kept: those of one encounter, whose views check the owner on every request.
KEPT_POST_PATH = re.compile(r"^/encounters/[0-9a-f-]{36}/")
# The token of the ended session is checked before the post is kept; it is never replayed.
NOT_KEPT_FIELDS = {"csrfmiddlewaretoken"}


class SessionEndedMiddleware:
    """Answers a signed-out POST to an encounter with the sign-in form, keeping the post."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Runs after CsrfViewMiddleware: a forged post is refused before it could be kept.
        if request.user.is_authenticated or not KEPT_POST_PATH.match(request.path_info):
            return None
        if request.method == "POST":
            request.session[PENDING_POST] = {
                "path": request.path_info,
                "data": [
                    [key, values]
                    for key, values in request.POST.lists()
                    if key not in NOT_KEPT_FIELDS
                ],
                "kept_at": int(time.time()),
            }
            return sign_in_again(request, next_url=reverse("resume_post"))
        if getattr(request, "htmx", False):
            # An htmx GET would have the sign-in page swapped into the old one: load it whole.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = (
                f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
            )
            return response
        return None


def sign_in_again(request, next_url):
    """The sign-in form, saying the session ended: in place of the page's main content for
    htmx (with a signed-out navigation bar swapped out of band), a whole page otherwise."""
    context = {
        "form": SignInForm(request),
        "next": next_url,
        "session_ended": True,
        "user": request.user,
    }
    if getattr(request, "htmx", False):
        html = (
            render_to_string("registration/login.html#main-content", context, request=request)
            + render_to_string("base.html#site-nav", {**context, "oob": True}, request=request)
            # The idle warning belonged to the ended session: it goes with it.
            + '<div id="idle-warning" hx-swap-oob="delete"></div>'
        )
        response = HttpResponse(html)
        # Swapped into <main> whatever the form aimed at, and shown at its own address.
        response["HX-Retarget"] = "#main"
        response["HX-Reswap"] = "innerHTML"
        response["HX-Push-Url"] = reverse("login")
    else:
        response = HttpResponse(render_to_string("registration/login.html", context, request))
    response["Cache-Control"] = "no-store"
    return response


def _kept_post_is_fresh(pending):
    # A post kept longer ago than a whole session lasts is dropped rather than applied late.
    return time.time() - pending.get("kept_at", 0) <= settings.SESSION_COOKIE_AGE


@require_GET
@never_cache
@login_required
def resume_post(request):
    """Applies the post kept when the session ended, as the user who has just signed in."""
    pending = request.session.pop(PENDING_POST, None)
    if not pending or not _kept_post_is_fresh(pending):
        return redirect("home")
    try:
        match = resolve(pending["path"])
    except Resolver404:
        return redirect("home")
    data = QueryDict(mutable=True)
    for key, values in pending["data"]:
        data.setlist(key, values)
    data._mutable = False
    # The view sees the post it was meant to get; it checks who may change the encounter.
    request.method = "POST"
    request.POST = data
    request.path = request.path_info = pending["path"]
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)


@require_POST
@never_cache
@login_required
def keep_alive(request):
    """'Stay signed in': renews the session's idle timeout now."""
    request.session.modified = True
    if getattr(request, "htmx", False):
        return HttpResponse(status=204)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("home")
