"""Sum up a py-spy raw profile (collapsed stacks): where the samples go, inclusive and self.

.venv/bin/python -m bench.profile_summary bench/results/<run>-profile-S1.txt [--top 40]
[--match gateway/]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _key(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/", "/tmp/snap/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['name']} ({path})"


def summarize(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_key(f) for f in stack.split(";")[1:]]  # drop the process frame
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        if frames:
            own[frames[-1]] += n
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    total, inclusive, own = summarize(args.profile)
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"\n## {title}")
        rows = [(k, v) for k, v in counter.most_common() if args.match in k][: args.top]
        for frame, n in rows:
            print(f"{100 * n / total:6.1f}%  {frame}")


if __name__ == "__main__":
    main()
