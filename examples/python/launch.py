#!/usr/bin/python3
"""Runs one Python program by name: `launch.py agg-order --socket PATH`, or through a link named
after the program (`/usr/local/bin/agg-order ...` in the image; angzarr_sdk.programs makes them).
The program's module runs as __main__ with the remaining arguments."""
import os
import runpy
import sys

from angzarr_sdk.programs import PROGRAMS


def main() -> None:
    name = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    if name not in PROGRAMS:
        if not args or args[0] not in PROGRAMS:
            print(f"usage: launch.py PROGRAM [ARGS...]; programs: {', '.join(PROGRAMS)}", file=sys.stderr)
            sys.exit(2)
        name, args = args[0], args[1:]
    sys.argv = [name, *args]
    runpy.run_module(PROGRAMS[name], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
