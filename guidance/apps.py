"""The guidance app: the LEMS pathway, its content and encounters."""

from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "guidance"
    verbose_name = "LEMS IVIG guideline"

    def ready(self):
        # The content check registers itself; each package registers its admin.
        from guidance.content import admin, checks  # noqa: F401
        from guidance.encounters import admin as encounters_admin  # noqa: F401
        from guidance.fhir import admin as fhir_admin  # noqa: F401
        from guidance.fhir import checks as fhir_checks  # noqa: F401
