# app.py
# The textbook's Flask API, verbatim (../shared/seeds/, "Model Deployment Basics"): `python app.py`
# serves it with Flask's development server in debug mode on port 5000, as the book runs it.
# ./bench.sh also serves this same module with gunicorn (the fairer baseline).
# The one addition is marked below: the book's route takes one row, so the 100-row comparison
# needs a batch route; it does what the book's route does, for many rows.

from flask import Flask, request, jsonify
import pickle
import numpy as np

# 1. Initialize the Flask app
app = Flask(__name__)

# 2. Load the saved model
with open('random_forest_model.pkl', 'rb') as file:
    model = pickle.load(file)

# 3. Define the prediction endpoint
@app.route('/predict', methods=['POST'])
def predict():
    # Get the JSON data from the request
    data = request.get_json()

    # Convert the data into a numpy array for the model
    # Assumes the client sends a list of feature values, e.g., [0.1, 0.2, ...]
    features = np.array(data['features']).reshape(1, -1)

    # Make a prediction
    prediction = model.predict(features)

    # Return the prediction as JSON
    return jsonify({'prediction': int(prediction[0])})

# --- added for the benchmark (not in the book): the same, for {"instances": [[...], ...]} ---
@app.route('/predict_batch', methods=['POST'])
def predict_batch():
    data = request.get_json()
    prediction = model.predict(np.array(data['instances']))
    return jsonify({'predictions': [int(p) for p in prediction]})
# --- end of the addition ---

# 4. Run the app
if __name__ == '__main__':
    # To run: `python app.py` in your terminal
    app.run(debug=True, port=5000)
