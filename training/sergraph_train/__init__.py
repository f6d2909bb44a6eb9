"""sergraph's student training: PyTorch models trained on sergraph's own log-mel features,
exported as model folders (model.safetensors + model.json) for the native `student` stage."""
