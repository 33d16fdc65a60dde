"""Small middleware: the access log, the Permissions-Policy header, the session's idle
timeout, and the app's own error pages while DEBUG is on."""

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import Http404
from django.views import defaults

SESSION_RENEWED_AT = "renewed_at"
RENEW_AFTER_SECONDS = 60
# The request's attribute naming the encounters whose data the answer shows.
ENCOUNTERS_SHOWN = "encounters_shown"


access_logger = logging.getLogger("lems_site.access")


def shows_patient_data(request, encounters):
    """Names `encounters` (each an encounter or its id) in this request's access line, with
    the user: the record of who read which patient's data, one line per page or fragment.

    A page that lists encounters calls it even with none, so its line says `encounters=-`.
    """
    shown = request.__dict__.setdefault(ENCOUNTERS_SHOWN, [])
    for encounter in encounters:
        encounter_id = str(getattr(encounter, "pk", encounter))
        if encounter_id not in shown:
            shown.append(encounter_id)


def access_log(get_response):
    """One line per request: method, path, status, milliseconds; and for a page or fragment
    showing patient data, the user's id and the encounters' ids (`shows_patient_data`).

    The path only: a query string could carry what a user typed, and no patient reference
    belongs in a log (none is ever in a path: searches are posted). Ids, never a patient
    reference: the access line is read by IT, who need not know whose record it was.
    """

    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        line = "%s %s %s %dms"
        values = [
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        ]
        shown = request.__dict__.get(ENCOUNTERS_SHOWN)
        if shown is not None:
            line += " user=%s encounters=%s"
            values += [request.user.pk, ",".join(shown) or "-"]
        access_logger.info(line, *values)
        return response

    return middleware


def permissions_policy(get_response):
    """The app needs no camera, microphone, location or payment: say so to the browser."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def renew_after_seconds():
    """How often, at most, a session's expiry is pushed forward: once a minute, or a quarter
    of a short idle timeout (15 seconds of a 1-minute one), so a short timeout is not mostly
    spent before the page even loads. The page's idle warning allows for it."""
    return max(1, min(RENEW_AFTER_SECONDS, settings.SESSION_COOKIE_AGE // 4))


def idle_timeout(get_response):
    """Push a signed-in session's expiry forward, at most once a minute (`renew_after_seconds`).

    Saving a session renews its expiry (SESSION_COOKIE_AGE of inactivity); marking it
    modified once a minute gives the idle timeout without a database write per request.
    Only a signed-in session: a cookie of an ended or made-up session must not make the
    server write a new session row for each request that sends it.
    """

    def middleware(request):
        session = request.session
        now = int(time.time())
        request.idle_renew_seconds = renew_after_seconds()
        if (
            session.session_key
            and SESSION_KEY in session
            and now - session.get(SESSION_RENEWED_AT, 0) >= request.idle_renew_seconds
        ):
            session[SESSION_RENEWED_AT] = now
        return get_response(request)

    return middleware


# Words only Django's technical 404 and 500 pages (DEBUG on) carry.
TECHNICAL_PAGE_MARK = b"because you have <code>DEBUG = True</code>"


def branded_error_pages(get_response):
    """With DEBUG on (`make run` sets it), Django answers a wrong address or a server error
    with its yellow technical page, listing the addresses and settings: show the app's own
    404 and 500 pages instead, as in production, unless DEBUG_PAGES asks for Django's. The
    error itself is still logged, with its traceback, on the console."""

    def middleware(request):
        response = get_response(request)
        if (
            not settings.DEBUG
            or settings.DEBUG_PAGES
            or response.status_code not in (404, 500)
            or response.streaming
            or TECHNICAL_PAGE_MARK not in response.content
        ):
            return response
        if response.status_code == 404:
            return defaults.page_not_found(request, Http404())
        return defaults.server_error(request)

    return middleware
