"""Technicians offline: the service worker, and the sync of entries queued on the phone."""
