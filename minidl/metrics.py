"""Classification metrics: accuracy, precision, recall, F1, confusion matrix."""
