import sys

from firmware.run import main

sys.exit(main())
