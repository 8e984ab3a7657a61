"""One module per widget; data comes down as attributes, results go up as messages."""
