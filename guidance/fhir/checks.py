"""The FHIR exports need this installation's own address for their canonical URLs."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def fhir_base_url_set(app_configs, **kwargs):
    if settings.FHIR_BASE_URL:
        return []
    return [
        Error(
            "FHIR_BASE_URL is not set.",
            hint="Set FHIR_BASE_URL to this app's own address for the FHIR exports, e.g. "
            "https://lems.hospital.example/fhir: integrators store the canonical URLs "
            "built on it (README, Settings).",
            id="lems.E001",
        )
    ]
