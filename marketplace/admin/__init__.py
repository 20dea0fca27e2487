"""Administration: accounts, organizations and the audit log (admins only)."""
