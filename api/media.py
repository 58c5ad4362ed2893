"""GET /media/<id>.jpg|png: a stored photo, to those allowed to see it (services.media.open_photo asks the policy).

Who: a signed-in user who may read the photo's ticket, the holder of an API key with the ``read`` scope
(X-API-Key header; within its binding, as it reads whole tickets), and anyone for a photo that is public (marked
so, or an Open311 upload where OPEN311_PHOTOS_PUBLIC is on). Refusals are JSON like the other data endpoints: 401 for nobody (whether the photo
exists or not), 403 / 404 for a signed-in user. security/gate.py lets the request through to here ("object" rule).

Photos never change under their id: public ones may be cached by anyone for a day, the others only by the
browser (private), and revalidated by ETag (the stored file's sha256).
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, request, send_file

from api.errors import error_response
from security.sessions import current_principal
from services import media
from services.api_keys import key_principal
from services.tickets import NotFound

blueprint = Blueprint("media", __name__, url_prefix="/media")
PUBLIC_MAX_AGE = 86_400
PRIVATE_MAX_AGE = 3_600


def viewer():
    return current_principal() or key_principal(request.headers.get("X-API-Key"))


@blueprint.get("/<photo_id>.<ext>")
def photo(photo_id: str, ext: str) -> Response:
    try:
        found = media.open_photo(photo_id, ext, viewer())
    except NotFound as error:
        return error_response(404, "not_found", str(error))
    response = send_file(found.path, mimetype=found.content_type, etag=found.sha256, conditional=True,
                         max_age=PUBLIC_MAX_AGE if found.public else PRIVATE_MAX_AGE)
    response.cache_control.public = found.public
    response.cache_control.private = not found.public
    if not found.public:
        response.vary.add("Cookie")
        response.vary.add("X-API-Key")
    return response


def register(server: Flask) -> None:
    server.register_blueprint(blueprint)
