"""Partners: the people and companies a business sells to and buys from."""
