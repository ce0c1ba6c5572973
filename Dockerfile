# Production image of the khuyến công portal: one image for web (gunicorn), worker, beat and the
# one-shot migrate job of docker-compose.yml.

# --- build: dependencies into a venv, compiled translations ---------------------------------
FROM python:3.13-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# msgfmt (gettext) is only needed to compile locale/*.po; it stays out of the runtime image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, so a code change does not reinstall them: the runtime lock file, every
# version pinned and every file's hash checked (no development tools in the image).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY . .
RUN KC_ALLOW_DEV_KEY=1 python manage.py compilemessages --ignore=var --ignore=static -v 1 \
    && find . -name '__pycache__' -prune -exec rm -rf {} +

# --- runtime ----------------------------------------------------------------------------------
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=khuyencong.settings \
    VAR_DIR=/var/lib/khuyencong \
    STATIC_ROOT=/var/lib/khuyencong/staticfiles \
    MEDIA_ROOT=/var/lib/khuyencong/media \
    WEB_CONCURRENCY=3
# WeasyPrint's native libraries (Pango, HarfBuzz subsetting) and fonts that cover Vietnamese;
# fontconfig builds the font cache once here instead of in every worker process;
# postgresql-client for `manage.py backup`/`restore` (pg_dump, pg_restore; newer than the server is fine).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-liberation postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 khuyencong \
    && useradd --system --uid 10001 --gid khuyencong --home-dir /var/lib/khuyencong --shell /usr/sbin/nologin khuyencong \
    && mkdir -p /var/lib/khuyencong/staticfiles /var/lib/khuyencong/media /var/lib/khuyencong/backups \
    && chown -R khuyencong:khuyencong /var/lib/khuyencong
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER khuyencong
EXPOSE 8000
# Overridden per service in docker-compose.yml; alone, the image serves the web application
# (gunicorn takes its number of workers from WEB_CONCURRENCY). Threaded workers (gthread,
# 4 threads each): a request waiting on the database does not hold a whole process, so
# 3 processes on a 2-core machine serve 12 requests at once (bench/bench.py measures it).
CMD ["gunicorn", "khuyencong.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60", \
     "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-", "--no-control-socket"]
