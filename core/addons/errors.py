"""Addon problems are collected, not raised one by one, so an integrator sees all of them."""
from ..errors import TesseraError


class AddonError(TesseraError):
    """One or more addon problems; ``problems`` holds one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
