"""Finding 11: an inspector reads document contents only under a grant that includes
`documents`, and then inline with `no-store`, never as an attachment (§2)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.documents.matrix import _document
from tests.factories import World, make_grant
from tests.helpers import assert_problem


def test_a_grant_without_documents_shows_metadata_but_not_contents(
    client: TestClient, world: World
) -> None:
    document_id = _document("a")(world).path_params["document_id"]
    headers = world.headers("inspector")
    assert client.get(f"/api/v1/documents/{document_id}", headers=headers).status_code == 200
    assert_problem(client.get(f"/api/v1/documents/{document_id}/content", headers=headers), 403)


def test_a_grant_with_documents_shows_contents_inline_and_no_store(
    client: TestClient, world: World
) -> None:
    grant = make_grant(world.session, world.centre_a, world.admin, includes_documents=True)
    world.session.commit()
    document_id = _document("a")(world).path_params["document_id"]

    response = client.get(
        f"/api/v1/documents/{document_id}/content",
        headers={"Authorization": f"Bearer {world.inspector_token(grant)}"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.headers["cache-control"] == "no-store"
    staff = client.get(
        f"/api/v1/documents/{document_id}/content", headers=world.headers("centre_staff")
    )
    assert staff.headers["content-disposition"].startswith("attachment;")
