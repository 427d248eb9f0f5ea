import sys

from backoffice_site.cli import main

sys.exit(main())
