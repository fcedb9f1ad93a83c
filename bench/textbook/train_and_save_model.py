# train_and_save_model.py
# Verbatim from the textbook chapter "Model Deployment Basics" (../shared/seeds/), the baseline
# wasmpredict's rf-classification bundle reproduces. ./bench.sh runs it in this directory.

import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
import pickle

# 1. Create and train a model
X, y = make_classification(n_samples=1000, n_features=10, n_informative=5, random_state=42)
model = RandomForestClassifier(n_estimators=100, random_state=42)
model.fit(X, y)

print("Model trained successfully.")

# 2. Save the trained model to a file
filename = 'random_forest_model.pkl'
with open(filename, 'wb') as file: # 'wb' means 'write bytes'
    pickle.dump(model, file)

print(f"Model saved to {filename}")
