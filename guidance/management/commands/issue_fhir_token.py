"""`manage.py issue_fhir_token USERNAME --name SYSTEM`: a token for a hospital system to call
`PlanDefinition/$apply` as that account (README "FHIR"). Printed once; stored as a hash.
`--revoke PREFIX` revokes the account's tokens that start with PREFIX."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from guidance.fhir.models import ApiToken


class Command(BaseCommand):
    help = "Issue (or revoke) a FHIR API token for an account."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="hospital system", help="Which system uses it")
        parser.add_argument("--revoke", metavar="PREFIX", help="Revoke the tokens starting so")

    def handle(self, *args, username, name, revoke, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account {username!r}.")
        if revoke:
            tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
            revoked = [token for token in tokens if token.shown_start.startswith(revoke[:12])]
            for token in revoked:
                token.revoke()
            self.stdout.write(f"Revoked {len(revoked)} token(s) of {username}.")
            return
        _, raw = ApiToken.issue(user, name)
        self.stdout.write(raw)
