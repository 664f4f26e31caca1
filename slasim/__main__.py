"""`python -m slasim ...` runs the command line."""

from .cli import main

main()
