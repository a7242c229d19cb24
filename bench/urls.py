"""The benchmarked site's URLconf: the site's own, plus the framework floor."""

from django.urls import path

from cms_site.urls import urlpatterns as site_urlpatterns

from .framework_floor import FrameworkFloorView

urlpatterns = [
    path("bench/framework-floor", FrameworkFloorView.as_view()),
    *site_urlpatterns,
]
