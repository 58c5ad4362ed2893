"""Cells of the exported spreadsheets (CSV and XLSX): text that a spreadsheet never runs as a formula.

Excel, LibreOffice and WPS read a cell beginning with = + - @ as a formula (=HYPERLINK(...) links out, -2+3 is
computed), and a leading tab or carriage return lets the rest slip past a check of the first character. Every
export of typed text goes through ``no_formula``: one rule, so no export can forget a character."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def no_formula(text: str) -> str:
    """``text`` with a leading apostrophe when it would start a formula (the spreadsheets' own "this is text")."""
    return "'" + text if text[:1] in FORMULA_STARTS else text
