"""A fake NTS business status API (data.go.kr nts-businessman v1) on 127.0.0.1.

``POST /status?serviceKey=`` and ``POST /validate?serviceKey=``; more than 100 numbers is
HTTP 413 TOO_LARGE_REQUEST; a wrong key is 401. ``registry`` maps a number to its
(b_stt_cd, tax_type, end_dt); a number not in it is "not registered".
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

KEY = "test-service-key=="
STT = {"01": "계속사업자", "02": "휴업자", "03": "폐업자"}


class FakeNts:
    def __init__(self):
        self.registry: dict[str, tuple[str, str, str]] = {}
        self.calls: list[tuple[str, int]] = []
        self.owners: dict[str, tuple[str, str]] = {}   # number -> (start_dt, p_nm)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, payload):
                body = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                url = urlparse(self.path)
                if parse_qs(url.query).get("serviceKey", [""])[0] != KEY:
                    return self._answer(401, {"status_code": "UNAUTHORIZED"})
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if url.path.endswith("/status"):
                    numbers = data.get("b_no") or []
                    fake.calls.append(("status", len(numbers)))
                    if len(numbers) > 100:
                        return self._answer(413, {"status_code": "TOO_LARGE_REQUEST"})
                    rows = [fake.status(n) for n in numbers]
                    return self._answer(200, {"status_code": "OK", "request_cnt": len(numbers),
                                              "match_cnt": sum(1 for r in rows if r["b_stt_cd"]), "data": rows})
                if url.path.endswith("/validate"):
                    items = data.get("businesses") or []
                    fake.calls.append(("validate", len(items)))
                    out = []
                    for item in items:
                        owner = fake.owners.get(item["b_no"])
                        valid = owner == (item.get("start_dt"), item.get("p_nm"))
                        out.append({"b_no": item["b_no"], "valid": "01" if valid else "02",
                                    "valid_msg": "" if valid else "확인할 수 없습니다.", "request_param": item,
                                    "status": fake.status(item["b_no"]) if valid else None})
                    return self._answer(200, {"status_code": "OK", "request_cnt": len(items),
                                              "valid_cnt": sum(1 for o in out if o["valid"] == "01"), "data": out})
                return self._answer(404, {"status_code": "NOT_FOUND"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def status(self, number):
        if number not in self.registry:
            return {"b_no": number, "b_stt": "", "b_stt_cd": "", "tax_type": "국세청에 등록되지 않은 사업자등록번호입니다.",
                    "tax_type_cd": "", "end_dt": "", "utcc_yn": "", "tax_type_change_dt": "", "invoice_apply_dt": ""}
        code, tax_type, end = self.registry[number]
        return {"b_no": number, "b_stt": STT[code], "b_stt_cd": code, "tax_type": tax_type, "tax_type_cd": "01",
                "end_dt": end, "utcc_yn": "N", "tax_type_change_dt": "", "invoice_apply_dt": ""}

    def close(self):
        self.server.shutdown()
        self.server.server_close()
