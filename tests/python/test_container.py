"""The container image of the Dockerfile (docs/containers.md), as `cargo xtask test` builds it:
podman builds the final stage from a static binary built on this host (xtask/src/container.rs;
no registry is reachable for the builder stage's `FROM rust`). podman cannot run containers on
these machines (their cgroups), so the image's filesystem is exported and its entrypoint started
under chroot, as the image's user: it must answer /predict as the bundles' golden rows say, keep
its state where its user can write, take the admin token from a mounted secret, and its
HEALTHCHECK command must tell ready from down."""

import json
import os
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE = os.environ.get("WASMPREDICT_IMAGE", "localhost/wasmpredict:test")
# Issue 26: "a static binary in a minimal final image: at most 25 MB".
BUDGET_BYTES = 25_000_000
USER = "65532:65532"
TOKEN = "container-test-token-0123456789"
# chroot needs root; `cargo xtask test` runs apt the same way.
SUDO = [] if os.geteuid() == 0 else ["sudo", "-n"]


def podman(*args, **kw):
    return subprocess.run(["podman", *args], capture_output=True, check=True, **kw)


@pytest.fixture(scope="module")
def image():
    found = subprocess.run(["podman", "image", "inspect", IMAGE], capture_output=True, text=True)
    if found.returncode != 0:
        pytest.fail(f"{IMAGE} is not built: run `cargo xtask build container` ({found.stderr.strip()})")
    return json.loads(found.stdout)[0]


@pytest.fixture(scope="module")
def rootfs(image, tmp_path_factory):
    """The image's filesystem, as `podman create` + `podman export` give it, owners kept."""
    root = tmp_path_factory.mktemp("rootfs")
    container = podman("create", IMAGE, text=True).stdout.strip()
    try:
        exported = root.parent / "image.tar"
        podman("export", "--output", str(exported), container)
        # As root, so the files keep their owners (the state directory is the server user's).
        subprocess.run(SUDO + ["tar", "-x", "-f", str(exported), "-C", str(root)], check=True)
        exported.unlink()
        # A container's / is world-readable; pytest made this directory for its own user only.
        os.chmod(root, 0o755)
    finally:
        podman("rm", container)
    # A secret, mounted as Docker and Kubernetes mount them: a file only the server's user reads.
    token = root.parent / "admin-token"
    token.write_text(TOKEN + "\n")
    uid, gid = USER.split(":")
    secret = root / "run" / "secrets" / "admin-token"
    subprocess.run(SUDO + ["install", "-D", "-m", "0400", "-o", uid, "-g", gid, str(token), str(secret)], check=True)
    return root


def interpreter(path):
    """The ELF program interpreter a binary asks for (None: statically linked)."""
    with open(path, "rb") as f:
        head = f.read(64)
        assert head[:4] == b"\x7fELF" and head[4] == 2, f"{path} is not a 64-bit ELF file"
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            kind, _, offset, _, _, size = struct.unpack("<IIQQQQ", f.read(40))
            if kind == 3:  # PT_INTERP
                f.seek(offset)
                return f.read(size).rstrip(b"\0").decode()
    return None


def with_value(argv, flag, value):
    """`argv` with `flag`'s value replaced (the test's port instead of the image's 8080)."""
    assert flag in argv, f"{flag} not in {argv}"
    i = argv.index(flag)
    return argv[: i + 1] + [value] + argv[i + 2 :]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_image(rootfs, argv):
    return SUDO + ["chroot", f"--userspec={USER}", str(rootfs), *argv]


def post(url, body, token=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return send(request, token)


def send(request, token=None):
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def bundles(models):
    return sorted(
        os.path.relpath(dirpath, models)
        for dirpath, _, files in os.walk(models)
        if "manifest.json" in files
    )


def test_the_image_is_small_static_and_not_root(image, rootfs):
    assert image["Size"] <= BUDGET_BYTES, f"the image is {image['Size']:,} bytes, over the {BUDGET_BYTES:,} budget"
    config = image["Config"]
    assert config["User"] == USER
    assert config["Entrypoint"][:2] == ["/wasmpredict", "serve"]
    assert image["Healthcheck"]["Test"][:3] == ["CMD", "/wasmpredict", "health"]
    assert "8080/tcp" in config["ExposedPorts"]
    binary = rootfs / "wasmpredict"
    assert interpreter(binary) is None, f"the server binary asks for {interpreter(binary)}: not static"
    # Nothing but the binary, the bundles and the state and temp directories (podman export
    # adds the mount points a runtime fills).
    assert not (rootfs / "bin").exists() and not (rootfs / "usr").exists()
    assert bundles(rootfs / "models") == bundles(os.path.join(ROOT, "models"))
    assert not list((rootfs / "models").glob("*.py"))
    assert os.stat(rootfs / "state").st_uid == int(USER.split(":")[0])


def test_the_entrypoint_serves_under_chroot_and_the_healthcheck_tells(image, rootfs):
    config = image["Config"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    health = with_value(image["Healthcheck"]["Test"][1:], "--url", url)
    assert subprocess.run(in_image(rootfs, health), capture_output=True).returncode == 1, "healthy with no server"

    # The entrypoint as the image has it, on a free port; extra arguments as `docker run IMAGE
    # ARGS` appends them: the admin token from the mounted secret.
    serve = with_value(config["Entrypoint"], "--addr", f"127.0.0.1:{port}") + [
        "--admin-token-file",
        "/run/secrets/admin-token",
    ]
    server = subprocess.Popen(in_image(rootfs, serve), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(in_image(rootfs, health), capture_output=True).returncode != 0:
            assert server.poll() is None, f"the server stopped: {server.stdout.read()}"
            assert time.monotonic() < deadline, "not ready within 60 s"
            time.sleep(0.2)

        golden = json.load(open(os.path.join(ROOT, "models", "iris", "golden.json")))
        for row in golden["rows"][:5]:
            status, answer = post(f"{url}/models/iris/predict", {"record": row["input"]})
            assert status == 200, answer
            assert answer["prediction"] == row["prediction"]
            assert max(abs(a - b) for a, b in zip(answer["probabilities"], row["probabilities"])) <= golden["tolerance"]
        status, answer = post(f"{url}/models/iris/predict", {"features": [5.1, "wide", 1.4, 0.2]})
        assert status == 400 and answer["error"]["field"], answer

        # The admin routes take the secret's token, and the state directory is written.
        status, _ = send(urllib.request.Request(f"{url}/admin/models/churn/traffic"), "wrong-token")
        assert status == 403
        status, traffic = send(urllib.request.Request(f"{url}/admin/models/churn/traffic"), TOKEN)
        assert status == 200, traffic
        status, answer = post(f"{url}/models/churn/predict", {"record": {"tenure": 12, "contract": "month-to-month"}})
        assert status == 200, answer
        assert os.listdir(rootfs / "state"), "the server wrote nothing under /state"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert subprocess.run(in_image(rootfs, health), capture_output=True).returncode == 1, "healthy after the server stopped"
