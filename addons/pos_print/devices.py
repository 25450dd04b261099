"""Reaching a printer: python-escpos' Network, Usb, Serial and File printers, plus a delivery check.

python-escpos' ``Network`` printer writes with ``socket.sendall`` and returns: a
printer switched off, or a connection dropped in the middle of a receipt, loses
the print without an error, because the bytes only reached the kernel's buffer.
So after the last byte ``deliver`` asks the printer for its real-time status
(``DLE EOT 1``, ``Escpos.is_online``) and counts the receipt as printed only when
the printer answers that it is online; no answer, a closed connection or an
offline answer is a failure with its reason. A file printer (a spooler's folder)
has no status: it is printed once the file is written and closed.

File printers write only inside ``<instance>/pos_print_spool/``: the name is a
plain file name, so a printer setting cannot make the app write anywhere else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CHUNK = 4096
TIMEOUT_SECONDS = 10
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class PrintFailed(Exception):
    """The printer did not take the bytes; ``bytes_sent`` says how far it got."""

    def __init__(self, reason: str, bytes_sent: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.bytes_sent = bytes_sent


@dataclass(frozen=True)
class Connection:
    """How to reach one printer (copied from its row, so no session is held while printing)."""
    kind: str
    host: str | None = None
    port: int | None = None
    usb_vendor: str | None = None
    usb_product: str | None = None
    serial_device: str | None = None
    baudrate: int | None = None
    file_name: str | None = None
    profile: str = "default"
    spool_dir: str = ""
    timeout: float = TIMEOUT_SECONDS

    @property
    def has_status(self) -> bool:
        return self.kind in ("network", "usb", "serial")


def spool_path(spool_dir: str, file_name: str) -> Path:
    if not file_name or not FILE_NAME.match(file_name):
        raise ValueError("file name: letters, digits, dot, dash and underscore only (no folders)")
    folder = Path(spool_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / file_name


DRIVERS = {"usb": ("usb", "pyusb"), "serial": ("serial", "pyserial")}


def _open(conn: Connection):
    """An opened python-escpos printer for ``conn`` (its errors become ``PrintFailed``)."""
    import importlib.util
    from escpos import printer as escpos_printer
    if conn.kind in DRIVERS and importlib.util.find_spec(DRIVERS[conn.kind][0]) is None:
        raise PrintFailed(f"{conn.kind} printers need the {DRIVERS[conn.kind][1]} package on the worker "
                          "(pip install -e '.[printers]')")
    try:
        if conn.kind == "network":
            device = escpos_printer.Network(conn.host, port=conn.port or 9100, timeout=conn.timeout,
                                            profile=conn.profile)
        elif conn.kind == "usb":
            device = escpos_printer.Usb(int(conn.usb_vendor or "0", 16), int(conn.usb_product or "0", 16),
                                        timeout=int(conn.timeout * 1000), profile=conn.profile)
        elif conn.kind == "serial":
            device = escpos_printer.Serial(conn.serial_device, baudrate=conn.baudrate or 9600,
                                           timeout=conn.timeout, profile=conn.profile)
        elif conn.kind == "file":
            device = escpos_printer.File(str(spool_path(conn.spool_dir, conn.file_name)), profile=conn.profile)
        else:
            raise PrintFailed(f"unknown printer kind {conn.kind!r}")
        device.open()
        if not device.device:
            raise PrintFailed("the printer cannot be reached")
        return device
    except PrintFailed:
        raise
    except Exception as exc:  # DeviceNotFoundError, USBNotFoundError, OSError, missing pyusb / pyserial
        raise PrintFailed(f"cannot open the printer: {type(exc).__name__}: {exc}".strip()) from None


def _close(device) -> None:
    try:
        device.close()
    except Exception:  # closing a broken connection must not hide what broke it
        pass


def deliver(conn: Connection, content: bytes) -> int:
    """Send ``content`` once and make sure the printer took it; the number of bytes sent, or ``PrintFailed``."""
    device = _open(conn)
    sent = 0
    try:
        try:
            for start in range(0, len(content), CHUNK):
                piece = content[start:start + CHUNK]
                device._raw(piece)
                sent += len(piece)
            if conn.kind == "file":
                device.flush()
        except Exception as exc:
            raise PrintFailed(f"connection lost after {sent} of {len(content)} bytes: {exc}", sent) from None
        if conn.has_status:
            try:
                online = device.is_online()
            except Exception as exc:
                raise PrintFailed(f"the printer did not confirm the print ({exc}); it may not have printed",
                                  sent) from None
            if not online:
                raise PrintFailed("the printer did not confirm the print (no answer or offline after "
                                  f"{sent} bytes); it may not have printed", sent)
        return sent
    finally:
        _close(device)


def read_status(conn: Connection) -> tuple[str, str]:
    """(online | offline | unknown, ok | low | out | unknown) as the printer reports them."""
    if not conn.has_status:
        device = _open(conn)       # a spool folder: reachable means usable
        _close(device)
        return "unknown", "unknown"
    try:
        device = _open(conn)
    except PrintFailed:
        return "offline", "unknown"
    try:
        online = device.is_online()
        paper = {2: "ok", 1: "low", 0: "out"}.get(device.paper_status(), "unknown") if online else "unknown"
        return ("online" if online else "offline"), paper
    except Exception:  # a dropped connection while asking: the printer is not usable
        return "offline", "unknown"
    finally:
        _close(device)
