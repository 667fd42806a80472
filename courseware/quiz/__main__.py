"""Instructor tools without Django.

    python -m courseware.quiz check courseware/content/week6
    python -m courseware.quiz preview courseware/content/week6 w6-cp02-quorum-for-n --seed 7

`check` validates a content folder and prints every problem as file:line: field: message
(exit status 1) or a summary of what it holds. `preview` prints what the browser receives
for one question and seed, then the answer key and the solution.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from .grading import answer_key, solution_text
from .loader import ContentError, load_course
from .public import public_view
from .variants import evaluate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m courseware.quiz")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate a content folder")
    check.add_argument("folder")
    preview = sub.add_parser("preview", help="show one question as a student with this seed sees it")
    preview.add_argument("folder")
    preview.add_argument("question")
    preview.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        course = load_course(args.folder)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        print(f"{len(exc.issues)} problem(s); nothing loaded.", file=sys.stderr)
        return 1
    if args.command == "check":
        questions = [q for _, q in course.questions()]
        types = Counter(q.type for q in questions)
        print(f"{course.meta.title}, week {course.meta.week}: {len(course.sections)} sections, "
              f"{len(course.checkpoints)} checkpoints, {len(questions)} questions "
              f"({sum(q.variant is not None for q in questions)} with variants)")
        for qtype, n in sorted(types.items()):
            print(f"  {qtype:16} {n}")
        return 0
    question = course.question(args.question)
    if question is None:
        print(f"no question has id '{args.question}'", file=sys.stderr)
        return 1
    print(json.dumps(public_view(question, args.seed), indent=2, ensure_ascii=False))
    print("answer key:", json.dumps(answer_key(question, args.seed), ensure_ascii=False))
    print("solution:  ", solution_text(question, evaluate(question.variant, args.seed)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
