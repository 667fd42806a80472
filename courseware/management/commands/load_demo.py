from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from courseware.models import Course, Membership, Module, Role

DEMO_COURSE = {
    "slug": "ops3",
    "code": "OPS3",
    "title": "Virtualization and Cloud Infrastructure",
    "description": "Proxmox VE from a single host to a highly available cluster.",
}
DEMO_MODULE = {"slug": "week6", "number": 6, "title": "Cluster and High Availability",
               "summary": "Cluster creation and joining, quorum and split brain, the HA manager and fencing, "
                          "troubleshooting, live migration, Ceph, SAN/NAS storage, vzdump backups and pvesm."}
# Development-only accounts; the command refuses to run in production.
DEMO_ACCOUNTS = [
    ("ingrid", "Ingrid", "Instructor", Role.INSTRUCTOR, "ingrid-demo-2026"),
    ("terry", "Terry", "Assistant", Role.TA, "terry-demo-2026"),
    ("alice", "Alice", "Student", Role.STUDENT, "alice-demo-2026"),
    ("bob", "Bob", "Student", Role.STUDENT, "bob-demo-2026"),
    ("carol", "Carol", "Student", Role.STUDENT, "carol-demo-2026"),
]


class Command(BaseCommand):
    help = "Create the demo course (OPS3, week 6) and demo accounts, and print their passwords."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="do not print the accounts")

    def handle(self, *args, quiet: bool = False, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("load_demo creates accounts with known passwords: not in production")
        user_model = get_user_model()
        with transaction.atomic():
            course, _ = Course.objects.update_or_create(slug=DEMO_COURSE["slug"], defaults=DEMO_COURSE)
            Module.objects.update_or_create(course=course, slug=DEMO_MODULE["slug"], defaults=DEMO_MODULE)
            for username, first, last, role, password in DEMO_ACCOUNTS:
                user, _ = user_model.objects.get_or_create(username=username)
                user.first_name, user.last_name = first, last
                user.email = f"{username}@example.edu"
                user.set_password(password)
                user.save()
                Membership.objects.update_or_create(user=user, course=course, defaults={"role": role})
        if quiet:
            return
        self.stdout.write(self.style.SUCCESS("Demo course 'ops3' is ready. Accounts (development only):"))
        for username, _, _, role, password in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<11} {username:<8} password: {password}")
