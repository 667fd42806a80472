"""The pure quiz engine: content schema, loader, seeded variants, grading, public views.

No Django here. The web layer calls:

    course = load_course(path)                       # or raises ContentError(.issues)
    seed = make_seed(student.pk, question.id, attempt)
    view = public_view(question, seed)              # safe for the browser
    result = grade(question, answer, seed)          # GradeResult | MalformedAnswer | GradingUnavailable
    points = points_for(checkpoint, attempt, result.score, submitted_at=now)
"""

from .grading import GradeResult, GradingUnavailable, MalformedAnswer, answer_key, grade
from .loader import ContentError, ContentIssue, Course, load_course
from .public import public_view
from .schema import QUESTION_TYPES, CheckpointFile, CourseFile, Question, SectionFront
from .scoring import AttemptsExhausted, feedback_visible, is_late, max_points, points_for
from .variants import make_seed

__all__ = [
    "QUESTION_TYPES",
    "AttemptsExhausted",
    "CheckpointFile",
    "ContentError",
    "ContentIssue",
    "Course",
    "CourseFile",
    "GradeResult",
    "GradingUnavailable",
    "MalformedAnswer",
    "Question",
    "SectionFront",
    "answer_key",
    "feedback_visible",
    "grade",
    "is_late",
    "load_course",
    "make_seed",
    "max_points",
    "points_for",
    "public_view",
]
