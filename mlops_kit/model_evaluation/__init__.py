"""What the evaluate step measures beside the model's own metrics: permutation feature importance
and group fairness. Pure functions of a frame and predictions, shipped as source into the evaluate
step's container (the scikit-learn image, Python 3.9), so numpy, pandas and scikit-learn only."""
