"""The `wasmpredict` Python package as a user installs it (`pip install ./python`) and calls it
from a notebook: `wasmpredict.export(model, frame, ...)` writes the bundle the command line
writes for the same rows, the console script takes the flags of models/export.py, and a bundle
whose golden rows wasmpredict does not reproduce is never written.
"""

import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train  # noqa: E402
from test_export import BIN, small_frame  # noqa: E402


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`pip install ./python` into a fresh target directory (the dependencies are .venv's)."""
    target = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--target", str(target), os.path.join(ROOT, "python")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (target / "bin" / "wasmpredict-export").exists()
    return target


def python_in(site, code, env=None, cwd=None):
    """Runs `code` with only the installed package (not the checkout) importable as wasmpredict."""
    env = dict(os.environ, PYTHONPATH=str(site), **(env or {}))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd)


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

assert wasmpredict.__file__.startswith({site!r}), wasmpredict.__file__
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
    code = NOTEBOOK.format(models=os.path.join(ROOT, "models"), site=str(installed), out=str(out), model_path=str(model_path), sample_path=str(sample_path))
    proc = python_in(installed, code, env={"WASMPREDICT_BIN": BIN}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = json.loads(proc.stdout.strip().splitlines()[-1])
    assert said["version"] == "2.0.0" and "contract" in said["fields"]
    checked = subprocess.run([BIN, "check", str(out)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # The console script, with the flags of models/export.py, on the same model and rows.
    cli_out = tmp_path / "from-cli"
    script = installed / "bin" / "wasmpredict-export"
    proc = subprocess.run(
        [sys.executable, str(script), "--model", str(model_path), "--sample", str(sample_path), "--name", "churn-notebook", "--version", "2.0.0", "--out", str(cli_out)],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(installed), WASMPREDICT_BIN=BIN),
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
    """The golden replay runs in wasmpredict before the swap: a binary that answers otherwise (here
    a stand-in that fails every check, as a featurizer bug would) leaves nothing behind, and an
    existing bundle at `out` untouched."""
    liar = tmp_path / "wasmpredict"
    liar.write_text("#!/bin/sh\necho 'FAIL m 1.0.0: 0/3 golden rows match sklearn' >&2\necho '     row 0: probabilities differ' >&2\nexit 1\n")
    liar.chmod(0o755)
    x, y = small_frame()
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "keep.txt").write_text("previous bundle")
    code = f"""
import wasmpredict
from sklearn.linear_model import LogisticRegression
import pandas as pd
x = pd.read_csv({str(tmp_path / 'x.csv')!r}); y = x.pop('y')
try:
    wasmpredict.export(LogisticRegression().fit(x, y), x, name="m", out={str(out)!r})
except wasmpredict.ExportError as e:
    print("refused:", e)
"""
    x.assign(y=y).to_csv(tmp_path / "x.csv", index=False)
    proc = python_in(installed, code, env={"WASMPREDICT_BIN": str(liar)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused:") and "does not reproduce the bundle's golden rows" in proc.stdout and "0/3 golden rows" in proc.stdout, proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]

    # And without any wasmpredict binary it says how to get one.
    proc = python_in(installed, code, env={"WASMPREDICT_BIN": "", "CARGO_TARGET_DIR": "", "PATH": "/usr/bin:/bin"})
    assert "no wasmpredict binary was found" in proc.stdout, proc.stdout + proc.stderr
