"""Thin callbacks: validate the input, call a service, hand the result to a layer or panel builder."""
