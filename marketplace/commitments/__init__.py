"""Buyers' purchase commitments (compromisos de compra) and producers' pledges of volume."""
