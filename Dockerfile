# syntax=docker/dockerfile:1

# ripen: one image for `ripen worker`, `ripen api`, `ripen migrate` (and the
# other subcommands). Build:
#
#   docker build -t ripen:dev --build-arg RIPEN_VERSION=$(git describe --always) .
#
# The binary is static (CGO_ENABLED=0), carries its own time zone database
# (-tags timetzdata: send windows use each contact's time zone) and never
# links the embedded Temporal server (that is cmd/ripen-dev, not built here).

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# go.mod also names the dev stack (the embedded Temporal server and its
# dependencies); `go build ./cmd/ripen` fetches only the modules the
# production binary needs, so there is no `go mod download` layer: the cache
# mounts keep modules and build results from one build to the next instead.
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG RIPEN_VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -tags timetzdata \
      -ldflags="-s -w" \
      -o /out/ripen ./cmd/ripen

# distroless/static: CA certificates (SendGrid, Temporal Cloud), tzdata, a
# nonroot user (65532), no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG RIPEN_VERSION=dev
LABEL org.opencontainers.image.title="ripen" \
      org.opencontainers.image.description="Nurture journeys for existing B2B customers on Temporal" \
      org.opencontainers.image.version="${RIPEN_VERSION}"
COPY --from=build /out/ripen /usr/local/bin/ripen
# Worker Versioning's build ID defaults to the image version; it is used only
# when RIPEN_WORKER_DEPLOYMENT_NAME is set too (docs/operations.md). 8080 is
# the API's public listener; 9464 the ops listener (/healthz, /readyz,
# /metrics) of whichever process the container runs.
ENV RIPEN_WORKER_BUILD_ID=${RIPEN_VERSION} \
    RIPEN_HTTP_ADDR=0.0.0.0:8080 \
    RIPEN_OPS_ADDR=0.0.0.0:9464 \
    RIPEN_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080 9464
ENTRYPOINT ["/usr/local/bin/ripen"]
CMD ["--help"]
