"""docs/models.md is what the fixture matrix shows: rendered from the built fixtures
(tests/python/model_matrix.py), every supported class backed by a fixture whose golden rows
wasmpredict reproduces."""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_matrix  # noqa: E402
import wasmpredict  # noqa: E402

FIXTURES = os.environ.get("WASMPREDICT_FIXTURES", os.path.join(ROOT, "target", "fixtures"))


def test_the_committed_page_is_the_rendered_matrix():
    rendered = model_matrix.render(FIXTURES, model_matrix.native_engine)
    committed = open(model_matrix.DOC, encoding="utf-8").read()
    assert committed == rendered, "docs/models.md is stale: run `.venv/bin/python tests/python/model_matrix.py docs`"


def test_every_matrix_fixture_reproduces_its_golden_rows():
    cases = json.load(open(os.path.join(FIXTURES, "_matrix", "cases.json")))
    assert len(cases) >= 100 and sum(c["matrix"] for c in cases.values()) >= 60, len(cases)
    for name in sorted(cases):
        rows, matched, _, _, mismatches = wasmpredict.load(os.path.join(FIXTURES, name)).check()
        assert rows > 0 and matched == rows and not mismatches, f"{name}: {mismatches[:3]}"


def test_linear_text_classifiers_run_on_the_compact_engine():
    # Naive Bayes and the linear family over sparse tf-idf / count rows: the page needs no tract.
    for name in ["count-multinomial-nb", "tfidf-complement-nb", "binary-counts-bernoulli-nb", "tfidf-sgd", "count-tfidf-transformer", "lda-multiclass", "sgd-log-loss-multiclass"]:
        assert model_matrix.native_engine(os.path.join(FIXTURES, name)) == "compact", name
