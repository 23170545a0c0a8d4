from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The first app to load creates the folders the settings name (SQLite, broker, beat)
        # before anything opens them; the settings module itself creates nothing.
        from config.runtime import runtime_directories_create

        runtime_directories_create()
