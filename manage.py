#!/usr/bin/env python
"""Tessera's command line: ``python manage.py --help`` (the same as the ``tessera`` console script)."""
from core.cli_main import main

if __name__ == "__main__":
    main()
