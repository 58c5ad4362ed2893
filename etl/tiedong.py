"""What the generated Tiedong district is made of, shared by its generators (reference data, gazetteer roads, the
elders' registry): the district's code and name, and where its people live."""
from __future__ import annotations

from typing import Callable

from etl.tiling import Density, Gaussian, make_density

DISTRICT_CODE = "210302"
DISTRICT_NAME = "铁东区"

# Where people live: Tiedong's dense centre (around the city-hall square and the station) and two smaller cores,
# thinning out to the hills in the east and the villages in the south. Longitude, latitude, spread (m), weight.
URBAN_CORES = [(122.992, 41.106, 2300, 1.0), (123.022, 41.094, 1700, 0.6),
               (122.975, 41.080, 1500, 0.45), (123.055, 41.070, 2000, 0.2)]
RURAL_FLOOR = 0.012


def people_density(to_metres: Callable[[float, float], tuple[float, float]], spread: float = 1.0,
                   floor: float = 1.0) -> Density:
    """The population surface on the metric plane of ``to_metres(lon, lat) -> (x, y)``; ``spread`` and ``floor``
    scale the cores' spread and the rural floor (cameras cluster a little tighter than people)."""
    return make_density([Gaussian(*to_metres(lon, lat), sigma * spread, weight)
                         for lon, lat, sigma, weight in URBAN_CORES], RURAL_FLOOR * floor)
