# syntax=docker/dockerfile:1
#
# Container image for codedeploy-exporter.
#
#   docker build -t codedeploy-exporter .
#   docker run --rm -p 10120:10120 codedeploy-exporter --demo --web.listen-address=:10120
#
# Both stages use the same pinned base so the virtualenv's interpreter symlinks
# (/opt/venv/bin/python -> /usr/local/bin/python3.11) resolve in the final image.
# tests/artifacts/test_dockerfile.py replays this file's COPY and RUN steps in a fresh
# virtualenv, so keep each step a plain command.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY exporter ./exporter

# Build the wheel from the source tree; into a virtualenv made without pip, install the
# runtime dependencies exactly as requirements.lock pins them (every file checked against its
# hash, so the image is reproducible), then the wheel alone. The builder's pip installs into
# it, so pip, setuptools and wheel never enter the image.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .
RUN python -m venv --without-pip /opt/venv \
    && pip --python /opt/venv/bin/python install --no-cache-dir --no-compile --require-hashes -r requirements.lock \
    && pip --python /opt/venv/bin/python install --no-cache-dir --no-compile --no-deps /wheels/*.whl
# Bytecode compiled now, so the non-root process (which can write nowhere) does not
# recompile on every start. unchecked-hash: the image never changes its sources.
RUN /opt/venv/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv/lib

FROM ${PYTHON_IMAGE}

ARG VERSION=dev
# The git commit (`--build-arg REVISION=$(git rev-parse HEAD)`): becomes the image label and
# codedeploy_exporter_build_info{revision}; empty when not given.
ARG REVISION=""

LABEL org.opencontainers.image.title="codedeploy-exporter" \
      org.opencontainers.image.description="Prometheus exporter for AWS CodeDeploy deployment targets, lifecycle hooks and traffic shifting" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# Only the virtualenv crosses over: no wheel cache, no build tooling.
COPY --from=builder /opt/venv /opt/venv

# CODEDEPLOY_EXPORTER_WEB_LISTEN_ADDRESS is the default of --web.listen-address:
# the process and the HEALTHCHECK both read it, so set it (not the flag) to move the port.
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CODEDEPLOY_EXPORTER_WEB_LISTEN_ADDRESS=":10120" \
    CODEDEPLOY_EXPORTER_REVISION="${REVISION}"

# 65532 is the conventional "nonroot" UID/GID of distroless images; it owns
# nothing in the image, so the process can write nowhere but mounted volumes.
USER 65532:65532
WORKDIR /

EXPOSE 10120

# The image has no curl: the exporter's own probe, which reads the listen address
# from CODEDEPLOY_EXPORTER_WEB_LISTEN_ADDRESS as the process does.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/opt/venv/bin/python", "-m", "exporter.http.health"]

ENTRYPOINT ["codedeploy-exporter"]
CMD ["--config.file=/etc/codedeploy-exporter/config.yaml"]
