"""``python -m ccsim.cli``: the ccsim command."""
from . import main

main()
