"""In-app notifications: who is told what, and the list with its unread count."""
