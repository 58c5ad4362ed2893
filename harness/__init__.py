"""The real product driven from outside, as a person or a deployment would: free ports, waiting with a deadline, the
dashboard as a process of its own, headless Chromium, signing in through /login.

Shared by tests/, bench/ and scripts/ (none of them imports another's helpers); the product never imports it.
Test-only packages it needs (selenium) come from requirements-test.txt.
"""
