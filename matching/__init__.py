"""Credit matching: a pure library (no Flask, no SQLAlchemy, no marketplace).

Plain data in (pandas DataFrames, dataclasses), plain data out. The web app adapts between
the database and this library in marketplace/credit/services.py.
"""
