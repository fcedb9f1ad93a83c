"""The textbook's Flask service (bench/textbook/app.py: pickle + RandomForestClassifier) and the
same service on the bundle (app_wasmpredict.py, three lines changed): every route answers the
same for the same bodies, called through Flask's test client."""

import importlib.util
import os
import pickle
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEXTBOOK = os.path.join(ROOT, "bench", "textbook")
sys.path.insert(0, os.path.join(ROOT, "python"))


def load_app(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app.test_client()


@pytest.fixture
def apps(tmp_path, monkeypatch):
    """Both apps, each loaded in the working directory the book runs it from; the pickle is the
    book's training script's (the same forest the bundle was exported from)."""
    X, y = make_classification(n_samples=1000, n_features=10, n_informative=5, random_state=42)
    forest = RandomForestClassifier(n_estimators=100, random_state=42).fit(X, y)
    with open(tmp_path / "random_forest_model.pkl", "wb") as f:
        pickle.dump(forest, f)
    monkeypatch.chdir(tmp_path)
    book = load_app(os.path.join(TEXTBOOK, "app.py"))
    monkeypatch.chdir(TEXTBOOK)
    rewritten = load_app(os.path.join(TEXTBOOK, "app_wasmpredict.py"))
    return book, rewritten


def test_the_rewritten_app_answers_as_the_book_app(apps):
    book, rewritten = apps
    rows = np.random.default_rng(5).normal(0, 1.5, (200, 10)).round(3)
    for row in rows[:50]:
        body = {"features": row.tolist()}
        want, got = book.post("/predict", json=body), rewritten.post("/predict", json=body)
        assert want.status_code == got.status_code == 200
        assert want.get_json() == got.get_json()
    body = {"instances": rows.tolist()}
    want, got = book.post("/predict_batch", json=body), rewritten.post("/predict_batch", json=body)
    assert want.get_json() == got.get_json()
    assert len(got.get_json()["predictions"]) == 200
