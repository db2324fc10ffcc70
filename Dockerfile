# relmig in a small image: a static binary on distroless, running as non-root.
#
#   docker build -t relmig .
#   docker run --rm -v "$PWD:/work" -w /work -e MONGODB_URI relmig status
#
# Scripts usually need their own runtime (Node.js for `npx ts-node …`): build
# your migration image FROM your application's image and copy /relmig into it
# (COPY --from=relmig /relmig /usr/local/bin/relmig), so relmig runs the
# scripts with the tools they were written for.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /relmig ./cmd/relmig

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /relmig /relmig
USER nonroot:nonroot
ENTRYPOINT ["/relmig"]
