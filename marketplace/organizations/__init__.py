"""My organization: what its members see of it, and the changes they may make."""
