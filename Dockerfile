FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    CCR_HOST=0.0.0.0 \
    CCR_PORT=8000 \
    CCR_DATA_DIR=/data

RUN pip install --no-cache-dir uv==0.13.8 \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ccr \
    && mkdir -p /data && chown ccr /data

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
RUN uv sync --frozen --no-dev

USER 10001
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

# `ccr serve` migrates, bootstraps the first account on an empty database, then runs uvicorn.
CMD ["ccr", "serve"]
