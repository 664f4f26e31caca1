"""Launcher for a checkout: `python cli.py ...` runs the `slasim` command without installing it."""

from slasim.cli import main

if __name__ == "__main__":
    main()
