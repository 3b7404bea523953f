"""__main__.py -- `python -m vizd_client COMMAND`. One command so far:

    python -m vizd_client sync [--url URL] [--token-file FILE] [SPOOL_DIR]   (see sync.py)
"""

import sys

from . import sync

USAGE = "usage: python -m vizd_client sync [--url URL] [--token-file FILE] [SPOOL_DIR]\n"


def main(argv):
    if not argv or argv[0] != "sync":
        sys.stderr.write(USAGE)
        return 2
    return sync.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
