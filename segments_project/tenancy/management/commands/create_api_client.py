from django.core.management.base import BaseCommand, CommandError

from segments_project.errors import ApplicationError
from segments_project.tenancy.scopes import parse_scopes
from segments_project.tenancy.services import api_client_upsert


class Command(BaseCommand):
    help = (
        "Create an API client of a tenant (creating the tenant if needed), "
        "or update its secret, scopes and storefront mark."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--client-id", required=True)
        parser.add_argument(
            "--client-secret", default="", help="Required, unless --storefront is given."
        )
        parser.add_argument(
            "--scopes",
            default="",
            help="Space-separated scopes, e.g. 'customersegment.segment_read' "
            "(none for a storefront client)",
        )
        parser.add_argument(
            "--storefront",
            action="store_true",
            help="A public storefront client: no secret, no scopes; it yields only anonymous "
            "visitor tokens (GET /customerlogin/auth/anonymous/login).",
        )

    def handle(self, *args, **options):
        storefront = options["storefront"]
        if not storefront and not options["client_secret"]:
            raise CommandError("--client-secret is required unless --storefront is given.")
        try:
            client, created = api_client_upsert(
                tenant=options["tenant"],
                client_id=options["client_id"],
                client_secret=options["client_secret"],
                scopes=parse_scopes(options["scopes"]),
                storefront=storefront,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        verb = "Created" if created else "Updated"
        if client.storefront:
            self.stdout.write(
                self.style.SUCCESS(f"{verb} storefront client {client}: anonymous tokens only")
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"{verb} client {client}: {client.allowed_scopes}")
            )
