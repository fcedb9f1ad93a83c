# app_wasmpredict.py
# app.py (the textbook's Flask API) with the pickle replaced by the bundle exported from the
# same forest (models/rf-classification): three lines changed, marked below. Run in this
# directory, as the book runs app.py; tests/python/test_textbook_app.py calls both apps.

from flask import Flask, request, jsonify
import wasmpredict  # changed: was `import pickle`
import numpy as np

# 1. Initialize the Flask app
app = Flask(__name__)

# 2. Load the saved model
model = wasmpredict.load('../../models/rf-classification')  # changed: was the two lines
# `with open('random_forest_model.pkl', 'rb') as file:` and `model = pickle.load(file)`

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
