"""Component ids, in one place so callbacks and browser tests use the same names."""
MAP = "command-map"
MEASURE = "map-measure"
PANEL = "grid-panel"
PANEL_BODY = "grid-panel-body"
PANEL_CLOSE = "grid-panel-close"
COUNTS = "map-counts"


class IntakeForm:
    """Ids of one intake form (/hotline, /report): `<prefix>-<part>`; `error`, `suggestion`, `category_option` and
    `merge` are the ``type`` of pattern-matching ids ({"type": error, "field": …}, {"type": suggestion, "index": i})."""
    PARTS = ("phone", "name", "category", "category_input", "category_options", "category_option", "category_hint",
             "variant", "variant_row", "window", "address", "suggestions", "suggestion_data", "location",
             "location_text", "map", "map_click", "map_view", "description", "submit", "result", "result_data",
             "history", "form_key", "channel", "operator", "error", "suggestion", "merge")

    def __init__(self, prefix: str):
        for part in self.PARTS:
            setattr(self, part, f"{prefix}-{part.replace('_', '-')}")


HOTLINE = IntakeForm("hotline")
REPORT = IntakeForm("report")
TRACK_NUMBER = "track-number"
TRACK_SUBMIT = "track-submit"
TRACK_RESULT = "track-result"
EVALUATE_TOKEN = "evaluate-token"
EVALUATE_CHOICE = "evaluate-choice"
EVALUATE_COMMENT = "evaluate-comment"
EVALUATE_SUBMIT = "evaluate-submit"
EVALUATE_RESULT = "evaluate-result"
EVALUATE_ERROR = "evaluate-error"
LIVE_SELECTED_TICKET = "live-selected-ticket"   # set by assets/livemap.js when a ticket dot is clicked
PANEL_STATE = "grid-panel-state"
PANEL_TICKET = "panel-ticket"
ASSIGN = "assign-crew"
WALL_MAP = "wall-map"
WALL_TILES = "wall-tiles"
WALL_TICKER = "wall-ticker"
WALL_TICK = "wall-tick"
WALL_CATEGORIES = "wall-categories"
WALL_STREETS = "wall-streets"
WALL_HOURS = "wall-hours"
WALL_CREWS = "wall-crews"
WALL_OVERDUE = "wall-overdue"
WALL_AT_RISK = "wall-at-risk"
