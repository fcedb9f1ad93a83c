//! `cargo xtask build container`: the Dockerfile's final image, built here from a binary built
//! on this host. These machines reach no container registry, so the Dockerfile's builder stage
//! (`FROM rust:...`) cannot run: the same cargo command runs on the host instead, and podman
//! takes the binary from a local directory standing in for the builder stage
//! (`--build-context builder=DIR`). tests/python/test_container.py runs the image.

use crate::out::{fail, Context, Out, Result};
use crate::paths::Paths;
use crate::process::{cmd, output, run};
use crate::steps::timed;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The tag the test run builds and tests/python/test_container.py inspects.
pub const IMAGE: &str = "localhost/wasmpredict:test";

/// The builder stage's flags: glibc linked in (the final image has no libc), symbols stripped.
/// The Dockerfile's RUN line says the same (checked below).
const RUSTFLAGS: &str = "-C target-feature=+crt-static -C strip=symbols";
/// The builder stage's cargo arguments, before `--target HOST`.
const CARGO_ARGS: [&str; 5] = ["build", "--release", "--locked", "--bin", "wasmpredict"];

/// The static server binary, built as the Dockerfile's builder stage builds it; its path.
pub fn static_binary(out: &Out, p: &Paths) -> Result<PathBuf> {
    run(
        out,
        cmd("cargo", CARGO_ARGS)
            .args(["--target", &host_triple()?])
            .env("RUSTFLAGS", RUSTFLAGS)
            .current_dir(&p.root),
    )?;
    static_binary_path(p)
}

/// Where [`static_binary`] puts the binary.
pub fn static_binary_path(p: &Paths) -> Result<PathBuf> {
    Ok(p.target.join(host_triple()?).join("release/wasmpredict"))
}

/// `podman build` of the Dockerfile's final stage with `binary`, tagged [`IMAGE`].
pub fn image(out: &Out, p: &Paths, binary: &Path) -> Result {
    // What the builder stage leaves in /out.
    let stage = p.target.join("container/builder");
    let _ = std::fs::remove_dir_all(&stage);
    let dir = stage.join("out");
    for sub in ["state", "tmp"] {
        std::fs::create_dir_all(dir.join(sub))
            .context(|| format!("cannot create {}", dir.join(sub).display()))?;
    }
    std::fs::set_permissions(dir.join("tmp"), std::fs::Permissions::from_mode(0o1777))?;
    std::fs::copy(binary, dir.join("wasmpredict"))
        .context(|| format!("cannot copy {}", binary.display()))?;
    let builder = format!("builder={}", stage.display());
    run(
        out,
        cmd(
            "podman",
            [
                "build",
                "--quiet",
                // HEALTHCHECK is a Docker image setting; podman's default (OCI) drops it.
                "--format",
                "docker",
                "--build-context",
                &builder,
                "--tag",
                IMAGE,
                "--file",
            ],
        )
        .arg(p.at("Dockerfile"))
        .arg(&p.root),
    )
}

/// The static binary, then the image: `cargo xtask build container`.
pub fn build(out: &Out, p: &Paths) -> Result {
    crate::tools::need_podman(out)?;
    let binary = timed(out, "static server binary (release)", || {
        static_binary(out, p)
    })?;
    timed(out, "container image (podman build)", || {
        image(out, p, &binary)
    })?;
    out.say(&format!("built {IMAGE} ({})", binary.display()));
    Ok(())
}

fn host_triple() -> Result<String> {
    let said = output(&mut cmd("rustc", ["-vV"]))?;
    match said.lines().find_map(|l| l.strip_prefix("host: ")) {
        Some(host) => Ok(host.trim().to_string()),
        None => fail("`rustc -vV` names no host"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// The image built here must be the one users build: the Dockerfile's RUN line holds the
    /// same flags and arguments.
    #[test]
    fn the_dockerfile_builds_as_the_host_does() {
        let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
        let run = dockerfile
            .split("\nRUN ")
            .nth(1)
            .expect("a RUN line in the builder stage");
        assert!(
            run.contains(&format!(
                "RUSTFLAGS=\"{RUSTFLAGS}\" cargo {}",
                CARGO_ARGS.join(" ")
            )),
            "the Dockerfile's builder stage no longer runs `RUSTFLAGS=\"{RUSTFLAGS}\" cargo {}`",
            CARGO_ARGS.join(" ")
        );
    }

    /// The builder image's Rust is the toolchain every other build uses.
    #[test]
    fn the_dockerfile_pins_the_toolchain() {
        let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
        let toolchain =
            std::fs::read_to_string(root().join("rust-toolchain.toml")).expect("toolchain");
        let channel = toolchain
            .lines()
            .find_map(|l| l.strip_prefix("channel = "))
            .expect("a channel")
            .trim_matches('"');
        assert!(
            dockerfile.contains(&format!("ARG RUST_VERSION={channel}\n")),
            "Dockerfile: ARG RUST_VERSION must be rust-toolchain.toml's {channel}"
        );
    }
}
