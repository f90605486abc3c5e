# syntax=docker/dockerfile:1
# The scalelite-rs image: `scalelite-function` (the API, the entrypoint) and `scalelite` (jobs and the admin
# CLI: `scalelite job poll`, `scalelite job import`, `scalelite servers`), as user 1000 on Debian slim; built
# without the `demo` feature, so no simulated BBB server is linked in. The optional stores are build
# arguments: `--build-arg FEATURES=scalelite-functions/s3,scalelite-cli/s3` for recordings on S3, `.../dynamodb`
# for DynamoDB (both: list all four).
FROM rust:1.95-bookworm AS build
ARG FEATURES=""
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --no-default-features -p scalelite-functions --bin scalelite-function \
        -p scalelite-cli --bin scalelite ${FEATURES:+--features "$FEATURES"} \
    && install -D -m 0755 -t /out target/release/scalelite-function target/release/scalelite

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 scalelite \
    && useradd --uid 1000 --gid 1000 --home-dir /var/lib/scalelite --create-home scalelite
COPY --from=build /out/ /usr/local/bin/
USER 1000:1000
WORKDIR /var/lib/scalelite
ENV PORT=8080 LOG_FORMAT=json SQLITE_PATH=/var/lib/scalelite/scalelite.db
EXPOSE 8080
ENTRYPOINT ["scalelite-function"]
