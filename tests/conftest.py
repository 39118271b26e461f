import os

# Quiet TensorFlow's C++ logging; keep the backend the caller chose (CI runs some tests on JAX).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
