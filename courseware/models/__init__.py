"""Courseware models, one module per area; import from here."""

from courseware.models.attempts import Answer, QuestionProgress, ReflectionComment
from courseware.models.content import Checkpoint, Feedback, Figure, ModuleContent, Question, Section
from courseware.models.course import Course, Membership, Module, Role

__all__ = [
    "Answer",
    "Checkpoint",
    "Course",
    "Feedback",
    "Figure",
    "Membership",
    "Module",
    "ModuleContent",
    "Question",
    "QuestionProgress",
    "ReflectionComment",
    "Role",
    "Section",
]
