"""Map layers: one module per layer, each a pure function from data to Plotly traces (no database, no Dash)."""
