"""Lay out a pairs folder for ``idp proofing evaluate`` from a folder of photos named
``<person>_<n>.<ext>`` (``.jpg``, ``.jpeg`` or ``.png``): every two photos of one person
make a genuine pair, every two photos of two people an impostor pair. Photos named
``two-faces`` are skipped: a photo of several people is nobody's.

Run from the repository root:  python benchmarks/face_pairs.py PHOTOS OUT
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faces_support import lay_out_pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("photos", type=Path, help="the folder of photos")
    parser.add_argument("out", type=Path, help="the pairs folder to make (must not exist)")
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists already")
    genuine, impostor = lay_out_pairs(args.photos, args.out)
    print(f"{genuine} genuine and {impostor} impostor pairs in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
