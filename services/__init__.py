"""Services: the product's behaviour, between the thin callbacks/API and the SQL in geo/."""
