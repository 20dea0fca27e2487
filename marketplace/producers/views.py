"""Producer pages: thin wrappers around producers.services."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import DomainError
from marketplace.extensions import limiter
from marketplace.fields import as_float
from marketplace.i18n import by_gender
from marketplace.models import Farm, Producer, Role
from marketplace.permissions import load_or_404, role_required, serving_cooperative_id
from marketplace.producers import claims, services
from marketplace.producers.blueprint import bp
from marketplace.producers.forms import ClaimForm, ConsentForm, FarmForm, ProfileForm
from marketplace.producers.permissions import can_edit, can_view
from marketplace.sms import provider as sms
from marketplace.web import page_number, show_errors

FIELD_ROLES = (Role.PRODUCER, Role.TECHNICIAN)


def _national_id_limit() -> str:
    return current_app.config["MINKA_NATIONAL_ID_LIMIT"]


def _signed_in_user() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else ""


def _not_a_technician() -> bool:
    return not current_user.is_authenticated or current_user.role != Role.TECHNICIAN


def _refused(response) -> bool:
    """A refused form is shown again (200): it may have said the national id is taken."""
    return response.status_code == 200


# Whether a national id is registered shows in a refusal, so refusals are counted per
# technician: nobody tests a list of ids through the form.
limit_probes = limiter.limit(
    _national_id_limit,
    methods=["POST"],
    key_func=_signed_in_user,
    deduct_when=_refused,
    scope="national-id",
    exempt_when=_not_a_technician,
)


def _unverified_page():
    """What a technician of a cooperative that may not reach producers sees instead."""
    org = services.unverified_cooperative(current_user)
    if org is None:
        return None
    return render_template("producers/unverified.html", org=org)


def _profile_form(producer: Producer | None, own: bool) -> ProfileForm:
    form = ProfileForm(obj=producer)
    if producer is None and not form.is_submitted():
        form.country.data = current_user.country or "PE"
        if own:  # what she gave at sign-up; a technician registers someone else
            for name, value in services.account_prefill(current_user).items():
                getattr(form, name).data = value
    if producer is not None and not form.is_submitted():
        form.cooperative_id.data = str(producer.cooperative_id or "")
    form.set_cooperatives(
        services.cooperatives(current_id=producer.cooperative_id if producer else None)
    )
    return form


def _profile_data(form: ProfileForm) -> services.ProfileData:
    coop = form.cooperative_id.data
    return services.ProfileData(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        gender=form.gender.data,
        country=form.country.data,
        national_id=form.national_id.data,
        phone=form.phone.data or "",
        birth_year=form.birth_year.data,
        cooperative_id=int(coop) if coop and coop.isdigit() else None,
        sms_opt_in=form.sms_opt_in.data if sms.configured() else None,
        whatsapp_opt_in=form.whatsapp_opt_in.data if sms.whatsapp_configured() else None,
        message_locale=form.message_locale.data if sms.configured() else None,
    )


def _welcome(producer: Producer) -> str:
    """The greeting once a producer has filled in her own details: in her words."""
    name = producer.first_name
    return by_gender(
        producer.gender,
        _("¡Listo, %(name)s! Ya está inscrita en Minka: ahora registre su finca.", name=name),
        _("¡Listo, %(name)s! Ya está inscrito en Minka: ahora registre su finca.", name=name),
        _("¡Listo, %(name)s! Sus datos quedaron guardados: ahora registre su finca.", name=name),
    )


def _edit_profile(producer: Producer | None, template_args: dict):
    form = _profile_form(producer, template_args["own"])
    if form.validate_on_submit():
        try:
            saved = services.save_profile(current_user, _profile_data(form), producer)
        except services.NationalIdTaken as error:
            taken = claims.record(error.producer_id)
            if producer is None and template_args["own"] and claims.can_claim(current_user, taken):
                session["claim_producer"] = taken.id
                return redirect(url_for("producers.claim"))
            show_errors(form, error)
        except DomainError as error:
            show_errors(form, error)
        else:
            if producer is None and template_args["own"]:
                flash(_welcome(saved), "success")
            else:
                flash(_("Datos guardados."), "success")
            if producer is None:
                return redirect(url_for("producers.new_farm", producer_id=saved.id))
            return redirect(url_for("producers.detail", producer_id=saved.id))
    requests = services.open_data_requests(producer) if producer is not None else []
    return render_template(
        "producers/profile_form.html",
        form=form,
        producer=producer,
        data_requests=requests,
        **template_args,
    )


def _code_limit() -> str:
    return current_app.config["MINKA_SMS_CODE_LIMIT"]


def _sending(response) -> bool:
    return request.form.get("action") == "send"


def _refused_code(response) -> bool:
    return request.form.get("action") != "send" and response.status_code == 200


# The claim page shows the record's masked mobile and sends codes to it: showing it is limited
# like a technician's national-id refusals, sends like the password reset's, wrong codes like
# sign-ins, all per account.
@bp.route("/mis-datos/reclamar", methods=["GET", "POST"])
@role_required(Role.PRODUCER)
@limiter.limit(_national_id_limit, methods=["GET"], key_func=_signed_in_user, scope="claim-view")
@limiter.limit(
    _code_limit, methods=["POST"], key_func=_signed_in_user, deduct_when=_sending, scope="claim"
)
@limiter.limit(
    lambda: current_app.config["MINKA_LOGIN_ACCOUNT_LIMIT"],
    methods=["POST"],
    key_func=_signed_in_user,
    deduct_when=_refused_code,
    scope="claim-code",
)
def claim():
    asked = session.get("claim_producer")
    taken = claims.record(asked)
    if not claims.can_claim(current_user, taken):
        if asked is None:
            abort(404)  # nothing to claim: she did not come from "Mis datos"
        session.pop("claim_producer", None)
        flash(_("Este registro ya no se puede reclamar."), "error")
        return redirect(url_for("producers.my_profile"))
    form = ClaimForm()
    sent = session.get("claim_sent") == taken.id
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "send":
                claims.send_code(current_user, taken)
                session["claim_sent"] = taken.id
                flash(_("Le enviamos un código por SMS. Vence en 10 minutos."), "info")
                return redirect(url_for("producers.claim"))
            if not sent:
                return redirect(url_for("producers.claim"))
            claims.claim(current_user, taken, form.code.data or "")
        except DomainError as error:
            show_errors(form, error)
        else:
            session.pop("claim_producer", None)
            session.pop("claim_sent", None)
            flash(_("Listo: su cuenta quedó unida a su registro, con sus fincas."), "success")
            return redirect(url_for("producers.detail", producer_id=taken.id))
    return render_template(
        "producers/claim.html", form=form, masked=claims.masked_phone(taken.phone), sent=sent
    )


@bp.route("/mis-datos", methods=["GET", "POST"])
@role_required(Role.PRODUCER)
def my_profile():
    return _edit_profile(services.producer_of(current_user), {"own": True})


def _to_own_page(endpoint: str, missing_profile: str):
    """Send a producer to one of their pages, or to fill their profile first."""
    producer = services.producer_of(current_user)
    if producer is None:
        flash(missing_profile, "info")
        return redirect(url_for("producers.my_profile"))
    return redirect(url_for(endpoint, producer_id=producer.id))


@bp.route("/mis-fincas")
@role_required(Role.PRODUCER)
def my_farms():
    return _to_own_page(
        "producers.detail", _("Primero complete sus datos; después registre sus fincas.")
    )


@bp.route("/privacidad")
@role_required(Role.PRODUCER)
def my_consents():
    return _to_own_page("producers.consents", _("Primero complete sus datos."))


@bp.route("/productores")
@role_required(Role.TECHNICIAN)
def cooperative_list():
    refused = _unverified_page()
    if refused:
        return refused
    search = request.args.get("q", "")
    coop_id = serving_cooperative_id(current_user)
    page = services.cooperative_producers(coop_id, search, page_number())
    return render_template("producers/list.html", page=page, search=search)


@bp.route("/productores/nuevo", methods=["GET", "POST"])
@limit_probes
@role_required(Role.TECHNICIAN)
def register():
    return _unverified_page() or _edit_profile(None, {"own": False})


@bp.route("/productores/<int:producer_id>")
@role_required(*FIELD_ROLES)
def detail(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_view)
    return render_template(
        "producers/detail.html", producer=producer, consents=services.consent_states(producer)
    )


@bp.route("/productores/<int:producer_id>/editar", methods=["GET", "POST"])
@limit_probes
@role_required(*FIELD_ROLES)
def edit(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_edit)
    return _edit_profile(producer, {"own": current_user.role == Role.PRODUCER})


def _farm_form(producer: Producer, farm: Farm | None) -> FarmForm:
    form = FarmForm(obj=farm)
    if not form.is_submitted() and farm is None:
        form.country.data = producer.country
        if producer.farms:
            form.region.data = producer.farms[-1].region
    form.set_places(form.country.data or producer.country, form.region.data or "")
    return form


def _farm_data(form: FarmForm) -> services.FarmData:
    return services.FarmData(
        name=form.name.data,
        country=form.country.data,
        region=form.region.data or "",
        district_code=form.district_code.data or "",
        lat=float(form.lat.data),
        lon=float(form.lon.data),
        total_ha=float(form.total_ha.data),
        productive_ha=float(form.productive_ha.data),
        forest_ha=float(form.forest_ha.data),
        value_chain=form.value_chain.data,
        yield_kg_ha=as_float(form.yield_kg_ha.data),
        plant_age_years=form.plant_age_years.data,
        agroforestry=form.agroforestry.data,
        certifications=list(form.certifications.data or []),
        tenure=form.tenure.data,
        cleared_after_cutoff=form.cleared_after_cutoff.data,
    )


def _edit_farm(producer: Producer, farm: Farm | None):
    form = _farm_form(producer, farm)
    # "refresh" (without JavaScript) only reloads the district list for the chosen region.
    if "refresh" not in request.form and form.validate_on_submit():
        try:
            services.save_farm(current_user, producer, _farm_data(form), farm)
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("Finca guardada."), "success")
            return redirect(url_for("producers.detail", producer_id=producer.id))
    return render_template("producers/farm_form.html", form=form, producer=producer, farm=farm)


@bp.route("/productores/<int:producer_id>/fincas/nueva", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def new_farm(producer_id: int):
    return _edit_farm(load_or_404(Producer, producer_id, can_edit), None)


@bp.route("/productores/<int:producer_id>/fincas/<int:farm_id>/editar", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def edit_farm(producer_id: int, farm_id: int):
    producer = load_or_404(Producer, producer_id, can_edit)
    return _edit_farm(producer, load_or_404(Farm, farm_id, producer_id=producer.id))


@bp.route("/productores/<int:producer_id>/fincas/<int:farm_id>/eliminar", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def delete_farm(producer_id: int, farm_id: int):
    producer = load_or_404(Producer, producer_id, can_edit)
    farm = load_or_404(Farm, farm_id, producer_id=producer.id)
    if request.method == "GET":
        return render_template("producers/delete_farm.html", producer=producer, farm=farm)
    services.delete_farm(current_user, farm)
    flash(_("Finca eliminada."), "success")
    return redirect(url_for("producers.detail", producer_id=producer.id))


@bp.route("/productores/<int:producer_id>/consentimientos", methods=["GET", "POST"])
@role_required(*FIELD_ROLES)
def consents(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_edit)
    form = ConsentForm()
    on_behalf = current_user.role != Role.PRODUCER
    if form.validate_on_submit():
        if on_behalf and form.granted.data and not form.in_person.data:
            form.in_person.errors = [_("Confirme que la persona dio su consentimiento.")]
        else:
            try:
                services.set_consent(current_user, producer, form.scope.data, form.granted.data)
            except DomainError as error:
                flash(str(error.message), "error")
            else:
                flash(_("Preferencia guardada."), "success")
            return redirect(url_for("producers.consents", producer_id=producer.id))
    return render_template(
        "producers/consents.html",
        producer=producer,
        form=form,
        consents=services.consent_states(producer),
        on_behalf=on_behalf,
    )
