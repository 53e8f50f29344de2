"""The admin app with Eloket's site (identity/admin_site.py). Kept apart: an AppConfig
module is imported before models are ready."""

from django.contrib.admin.apps import AdminConfig


class EloketAdminConfig(AdminConfig):
    default_site = "eloket.identity.admin_site.EloketAdminSite"
