"""Processes and schema: ``run`` (embedded default), ``web``, ``worker``, ``scheduler``, ``migrate``, ``demo``.

``run`` is the one-command embedded set-up: it migrates, optionally seeds the
demo, starts the in-process job worker and serves the app. The production
processes (``web``, ``worker``, ``scheduler``) never migrate on their own: many
of them start at once on many hosts, so each refuses to start while revisions
are pending and names the command that applies them.
"""
from __future__ import annotations

import logging

import click

from .cli import CliError, emit, json_option, pass_context


def _migrate(runtime) -> list[str]:
    from .addons.migrate import install_all
    return install_all(runtime)


@click.command()
@json_option
@pass_context
def migrate(cli_ctx):
    """Apply every pending revision (all branches) and record installed addons."""
    applied = _migrate(cli_ctx.runtime)
    if cli_ctx.as_json:
        emit({"applied": applied}, True)
    elif applied:
        click.echo(f"applied {len(applied)} revision(s):")
        for line in applied:
            click.echo(f"  {line}")
    else:
        click.echo("the database is up to date")


def _print_login(result):
    if result.get("password"):
        click.echo(f"admin login: {result['email']}  password: {result['password']}")
    else:
        click.echo(f"admin login: {result['email']} (password set when the demo was first created; "
                   f"set a new one with 'python manage.py user password {result['email']}')")


@click.command()
@click.option("--business", "slug", default="demo", show_default=True, help="Slug of the demo business.")
@json_option
@pass_context
def demo(cli_ctx, slug):
    """Create (or top up) the demo business, its admin user and demo data of every addon."""
    from .demo import seed_demo
    result = seed_demo(cli_ctx.runtime, slug=slug)
    if cli_ctx.as_json:
        emit(result, True)
    else:
        click.echo(f"demo business {result['business']} ({', '.join(result['addons']) or 'no addons'})")
        for other in result["businesses"][1:]:
            click.echo(f"demo business {other} (seeded by its addon's demo_business)")
        _print_login(result)


def served_base_url(host: str, port: int) -> str:
    """The address ``run`` serves on, as a link a browser on this machine can open: a wildcard
    bind (0.0.0.0, ::) is reached through the loopback address, an IPv6 host needs brackets."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


@click.command()
@click.option("--demo", "with_demo", is_flag=True, help="Seed the demo business (idempotent).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=2, show_default=True, type=int, help="In-process job worker threads.")
@pass_context
def run(cli_ctx, with_demo, host, port, threads):
    """Embedded default: migrate, (seed the demo,) run jobs in-process and serve the app.

    Links in mail (e.g. an invoice's confirmation link) point at the host and port served here,
    unless TESSERA_BASE_URL (or base_url in config/*.toml) says otherwise.
    """
    from .config import load_config
    if cli_ctx._runtime is None and "BASE_URL" not in load_config(cli_ctx.overrides).explicit:
        cli_ctx.overrides["BASE_URL"] = served_base_url(host, port)
    runtime = cli_ctx.runtime
    applied = _migrate(runtime)
    if applied:
        click.echo(f"migrated: {len(applied)} revision(s) applied")
    if with_demo:
        from .demo import seed_demo
        result = seed_demo(runtime)
        click.echo(f"demo business: {', '.join(result['businesses'])}")
        _print_login(result)
    from .jobs_broker import start_embedded_worker
    worker = start_embedded_worker(runtime, threads=threads)
    from .app import create_app
    app = create_app(runtime=runtime)
    click.echo(f"Tessera on {served_base_url(host, port)}/  (Ctrl+C stops; links in mail: "
               f"{runtime.config['BASE_URL']})")
    from werkzeug.serving import run_simple
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop = getattr(worker, "stop", None)
        if callable(stop):
            stop()


def _ready_runtime(cli_ctx):
    """The loaded runtime of a production process, refused while migrations are pending."""
    from .addons.migrate import assert_migrated
    from .rls import unfenced_warning
    runtime = cli_ctx.runtime
    assert_migrated(runtime)
    warning = unfenced_warning(runtime.db.engine)
    if warning:
        logging.getLogger(__name__).warning(warning)
    return runtime


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker.")
@pass_context
def web(cli_ctx, host, port, workers, threads):
    """Serve the app with gunicorn (production)."""
    _ready_runtime(cli_ctx)
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise CliError("gunicorn is not installed; pip install -e . (it is a dependency)") from None
    overrides = dict(cli_ctx.overrides)

    class TesseraWeb(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")

        def load(self):
            from .app import create_app
            return create_app(overrides)

    TesseraWeb().run()


@click.command()
@click.option("--threads", default=8, show_default=True, type=int)
@pass_context
def worker(cli_ctx, threads):
    """Run a job worker (dramatiq) on the configured broker."""
    runtime = _ready_runtime(cli_ctx)
    from .jobs_broker import run_worker
    run_worker(runtime, threads=threads)


@click.command()
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
@pass_context
def scheduler(cli_ctx, once):
    """Fire addon schedules (each tick once per business, safe with many schedulers)."""
    runtime = _ready_runtime(cli_ctx)
    from .scheduler import run_scheduler
    fired = run_scheduler(runtime, once=once)
    if once:
        click.echo(f"fired {len(fired or [])} schedule(s)")


COMMANDS = (migrate, demo, run, web, worker, scheduler)  # attached to the root group by core.cli_main
