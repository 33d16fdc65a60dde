"""The two groups of DESIGN §5, with the permissions each needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "Clinicians": ["add_encounter", "change_encounter", "view_encounter"],
    "Editors": [
        "view_guideline",
        "change_guideline",
        *(
            f"{action}_{model}"
            for model in ("section", "statement", "citation")
            for action in ("view", "add", "change")
        ),
        *(
            f"{action}_statementcitation"
            for action in ("view", "add", "change", "delete")
        ),
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
            Permission.objects.filter(
                content_type__app_label="guidance", codename__in=codenames
            )
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("guidance", "0001_content_and_encounters"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(make_groups, remove_groups)]
