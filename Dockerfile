# Multi-stage build: compile with the full toolchain, run on a small Debian image as a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
# libssl3: the bundled PostgreSQL client speaks TLS (sslmode=require) through the system OpenSSL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/registry registry
COPY --from=build /src/target/release/peacekeeper-registry /usr/local/bin/peacekeeper-registry
COPY config /var/lib/registry/config
WORKDIR /var/lib/registry
USER registry
# Case documents and signed checkpoints: volumes of their own (see docker-compose.yml), created
# here so they are ours.
RUN mkdir -p /var/lib/registry/data/documents /var/lib/registry/checkpoints
ENV PKR_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/peacekeeper-registry"]
CMD ["serve"]
