# The StartOS image of spark-control: the server binary, the dashboard's site files and the
# model catalog, on Debian slim. `start-cli s9pk pack` builds it from startos/ with the
# repository root as context, once per architecture (it passes --build-arg ARCH, unused here:
# each build runs on its own platform). Check it by hand with scripts/check-image.sh.
#
# The build stage installs its tools with the project's own scripts/setup.sh, so the image is
# built exactly as scripts/run.sh builds on a developer's machine.

ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
# npm for wasm-opt (binaryen); setup.sh would install it too, in a layer rebuilt more often
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The tools first, in their own layer: a source change does not rebuild cargo-leptos (~15 min).
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh
COPY . .
RUN bash -c 'source scripts/setup.sh && cargo leptos build --release' \
 && strip target/release/spark-control

FROM ${RUNTIME_IMAGE}
COPY --from=build /src/target/release/spark-control /app/spark-control
COPY --from=build /src/target/site /app/site
COPY models.yaml /app/models.yaml
# What startos/main.ts also passes: state in the `main` volume, the site and catalog above.
ENV DATA_DIR=/data \
    BIND_PORT=9999 \
    LEPTOS_SITE_ROOT=/app/site \
    MODELS_YAML=/app/models.yaml
WORKDIR /app
EXPOSE 9999
VOLUME ["/data"]
ENTRYPOINT ["/app/spark-control"]
