"""Addresses of DESIGN §5."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from guidance.content import views as content_views
from guidance.encounters import views
from guidance.fhir import views as views_fhir
from lems_site import health, session_resume

urlpatterns = [
    path("", views.home, name="home"),
    path("encounters/", views.encounter_list, name="encounter_list"),
    path("encounters/new/", views.new_encounter, name="new_encounter"),
    path("encounters/<uuid:encounter_id>/", views.summary, name="summary"),
    path("encounters/<uuid:encounter_id>/finalize/", views.finalize, name="finalize"),
    path("encounters/<uuid:encounter_id>/order/", views.order, name="order"),
    path("encounters/<uuid:encounter_id>/print/", views.print_summary, name="print"),
    path("encounters/<uuid:encounter_id>/pdf/", views.summary_pdf, name="summary_pdf"),
    path("encounters/<uuid:encounter_id>/review/", views.review, name="review"),
    path("encounters/<uuid:encounter_id>/review/order/", views.review_order, name="review_order"),
    path("encounters/<uuid:encounter_id>/discard/", views.discard, name="discard"),
    path("encounters/<uuid:encounter_id>/fhir/", views_fhir.encounter_fhir, name="encounter_fhir"),
    path("encounters/<uuid:encounter_id>/<slug:step>/", views.step, name="step"),
    path("guideline/", content_views.guideline, name="guideline"),
    path("guideline/fhir/", views_fhir.guideline_fhir, name="guideline_fhir"),
    path(
        "fhir/PlanDefinition/<str:plan_id>/$apply",
        views_fhir.plan_definition_apply,
        name="plan_definition_apply",
    ),
    path("fhir/<str:kind>", views_fhir.canonical_search, name="fhir_search"),
    path("fhir/<str:kind>/<str:resource_id>", views_fhir.canonical_resource, name="fhir_read"),
    path(
        "fhir/<str:kind>/<str:resource_id>/_history/<int:version>",
        views_fhir.canonical_resource,
        name="fhir_vread",
    ),
    path("guideline/revisions/", content_views.guideline_revisions, name="guideline_revisions"),
    path("healthz", health.healthz, name="healthz"),
    # Sign in and out only: there is no mail to reset a password by, and accounts are the
    # hospital's to manage (a superuser sets passwords in the admin; README "Accounts").
    # Signing in also applies a form sent after the session ended, for the same clinician
    # only (lems_site/session_resume.py); no GET applies anything.
    path("accounts/login/", session_resume.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/keep-alive/", session_resume.keep_alive, name="keep_alive"),
    path("admin/", admin.site.urls),
]
