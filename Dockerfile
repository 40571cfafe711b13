# syntax=docker/dockerfile:1
# The hub image: one image for every hub process (api, relay, worker, monitor) and the one-shot tasks
# (db upgrade, topics create); docker-compose.yml picks the process with the command, e.g. `command: ["relay"]`.
#
#   docker build -t retiree-hub:0.1.0 .
#   docker run --rm retiree-hub:0.1.0 --help

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what `pip install .` needs: pyproject.toml and the packages it lists under
# [tool.setuptools.packages.find] include (tests/unit/test_deployment.py checks the two lists agree).
COPY pyproject.toml ./
COPY app/ ./app/
COPY hub/ ./hub/
COPY channels/ ./channels/
COPY connectors/ ./connectors/
COPY domain/ ./domain/
COPY seed/ ./seed/
COPY simulators/ ./simulators/
RUN pip install .


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HUB_SCHEMAS_DIR=/app/schemas

RUN groupadd --system --gid 10001 hub \
    && useradd --system --uid 10001 --gid hub --home-dir /app --no-create-home --shell /usr/sbin/nologin hub
# The CJK font every printed PDF embeds (channels/printing/pdf.py: rosters, notices, ledgers).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Event schemas are data, not a package: Settings.schemas_dir points here through HUB_SCHEMAS_DIR.
COPY schemas/ /app/schemas/

USER hub:hub

# api serves on HUB_API_PORT (8000); relay, worker and monitor serve /metrics on HUB_METRICS_PORT.
EXPOSE 8000 9101 9102 9103

ENTRYPOINT ["hub"]
CMD ["--help"]
