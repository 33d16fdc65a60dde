"""The app's addresses plus the two floors; used only by the benchmark (`bench.settings`)."""

from django.urls import include, path

from bench import floors

urlpatterns = [
    path("bench/floor/<int:size>/", floors.django_floor, name="bench_django_floor"),
    path(
        "bench/floor/<uuid:encounter_id>/<int:size>/",
        floors.authenticated_floor,
        name="bench_authenticated_floor",
    ),
    path("", include("lems_site.urls")),
]
