"""Credit: lenders' products, their review of matched groups and their loans; what producers
see of credit (their "Mi crédito" page)."""
