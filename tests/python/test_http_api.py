"""The HTTP API against its spec (docs/openapi.yaml) and against NVIDIA's tritonclient.

The server under test is `WASMPREDICT_URL` if set (./test.sh points it at the Worker running in
workerd), else a `wasmpredict serve` started here. Both must answer the same.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("WASMPREDICT_BIN", os.path.join(ROOT, "target", "debug", "wasmpredict"))
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
SPEC = yaml.safe_load(open(SPEC_PATH))
TEXTBOOK = [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]
# The admin token of the server under test (./test.sh starts ./run.sh with this one).
TOKEN = os.environ.get("ADMIN_TOKEN", "test-admin-token-0123456789")
AUTH = {"authorization": f"Bearer {TOKEN}"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    if os.environ.get("WASMPREDICT_URL"):
        yield os.environ["WASMPREDICT_URL"].rstrip("/")
        return
    port = free_port()
    state = tmp_path_factory.mktemp("state")
    proc = subprocess.Popen(
        [BIN, "serve", "--models", "models", "--www", "www", "--default-model", "rf-classification", "--addr", f"127.0.0.1:{port}", "--state", str(state)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "ADMIN_TOKEN": TOKEN},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/v2/health/live", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("wasmpredict serve did not start")
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def call(url, method, path, body=None, raw=None, headers=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url + path, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            kind = r.headers.get("content-type", "")
            return r.status, dict(r.headers), json.loads(text or b"null") if "json" in kind or not text else text.decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"null")


def validate(instance, schema_name):
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(instance), key=str)
    assert not errors, f"{schema_name}: {errors[0].message} in {json.dumps(instance)[:300]}"


def test_textbook_curl(url):
    status, headers, body = call(url, "POST", "/predict", {"features": TEXTBOOK})
    assert status == 200
    prediction_id = body.pop("id")
    assert body == {"prediction": 0, "probabilities": [0.97, 0.03], "classes": [0, 1], "model": "rf-classification", "version": "1.0.0"}
    assert prediction_id
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["x-model-version"] == "1.0.0"
    assert "inference;dur=" in headers["server-timing"]
    validate(body, "SingleResponse")


def test_a_bare_churn_customer_posted_with_curl(url):
    """The churn-service course posts the customer object itself, with plain `curl -d` (which
    labels it form-encoded): the answer is the one `{"record": ...}` gets."""
    customer = {"tenure": 1, "contract": "month-to-month", "monthly_charges": 29.85, "payment_method": "electronic-check", "paperless_billing": "yes"}
    out = subprocess.run(["curl", "-sS", "-d", json.dumps(customer), f"{url}/models/churn/predict"], capture_output=True, text=True, check=True)
    bare = json.loads(out.stdout)
    status, _, explicit = call(url, "POST", "/models/churn/predict", {"record": customer})
    assert status == 200
    for answer in (bare, explicit):
        answer.pop("id")
    assert bare == explicit
    assert bare["prediction"] in bare["classes"]
    validate(explicit, "SingleResponse")


def test_responses_match_the_spec(url):
    cases = [
        ("GET", "/models", None, 200, "ModelList"),
        ("GET", "/models/churn", None, 200, "ModelInfo"),
        ("POST", "/models/iris/predict", {"features": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}, 200, "BatchResponse"),
        ("POST", "/models/churn/predict", {"record": {"tenure": 12, "contract": "month-to-month"}}, 200, "SingleResponse"),
        ("POST", "/models/news/predict", {"instances": [{"text": "great fun"}, ["dull"]]}, 200, "BatchResponse"),
        ("POST", "/models/iris/predict", {"features": [1]}, 400, "Error"),
        ("POST", "/models/churn/predict", {"record": {"tenure": 12, "contract": "month-to-month"}, "explain": True}, 200, "SingleResponse"),
        ("POST", "/models/iris/predict", {"features": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], "explain": True}, 200, "BatchResponse"),
        ("POST", "/models/news/predict", {"instances": [{"text": "great fun"}], "explain": True}, 200, "BatchResponse"),
        ("POST", "/v2/models/iris/infer", {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}], "parameters": {"explain": True}}, 200, "V2InferResponse"),
        ("POST", "/models/nope/predict", {"features": [1]}, 404, "Error"),
        ("GET", "/v2/models/churn", None, 200, "V2Metadata"),
        ("GET", "/v2/models/news/versions/1.0.0", None, 200, "V2Metadata"),
        ("POST", "/v2/models/iris/infer", {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}, 200, "V2InferResponse"),
        ("GET", "/v2/models/iris/versions/0.0.1", None, 404, "V2Error"),
    ]
    for method, path, body, status, schema in cases:
        got, _, answer = call(url, method, path, body)
        assert got == status, f"{method} {path}: {got} {answer}"
        validate(answer, schema)


def test_every_documented_path_exists(url):
    _, _, iris = call(url, "POST", "/models/iris/predict", {"features": [5.1, 3.5, 1.4, 0.2]})
    for path, ops in SPEC["paths"].items():
        concrete = path.replace("{name}", "iris").replace("{version}", "1.0.0")
        for method in ops:
            if path == "/predict":  # the default model, rf-classification
                body = {"features": TEXTBOOK}
            elif "predict" in path:
                body = {"features": [5.1, 3.5, 1.4, 0.2]}
            elif path.endswith("/feedback") and method == "post":
                body = {"id": iris["id"], "label": 0}
            elif path.endswith("/traffic"):
                body = {"split": {"1.0.0": 100}}
            else:
                body = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}
            admin = path.startswith("/admin") or path == "/metrics" or path.endswith("/monitor")
            status, _, answer = call(url, method.upper(), concrete, body if method in ("post", "put") else None, headers=AUTH if admin else None)
            want = 201 if path.endswith("/feedback") and method == "post" else 200
            assert status == want, f"{method.upper()} {concrete}: {status} {answer}"
            if admin:
                refused, _, _ = call(url, method.upper(), concrete, body if method in ("post", "put") else None)
                assert refused == 401, f"{method.upper()} {concrete} without a token: {refused}"


def test_monitor_report_matches_the_spec(url):
    for model, body in [("iris", {"features": [[5.1, 3.5, 1.4, 0.2]]}), ("rf-classification", None), ("news", {"instances": [{"text": "great fun"}]})]:
        if body is not None:
            call(url, "POST", f"/models/{model}/predict", body)
            call(url, "POST", f"/models/{model}/predict", {"features": "nope"})
        status, _, report = call(url, "GET", f"/models/{model}/monitor", headers=AUTH)
        assert status == 200, report
        validate(report, "MonitorReport")
        assert report["model"] == model


def test_oversized_body_is_413(url):
    status, _, body = call(url, "POST", "/predict", raw=b'{"features": [' + b"1.0," * 300_000 + b"1.0]}")
    assert status == 413 and body["error"]["code"] == "payload_too_large"


def test_schemathesis_finds_no_server_error(url, tmp_path):
    """Generated requests against every operation: no 5xx, and answers that conform to the spec."""
    proc = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", SPEC_PATH,
            "--url", url,
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples", "25",
            "--seed", "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_tritonclient_health_metadata_infer(url):
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(url=url.split("://", 1)[1])
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("churn")
    meta = client.get_model_metadata("churn")
    assert meta["name"] == "churn"
    assert [i["name"] for i in meta["inputs"]][:2] == ["tenure", "monthly_charges"]
    assert {o["name"] for o in meta["outputs"]} == {"label", "probabilities"}

    # Named raw inputs, strings as BYTES.
    tenure = httpclient.InferInput("tenure", [2], "FP64")
    tenure.set_data_from_numpy(np.array([3.0, 60.0]), binary_data=False)
    contract = httpclient.InferInput("contract", [2], "BYTES")
    contract.set_data_from_numpy(np.array(["month-to-month", "two-year"], dtype=object), binary_data=False)
    outputs = [httpclient.InferRequestedOutput("label", binary_data=False), httpclient.InferRequestedOutput("probabilities", binary_data=False)]
    result = client.infer("churn", [tenure, contract], outputs=outputs)
    probs = result.as_numpy("probabilities")
    assert probs.shape == (2, 2)
    assert probs[0, 1] > probs[1, 1], "a new month-to-month customer churns more than a long two-year one"
    _, _, rest = call(url, "POST", "/models/churn/predict", {"instances": [{"tenure": 3.0, "contract": "month-to-month"}, {"tenure": 60.0, "contract": "two-year"}]})
    assert np.allclose(probs, np.array(rest["probabilities"]), atol=1e-7)
    assert list(result.as_numpy("label")) == rest["predictions"]

    # The textbook's positional FP32 [N, F] input.
    x = httpclient.InferInput("input", [1, 10], "FP32")
    x.set_data_from_numpy(np.array([TEXTBOOK], dtype=np.float32), binary_data=False)
    result = client.infer("rf-classification", [x], outputs=[httpclient.InferRequestedOutput("probabilities", binary_data=False)])
    assert np.allclose(result.as_numpy("probabilities"), [[0.97, 0.03]])

    # Errors surface as the client's exception, with our message.
    bad = httpclient.InferInput("input", [1, 3], "FP32")
    bad.set_data_from_numpy(np.array([[1, 2, 3]], dtype=np.float32), binary_data=False)
    from tritonclient.utils import InferenceServerException

    with pytest.raises(InferenceServerException, match="wrong_feature_count|shape"):
        client.infer("rf-classification", [bad])
