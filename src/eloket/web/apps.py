from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "eloket.web"
    verbose_name = "Citizen web"

    def ready(self) -> None:
        from eloket.common.pagecache import note_request_attributes

        # Set while base.html renders, read by HostChromeCspMiddleware after the view: a
        # page served whole from the cache brings them along.
        note_request_attributes("eloket_chrome", "eloket_chrome_scripts")
