"""The generated Tiedong: its invented people, who reports what and when, the plan of a realistic past, and the live
simulator that brings requests through the real services (``python -m simulation``).

Read in this order: names (invented people and places) → demand (shares, rhythms, seasons, channel mix, texts) →
arrivals (the live request sequence) and plan (the history's tickets and their steps, written by ``etl history``) →
behaviour (odds and timings of the desk, the crews and the citizens) → movement (drives along the streets) → engine
(the long-running loop; every service call it makes comes in through ``engine.Services``) → cli (options and the
one place where the real services are wired in).

Everything but the engine's I/O is pure and seeded: the same seed gives the same requests and the same plan.
"""
