"""Printers of a business: checked when saved, turned into a connection and a byte target when used."""
from __future__ import annotations

from sqlalchemy import select

from core.errors import FieldErrors, NotFound, UserError
from core.i18n import _
from core.numbers import parse_int
from core.text import clean_text

from .. import devices, paper, writer
from ..models import KINDS, PAPER_WIDTHS, Printer
from .context import row_id, settings, spool_dir

FIELDS = ("name", "kind", "host", "port", "usb_vendor", "usb_product", "serial_device", "baudrate", "file_name",
          "profile", "paper_width", "code_page", "has_cutter", "has_drawer", "drawer_pin", "active")


def validate_printer(printer: Printer) -> None:
    """Every problem of a printer at once, each naming its field."""
    problems = []
    printer.name = (printer.name or "").strip()
    if not printer.name:
        problems.append(_("name: required"))
    if printer.kind not in KINDS:
        problems.append(_("kind: must be one of %(kinds)s", kinds=", ".join(KINDS)))
    if printer.kind == "network":
        if not (printer.host or "").strip():
            problems.append(_("host: required for a network printer"))
        printer.port = printer.port or 9100
        if not 0 < printer.port < 65536:
            problems.append(_("port: must be between 1 and 65535"))
    if printer.kind == "usb":
        for key in ("usb_vendor", "usb_product"):
            value = (getattr(printer, key) or "").strip().lower()
            try:
                if not 0 < int(value, 16) <= 0xFFFF:
                    raise ValueError
            except ValueError:
                problems.append(_("%(field)s: a hexadecimal USB id such as 04b8", field=key))
            setattr(printer, key, value)
    if printer.kind == "serial" and not (printer.serial_device or "").strip():
        problems.append(_("serial_device: required for a serial printer (e.g. /dev/ttyUSB0)"))
    if printer.kind == "file":
        if not printer.file_name or not devices.FILE_NAME.match(printer.file_name):
            problems.append(_("file_name: letters, digits, dot, dash and underscore only (no folders)"))
    printer.profile = (printer.profile or "default").strip()
    try:
        paper.profile_data(printer.profile)
    except ValueError:
        problems.append(_("profile: unknown printer profile %(name)r", name=printer.profile))
    else:
        if printer.code_page and printer.code_page != "auto" and printer.code_page not in paper.code_pages(
                printer.profile):
            problems.append(_("code_page: %(page)s is not a code page of profile %(profile)s",
                              page=printer.code_page, profile=printer.profile))
    if printer.paper_width not in PAPER_WIDTHS:
        problems.append(_("paper_width: must be 58 or 80 (mm)"))
    if printer.drawer_pin not in (2, 5):
        problems.append(_("drawer_pin: must be 2 or 5"))
    printer.code_page = printer.code_page or "auto"
    for key in ("host", "serial_device", "file_name"):
        value = getattr(printer, key)
        if value is not None:
            setattr(printer, key, clean_text(value, field=key))
    if problems:
        raise FieldErrors(problems)


def _clean_values(values: dict) -> dict:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise UserError(_("unknown printer fields: %(fields)s", fields=", ".join(sorted(unknown))))
    clean = dict(values)
    for key in ("port", "baudrate", "paper_width", "drawer_pin"):     # forms send text
        if isinstance(clean.get(key), str):
            clean[key] = parse_int(clean[key], field=key) if clean[key].strip() else None
    for key in ("host", "usb_vendor", "usb_product", "serial_device", "file_name", "code_page", "profile"):
        if isinstance(clean.get(key), str):
            clean[key] = clean[key].strip() or None
    return clean


def update_printer(session, printer_id: int, **values) -> Printer:
    printer = get_printer(session, printer_id)
    for key, value in _clean_values(values).items():
        setattr(printer, key, value)
    validate_printer(printer)
    if session.scalar(select(Printer.id).where(Printer.name == printer.name, Printer.id != printer.id)):
        raise UserError(_("name: a printer named %(name)s already exists", name=printer.name))
    session.flush()
    return printer


def create_printer(session, **values) -> Printer:
    values = {k: v for k, v in _clean_values(values).items() if v is not None}
    values.setdefault("kind", "network")
    values.setdefault("profile", "default")
    values.setdefault("paper_width", 80)
    values.setdefault("code_page", "auto")
    values.setdefault("drawer_pin", 2)
    values.setdefault("has_cutter", True)
    values.setdefault("has_drawer", False)
    values.setdefault("active", True)
    printer = Printer(**values)
    validate_printer(printer)
    if session.scalar(select(Printer.id).where(Printer.name == printer.name)):
        raise UserError(_("name: a printer named %(name)s already exists", name=printer.name))
    session.add(printer)
    session.flush()
    return printer


def list_printers(session) -> list[Printer]:
    return list(session.scalars(select(Printer).order_by(Printer.name)))


def get_printer(session, printer_id: int) -> Printer:
    printer = session.get(Printer, row_id(printer_id) or 0)
    if printer is None:
        raise NotFound(_("no printer #%(id)s", id=printer_id))
    return printer


def find_printer(session, name: str | None) -> Printer | None:
    """The printer named ``name``; without a name the ``default_printer`` setting's, else None."""
    wanted = (name or "").strip() or (settings(session).get("default_printer") or "").strip()
    if not wanted:
        return None
    printer = session.scalar(select(Printer).where(Printer.name == wanted))
    if printer is None:
        raise NotFound(_("printer: no printer named %(name)s", name=wanted), cli_hint="see: pos_print printers")
    if not printer.active:
        raise UserError(_("printer: %(name)s is switched off (not active)", name=wanted))
    return printer


def connection(session, printer: Printer) -> devices.Connection:
    return devices.Connection(kind=printer.kind, host=printer.host, port=printer.port, usb_vendor=printer.usb_vendor,
                              usb_product=printer.usb_product, serial_device=printer.serial_device,
                              baudrate=printer.baudrate, file_name=printer.file_name, profile=printer.profile,
                              spool_dir=spool_dir(session))


def target(printer: Printer | None, language: str, *, cash: bool = False) -> writer.Target:
    """The bytes' target for a receipt in ``language``: without a printer, an 80 mm default-profile one."""
    profile = printer.profile if printer else "default"
    page, number = paper.choose_code_page(profile, language, printer.code_page if printer else "auto")
    return writer.Target(profile, paper.geometry(printer.paper_width if printer else 80, profile), page, number,
                         cutter=printer.has_cutter if printer else True,
                         drawer_pin=printer.drawer_pin if printer and printer.has_drawer and cash else None)
