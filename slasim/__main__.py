"""`python -m slasim ...` runs the command line."""

from slasim.cli import main

main()
