"""A session that ends mid-step loses nothing, and no one else can use that.

When a signed-in session has ended (idle timeout, or the server's session was cleared) and
the clinician then posts a form of an encounter (a step, the decision, a review, a discard:
any POST to /encounters/<uuid>/...), `login_required` would redirect to the sign-in page;
htmx follows that redirect inside the request and swaps a whole page into the old one, and
the post is lost. Instead, `SessionEndedMiddleware` answers with the sign-in form in place,
saying the session ended, and keeps the post for the clinician whose session it was.

Whose session it was is proven by the form itself, never taken on trust: every encounter
form a signed-in clinician is shown carries a hidden field `shown_to` (the template tag
`{% shown_to encounter %}`, lems_site/shown_to.py), signed with the server's secret key,
naming the user, the encounter and (by a keyed hash) the session that showed it. A signed-out
post is kept only when its proof is valid, names the encounter posted to, is at most
`PROOF_MAX_AGE` old, and belongs to the session whose cookie the browser still sends (the
session that ended), so a proof copied elsewhere is worthless. Anything else (no proof, a
forged or stale one, a body larger than any form of the app sends) is not kept and writes
nothing to the session table: a POST from someone who never had a session gets the sign-in
page, and that is all.

The kept post is bound to the user the proof names. It is applied by the sign-in POST
itself (`SignInView`), only when that same user signs in, within a session's length of being
kept, and once: it is taken from the session and its row deleted in one statement, so of two
sign-ins sent at once only the one that deleted the row applies it. Anyone else signing in
discards it and gets the usual home page. No GET applies anything.

Also here: `keep_alive`, which the idle warning's "Stay signed in" button posts to.
"""

import json
import re
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.contrib.sessions.models import Session
from django.core import signing
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lems_site.forms import SignInForm

PENDING_POST = "pending_post"
# The keyed hash of the session that ended, kept beside its post: a second form sent from
# another tab of that session (the browser now sends the new session's cookie) is kept too.
ENDED_SESSION = "ended_session"
# The posts kept: those of one encounter, whose views check the owner on every request.
KEPT_POST_PATH = re.compile(r"^/encounters/([0-9a-f-]{36})/")

PROOF_FIELD = "shown_to"
PROOF_SALT = "lems_site.session_resume.shown_to"
# How old a page's proof may be when its form is sent signed out. Not the session's length:
# the clinician called away for longer than the idle timeout comes back to a page older than
# that, and that post is the one to keep. The proof only works from the browser whose session
# showed the page (a session cookie, gone when the browser closes); a shift bounds the rest.
PROOF_MAX_AGE = 12 * 3600
# The largest post kept, in UTF-8 bytes of its names and values. The largest real form (the
# decision with its course and a 2,000-character note, even in 4-byte characters) is under
# 9 KB; anything larger was not sent by this app's pages.
KEPT_POST_MAX_BYTES = 16 * 1024
# Checked before the post is kept, and never replayed: the sign-in POST has its own token.
NOT_KEPT_FIELDS = {"csrfmiddlewaretoken", PROOF_FIELD}

# What the sign-in form says when it answers a signed-out post.
KEPT = "kept"
TOO_LARGE = "too_large"
NOT_SIGNED_IN = "not_signed_in"


def _session_tag(session_key):
    # The page never shows the session key itself: a keyed hash of it.
    return salted_hmac(PROOF_SALT, session_key or "").hexdigest()[:32]


def form_proof(request, encounter_id):
    """The value of an encounter form's `shown_to` field: shown to this user, for this
    encounter, in this session. Empty when no one is signed in (nothing to prove)."""
    if not request.user.is_authenticated or not request.session.session_key:
        return ""
    return signing.dumps(
        {
            "u": request.user.pk,
            "e": str(encounter_id),
            "s": _session_tag(request.session.session_key),
        },
        salt=PROOF_SALT,
    )


def _proven(request, encounter_id):
    """The proof a signed-out post carries, if it holds for this encounter and the session
    that ended in this browser; else None."""
    try:
        proof = signing.loads(
            request.POST.get(PROOF_FIELD, ""), salt=PROOF_SALT, max_age=PROOF_MAX_AGE
        )
    except signing.BadSignature:
        return None
    if not isinstance(proof, dict) or proof.get("e") != encounter_id:
        return None
    sessions = {_session_tag(request.COOKIES.get(settings.SESSION_COOKIE_NAME))}
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        # Only a browser with a session cookie has an anonymous session to read.
        sessions.add(request.session.get(ENDED_SESSION))
    if proof.get("s") not in sessions or not isinstance(proof.get("u"), int):
        return None
    return proof


def _kept_size(data):
    return len(json.dumps(data, ensure_ascii=False).encode())


class SessionEndedMiddleware:
    """Answers a signed-out POST to an encounter with the sign-in form, keeping the post
    only for the clinician whose session ended (module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Runs after CsrfViewMiddleware: a forged post is refused before it is looked at.
        path = KEPT_POST_PATH.match(request.path_info)
        if request.user.is_authenticated or not path:
            return None
        if request.method == "POST":
            return self._keep(request, path.group(1))
        if getattr(request, "htmx", False):
            # An htmx GET would have the sign-in page swapped into the old one: load it whole.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = (
                f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
            )
            return response
        return None

    def _keep(self, request, encounter_id):
        proof = _proven(request, encounter_id)
        if proof is None:
            # Not from a session of this browser: nothing is stored, not even a session.
            back = reverse("summary", args=[encounter_id])
            return sign_in_again(request, next_url=back, outcome=NOT_SIGNED_IN)
        data = [[key, values] for key, values in request.POST.lists() if key not in NOT_KEPT_FIELDS]
        if _kept_size(data) > KEPT_POST_MAX_BYTES:
            back = reverse("summary", args=[encounter_id])
            return sign_in_again(request, next_url=back, outcome=TOO_LARGE)
        # One post is kept, the last one sent, as before the session ended.
        request.session[PENDING_POST] = {
            "user": proof["u"],
            "path": request.path_info,
            "data": data,
            "kept_at": int(time.time()),
        }
        request.session[ENDED_SESSION] = proof["s"]
        return sign_in_again(request, next_url="", outcome=KEPT)


def sign_in_again(request, next_url, outcome=KEPT):
    """The sign-in form, saying the session ended and whether what was sent is kept: in
    place of the page's main content for htmx (with a signed-out navigation bar swapped out
    of band), a whole page otherwise."""
    context = {
        "form": SignInForm(request),
        "next": next_url,
        "session_ended": outcome,
        "user": request.user,
    }
    if getattr(request, "htmx", False):
        html = (
            render_to_string("registration/login.html#main-content", context, request=request)
            # The bar of a signed-out page (templates/site_nav.html): nothing of a user in it.
            + render_to_string("site_nav.html", {"oob": True})
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


def _take_kept_post(request):
    """The post kept in this (anonymous) session, taken out of it; None when there is none,
    or when another sign-in of the same session took it first."""
    session = request.session
    kept = session.pop(PENDING_POST, None)
    session.pop(ENDED_SESSION, None)
    if kept is None:
        return None
    # Both of two sign-ins sent at once have read the post; only the one whose DELETE
    # removes the session's row applies it (PostgreSQL makes the other wait on the row and
    # then find it gone; SQLite runs one writer at a time). Signing in replaces the session
    # anyway (a new key), so nothing else needs the row.
    claimed, _ = Session.objects.filter(session_key=session.session_key).delete()
    return kept if claimed else None


def _kept_post_is_fresh(kept):
    # A post kept longer ago than a whole session lasts is dropped rather than applied late.
    return time.time() - kept.get("kept_at", 0) <= settings.SESSION_COOKIE_AGE


class SignInView(LoginView):
    """Django's sign-in, which then applies the post kept when the session ended, if the
    one signing in is the clinician it was kept for."""

    authentication_form = SignInForm

    def form_valid(self, form):
        kept = _take_kept_post(self.request)
        response = super().form_valid(form)
        if kept is None or kept.get("user") != self.request.user.pk:
            return response  # someone else: the post is dropped, the usual page follows
        if not _kept_post_is_fresh(kept):
            return response
        return _apply(self.request, kept)


def _apply(request, kept):
    """Hands the kept post to the view it was meant for, as the user now signed in; the
    view checks who may change the encounter, as for any post."""
    try:
        match = resolve(kept["path"])
    except Resolver404:
        return redirect("home")
    data = QueryDict(mutable=True)
    for key, values in kept["data"]:
        data.setlist(key, values)
    data._mutable = False
    request.POST = data
    request.path = request.path_info = kept["path"]
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
