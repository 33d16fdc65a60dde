"""The guidance app: the LEMS pathway, its content and encounters."""

from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "guidance"
    verbose_name = "LEMS IVIG guideline"

    def ready(self):
        from guidance import checks  # noqa: F401  (registers the content check)
