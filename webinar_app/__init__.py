"""The application factory.

Its imports of the features sit inside the functions that use them, on purpose: importing any
module of the package (`webinar_app.models` in a migration, say) runs this file first, and must
not load every feature; they load when `create_app` builds an app. This module is the top
layer of `.importlinter`: nothing in the package imports it but the Celery worker.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build the application for the given configuration class."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=False)
    app.config.from_object(config_class)
    check = getattr(config_class, "check", None)
    if check:
        check()
    _prepare_instance(app)
    _register_extensions(app)
    _register_public_cache(app)
    _register_url_converters(app)
    _register_blueprints(app)
    _register_templating(app)
    _register_errors(app)
    _register_cli(app)
    _register_security_headers(app)
    _trust_proxies(app)
    _start_background_work(app)
    return app


def _prepare_instance(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _register_extensions(app: Flask) -> None:
    # reason: features load when an app is built (see the docstring)
    from webinar_app import models  # noqa: F401  (register every table)
    from webinar_app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from webinar_app.i18n import forget_locale, select_locale
    from webinar_app.models.base import render_migration_item

    db.init_app(app)
    _tune_sqlite(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(forget_locale)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    # reason: features load when an app is built (see the docstring)
    from webinar_app.auth.services import load_user

    login_manager.user_loader(load_user)


def _tune_sqlite(app: Flask) -> None:
    """WAL with synchronous=NORMAL, a busy timeout and foreign keys on every SQLite connection.

    synchronous=NORMAL in WAL mode fsyncs at checkpoints, not at every commit: a commit survives
    a crash of the process; a power loss can lose the last few commits. The outbox relies on
    that being safe: its "sent" marks are committed one per message, and losing the last ones
    can only send those emails again, never lose one.
    """
    # reason: features load when an app is built (see the docstring)
    from webinar_app.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in str(engine.url) and engine.url.database:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def _register_public_cache(app: Flask) -> None:
    """The public page cache, the flush hook that keeps it fresh, and `private, no-store` on
    every personal, organiser or session answer (core.public_cache)."""
    # reason: features load when an app is built (see the docstring)
    from webinar_app.core import public_cache

    public_cache.init_app(app)
    app.after_request(public_cache.keep_private)


def _register_url_converters(app: Flask) -> None:
    """Numbers, words and queries in URLs that the database cannot hold: 404 or 400 (core.urls)."""
    # reason: features load when an app is built (see the docstring)
    from webinar_app.core.urls import URL_CONVERTERS, refuse_nul_in_query

    app.url_map.converters.update(URL_CONVERTERS)
    app.before_request(refuse_nul_in_query)


def _register_blueprints(app: Flask) -> None:
    # reason: features load when an app is built (see the docstring)
    from webinar_app.admin.routes import bp as admin_bp
    from webinar_app.api.routes import bp as api_bp
    from webinar_app.attendance.routes import bp as attendance_bp
    from webinar_app.audit.routes import bp as audit_bp
    from webinar_app.auth.routes import bp as auth_bp
    from webinar_app.certificates.routes import bp as certificates_bp
    from webinar_app.editions.routes import bp as editions_bp
    from webinar_app.feeds.routes import bp as feeds_bp
    from webinar_app.followups.routes import bp as followups_bp
    from webinar_app.good_practices.routes import bp as good_practices_bp
    from webinar_app.invitations.routes import bp as invitations_bp
    from webinar_app.invitations.routes import public_bp as unsubscribe_bp
    from webinar_app.me.routes import bp as me_bp
    from webinar_app.outbox.routes import bp as outbox_bp
    from webinar_app.public.routes import bp as public_bp
    from webinar_app.reader.routes import bp as reader_bp
    from webinar_app.reader.routes import public_bp as reader_public_bp
    from webinar_app.recordings.routes import bp as recordings_bp
    from webinar_app.registration.routes import bp as registration_bp
    from webinar_app.registrations_admin.routes import bp as registrations_admin_bp
    from webinar_app.reminders.routes import bp as reminders_bp
    from webinar_app.reports.routes import bp as reports_bp
    from webinar_app.summaries.routes import bp as summaries_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(me_bp, url_prefix="/me")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(outbox_bp, url_prefix="/admin/outbox")
    app.register_blueprint(registrations_admin_bp, url_prefix="/admin/series")
    app.register_blueprint(summaries_bp)
    app.register_blueprint(good_practices_bp)
    app.register_blueprint(attendance_bp, url_prefix="/admin/series")
    app.register_blueprint(reports_bp, url_prefix="/admin/series")
    app.register_blueprint(reader_bp, url_prefix="/admin/series")
    app.register_blueprint(reader_public_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(invitations_bp, url_prefix="/admin/series")
    app.register_blueprint(unsubscribe_bp)
    app.register_blueprint(followups_bp, url_prefix="/admin/series")
    app.register_blueprint(editions_bp, url_prefix="/admin/series")
    app.register_blueprint(audit_bp, url_prefix="/admin")
    app.register_blueprint(reminders_bp, url_prefix="/admin/series")
    app.register_blueprint(recordings_bp, url_prefix="/admin/series")


def _register_templating(app: Flask) -> None:
    # reason: features load when an app is built (see the docstring)
    from webinar_app.templating import init_templating

    init_templating(app)


def _register_errors(app: Flask) -> None:
    # reason: features load when an app is built (see the docstring)
    from webinar_app.errors import init_errors

    init_errors(app)


def _register_cli(app: Flask) -> None:
    # reason: features load when an app is built (see the docstring)
    from webinar_app.cli import init_cli

    init_cli(app)


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("HSTS_SECONDS"):
            response.headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains",
            )
        return response


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_FIX_HOPS proxies, take the client address, scheme and host from them."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _start_background_work(app: Flask) -> None:
    # reason: features load when an app is built (see the docstring)
    from webinar_app.privacy.jobs import DailyPurge
    from webinar_app.tasks import init_celery

    # The delivery thread (make run) calls the hooks; personal data past retention, once a day.
    app.extensions.setdefault("background_hooks", []).append(DailyPurge().run_if_due)
    if init_celery(app):  # REDIS_URL: Celery workers deliver; no thread in the web process
        return
    if app.config.get("MAIL_BACKGROUND_DELIVERY") and not app.config.get("TESTING"):
        # reason: features load when an app is built (see the docstring)
        from webinar_app.outbox.background import start_delivery_thread

        start_delivery_thread(app)
