# The web and worker image: the code, its Python dependencies and the collected static files.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    # The source tree comes first on the path: settings find templates/ and static/ beside it.
    PYTHONPATH=/app \
    VAR_DIR=/app/var

WORKDIR /app

COPY . .
# psycopg2-binary, ortools and the rest ship manylinux wheels: no compiler needed.
RUN pip install . \
    && rm -rf build *.egg-info \
    # Static files need no secret, but the settings refuse to load without one: a throwaway.
    && SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 app \
    && chown -R app:app /app/var

USER app
EXPOSE 8000

# docker-compose.yml migrates first; on its own the image serves the application (SECRET_KEY
# required). Behind a TLS proxy set HTTPS=true and SECURE_PROXY_SSL_HEADER=true.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
