"""Producers' profiles, farms and consents; technicians register producers of their cooperative."""
