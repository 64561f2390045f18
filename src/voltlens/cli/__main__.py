"""``python -m voltlens.cli`` runs the command line."""

from .main import main

main()
