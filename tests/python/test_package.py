"""The `wasmpredict` Python package as a user installs it (`pip install ./python`) and calls it
from a notebook: `wasmpredict.export(model, frame, ...)` writes the bundle the command line
writes for the same rows, the console script takes the flags of models/export.py, and a bundle
whose golden rows wasmpredict does not reproduce is never written.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train  # noqa: E402
from test_export import BIN, small_frame  # noqa: E402


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`pip install ./python` as a user runs it: maturin builds the Rust core from source into a
    wheel, installed into a fresh venv. The wheel is built in the dev profile, as `cargo xtask
    test` built the module, so the compiled crates are reused (a user's install builds the
    release profile); the venv takes its dependencies from .venv's site-packages (a .pth file
    after its own), not from a second download."""
    wheels = tmp_path_factory.mktemp("wheels")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-build-isolation", "-w", str(wheels), os.path.join(ROOT, "python")],
        capture_output=True,
        text=True,
        # The build backend runs the `maturin` command installed beside this interpreter.
        env=dict(os.environ, MATURIN_PEP517_ARGS="--profile dev", PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [wheel] = list(wheels.glob("wasmpredict-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "wasmpredict/_native.abi3.so" in names and "wasmpredict/spark.py" in names, names
    assert "abi3" in wheel.name, wheel.name

    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(site, "zz-dependencies.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (venv / "bin" / "wasmpredict-export").exists()
    return venv


def python_in(venv, code, env=None, cwd=None):
    """Runs `code` in the venv, where only the installed package (not the checkout) is
    wasmpredict."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, env=dict(base, **(env or {})), cwd=cwd)


def test_the_installed_package_predicts(installed):
    """The wheel's module answers the golden rows of a committed bundle, as sklearn did."""
    code = f"""
import json, wasmpredict, pandas as pd
assert wasmpredict.__file__.startswith({str(installed)!r}), wasmpredict.__file__
m = wasmpredict.load({os.path.join(ROOT, "models", "churn", "1.0.0")!r})
golden = json.load(open({os.path.join(ROOT, "models", "churn", "1.0.0", "golden.json")!r}))
frame = pd.DataFrame([r["input"] for r in golden["rows"]])
got = m.predict_proba(frame)
diff = max(abs(a - b) for row, want in zip(got, golden["rows"]) for a, b in zip(row, want["probabilities"]))
print(json.dumps({{"rows": len(got), "diff": diff, "labels": m.predict(frame).tolist() == [r["prediction"] for r in golden["rows"]]}}))
"""
    proc = python_in(installed, code)
    assert proc.returncode == 0, proc.stderr
    said = json.loads(proc.stdout)
    assert said["rows"] > 0 and said["diff"] <= 1e-5 and said["labels"], said


NOTEBOOK = """
import json, sys
import wasmpredict
sys.path.insert(0, {models!r})
from train import churn_frame
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

assert wasmpredict.__file__.startswith({venv!r}), wasmpredict.__file__
df, y = churn_frame(800, seed=4)
numeric = ["tenure", "monthly_charges", "total_charges", "senior_citizen"]
categorical = ["contract", "internet_service", "payment_method", "paperless_billing"]
model = Pipeline([
    ("pre", ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
                               ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), categorical)])),
    ("clf", LogisticRegression(max_iter=1000)),
]).fit(df, y)
manifest = wasmpredict.export(model, df, name="churn-notebook", out={out!r}, version="2.0.0")
print(json.dumps({{"version": manifest["version"], "fields": [f["name"] for f in manifest["input"]]}}))
import joblib
joblib.dump(model, {model_path!r})
df.to_csv({sample_path!r}, index=False)
"""


def test_export_from_a_notebook_equals_the_command_line(installed, tmp_path):
    out, model_path, sample_path = tmp_path / "from-notebook", tmp_path / "m.joblib", tmp_path / "s.csv"
    code = NOTEBOOK.format(models=os.path.join(ROOT, "models"), venv=str(installed), out=str(out), model_path=str(model_path), sample_path=str(sample_path))
    proc = python_in(installed, code, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = json.loads(proc.stdout.strip().splitlines()[-1])
    assert said["version"] == "2.0.0" and "contract" in said["fields"]
    checked = subprocess.run([BIN, "check", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # The console script, with the flags of models/export.py, on the same model and rows.
    cli_out = tmp_path / "from-cli"
    script = installed / "bin" / "wasmpredict-export"
    proc = subprocess.run(
        [str(script), "--model", str(model_path), "--sample", str(sample_path), "--name", "churn-notebook", "--version", "2.0.0", "--out", str(cli_out)],
        capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert proc.returncode == 0, proc.stderr
    for f in ["manifest.json", "model.onnx", "golden.json", "explain.json"]:
        assert (out / f).read_bytes() == (cli_out / f).read_bytes(), f


def test_models_export_py_is_the_package(tmp_path):
    """models/export.py is a thin wrapper: same help, same module."""
    wrapper = subprocess.run([sys.executable, os.path.join(ROOT, "models", "export.py"), "--help"], capture_output=True, text=True)
    module = subprocess.run([sys.executable, "-m", "wasmpredict", "--help"], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    assert wrapper.returncode == 0 and module.returncode == 0, wrapper.stderr + module.stderr
    flags = lambda text: sorted(set(re.findall(r"--[a-z][a-z-]*", text)))  # noqa: E731
    assert flags(wrapper.stdout) == flags(module.stdout)
    assert {"--model", "--onnx", "--sample", "--name", "--out", "--version", "--golden-rows"} <= set(flags(wrapper.stdout))
    assert "XGBClassifier" in wrapper.stdout


def test_a_bundle_wasmpredict_does_not_reproduce_is_not_written(installed, tmp_path):
    """The golden replay runs in the Rust core before the swap: golden answers it does not
    reproduce (here sklearn's probabilities swapped on their way into golden.json, as an
    exporter bug would) leave nothing behind, and an existing bundle at `out` untouched."""
    x, y = small_frame()
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "keep.txt").write_text("previous bundle")
    code = f"""
import wasmpredict, wasmpredict.exporter as exporter
from sklearn.linear_model import LogisticRegression
import pandas as pd
real, calls = exporter.sklearn_answers, []
def lying(*args):
    pred, probs, scores = real(*args)
    calls.append(1)
    # The second call computes golden.json's answers (the first checks onnxruntime).
    return (pred, probs[:, ::-1], scores) if len(calls) == 2 else (pred, probs, scores)
exporter.sklearn_answers = lying
x = pd.read_csv({str(tmp_path / 'x.csv')!r}); y = x.pop('y')
try:
    wasmpredict.export(LogisticRegression().fit(x, y), x, name="m", out={str(out)!r})
except wasmpredict.ExportError as e:
    print("refused:", e)
"""
    x.assign(y=y).to_csv(tmp_path / "x.csv", index=False)
    proc = python_in(installed, code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused:") and "does not reproduce the bundle's golden rows" in proc.stdout and "probabilities" in proc.stdout, proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]


def test_a_checkout_without_the_native_module_says_how_to_build_it(tmp_path):
    shutil.copytree(os.path.join(ROOT, "python", "wasmpredict"), tmp_path / "wasmpredict", ignore=shutil.ignore_patterns("_native*", "__pycache__"))
    proc = subprocess.run([sys.executable, "-c", "import wasmpredict"], capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert proc.returncode != 0
    assert "pip install ./python" in proc.stderr and "cargo xtask build python" in proc.stderr, proc.stderr
