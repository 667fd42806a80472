"""Courseware models, one module per area; import from here."""

from courseware.models.course import Course, Membership, Module, Role

__all__ = ["Course", "Membership", "Module", "Role"]
