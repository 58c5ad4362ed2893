"""Screens (Dash pages): each module registers itself and holds its layout; behaviour lives in callbacks/."""
