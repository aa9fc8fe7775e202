# secops-jobs: one image for every job (CronJob, `python -m jobs schedule`, ad-hoc runs).
#
#   buildah bud --isolation chroot -t secops-jobs .        # or: docker build -t secops-jobs .
#   --build-arg BASE=...     any Debian-like image with python3 >= 3.11 and its venv module
#   --build-arg EXTRAS=...   the pyproject extras to install (comma-separated; default: all,sast:
#                            every job, and semgrep for the repo scanner's SAST)
#
# Stage 1 builds wheels of the project and every dependency, then installs only those wheels (no
# index) into /opt/venv; stage 2 is the bare base plus that venv and the user: it runs no command,
# so nothing of the builder (its pip configuration, mounted with `-v` for the build, not even
# the mount points) reaches the image. git (the repo scanner reads repositories with it) and the
# usage reports' font come from a third stage: apt installs them there, and only the files of the
# packages it added, with their dpkg records, are copied into the runtime. The runtime writes
# nothing outside /tmp and the state volume /var/lib/secops, so it runs with a read-only root filesystem. Relative defaults
# (`sqlite:///./secops-state.db`, the `./secops-outbox.jsonl` outbox) land in the volume because it
# is the working directory; no SECOPS_ variable is set here, since the environment would
# override the operator's config file.
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS tools
# git and what apt adds with it (perl, libcurl, ...), and DejaVu Sans (the usage reports' face:
# French accents, ▲▼ and narrow no-break spaces): only those packages' files, at their real
# paths (a merged-/usr base has /lib -> usr/lib: a staged /lib folder would replace that link),
# and their dpkg records, staged under /staged for the runtime to copy.
RUN dpkg-query -W -f '${Package}\n' | sort > /tmp/before \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git fonts-dejavu-core > /dev/null \
    && dpkg-query -W -f '${Package}\n' | sort > /tmp/after \
    && comm -13 /tmp/before /tmp/after > /tmp/added \
    && grep -qx git /tmp/added \
    && mkdir /staged \
    && while read -r package; do \
         dpkg -L "$package" | while read -r path; do \
           if [ -f "$path" ] || [ -L "$path" ]; then \
             cp -a --parents "$(readlink -f "$(dirname "$path")")/$(basename "$path")" /staged; \
           fi; \
         done; \
         for record in /var/lib/dpkg/info/"$package".* /var/lib/dpkg/info/"$package":*; do \
           if [ -e "$record" ]; then cp -a --parents "$record" /staged; fi; \
         done; \
       done < /tmp/added \
    && cp -a --parents /var/lib/dpkg/status /staged \
    && /staged/usr/bin/git --version

FROM ${BASE} AS build
ARG EXTRAS=all,sast
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
# python3, not python: a Debian base has no `python` name; the venv gives both.
RUN python3 -m venv /opt/build && /opt/build/bin/pip install -q --upgrade pip wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY jobs ./jobs
COPY notifications ./notifications
RUN /opt/build/bin/pip wheel -q --wheel-dir /wheels ".[${EXTRAS}]"
# The runtime venv gets no pip: the build venv's pip installs into it (`--python`), from the
# wheels alone (PIP_CONFIG_FILE=/dev/null: no index or find-links of the builder's pip config).
# The user is written into passwd/group directly: a minimal base has no useradd.
RUN python3 -m venv --without-pip /opt/venv \
    && PIP_CONFIG_FILE=/dev/null /opt/build/bin/pip --python /opt/venv/bin/python install -q \
       --no-index --find-links /wheels "secops-jobs[${EXTRAS}]" \
    && echo "secops:x:10001:10001:secops-jobs:/var/lib/secops:/usr/sbin/nologin" >> /etc/passwd \
    && echo "secops:x:10001:" >> /etc/group \
    && mkdir -p /var/lib/secops \
    && chown 10001:10001 /var/lib/secops \
    && chmod 0750 /var/lib/secops

FROM ${BASE} AS runtime
ARG VERSION=0.1.0
ARG SOURCE=""
LABEL org.opencontainers.image.title="secops-jobs" \
      org.opencontainers.image.description="Scheduled security and lifecycle batch jobs for platform teams" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/secops
COPY --from=build /etc/passwd /etc/group /etc/
COPY --from=tools /staged/ /
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /var/lib/secops /var/lib/secops
WORKDIR /var/lib/secops
VOLUME ["/var/lib/secops"]
USER 10001:10001
ENTRYPOINT ["python", "-m", "jobs"]
CMD ["list"]
