"""`python -m screening`: the command-line interface."""

from screening.cli import main

main()
