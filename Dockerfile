# The native server, `wasmpredict serve`, in a minimal image (docs/containers.md):
#
#   docker build -t wasmpredict .
#   docker run --rm -p 8080:8080 wasmpredict
#   curl -s localhost:8080/models/iris/predict -d '{"features": [5.1, 3.5, 1.4, 0.2]}'
#
# The bundles of models/ are baked in at /models; mount your own over it
# (`-v "$PWD/models:/models:ro"`). Arguments after the image name are more `serve` flags, e.g.
# the admin token from a secret: `--admin-token-file /run/secrets/admin-token`.

# The toolchain of rust-toolchain.toml (`cargo xtask test` checks they agree).
ARG RUST_VERSION=1.95.0

FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /src
COPY . .
# A static binary (glibc linked in: the final image has no libc), stripped; the same command
# `cargo xtask build container` runs on a host (xtask/src/container.rs). rust-toolchain.toml
# would make rustup fetch the wasm32 target and clippy, which this build does not use.
RUN rm rust-toolchain.toml \
 && RUSTFLAGS="-C target-feature=+crt-static -C strip=symbols" cargo build --release --locked --bin wasmpredict --target "$(rustc -vV | sed -n 's/^host: //p')" \
 && mkdir -p /out/state /out/tmp \
 && chmod 1777 /out/tmp \
 && cp target/*/release/wasmpredict /out/wasmpredict

FROM scratch
COPY --from=builder /out/wasmpredict /wasmpredict
COPY --from=builder /out/tmp /tmp
# The traffic table and the feedback database: a volume, writable by the server's user.
COPY --from=builder --chown=65532:65532 /out/state /state
COPY models/ /models/
# Not root: a numeric user (a scratch image has no /etc/passwd).
USER 65532:65532
EXPOSE 8080
VOLUME ["/state"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/wasmpredict", "health", "--url", "http://127.0.0.1:8080"]
ENTRYPOINT ["/wasmpredict", "serve", "--addr", "0.0.0.0:8080", "--models", "/models", "--state", "/state"]
