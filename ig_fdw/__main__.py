import sys

from ig_fdw.cli import main

sys.exit(main())
