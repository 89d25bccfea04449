"""Operators' command: the first company and its administrator on a production database."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from piste.users import services
from piste.users.models import User


class Command(BaseCommand):
    help = "Create a company and its first administrator (an existing user or a new one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Company name")
        parser.add_argument("--admin", required=True, help="Administrator's user name")
        parser.add_argument("--email", default="", help="Administrator's email (new user)")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the new administrator's password from standard input",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            user = User.objects.filter(username=options["admin"]).first()
            if user is None:
                if not options["email"]:
                    raise CommandError("--email is required to create a new administrator.")
                password = input() if options["password_stdin"] else getpass.getpass("Password: ")
                if len(password) < 10:
                    raise CommandError("Choose a password of at least 10 characters.")
                user = User.objects.create_user(
                    username=options["admin"], email=options["email"], password=password
                )
            try:
                company = services.company_create(creator=user, name=options["name"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            user.active_company = company
            user.save(update_fields=["active_company"])
        self.stdout.write(f"Company “{company}” created; {user.username} is its administrator.")
