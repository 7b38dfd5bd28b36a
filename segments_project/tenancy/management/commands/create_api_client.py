from django.core.management.base import BaseCommand, CommandError

from segments_project.errors import ApplicationError
from segments_project.tenancy.scopes import parse_scopes
from segments_project.tenancy.services import api_client_upsert, client_secret_generate


class Command(BaseCommand):
    help = (
        "Create an API client of a tenant (creating the tenant if needed), "
        "or update its secret, scopes and storefront mark."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--client-id", required=True)
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument(
            "--generate-secret",
            action="store_true",
            help="Generate a new secret (256 random bits), print it once. Recommended: a "
            "generated secret is checked fast, one you choose is stored with PBKDF2.",
        )
        secret.add_argument(
            "--client-secret",
            default="",
            help="A secret you choose; required unless --generate-secret or --storefront.",
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
        secret = options["client_secret"]
        if options["generate_secret"]:
            if storefront:
                raise CommandError("A storefront client has no secret: drop --generate-secret.")
            secret = client_secret_generate()
        if not storefront and not secret:
            raise CommandError(
                "--client-secret is required unless --generate-secret or --storefront is given."
            )
        try:
            client, created = api_client_upsert(
                tenant=options["tenant"],
                client_id=options["client_id"],
                client_secret=secret,
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
        if options["generate_secret"]:
            self.stdout.write(f"Client secret (shown only now): {secret}")
