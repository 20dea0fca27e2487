"""The catalogue: suppliers' listings of inputs and technical assistance, and producers'
browsing of them."""
