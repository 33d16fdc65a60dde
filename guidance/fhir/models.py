"""Access tokens for hospital systems that call `PlanDefinition/$apply` (DESIGN §8).

An administrator issues a token for an account; the token is shown once, stored only as
its SHA-256 hash, and revoked by setting `revoked_at`. Each account gets `APPLY_RATE` calls
a minute, counted in the database so that several app servers share the count.
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

TOKEN_PREFIX = "lems_"
APPLY_RATE = 60  # calls a minute per account
RATE_WINDOW = timedelta(minutes=1)


def token_hash(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="Which system uses it, e.g. the EHR.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    shown_start = models.CharField(
        max_length=12, editable=False, help_text="The token's first characters, to recognise it."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "FHIR API token"

    def __str__(self):
        return f"{self.name} ({self.user}, {self.shown_start}…)"

    @classmethod
    def issue(cls, user, name):
        """A new token for `user`: returns (token, the raw token to hand over once)."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_hash=token_hash(raw), shown_start=raw[:12]
        )
        return token, raw

    @classmethod
    def user_of(cls, raw):
        """The active account a raw token stands for, or None (unknown, revoked, inactive)."""
        token = (
            cls.objects.select_related("user")
            .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class ApplyQuota(models.Model):
    """How many `$apply` calls an account made in its current one-minute window."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    window_start = models.DateTimeField(default=timezone.now)
    calls = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.user}: {self.calls} calls since {self.window_start:%H:%M:%S}"

    @classmethod
    @transaction.atomic
    def take(cls, user, now=None):
        """Count one call; False when the account has used up this minute's calls."""
        now = now or timezone.now()
        cls.objects.get_or_create(user=user)
        quota = cls.objects.select_for_update().get(user=user)
        if now - quota.window_start >= RATE_WINDOW:
            quota.window_start, quota.calls = now, 0
        if quota.calls >= APPLY_RATE:
            return False
        quota.calls += 1
        quota.save(update_fields=["window_start", "calls"])
        return True


class IssuedDocument(models.Model):
    """One content of an encounter's FHIR document as it was first downloaded (DESIGN §8): a
    document is immutable, so each new content (a review recorded, a course ended) gets its
    own identifier and time, and replaces the version before it."""

    encounter = models.ForeignKey(
        "guidance.Encounter", on_delete=models.CASCADE, related_name="issued_documents"
    )
    version = models.PositiveIntegerField()
    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["encounter", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter", "version"], name="one_document_per_version"
            )
        ]

    def __str__(self):
        return f"{self.encounter_id} version {self.version}"
