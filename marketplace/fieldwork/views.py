"""Routes of the offline app: the service worker and manifest, the phone's sync, and the pages
a technician fills without signal (a farm or a plot of a producer saved on the phone)."""

from __future__ import annotations

import hashlib
import json

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from werkzeug.exceptions import HTTPException

from marketplace.centers.services import managed_page
from marketplace.errors import DomainError
from marketplace.extensions import limiter
from marketplace.fieldwork import services
from marketplace.fieldwork.blueprint import bp
from marketplace.models import CollectionCenter, Farm, Producer, Role, SyncKind
from marketplace.permissions import load_or_404, role_required, serving_cooperative_id
from marketplace.producers import services as producers
from marketplace.producers.forms import FarmForm, ProfileForm
from marketplace.producers.permissions import can_edit
from marketplace.producers.views import _farm_data, _profile_data
from marketplace.traceability import deliveries, evidence, plots
from marketplace.traceability.delivery_forms import DeliveryForm
from marketplace.traceability.delivery_views import _delivery_data
from marketplace.traceability.permissions import (
    can_edit_plot,
    can_manage_deliveries,
    can_record_evidence,
)
from marketplace.traceability.plot_forms import EvidenceForm, OutlineForm
from marketplace.traceability.plot_views import outline_input, save_evidence

#: Pages a technician's phone keeps for working offline (the answer says so in a header; the
#: service worker keeps nothing else, and nothing of anyone but a technician).
OFFLINE_PAGES = frozenset(
    {
        "main.index",
        "producers.cooperative_list",
        "producers.register",
        "producers.detail",
        "producers.new_farm",
        "traceability.plot",
        "traceability.center",
        "fieldwork.outbox",
        "fieldwork.new_farm",
        "fieldwork.new_plot",
    }
)
KEEP_HEADER = "X-Minka-Offline"
#: The static files the service worker installs with itself: the shell and the forms' scripts.
SHELL_FILES = (
    "minka.css",
    "favicon.svg",
    "offline.js",
    "outbox.js",
    "walk.js",
    "places.js",
    "evidence-position.js",
    "plot-map.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet-draw/leaflet.draw.js",
    "vendor/leaflet-draw/leaflet.draw.css",
)
MAX_ENTRY_BYTES = evidence.MAX_PHOTO_BYTES + 64 * 1024
#: The sync's request was checked for CSRF as a whole (X-CSRFToken): its forms need no token.
NO_CSRF = {"csrf": False}


@bp.after_app_request
def _mark_offline_pages(response: Response) -> Response:
    if (
        request.method == "GET"
        and request.endpoint in OFFLINE_PAGES
        and response.status_code == 200
        and current_user.is_authenticated
        and current_user.role == Role.TECHNICIAN
    ):
        response.headers[KEEP_HEADER] = "keep"
    elif not current_user.is_authenticated and response.mimetype == "text/html":
        response.headers[KEEP_HEADER] = "forget"  # the service worker deletes the kept pages
    return response


@bp.url_value_preprocessor
def _limit_upload(endpoint: str | None, values: dict | None) -> None:
    if endpoint == "fieldwork.sync":  # an evidence photo; before the CSRF check reads the body
        request.max_content_length = MAX_ENTRY_BYTES


# --- the service worker and the manifest ---------------------------------------------------


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the site's root so its scope is the whole site; never cached
    long (a phone checks it for a new version at every visit)."""
    shell = [url_for("static", filename=name) for name in SHELL_FILES]
    shell.append(url_for("fieldwork.manifest"))
    version = hashlib.sha256(json.dumps(shell).encode()).hexdigest()[:12]
    body = render_template(
        "fieldwork/sw.js",
        version=version,
        shell=shell,
        keep_header=KEEP_HEADER,
        fallback=url_for("fieldwork.outbox"),
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("Minka para técnicos"),
        "short_name": "Minka",
        "description": _("Registre productores, fincas, parcelas y entregas, también sin señal."),
        "lang": "es",
        "start_url": url_for("main.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5130",
        "icons": [
            {
                "src": url_for("static", filename="favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- what the phone keeps, and the pages for records saved on the phone ------------------------


@bp.get("/campo/estado")
@role_required(Role.TECHNICIAN)
def state():
    """A fresh CSRF token for the sync, and the pages the phone should keep for offline work."""
    pages = [
        url_for("main.index"),
        url_for("producers.register"),
        url_for("fieldwork.outbox"),
        url_for("fieldwork.new_farm"),
        url_for("fieldwork.new_plot"),
    ]
    if serving_cooperative_id(current_user) is not None:
        centers = managed_page(current_user).items
        pages += [url_for("traceability.center", center_id=c.id) for c in centers if c.active]
    country = current_user.country or "PE"
    places = [url_for("gazetteer.regions", country=country)]
    return jsonify(csrf_token=generate_csrf(), user=current_user.id, pages=pages, places=places)


@bp.get("/campo/por-enviar")
@role_required(Role.TECHNICIAN)
def outbox():
    """What waits on this phone (the page's script reads the phone's queue)."""
    return render_template("fieldwork/outbox.html")


@bp.get("/campo/finca-nueva")
@role_required(Role.TECHNICIAN)
def new_farm():
    """A farm of a producer registered on the phone and not sent yet (the address's #producer=
    names the phone's entry)."""
    form = FarmForm(formdata=None, country=current_user.country or "PE")
    form.set_places(form.country.data, "")
    return render_template("producers/farm_form.html", form=form, producer=None, farm=None)


@bp.get("/campo/parcela")
@role_required(Role.TECHNICIAN)
def new_plot():
    """The outline and a visit of a farm registered on the phone and not sent yet (#farm=)."""
    return render_template(
        "fieldwork/plot.html",
        outline_form=OutlineForm(formdata=None),
        evidence_form=EvidenceForm(formdata=None),
    )


# --- the sync -------------------------------------------------------------------------------


def _national_id_limit() -> str:
    return current_app.config["MINKA_NATIONAL_ID_LIMIT"]


def _signed_in_user() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else ""


def _refused_producer(response: Response) -> bool:
    return response.status_code == 422 and request.form.get("kind") == SyncKind.PRODUCER


class FormRefused(DomainError):
    """A queued form the same form class refuses: its errors by field."""

    def __init__(self, form) -> None:
        errors = {
            name: f"{form[name].label.text}: {messages[0]}"
            for name, messages in form.errors.items()
            if messages
        }
        super().__init__(next(iter(errors.values()), _("Revise los datos.")))
        self.errors = errors


def _valid(form):
    if not form.validate():
        raise FormRefused(form)
    return form


def _reference(data: MultiDict, name: str, kind: SyncKind) -> int:
    """The server id of a record: given (`<name>_id`) or made by an entry of this phone sent
    before (`<name>_key`)."""
    key = data.get(f"{name}_key", "")
    if key:
        return services.resolve(current_user, key, kind)
    text = data.get(f"{name}_id", "")
    if not text.isdigit():
        raise DomainError(_("Envío no válido: descártelo y vuelva a registrarlo."))
    return int(text)


def _load(model, record_id: int, can):
    """The record the entry is for, if this technician may still reach it."""
    try:
        return load_or_404(model, record_id, can)
    except HTTPException:
        raise DomainError(
            _("Ese registro ya no existe o no es de su cooperativa: no se guardó nada.")
        ) from None


def _producer(data: MultiDict) -> Producer:
    if producers.unverified_cooperative(current_user) is not None:
        raise DomainError(producers.UNVERIFIED_COOPERATIVE)
    form = ProfileForm(formdata=data, meta=NO_CSRF)
    form.set_cooperatives(producers.cooperatives())
    return producers.save_profile(current_user, _profile_data(_valid(form)))


def _farm(data: MultiDict) -> Farm:
    producer = _load(Producer, _reference(data, "producer", SyncKind.PRODUCER), can_edit)
    form = FarmForm(formdata=data, meta=NO_CSRF)
    form.set_places(form.country.data or producer.country, form.region.data or "")
    return producers.save_farm(current_user, producer, _farm_data(_valid(form)))


def _outline(data: MultiDict) -> Farm:
    farm = _load(Farm, _reference(data, "farm", SyncKind.FARM), can_edit_plot)
    form = _valid(OutlineForm(formdata=data, meta=NO_CSRF))
    return plots.save_outline(current_user, farm, outline_input(form))


def _evidence(data: MultiDict):
    farm = _load(Farm, _reference(data, "farm", SyncKind.FARM), can_record_evidence)
    return save_evidence(_valid(EvidenceForm(formdata=data, meta=NO_CSRF)), farm)


def _delivery(data: MultiDict):
    text = data.get("center_id", "")
    center = _load(CollectionCenter, int(text) if text.isdigit() else 0, can_manage_deliveries)
    form = DeliveryForm(formdata=data, meta=NO_CSRF)  # record_delivery checks the pledge
    return deliveries.record_delivery(current_user, center, _delivery_data(_valid(form)))


HANDLERS = {
    SyncKind.PRODUCER: _producer,
    SyncKind.FARM: _farm,
    SyncKind.OUTLINE: _outline,
    SyncKind.EVIDENCE: _evidence,
    SyncKind.DELIVERY: _delivery,
}


def _record_url(received: services.Received) -> str:
    kind = received.kind
    if kind == SyncKind.PRODUCER:
        return url_for("producers.detail", producer_id=received.record_id)
    if kind in (SyncKind.FARM, SyncKind.OUTLINE):
        return url_for("traceability.plot", farm_id=received.record_id)
    if kind == SyncKind.EVIDENCE:
        farm_id = services.farm_of_evidence(received.record_id)
        return url_for("traceability.plot", farm_id=farm_id, _anchor="evidencias")
    return url_for("traceability.center", center_id=services.center_of(received.record_id))


@bp.post("/campo/sincronizar")
@limiter.shared_limit(
    _national_id_limit,
    scope="national-id-sync",
    key_func=_signed_in_user,
    methods=["POST"],
    deduct_when=_refused_producer,
)
@role_required(Role.TECHNICIAN)
def sync():
    """One entry the phone queued: saved once per idempotency key, through the same forms and
    services as the pages. 200 saved (or saved before), 409 wait and retry, 422 refused."""
    kind = request.form.get("kind", "")
    handler = HANDLERS.get(kind)
    if handler is None:
        abort(400)
    data = CombinedMultiDict([request.files, request.form])
    try:
        received = services.receive(
            current_user, request.form.get("key", ""), kind, lambda: handler(data)
        )
    except services.Waiting as waiting:
        return jsonify(status="waiting", message=str(waiting.message)), 409
    except DomainError as error:
        errors = getattr(error, "errors", None) or {error.field or "": error.message}
        messages = {name: str(message) for name, message in errors.items()}
        return jsonify(status="refused", message=str(error.message), errors=messages), 422
    return jsonify(
        status="saved",
        kind=received.kind,
        id=received.record_id,
        repeated=received.repeated,
        url=_record_url(received),
    )
