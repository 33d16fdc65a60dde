"""Small strict readers for settings that come from the environment.

Each refuses a value it cannot read rather than guessing, so a typo in a hospital's
configuration stops the app at start-up instead of running it with a silent default.
"""

import os
import zoneinfo

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of true/false, 1/0, yes/no, on/off; got {raw!r}."
    )


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None


def env_url(name: str, default: str) -> str:
    """An absolute http(s) address, without a trailing slash."""
    raw = os.environ.get(name)
    value = (default if raw is None else raw).strip().rstrip("/")
    scheme, _, rest = value.partition("://")
    if scheme not in ("http", "https") or not rest or rest.startswith("/"):
        raise ImproperlyConfigured(
            f"{name} must be an absolute http(s) address such as "
            f"https://lems.hospital.example/fhir; got {raw!r}."
        )
    return value


def secret_key(debug: bool) -> str:
    """The secret key; a development default is allowed only while DEBUG is on."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    if debug:
        return "django-insecure-development-only-key-never-use-in-production"
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG off the app refuses to start without one: "
        "set SECRET_KEY to a long random string (for example the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
    )


def env_time_zone(name: str, default: str) -> str:
    """An IANA time zone name (Europe/Amsterdam); a misspelt one stops the app at start-up."""
    value = env_str(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be a time zone name such as Europe/Amsterdam or UTC; got {value!r}."
        ) from None
    return value
