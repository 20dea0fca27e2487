"""Collection centres (centros de acopio): cooperatives run them; producers pick up their
orders there and deliver their harvest."""
