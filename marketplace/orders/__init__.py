"""Producers' orders of listings: placing them (stock taken atomically), the status machine,
and the pages of both sides."""
