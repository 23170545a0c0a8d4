from django.apps import AppConfig


class QuotingConfig(AppConfig):
    name = "quoting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The services send the solve tasks by name (quoting.tasks imports the services, never
        # the other way round); registering them here lets a web process run them eagerly
        # (CELERY_TASK_ALWAYS_EAGER) and a worker find them.
        from quoting import tasks  # noqa: F401
