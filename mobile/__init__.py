"""The grid worker's phone: /m, server-rendered pages for a 390×844 touch screen on a slow link (no Dash, no
plotly.js). views.py is the door; the behaviour is services/mobile.py."""
