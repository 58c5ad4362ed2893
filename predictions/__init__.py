"""Predictions from the stored history: breach risk of open tickets (risk.py).

Pure modelling (pandas frames in, scikit-learn models and figures out); the rows come from geo/predictions.py and
the services (services/predictions.py) store, load and apply the models.
"""
