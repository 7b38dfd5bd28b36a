"""Importing a file of items or members into a segment from the admin: a dry run with a
report of rejected rows (line and reason), then the import, part after part, through the
command-line import's importers."""

from __future__ import annotations

import gzip
import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from segments.admin.views import import_jobs
from segments.models import SegmentCustomerAssignment, SegmentItemAssignment
from segments_project.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ITEMS_CSV = """type,itemId,mixins
PRODUCT,parka,
CATEGORY,shoes,"{""badge"": ""new""}"
PRODUCT,nope,
THING,tee,
PRODUCT,boot,
"""


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.SEGMENTS_ADMIN_IMPORT_DIR = str(tmp_path)


def _upload(client, segment, name: str, content: bytes | str, kind: str = "segment-items"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        reverse("admin:segments_segment_import", args=[segment.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
    )


def _run(client, job_url: str) -> dict:
    """Drives the job as the page's script does, until the phase is finished."""
    for _ in range(100):
        progress = client.post(f"{job_url}step/", HTTP_ACCEPT="application/json").json()
        if progress["finished"]:
            return progress
    raise AssertionError("the job never finished")


def test_a_csv_is_checked_then_imported(merchandiser, shop):
    gold = shop["gold"]

    upload = _upload(merchandiser, gold, "items.csv", ITEMS_CSV)
    job_url = upload["Location"]
    checked = _run(merchandiser, job_url)
    report = merchandiser.get(job_url)

    assert checked["phase"] == "checked"
    assert checked["check"] == {"read": 5, "inserted": 2, "updated": 0, "unchanged": 1,
                                "rejected": 2}  # fmt: skip
    assert not SegmentItemAssignment.objects.filter(segment=gold, product__public_id="parka")
    rejections = [(r["line"], r["field"]) for r in report.context["rejections"]]
    assert rejections == [(4, "itemId"), (5, "type")]  # by line, whichever pass found them
    html = report.content.decode()
    assert html.index("The product with id nope has not been found.") < html.index(
        "type must be PRODUCT or CATEGORY."
    )
    assert "Apply the 3 ok rows" in html

    merchandiser.post(f"{job_url}apply/")
    applied = _run(merchandiser, job_url)

    assert applied["phase"] == "done"
    assert applied["apply"]["inserted"] == 2
    shoes = SegmentItemAssignment.objects.get(segment=gold, category__public_id="shoes")
    assert shoes.mixins == {"badge": "new"}
    assert SegmentItemAssignment.objects.filter(segment=gold, product__public_id="parka").exists()
    entry = LogEntry.objects.get(object_id=str(gold.pk), action_flag=CHANGE)
    assert entry.get_change_message() == (
        "Imported items (products and categories) from items.csv: 2 added, 0 updated, "
        "1 unchanged, 2 rejected."
    )
    assert entry.user.username == "merch"
    (event,) = AuditEvent.objects.filter(segment_id="gold")
    assert (event.actor_kind, event.actor, event.action) == ("admin", "merch", "assigned")
    assert event.changes == {"count": 2, "ids": ["PRODUCT/parka", "CATEGORY/shoes"]}
    download = merchandiser.get(f"{job_url}rejections/")
    assert download["Content-Disposition"] == 'attachment; filename="gold-rejected-rows.csv"'
    assert b"".join(download.streaming_content).decode().splitlines() == [
        "type,itemId,mixins,error",
        "PRODUCT,nope,,line 4: itemId: The product with id nope has not been found.",
        "THING,tee,,line 5: type: type must be PRODUCT or CATEGORY.",
    ]


def test_members_from_gzipped_json_lines(merchandiser, shop):
    gold = shop["gold"]
    rows = [
        {"customerId": "bob"},
        {"customerId": "alice", "legalEntityId": "acme-corp"},
        {"customerId": "ghost"},
        {"segmentId": "silver", "customerId": "alice"},
        "not an object",
    ]
    content = gzip.compress("\n".join(json.dumps(row) for row in rows).encode())

    job_url = _upload(merchandiser, gold, "members.jsonl.gz", content, "segment-customers")[
        "Location"
    ]
    _run(merchandiser, job_url)
    merchandiser.post(f"{job_url}apply/")
    done = _run(merchandiser, job_url)
    report = merchandiser.get(job_url)

    assert done["apply"]["inserted"] == 1
    assert SegmentCustomerAssignment.objects.filter(
        segment=gold, customer__public_id="bob", legal_entity=None
    ).exists()
    reasons = {r["line"]: r["message"] for r in report.context["job"]["rejections"]}
    assert set(reasons) == {2, 3, 4, 5}
    assert "does not belong to the legal entity" in reasons[2]
    assert "this file is imported into gold" in reasons[4]


def test_large_files_are_processed_one_part_per_request(merchandiser, shop, monkeypatch):
    monkeypatch.setattr(import_jobs, "IMPORT_CHUNK_ROWS", 2)
    gold = shop["gold"]

    job_url = _upload(merchandiser, gold, "items.csv", ITEMS_CSV)["Location"]
    first = merchandiser.post(f"{job_url}step/", HTTP_ACCEPT="application/json").json()
    page = merchandiser.get(job_url).content.decode()
    rest = _run(merchandiser, job_url)

    assert (first["done_rows"], first["rows"], first["finished"]) == (2, 5, False)
    assert first["percent"] == 40
    assert "Checking the file" in page and 'id="step-form"' in page
    assert rest["check"]["read"] == 5


def test_rows_that_cannot_be_stored_are_rejected_and_the_others_imported(merchandiser, shop):
    gold = shop["gold"]
    content = (
        b"type,itemId,mixins\n"
        b"PRODUCT,parka,\n"
        b'PRODUCT,tee,"{""a"": ""\\u0000""}"\n'
        b"PRODUCT,tee\x00,\n"
        b'PRODUCT,tee,"{""name"": ""M\xfcller""}"\n'
        b"PRODUCT,boot,\n"
    )

    job_url = _upload(merchandiser, gold, "items.csv", content)["Location"]
    checked = _run(merchandiser, job_url)
    merchandiser.post(f"{job_url}apply/")
    applied = _run(merchandiser, job_url)
    report = merchandiser.get(job_url)

    assert checked["check"]["rejected"] == 3
    assert (applied["apply"]["inserted"], applied["apply"]["unchanged"]) == (1, 1)
    reasons = {r["line"]: r["message"] for r in report.context["job"]["rejections"]}
    assert set(reasons) == {3, 4, 5}
    assert "NUL" in reasons[3] and "NUL" in reasons[4]
    assert "not UTF-8" in reasons[5]
    assert set(
        SegmentItemAssignment.objects.filter(segment=gold).values_list(
            "product__public_id", flat=True
        )
    ) == {"parka", "boot", None}


def test_without_javascript_the_step_button_redirects_back(merchandiser, shop):
    job_url = _upload(merchandiser, shop["gold"], "items.csv", ITEMS_CSV)["Location"]

    response = merchandiser.post(f"{job_url}step/")

    assert response.status_code == 302 and response["Location"] == job_url


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("items.csv", "segment,itemId\nx,y\n", "Unknown column 'segment'"),
        ("items.txt", "type,itemId\n", "Upload a .csv, .jsonl or .ndjson file"),
    ],
)
def test_unreadable_files_are_refused_at_upload(merchandiser, shop, name, content, message):
    response = _upload(merchandiser, shop["gold"], name, content)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])


def test_a_file_over_the_row_limit_is_refused(merchandiser, shop, monkeypatch):
    monkeypatch.setattr(import_jobs, "IMPORT_MAX_ROWS", 3)

    response = _upload(merchandiser, shop["gold"], "items.csv", ITEMS_CSV)

    assert "more than 3 rows" in " ".join(response.context["form"].errors["file"])


def test_a_job_belongs_to_its_user_and_segment(merchandiser, make_staff, login, shop):
    job_url = _upload(merchandiser, shop["gold"], "items.csv", ITEMS_CSV)["Location"]
    token = job_url.rstrip("/").rsplit("/", 1)[-1]
    colleague = login(make_staff("colleague"))

    assert colleague.get(job_url).status_code == 404
    assert colleague.post(f"{job_url}step/").status_code == 404
    other_segment = reverse("admin:segments_segment_import_job", args=[shop["silver"].pk, token])
    assert merchandiser.get(other_segment).status_code == 404
    for forged in ("..", "x" * 30):
        assert merchandiser.get(job_url.replace(token, forged)).status_code == 404


def test_discarding_a_checked_file(merchandiser, shop, tmp_path):
    job_url = _upload(merchandiser, shop["gold"], "items.csv", ITEMS_CSV)["Location"]
    _run(merchandiser, job_url)

    response = merchandiser.post(f"{job_url}cancel/")

    assert response.status_code == 302
    assert merchandiser.get(job_url).status_code == 404
    assert list((tmp_path / "segments-admin-imports").iterdir()) == []


def test_the_upload_page_explains_the_columns(merchandiser, shop):
    html = merchandiser.get(
        reverse("admin:segments_segment_import", args=[shop["gold"].pk])
    ).content.decode()

    assert "segmentId, type, itemId, mixins, metadata.mixins" in html
    assert "segmentId, customerId, legalEntityId, mixins, metadata.mixins" in html


def test_a_semicolon_file_with_skus_and_a_repeat_is_checked_and_its_rejected_rows_reupload(
    merchandiser, shop
):
    gold = shop["gold"]
    content = "type;itemId\nPRODUCT;code-tee\nPRODUCT;nope\nPRODUCT;code-tee\n"

    job_url = _upload(merchandiser, gold, "items.csv", content)["Location"]
    checked = _run(merchandiser, job_url)
    download = merchandiser.get(f"{job_url}rejections/")

    assert checked["check"] == {"read": 3, "inserted": 1, "updated": 0, "unchanged": 0,
                                "rejected": 2}  # fmt: skip
    rows = b"".join(download.streaming_content).decode()
    assert rows.splitlines() == [
        "type;itemId;error",
        "PRODUCT;nope;line 3: itemId: The product with id nope has not been found.",
        'PRODUCT;code-tee;"line 4: body: This row repeats line 2; it is imported once."',
    ]

    fixed = rows.replace("PRODUCT;nope", "PRODUCT;code-parka")
    again = _upload(merchandiser, gold, "fixed.csv", fixed)["Location"]
    assert _run(merchandiser, again)["check"]["rejected"] == 0


def test_a_members_file_uploaded_as_items_is_named_as_such(merchandiser, shop):
    response = _upload(merchandiser, shop["gold"], "members.csv", "customerId\nalice\n")

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This looks like a members file (column customerId); "
        "choose Members (kind segment-customers)."
    ]
