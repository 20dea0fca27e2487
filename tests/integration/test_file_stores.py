"""Uploaded files in each store (MINKA_FILE_STORAGE): the instance folder, the database, an
S3-compatible bucket (moto's S3 server on loopback with its authentication on, which refuses
what S3 refuses: an unknown bucket, a missing key, a key it did not issue, a wrong secret).
The same evidence photo is stored, served to its owner and removed the same way in each."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date

import boto3
import pytest
from sqlalchemy import func, select, update

from marketplace import uploads
from marketplace.errors import DomainError
from marketplace.forest import layers, rasters, risk
from marketplace.models import Farm, Notification, StoredFile
from marketplace.models.traceability import ForestLayer, RiskStatus
from marketplace.traceability import evidence
from tests.conftest import signed_in_client
from tests.integration import test_forest_rasters as rasters_test
from tests.integration.test_plots import PNG
from tests.s3_fake import REGION, S3Server, s3_server

BUCKET = "minka-uploads"


@pytest.fixture(scope="module")
def bucket_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, with one bucket, checking credentials."""
    with s3_server(BUCKET) as server:
        yield server


@pytest.fixture
def field(db, make_user, make_org, make_producer, make_farm) -> dict:
    """A cooperative's technician and a member's farm."""
    coop = make_org("cooperative")
    owner = make_user("producer")
    farm = make_farm(make_producer(user_id=owner.id, cooperative_id=coop.id))
    return {"owner": owner, "tech": make_user("technician", organization=coop), "farm": farm}


@pytest.fixture(autouse=True)
def _no_real_credentials(monkeypatch):
    """boto3 never finds a developer's own credentials (the s3 store sets the server's)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "minka-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "minka-test-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(params=["local", "database", "s3"])
def storage(request, app, tmp_path, monkeypatch) -> str:
    """The test app with each store in turn (a fresh S3 client per test, with the key the
    bucket's server issued)."""
    kind = request.param
    monkeypatch.setitem(app.config, "MINKA_FILE_STORAGE", kind)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    app.extensions.pop("minka_s3", None)
    if kind == "s3":
        server = request.getfixturevalue("bucket_server")
        _use_credentials(app, monkeypatch, **server.env)
        monkeypatch.setitem(app.config, "MINKA_S3_ENDPOINT_URL", server.url)
        monkeypatch.setitem(app.config, "MINKA_S3_REGION", REGION)
        monkeypatch.setitem(app.config, "MINKA_S3_BUCKET", BUCKET)
    yield kind
    app.extensions.pop("minka_s3", None)


def _use_credentials(app, monkeypatch, **env: str) -> None:
    """The next S3 client signs with these credentials (boto3's default session keeps the
    first it found: start a new one)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    app.extensions.pop("minka_s3", None)


def _record(db, field, tmp_path):
    item = evidence.record_evidence(
        field["tech"],
        field["farm"],
        note="Cacao bajo sombra de guaba",
        observed_on=date(2026, 3, 1),
        photo=PNG,
        instance_path=tmp_path,
        today=date(2026, 3, 2),
    )
    db.session.commit()
    return item


def test_a_photo_is_kept_served_and_removed_in_every_store(
    app,
    db,
    storage,
    field,
    tmp_path,
):
    item = _record(db, field, tmp_path)
    assert item.photo_path.startswith("uploads/evidence/")
    assert (tmp_path / item.photo_path).exists() == (storage == "local")
    in_table = db.session.scalar(select(func.count()).select_from(StoredFile))
    assert in_table == (1 if storage == "database" else 0)
    assert evidence.photo_file(item, tmp_path) == PNG

    client = signed_in_client(app, field["owner"])
    url = f"/fincas/{field['farm'].id}/evidencias/{item.id}/foto"
    response = client.get(url)
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-store"

    uploads.remove(tmp_path, item.photo_path)
    assert evidence.photo_file(item, tmp_path) is None
    assert client.get(url).status_code == 404


def test_a_key_outside_its_folder_is_never_read(app, db, storage, tmp_path):
    store = uploads.file_store(tmp_path)
    store.put("uploads/tenure/secret.pdf", b"%PDF-1.4 secret")
    assert uploads.read(tmp_path, uploads.Path("uploads/tenure"), "uploads/tenure/secret.pdf")
    for key in ("uploads/tenure/secret.pdf", "uploads/evidence/../tenure/secret.pdf", "/etc/x"):
        assert uploads.read(tmp_path, uploads.Path("uploads/evidence"), key) is None


@pytest.mark.parametrize("storage", ["database"], indirect=True)
def test_a_database_file_rolls_back_with_the_row_naming_it(app, db, storage, tmp_path):
    uploads.store(tmp_path, uploads.Path("uploads/evidence"), PNG, ".png")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


@pytest.mark.parametrize("storage", ["s3"], indirect=True)
def test_a_bucket_that_refuses_gives_a_clear_message_and_stores_nothing(
    app,
    db,
    storage,
    monkeypatch,
    field,
    tmp_path,
):
    monkeypatch.setitem(app.config, "MINKA_S3_BUCKET", "no-such-bucket")
    app.extensions.pop("minka_s3", None)
    with pytest.raises(DomainError, match="No pudimos guardar el archivo"):
        _record(db, field, tmp_path)
    db.session.rollback()
    assert not evidence.evidence_of(field["farm"])


@pytest.mark.parametrize("storage", ["s3"], indirect=True)
def test_a_wrong_secret_key_is_refused_and_stores_nothing(
    app,
    db,
    storage,
    bucket_server,
    monkeypatch,
    field,
    tmp_path,
):
    before = bucket_server.client().list_objects_v2(Bucket=BUCKET).get("KeyCount", 0)
    _use_credentials(app, monkeypatch, AWS_SECRET_ACCESS_KEY="not-the-secret-it-issued")
    with pytest.raises(uploads.StoreUnavailable, match="SignatureDoesNotMatch"):
        uploads.file_store(tmp_path).put("uploads/evidence/refused.png", PNG)
    with pytest.raises(DomainError, match="No pudimos guardar el archivo"):
        _record(db, field, tmp_path)
    db.session.rollback()
    assert not evidence.evidence_of(field["farm"])
    assert bucket_server.client().list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == before

    _use_credentials(app, monkeypatch, **bucket_server.env)
    item = _record(db, field, tmp_path)
    assert evidence.photo_file(item, tmp_path) == PNG


@pytest.mark.parametrize("storage", ["s3"], indirect=True)
def test_an_access_key_the_bucket_did_not_issue_is_refused(app, db, storage, monkeypatch, tmp_path):
    _use_credentials(app, monkeypatch, AWS_ACCESS_KEY_ID="AKIAMINKANOTISSUED00")
    with pytest.raises(uploads.StoreUnavailable, match="InvalidAccessKeyId"):
        uploads.file_store(tmp_path).put("uploads/evidence/refused.png", PNG)


# --- forest rasters: imported on one host, read on another ----------------------------------


def _on_host(app, monkeypatch, folder) -> None:
    """What follows runs as a host whose instance folder is `folder`."""
    folder.mkdir(exist_ok=True)
    monkeypatch.setitem(app.config, "MINKA_INSTANCE_PATH", str(folder))


def test_a_raster_imported_on_one_host_is_read_on_another(
    app, db, storage, tmp_path, monkeypatch, make_producer, make_farm
):
    # An outline saved on host B is assessed there, against the rasters an admin imported on
    # host A: B fetches each once from the file store and reads it only if it is the file
    # imported. With the local store (one host) B has no copy: the assessment stops rather
    # than read the plot as if no layer covered it.
    farm = make_farm(make_producer(), polygon_geojson=rasters_test.PLOT)
    loss = rasters_test.plot_part(rasters_test.grid(), 22, 0.5)
    _on_host(app, monkeypatch, tmp_path / "a")
    layer = layers.load_layer(rasters_test.write(tmp_path, "loss", loss), kind="loss_year")
    db.session.commit()
    on_a = tmp_path / "a" / layer.path
    _on_host(app, monkeypatch, tmp_path / "b")
    if storage == "local":
        with pytest.raises(rasters.RasterUnavailable):
            risk.assess_all()
        assert not (tmp_path / "b" / layer.path).exists()
        return
    risk.assess_all()
    fetched = tmp_path / "b" / layer.path
    assert fetched.read_bytes() == on_a.read_bytes()
    assert rasters_test.reason(farm.id)["year"] == 2022

    # a copy in the store that is not the imported file is refused, and nothing is kept
    fetched.unlink()
    uploads.file_store().put(layer.path, on_a.read_bytes()[:-1] + b"\x00")
    db.session.commit()
    _on_host(app, monkeypatch, tmp_path / "c")
    with pytest.raises(rasters.RasterUnavailable, match="not the imported file"):
        risk.assess_all()
    assert list((tmp_path / "c").rglob("*")) == [tmp_path / "c" / "forest_layers"]


@pytest.mark.parametrize("storage", ["local", "s3"], indirect=True)
def test_an_outline_saved_where_no_host_has_the_raster_stays_unassessed_and_admins_are_told(
    app, db, storage, tmp_path, monkeypatch, field, make_user, runner, request
):
    # With a raster on no host this one reaches (hosts not sharing a store, a bucket down),
    # saving an outline answered 500 and lost it. Now the outline is kept, the plot stays
    # unassessed (never read as free of forest) and each admin is told once how to mend it.
    admin = make_user("admin")
    _on_host(app, monkeypatch, tmp_path / "a")
    loss = rasters_test.plot_part(rasters_test.grid(), 22, 0.5)
    layer = layers.load_layer(rasters_test.write(tmp_path, "loss", loss), kind="loss_year")
    db.session.commit()
    _on_host(app, monkeypatch, tmp_path / "b")
    if storage == "s3":  # the bucket refuses B (its secret is not the one issued)
        _use_credentials(app, monkeypatch, AWS_SECRET_ACCESS_KEY="not-the-secret-it-issued")
    technician = signed_in_client(app, field["tech"])
    url = f"/fincas/{field['farm'].id}/parcela"
    for _ in range(2):
        saved = technician.post(url, data={"outline": json.dumps(rasters_test.PLOT)})
        assert saved.status_code == 302, saved.get_data(as_text=True)[-2000:]
    farm = db.session.get(Farm, field["farm"].id)
    assert farm.polygon_geojson
    assert farm.risk_status == RiskStatus.UNASSESSED
    assert farm.risk_assessment.reason == {"code": "layer_unavailable", "layer": layer.name}
    page = technician.get(url).get_data(as_text=True)
    assert f"No se pudo leer la capa de bosque «{layer.name}» al guardar la parcela" in page
    notices = db.session.scalars(
        select(Notification).where(Notification.kind == risk.LAYER_UNAVAILABLE)
    ).all()
    assert [n.user_id for n in notices] == [admin.id]  # once, not per plot saved
    told = signed_in_client(app, admin).get("/avisos").get_data(as_text=True)
    assert f"No pudimos leer la capa de bosque «{layer.name}»" in told

    refused = runner.invoke(args=["forest", "assess"])
    assert refused.exit_code == 1
    assert "Nothing was changed; run `flask forest share`" in refused.output
    # mended (B given the bucket's secret; with one host, the file brought to it), the
    # plot is assessed against the raster
    if storage == "s3":
        _use_credentials(app, monkeypatch, **request.getfixturevalue("bucket_server").env)
    else:
        (tmp_path / "b" / layer.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / "a" / layer.path, tmp_path / "b" / layer.path)
    assert runner.invoke(args=["forest", "assess"]).exit_code == 0
    assert rasters_test.reason(farm.id)["year"] == 2022


@pytest.mark.parametrize("storage", ["database", "s3"], indirect=True)
def test_rasters_imported_before_the_hosts_shared_a_store_are_shared_by_a_command(
    app, db, storage, runner, tmp_path, monkeypatch, make_producer, make_farm
):
    farm = make_farm(make_producer(), polygon_geojson=rasters_test.PLOT)
    _on_host(app, monkeypatch, tmp_path / "a")
    monkeypatch.setitem(app.config, "MINKA_FILE_STORAGE", "local")  # one host, back then
    loss = rasters_test.plot_part(rasters_test.grid(), 22, 0.5)
    kept = layers.load_layer(rasters_test.write(tmp_path, "loss", loss), kind="loss_year")
    cover = layers.load_layer(
        rasters_test.write(tmp_path, "cover", rasters_test.grid(90)), kind="tree_cover_2000"
    )
    db.session.commit()
    (tmp_path / "a" / cover.path).write_bytes(b"changed since")
    monkeypatch.setitem(app.config, "MINKA_FILE_STORAGE", storage)
    result = runner.invoke(args=["forest", "share"])
    assert result.exit_code == 0, result.output
    assert "1 raster files in the file store" in result.output
    assert f"layer {cover.id} {cover.name}" in result.output
    assert uploads.file_store().get(kept.path) == (tmp_path / "a" / kept.path).read_bytes()
    assert uploads.file_store().get(cover.path) is None
    db.session.execute(update(ForestLayer).where(ForestLayer.id == cover.id).values(active=False))
    db.session.commit()
    _on_host(app, monkeypatch, tmp_path / "b")
    risk.assess_all()
    assert rasters_test.reason(farm.id)["year"] == 2022


@pytest.mark.parametrize("storage", ["s3"], indirect=True)
def test_a_raster_the_bucket_refuses_is_not_registered_and_says_why(
    app, db, storage, runner, tmp_path, monkeypatch
):
    _on_host(app, monkeypatch, tmp_path / "a")
    monkeypatch.setitem(app.config, "MINKA_S3_BUCKET", "no-such-bucket")
    app.extensions.pop("minka_s3", None)
    path = rasters_test.write(tmp_path, "loss", rasters_test.grid())
    result = runner.invoke(args=["forest", "import", path, "--kind", "loss_year"])
    assert result.exit_code != 0
    assert "No pudimos guardar el archivo" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ForestLayer)) == 0
