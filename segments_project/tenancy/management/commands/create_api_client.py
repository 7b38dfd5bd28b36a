from django.core.management.base import BaseCommand, CommandError

from segments_project.errors import ApplicationError
from segments_project.tenancy.scopes import parse_scopes
from segments_project.tenancy.services import api_client_upsert


class Command(BaseCommand):
    help = (
        "Create an API client of a tenant (creating the tenant if needed), "
        "or update its secret and scopes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument(
            "--scopes",
            required=True,
            help="Space-separated scopes, e.g. 'customersegment.segment_read'",
        )

    def handle(self, *args, **options):
        try:
            client, created = api_client_upsert(
                tenant=options["tenant"],
                client_id=options["client_id"],
                client_secret=options["client_secret"],
                scopes=parse_scopes(options["scopes"]),
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} client {client}: {client.allowed_scopes}"))
