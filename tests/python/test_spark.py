"""`wasmpredict.spark.predict` on a real Spark in local mode (pyspark from PyPI, Java 17 from
Debian, both installed by `cargo xtask test`): every row answered as scikit-learn answers it,
the bundle travelling to the executors as bytes, bad rows failing the job with the field named;
and docs/python.md's Dask recipe."""

import functools
import os
import shutil
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "models"))
import train  # noqa: E402
import wasmpredict  # noqa: E402
import wasmpredict.spark  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The executors' Python workers import wasmpredict from the checkout, as the driver does.
    os.environ["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "python"), os.environ.get("PYTHONPATH", "")])
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("wasmpredict-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
        .getOrCreate()
    )
    yield session
    session.stop()


def spark_frame(spark, frame):
    """A Spark DataFrame of a pandas one, missing values as nulls (Spark's type inference takes
    None, not NaN, beside strings)."""
    return spark.createDataFrame(frame.astype(object).where(frame.notna(), None))


def test_every_row_is_scored_as_sklearn_scores_it(spark, tmp_path):
    model, _, _, _ = train.churn(None)
    frame, _ = train.churn_frame(4000, seed=21)
    frame.insert(0, "customer_id", np.arange(len(frame)))
    # A copy of the bundle that is removed before the job runs: the executors get its bytes.
    bundle = tmp_path / "churn"
    shutil.copytree(os.path.join(ROOT, "models", "churn", "1.0.0"), bundle)
    df = spark_frame(spark, frame).repartition(3)
    scored = wasmpredict.spark.predict(df, str(bundle))
    shutil.rmtree(bundle)
    assert scored.columns == list(frame.columns) + ["prediction", "probability"]
    assert dict(scored.dtypes)["prediction"] == "bigint" and dict(scored.dtypes)["probability"] == "array<double>"
    got = scored.toPandas().sort_values("customer_id").reset_index(drop=True)
    assert len(got) == len(frame)
    features = frame.drop(columns=["customer_id"])
    want = model.predict_proba(features)
    proba = np.array(got["probability"].tolist())
    assert np.abs(proba - want).max() <= 1e-5
    assert (got["prediction"].to_numpy() == model.predict(features)).all()


def test_regression_and_string_classes(spark, tmp_path):
    from sklearn.linear_model import LinearRegression, LogisticRegression

    frame, y = train.churn_frame(500, seed=2)
    numeric = frame[["tenure", "monthly_charges"]]
    labels = np.where(y == 1, "leaves", "stays")
    wasmpredict.export(LogisticRegression().fit(numeric, labels), numeric, name="named", out=str(tmp_path / "named"))
    wasmpredict.export(LinearRegression().fit(numeric, frame["monthly_charges"] * 2), numeric, name="reg", out=str(tmp_path / "reg"))
    df = spark.createDataFrame(numeric)
    named = wasmpredict.spark.predict(df, str(tmp_path / "named")).toPandas()
    assert dict(wasmpredict.spark.predict(df, str(tmp_path / "named")).dtypes)["prediction"] == "string"
    assert set(named["prediction"]) <= {"leaves", "stays"}
    assert (named["prediction"].to_numpy() == wasmpredict.load(tmp_path / "named").predict(numeric)).all()
    reg = wasmpredict.spark.predict(df, str(tmp_path / "reg"))
    assert reg.columns == ["tenure", "monthly_charges", "prediction"] and dict(reg.dtypes)["prediction"] == "double"
    assert np.allclose(reg.toPandas()["prediction"], numeric["monthly_charges"] * 2, rtol=1e-5)


def test_a_refused_row_fails_the_job_naming_the_field(spark):
    frame, _ = train.churn_frame(50, seed=4)
    df = spark_frame(spark, frame.assign(tenure=frame["tenure"].astype(str)))
    with pytest.raises(Exception) as e:
        wasmpredict.spark.predict(df, os.path.join(ROOT, "models", "churn", "1.0.0")).collect()
    assert "field 'tenure' must be a number" in str(e.value)
    with pytest.raises(wasmpredict.BundleError):
        wasmpredict.spark.predict(df, os.path.join(ROOT, "models", "no-such-model"))
    with pytest.raises(ValueError, match="already has a column named 'prediction'"):
        wasmpredict.spark.predict(spark_frame(spark, frame.assign(prediction=1)), os.path.join(ROOT, "models", "churn", "1.0.0"))


@functools.cache
def model():
    """docs/python.md's Dask recipe: the model loaded once per worker process."""
    return wasmpredict.load(os.path.join(ROOT, "models", "churn", "1.0.0"))


def score(part):
    return part.assign(churn_probability=model().predict_proba(part)[:, 1])


def test_the_dask_recipe_of_the_docs():
    """docs/python.md's Dask recipe, as written, on the threaded scheduler: the same numbers as
    the model on the whole frame."""
    import dask
    import dask.dataframe as dd

    frame, _ = train.churn_frame(3000, seed=8)
    ddf = dd.from_pandas(frame, npartitions=4)
    scored = ddf.map_partitions(score, meta={**ddf.dtypes.to_dict(), "churn_probability": "f8"})
    with dask.config.set(scheduler="threads"):
        got = scored.compute()
    assert len(got) == len(frame)
    assert np.array_equal(got["churn_probability"].to_numpy(), model().predict_proba(frame)[:, 1])
