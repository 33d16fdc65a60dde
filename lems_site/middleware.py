"""Small middleware: the access log, the Permissions-Policy header, and the session's idle
timeout."""

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY

SESSION_RENEWED_AT = "renewed_at"
RENEW_AFTER_SECONDS = 60


access_logger = logging.getLogger("lems_site.access")


def access_log(get_response):
    """One line per request: method, path, status, milliseconds.

    The path only: a query string could carry what a user typed, and no patient reference
    belongs in a log (none is ever in a path: searches are posted).
    """

    def middleware(request):
        started = time.perf_counter()
        response = get_response(request)
        access_logger.info(
            "%s %s %s %dms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    return middleware


def permissions_policy(get_response):
    """The app needs no camera, microphone, location or payment: say so to the browser."""

    def middleware(request):
        response = get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def idle_timeout(get_response):
    """Push a signed-in session's expiry forward, at most once a minute.

    Saving a session renews its expiry (SESSION_COOKIE_AGE of inactivity); marking it
    modified once a minute gives the idle timeout without a database write per request.
    Only a signed-in session: a cookie of an ended or made-up session must not make the
    server write a new session row for each request that sends it.
    """

    def middleware(request):
        session = request.session
        now = int(time.time())
        if (
            session.session_key
            and SESSION_KEY in session
            and now - session.get(SESSION_RENEWED_AT, 0) >= RENEW_AFTER_SECONDS
        ):
            session[SESSION_RENEWED_AT] = now
        return get_response(request)

    return middleware
