"""Everything that talks to PostGIS: models, SQL, CRS and geometry helpers."""
