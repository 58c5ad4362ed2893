"""Callbacks both intake forms share (/hotline, /report): the category picker, address suggestions, picking one or
clicking the map sets the location, the chosen point on the locator map, and the category's time limits."""
from __future__ import annotations

from dash import ALL, Input, Output, Patch, State, callback, clientside_callback, ctx, no_update

from layers.locator import POINT_TRACE_INDEX, POINT_ZOOM
from screens import ids
from screens.ids import IntakeForm
from screens.intake_parts import (category_hint, category_list, location_line, new_form_key, suggestions_list,
                                  variant_options)
from services.intake_forms import (IntakeError, address_suggestions, catalogue, form_errors, locate,
                                   matching_categories, submit)
from services.tickets import IdempotencyConflict
from workorders.policy import Forbidden, Principal


def _stale(location: dict | None, address: str) -> bool:
    """A location picked from a suggestion belongs to its name: typing another address drops it."""
    return bool(location and location.get("source") == "place"
                and not "".join(address.split()).startswith("".join((location.get("label") or "").split())))


def error_messages(outputs: list[dict], messages: dict[str, str] | None = None) -> list[str]:
    """The children of every error line of a form: its message where ``messages`` has one, empty elsewhere; a
    message for an input this form lacks goes to the form's own line, never lost."""
    messages = dict(messages or {})
    present = {output["id"]["field"] for output in outputs}
    stray = [messages.pop(slot) for slot in list(messages) if slot not in present]
    if stray:
        messages["form"] = "；".join([*stray, *([messages["form"]] if "form" in messages else [])])
    return [messages.get(output["id"]["field"], "") for output in outputs]


def submit_outputs(n_clicks, channel: str, form: dict, form_key: str, cleared: dict, conflict_message: str,
                   shown=lambda summary: summary, principal: Principal | None = None) -> tuple:
    """Everything a form's submit callback returns, in its output order: the result (``shown`` picks what the
    screen may keep of the summary), the field errors, the next form key, the cleared fields and location.
    On an error nothing is cleared; a changed resubmission gets a fresh key so that it can be sent knowingly.
    ``principal``: who registers (the signed-in operator; None on the citizens' public form)."""
    errors = ctx.outputs_list[1]
    unchanged = (no_update,) * (len(cleared) + 1)
    if not n_clicks:
        return no_update, error_messages(errors), no_update, *unchanged
    try:
        summary = submit(channel, form, form_key, principal)
    except Forbidden as refused:
        return no_update, error_messages(errors, {"form": refused.message}), no_update, *unchanged
    except IntakeError as error:
        return no_update, error_messages(errors, form_errors(error)), no_update, *unchanged
    except IdempotencyConflict:
        return no_update, error_messages(errors, {"form": conflict_message}), new_form_key(), *unchanged
    return shown(summary), error_messages(errors), new_form_key(), *cleared.values(), None


def register(form: IntakeForm, public: bool) -> None:
    @callback(Output(form.suggestions, "children"), Output(form.suggestion_data, "data"),
              Output(form.location, "data", allow_duplicate=True),
              Input(form.address, "value"), State(form.location, "data"), prevent_initial_call=True)
    def suggest(address, location):
        address = (address or "").strip()
        location_update = no_update
        if location and location.get("source") == "place":
            if not _stale(location, address):
                return [], [], no_update      # the picked place, perhaps with a flat number added
            location_update = None            # the address now names another place: pick again
        found = address_suggestions(address)
        return suggestions_list(form, found, address), found, location_update

    @callback(Output(form.location, "data"), Output(form.address, "value", allow_duplicate=True),
              Output(form.suggestions, "children", allow_duplicate=True),
              Output({"type": form.error, "field": "location"}, "children", allow_duplicate=True),
              Input({"type": form.suggestion, "index": ALL}, "n_clicks"), Input(form.map_click, "data"),
              State(form.suggestion_data, "data"), prevent_initial_call=True)
    def choose_location(_clicks, map_click, suggestions):
        trigger = ctx.triggered_id
        if trigger == form.map_click:
            if not map_click:
                return no_update, no_update, no_update, no_update
            try:
                return locate(map_click["lon"], map_click["lat"], source="map"), no_update, [], ""
            except IntakeError as error:
                return no_update, no_update, no_update, error.message
        if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
            return no_update, no_update, no_update, no_update
        index = trigger["index"]
        if not suggestions or index >= len(suggestions):
            return no_update, no_update, no_update, no_update
        place = suggestions[index]
        try:
            location = locate(place["lon"], place["lat"], label=place["label"], source="place")
        except IntakeError as error:
            return no_update, no_update, no_update, error.message
        return location, place["label"], [], ""

    @callback(Output(form.location_text, "children"), Output(form.map, "figure"),
              Input(form.location, "data"), State(form.map_view, "data"), prevent_initial_call=True)
    def show_location(location, first_view):
        patch = Patch()
        point = patch["data"][POINT_TRACE_INDEX]
        if location:
            point["lon"], point["lat"] = [location["lon"]], [location["lat"]]
            point["text"] = ["选定位置"]    # CJK only: the map draws no Latin glyphs (no font server)
            patch["layout"]["map"]["center"] = {"lon": location["lon"], "lat": location["lat"]}
            if location.get("source") == "place":     # a map click keeps the operator's own zoom
                patch["layout"]["map"]["zoom"] = POINT_ZOOM
            patch["layout"]["uirevision"] = f"{location['lon']:.6f},{location['lat']:.6f}"
        else:                                         # a cleared form: back to the whole district
            point["lon"], point["lat"], point["text"] = [], [], []
            patch["layout"]["map"]["center"] = first_view["center"]
            patch["layout"]["map"]["zoom"] = first_view["zoom"]
            patch["layout"]["uirevision"] = "locator"
        return location_line(location), patch

    @callback(Output(form.category_options, "children"), Output(form.category, "data", allow_duplicate=True),
              Input(form.category_input, "value"), State(form.category, "data"), prevent_initial_call=True)
    def filter_categories(typed, chosen):
        categories = catalogue()
        typed = (typed or "").strip()
        named = next((c.code for c in categories.values() if typed in (c.name, c.code)), None)
        if named:                                   # a whole name or code typed (or the picked one shown)
            return [], named if named != chosen else no_update
        return (category_list(form, matching_categories(categories, typed), typed, public),
                None if chosen else no_update)      # any other text: no category until one is picked

    @callback(Output(form.category, "data"), Output(form.category_input, "value", allow_duplicate=True),
              Output(form.category_options, "children", allow_duplicate=True),
              Input({"type": form.category_option, "index": ALL}, "n_clicks"), prevent_initial_call=True)
    def choose_category(_clicks):
        if not isinstance(ctx.triggered_id, dict) or not ctx.triggered[0]["value"]:
            return no_update, no_update, no_update
        category = catalogue().get(ctx.triggered_id["index"])
        return (category.code, category.name, []) if category else (no_update, no_update, no_update)

    @callback(Output(form.category_hint, "children"), Output(form.variant, "options"),
              Output(form.variant, "value"), Output(form.variant_row, "className"),
              Input(form.category, "data"), Input(form.variant, "value"), prevent_initial_call=True)
    def category_details(code, variant):
        category = catalogue().get(code) if code else None
        if ctx.triggered_id == form.category:
            variant = category.default_variant if category else None
        options = variant_options(category)
        return (category_hint(category, variant, public), options, variant,
                "variant-row" if options else "variant-row hidden")

    # Keyboard-first: after a refused submit the cursor goes to the first input that needs fixing.
    clientside_callback(
        """function (_messages) {
            const error = document.querySelector('.intake-form .field-error:not(:empty)');
            const field = error && error.closest('.field');
            const input = field && field.querySelector('input, textarea');
            if (input) input.focus();
        }""",
        Input({"type": form.error, "field": ALL}, "children"), prevent_initial_call=True)


register(ids.HOTLINE, public=False)
register(ids.REPORT, public=True)
