"""Lenders' pages for their credit products: thin wrappers around credit.services."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import currencies, gazetteer
from marketplace.credit import services, usury
from marketplace.credit.archetypes import targetable_types
from marketplace.credit.blueprint import bp
from marketplace.credit.forms import ProductForm
from marketplace.credit.permissions import can_manage, is_lender_member
from marketplace.errors import DomainError, InvalidInput
from marketplace.i18n import number
from marketplace.models import CreditProduct, Role
from marketplace.money import AmountError, amount_text, parse_money
from marketplace.permissions import load_or_404, role_required
from marketplace.web import page_number, show_errors

MONEY_FIELDS = ("min_amount", "max_amount", "budget")
OPTIONAL_MONEY = ("fee", "amount_step")  # empty: none


@bp.app_template_filter("rate")
def rate(basis_points: int | None) -> str:
    """Basis points as a percentage for the viewer's locale: 2850 -> "28,50 %"."""
    if basis_points is None:
        return ""
    return f"{number(basis_points / 100, 2, fixed=True)} %"


def _lender_or_403():
    if not is_lender_member(current_user):
        abort(403)
    return current_user.organization


def _fill_from(form: ProductForm, product: CreditProduct) -> None:
    for name in MONEY_FIELDS:
        value = getattr(product, f"{name}_minor")
        getattr(form, name).data = amount_text(value, product.currency)
    form.annual_rate.data = product.annual_rate_bp
    form.insurance.data = Decimal(product.insurance_monthly_ppm) / 10_000
    form.fee.data = amount_text(product.fee_minor, product.currency) if product.fee_minor else ""
    form.late_rate.data = product.late_rate_bp
    step = product.amount_step_minor
    form.amount_step.data = amount_text(step, product.currency) if step else ""
    form.min_readiness.data = round(product.min_readiness * services.BP_PER_UNIT)
    form.collateral_ratio.data = product.collateral_ratio_bp
    country = product.coverage_country
    codes = set(product.coverage_districts)
    regions = sorted(
        {d.region for code in codes if (d := gazetteer.get_district(country, code)) is not None}
    )
    form.regions.data = regions
    every = set(services.coverage(country, regions, []))
    form.districts.data = [] if codes == every else sorted(codes)


def _form(country: str, product: CreditProduct | None) -> ProductForm:
    form = ProductForm(obj=product)
    if not form.is_submitted():
        if product is None:
            form.currency.data = currencies.of_country(country)
            form.collateral_ratio.data = services.DEFAULT_COLLATERAL_BP
        else:
            _fill_from(form, product)
    regions = gazetteer.regions(country) if country in gazetteer.COUNTRIES else []
    chosen = [r for r in (form.regions.data or []) if r in regions]
    districts = [
        (d.code, f"{d.label} · {region}")
        for region in chosen
        for d in gazetteer.districts(country, region)
    ]
    form.set_places(regions, districts)
    form.target_archetypes.choices = [(code, str(name)) for code, name in targetable_types()]
    return form


def _minor(form: ProductForm, name: str, currency: str) -> int | None:
    """A money field in minor units; None (and the field's error) when unreadable."""
    field = getattr(form, name)
    if field.errors or not field.data:
        return None
    try:
        return parse_money(field.data, currency)
    except AmountError as error:
        field.errors = [*field.errors, str(error.message)]
        return None


def _data(form: ProductForm, country: str) -> services.ProductData:
    currency = form.currency.data if form.currency.data in currencies.CODES else "PEN"
    return services.ProductData(
        name=form.name.data or "",
        value_chains=list(form.value_chains.data or []),
        country=country,
        regions=list(form.regions.data or []),
        districts=list(form.districts.data or []),
        min_amount_minor=_minor(form, "min_amount", currency),
        max_amount_minor=_minor(form, "max_amount", currency),
        currency=currency,
        annual_rate_bp=form.annual_rate.data,
        term_months=form.term_months.data,
        grace_months=form.grace_months.data if form.grace_months.data is not None else 0,
        grace_interest=form.grace_interest.data or "",
        repayment=form.repayment.data or "",
        insurance_monthly_ppm=round((form.insurance.data or 0) * 10_000),
        fee_minor=_minor(form, "fee", currency) if form.fee.data else 0,
        late_rate_bp=form.late_rate.data or 0,
        amount_step_minor=_minor(form, "amount_step", currency) if form.amount_step.data else 0,
        requires_offtake=bool(form.requires_offtake.data),
        collateral_ratio_bp=(
            form.collateral_ratio.data
            if form.collateral_ratio.data is not None
            else services.DEFAULT_COLLATERAL_BP
        ),
        budget_minor=_minor(form, "budget", currency),
        min_readiness_bp=form.min_readiness.data or 0,
        min_members=form.min_members.data,
        max_members=form.max_members.data,
        target_archetypes=list(form.target_archetypes.data or []),
    )


def _save(form: ProductForm, org, product: CreditProduct | None):
    """Validate form and rules together (every problem at once); the saved product or None."""
    valid = form.validate()
    data = _data(form, org.country)
    if not valid or any(getattr(form, name).errors for name in (*MONEY_FIELDS, *OPTIONAL_MONEY)):
        problems = {
            name: message
            for name, message in services.product_problems(data).items()
            if not getattr(form, name).errors
        }
        if problems:
            show_errors(form, InvalidInput(problems))
        return None
    try:
        if product is None:
            return services.create_product(current_user, data)
        return services.update_product(current_user, product, data)
    except DomainError as error:
        show_errors(form, error)
        return None


def _edit(product: CreditProduct | None):
    org = _lender_or_403()
    form = _form(org.country, product)
    # "refresh" (without JavaScript) only lists the districts of the regions chosen.
    if request.method == "POST" and "refresh" not in request.form:
        saved = _save(form, org, product)
        if saved is not None:
            if not saved.active and product is None:
                flash(str(services.NOT_OFFERED), "warning")
            else:
                flash(_("Producto de crédito guardado."), "success")
            return redirect(url_for("credit.products"))
    ceiling = usury.current() if usury.applies(org.country) else None
    return render_template(
        "credit/product_form.html", form=form, product=product, org=org, ceiling=ceiling
    )


@bp.route("/credito/productos")
@role_required(Role.LENDER)
def products():
    org = _lender_or_403()
    page = services.organization_products(org.id, page_number())
    ceiling = usury.current() if usury.applies(org.country) else None
    above = {product.id for product in page.items if usury.product_above(product, ceiling)}
    return render_template(
        "credit/products.html", page=page, org=org, ceiling=ceiling, above_usury=above
    )


@bp.route("/credito/productos/nuevo", methods=["GET", "POST"])
@role_required(Role.LENDER)
def new():
    return _edit(None)


@bp.route("/credito/productos/<int:product_id>/editar", methods=["GET", "POST"])
@role_required(Role.LENDER)
def edit(product_id: int):
    _lender_or_403()
    return _edit(load_or_404(CreditProduct, product_id, can_manage))


def _switch(product_id: int, active: bool):
    _lender_or_403()
    product = load_or_404(CreditProduct, product_id, can_manage)
    try:
        services.set_active(current_user, product, active)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Producto activado.") if active else _("Producto desactivado."), "success")
    return redirect(url_for("credit.products"))


@bp.route("/credito/productos/<int:product_id>/activar", methods=["POST"])
@role_required(Role.LENDER)
def activate(product_id: int):
    return _switch(product_id, True)


@bp.route("/credito/productos/<int:product_id>/desactivar", methods=["POST"])
@role_required(Role.LENDER)
def deactivate(product_id: int):
    return _switch(product_id, False)
