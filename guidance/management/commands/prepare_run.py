"""`manage.py prepare_run`: what `make run` does before serving, in one process.

Migrate, load the guideline, clear expired sessions and make the demo accounts: the four
commands `make run` used to start one by one, each paying Django's start-up and system
checks again (a quarter of the time to a served page on a fresh clone). On a database with
no migration applied yet (a fresh clone's SQLite file), SQLite does not wait for the disk
after each migration's commit: should the machine stop half-way, the file holds nothing yet
and the next `make run` starts it again. Any other database, or one already migrated, is
written as always.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder


def _fresh_sqlite():
    return connection.vendor == "sqlite" and not MigrationRecorder(connection).has_table()


class Command(BaseCommand):
    help = "Migrate, load the guideline, clear expired sessions, ensure the demo accounts."

    def handle(self, *args, **options):
        shown = {"verbosity": options["verbosity"], "stdout": self.stdout, "stderr": self.stderr}
        fresh = _fresh_sqlite()
        if fresh:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous")
                (synchronous,) = cursor.fetchone()
                cursor.execute("PRAGMA synchronous = OFF")
        call_command("migrate", interactive=False, **shown)
        if fresh:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")
        call_command("load_guideline", **shown)
        call_command("clearsessions", **shown)
        call_command("ensure_demo_accounts", **shown)
