"""The `Reviewers` group, and what `Editors` need for revisions (DESIGN §3).

Editors start drafts, edit and delete draft content, and submit a draft for review;
reviewers read everything and publish or return a draft. The admin keeps editors' hands
off content that is not a draft.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT_MODELS = ("section", "statement", "citation", "statementcitation")

GROUP_PERMISSIONS = {
    "Clinicians": ["add_encounter", "change_encounter", "view_encounter"],
    "Editors": [
        "view_guideline",
        "change_guideline",
        "view_revision",
        "add_revision",
        "change_revision",
        *(
            f"{action}_{model}"
            for model in CONTENT_MODELS
            for action in ("view", "add", "change", "delete")
        ),
    ],
    "Reviewers": [
        "view_guideline",
        "view_revision",
        "publish_revision",
        *(f"view_{model}" for model in CONTENT_MODELS),
    ],
}


def make_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to assign them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="guidance", codename__in=codenames)
        )


def remove_reviewers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Reviewers").delete()


class Migration(migrations.Migration):
    dependencies = [("guidance", "0007_revision_owns_content")]

    operations = [migrations.RunPython(make_groups, remove_reviewers)]
