"""`manage.py ensure_demo_accounts`: a demo clinician, editor and reviewer, to try the app.

Passwords are generated, never fixed in the code, and printed only when an account is
created (or reset with --reset), and only while DEBUG is on: a production box never
gets demo accounts.
"""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

DEMO_ACCOUNTS = {"clinician": "Clinicians", "editor": "Editors", "reviewer": "Reviewers"}
ADMIN_GROUPS = {"Editors", "Reviewers"}


class Command(BaseCommand):
    help = "Create the demo accounts if missing (DEBUG only); --reset renews passwords."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="give each a new password")

    def handle(self, *args, reset, **options):
        if not settings.DEBUG:
            raise CommandError("Demo accounts are for development only: set DEBUG=true.")
        for username, group_name in DEMO_ACCOUNTS.items():
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": group_name in ADMIN_GROUPS}
            )
            user.groups.add(Group.objects.get(name=group_name))
            if created or reset:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save()
                self.stdout.write(f"Demo {group_name[:-1].lower()}: {username} / {password}")
            else:
                self.stdout.write(
                    f"Demo {group_name[:-1].lower()}: {username} (exists; "
                    "`make demo-reset` prints new passwords)"
                )
