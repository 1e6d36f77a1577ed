# Pipeline CRM production image: gunicorn + WhiteNoise; the same image runs the Celery
# worker and beat (docker-compose.yml picks the command).

FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CRM_MODE=production \
    CRM_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    GUNICORN_BIND=0.0.0.0:8000
WORKDIR /app
# Pango for WeasyPrint (the quotes' PDFs); fonts come from the npm package in node_modules.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
# collectstatic needs settings but no services: throwaway values for this step only.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/build.sqlite3 CACHE_URL=locmem:// \
    CELERY_BROKER_URL=memory:// python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 crm && mkdir -p /app/var && chown crm /app/var
USER crm
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# Workers, threads, keep-alive: gunicorn.conf.py, from GUNICORN_* in the environment (docs/operations.md).
CMD ["gunicorn", "pipeline_crm.wsgi"]
