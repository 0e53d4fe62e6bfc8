# The shared layer on an image of the user's own (baseImage): what the cluster needs is checked,
# and our user, folders, tini and the stack's packages are added on top.
ARG TOOLS_IMAGE=debian:trixie-slim
ARG BASE_IMAGE

# tini, statically linked, so it runs whatever the base image's C library.
FROM ${TOOLS_IMAGE} AS tools
RUN apt-get update \
 && apt-get install --yes --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

FROM ${BASE_IMAGE}
USER root
COPY --from=tools /usr/bin/tini-static /usr/local/bin/tini
COPY --chmod=0755 check-base install-packages ipp-environment /usr/local/lib/ipp/
# Names the image in its message when something the cluster needs is missing.
ARG BASE_IMAGE
RUN /usr/local/lib/ipp/check-base "${BASE_IMAGE}"

# uid 1000 (added as jupyter when the image has no such user) owns the home and the IPython profile.
RUN if ! grep -q '^[^:]*:[^:]*:1000:' /etc/passwd; then \
      grep -q '^[^:]*:[^:]*:1000:' /etc/group || echo 'jupyter:x:1000:' >> /etc/group; \
      echo 'jupyter:x:1000:1000:jupyter:/home/jupyter:/bin/sh' >> /etc/passwd; \
    fi \
 && for d in /home/jupyter /home/jupyter/.ipython /home/jupyter/.ipython/profile_default \
      /home/jupyter/.ipython/profile_default/security /home/jupyter/.ipython/profile_default/log \
      /home/jupyter/.ipython/profile_default/pid /home/jupyter/.ipython/profile_default/startup; do \
      mkdir -p "$d" && chown 1000:1000 "$d"; \
    done \
 && chmod 0700 /home/jupyter/.ipython

ARG APT_PACKAGES=""
ARG PIP_REQUIREMENTS=""
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_TRUSTED_HOST=""
RUN /usr/local/lib/ipp/install-packages

# ipp-cluster's own module (the watcher, and `ipp_cluster.status()` in the notebook), on the Python path
# of the image's python3 through a .pth file, whatever its site-packages folder is.
COPY ipp_cluster /usr/local/lib/ipp/python/ipp_cluster/
COPY ipp_cluster.dist-info /usr/local/lib/ipp/python/ipp_cluster-0.1.0.dist-info/
COPY --chmod=0755 ipp-watcher ipp-scaler /usr/local/bin/
RUN purelib="$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
 && mkdir -p "${purelib}" \
 && echo /usr/local/lib/ipp/python > "${purelib}/ipp-cluster.pth" \
 && python3 -m compileall -q /usr/local/lib/ipp/python \
 && python3 -c "import ipp_cluster"

# Whatever user the image had, ours is uid 1000 with its home (and so the IPython profile) here.
ENV HOME=/home/jupyter
USER 1000
WORKDIR /home/jupyter
