"""`manage.py demo_sign_ins`: print the demo sign-ins when the demo users exist (for `make run`).

Prints nothing when there is no demo user, or when their password was changed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from piste.users.management.commands.load_demo import demo_users_present, print_sign_ins


class Command(BaseCommand):
    help = "Print the demo sign-ins (URL, user names, roles, password) if the demo users exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", help="The address Piste is served at (default: the SITE_URL setting)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = demo_users_present()
        if users:
            print_sign_ins(self.stdout, url=options["url"], users=users)
