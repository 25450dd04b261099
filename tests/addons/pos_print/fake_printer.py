"""A fake ESC/POS network printer on 127.0.0.1: records what it receives, answers real-time status
(``DLE EOT n``) like an Epson TM, and can drop the connection after N bytes (a printer switched off in the
middle of a receipt) or stay silent (a printer that takes the bytes but never confirms)."""
from __future__ import annotations

import socket
import threading

DLE_EOT = b"\x10\x04"
ONLINE = b"\x16"        # bit 3 clear: online (Escpos.is_online)
PAPER_OK = b"\x12"      # paper adequate (Escpos.paper_status == 2)
PAPER_LOW = b"\x1e"


class FakePrinter:
    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []     # one entry per connection
        self.drop_after: int | None = None  # close the connection after this many bytes
        self.silent = False                 # never answer a status query
        self.paper = PAPER_OK
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def reset(self):
        self.received.clear()
        self.drop_after, self.silent, self.paper = None, False, PAPER_OK

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self._handle(conn)

    def _handle(self, conn):
        data = bytearray()
        self.received.append(b"")
        conn.settimeout(5)
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                if self.drop_after is not None and len(data) + len(chunk) >= self.drop_after:
                    data += chunk[:self.drop_after - len(data)]
                    self.received[-1] = bytes(data)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    break
                data += chunk
                self.received[-1] = bytes(data)
                if data[-3:-1] == DLE_EOT and not self.silent:
                    conn.sendall(ONLINE if data[-1] == 1 else self.paper)
        except OSError:
            pass
        finally:
            conn.close()

    def content(self, index: int = -1) -> bytes:
        """What a connection received, without the status queries that followed the job."""
        data = self.received[index]
        while data[-3:-1] == DLE_EOT:
            data = data[:-3]
        return data

    def close(self):
        self._stop = True
        self.server.close()
