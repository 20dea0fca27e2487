"""Minka: the Flask application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace import config as settings
from marketplace.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app: bind extensions, register blueprints, CLI, errors and template helpers."""
    cfg = settings.load(config)
    app = Flask(
        __name__,
        template_folder=str(settings.ROOT / "templates"),
        instance_path=cfg["MINKA_INSTANCE_PATH"],
    )
    app.config.update(cfg)
    _trust_proxies(app)

    from marketplace import assets, i18n, web
    from marketplace.payments import gateway as payment_gateway
    from marketplace.sms import outbox as sms_outbox

    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    _register_blueprints(app)
    web.init_app(
        app, form_origins=payment_gateway.redirect_origins, configured=_configured_services
    )
    i18n.init_app(app)
    assets.init_app(app)
    sms_outbox.init_app(app)

    from marketplace.cli import register_cli

    register_cli(app)
    return app


def _configured_services() -> frozenset[str]:
    """The outside services configured now, as the menu names them (NavItem.needs)."""
    from marketplace.sms import provider as sms_provider

    return frozenset({"sms"}) if sms_provider.configured() else frozenset()


def _trust_proxies(app: Flask) -> None:
    """Behind MINKA_TRUSTED_PROXIES proxies, read the client's address, scheme and host from
    their X-Forwarded-* headers (external URLs come out https, rate limits count the real
    client); with none, those headers are ignored."""
    hops = int(app.config.get("MINKA_TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _register_blueprints(app: Flask) -> None:
    from marketplace.admin.blueprint import bp as admin_bp
    from marketplace.api.blueprint import bp as api_bp
    from marketplace.auth.blueprint import bp as auth_bp
    from marketplace.catalog.blueprint import bp as catalog_bp
    from marketplace.centers.blueprint import bp as centers_bp
    from marketplace.commitments.blueprint import bp as commitments_bp
    from marketplace.credit.blueprint import bp as credit_bp
    from marketplace.fieldwork.blueprint import bp as fieldwork_bp
    from marketplace.gazetteer.views import bp as gazetteer_bp
    from marketplace.main.blueprint import bp as main_bp
    from marketplace.notifications.blueprint import bp as notifications_bp
    from marketplace.orders.blueprint import bp as orders_bp
    from marketplace.organizations.blueprint import bp as organizations_bp
    from marketplace.payments.blueprint import bp as payments_bp
    from marketplace.privacy.blueprint import bp as privacy_bp
    from marketplace.producers.blueprint import bp as producers_bp
    from marketplace.sms.blueprint import bp as sms_bp
    from marketplace.traceability.blueprint import bp as traceability_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(producers_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(gazetteer_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(commitments_bp)
    app.register_blueprint(credit_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(centers_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(traceability_bp)
    app.register_blueprint(fieldwork_bp)
    app.register_blueprint(sms_bp)
