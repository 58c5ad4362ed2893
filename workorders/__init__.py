"""The 96715 work order's rules in plain Python: states, catalogue, deadlines, routing. No web, no SQL."""
