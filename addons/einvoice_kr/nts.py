"""The NTS business registration API on data.go.kr (국세청_사업자등록정보 진위확인 및 상태조회 서비스).

Documented at https://www.data.go.kr/data/15081808/openapi.do (swagger "nts-businessman v1"):

* ``POST {base}/status?serviceKey=KEY`` with ``{"b_no": ["1234567890", ...]}`` (at most 100) →
  ``{"status_code": "OK", "request_cnt", "match_cnt", "data": [{"b_no", "b_stt", "b_stt_cd",
  "tax_type", "tax_type_cd", "end_dt", ...}]}``; ``b_stt_cd`` 01 계속사업자 (active), 02 휴업자
  (suspended), 03 폐업자 (closed); an unregistered number has an empty ``b_stt_cd`` and
  ``tax_type`` "국세청에 등록되지 않은 사업자등록번호입니다.".
* ``POST {base}/validate?serviceKey=KEY`` with ``{"businesses": [{"b_no", "start_dt" (YYYYMMDD),
  "p_nm" (representative), ...}]}`` → ``data: [{"b_no", "valid": "01"|"02", "valid_msg", "status": {...}}]``.

More than 100 numbers is the API's "TOO_LARGE_REQUEST" (HTTP 413): ``status`` splits
larger lists into calls of 100.
"""
from __future__ import annotations

from datetime import date

from core.errors import UserError

BATCH = 100
STATUS_CODES = {"01": "active", "02": "suspended", "03": "closed"}


class NtsClient:
    def __init__(self, *, base_url: str, service_key: str, timeout: float = 10.0):
        if not service_key:
            raise UserError("nts_api_key: the data.go.kr service key is not set (einvoice_kr settings)")
        self.base_url, self.service_key, self.timeout = base_url.rstrip("/"), service_key, timeout

    def _post(self, path: str, payload: dict) -> dict:
        import requests
        try:
            response = requests.post(f"{self.base_url}/{path}", params={"serviceKey": self.service_key},
                                     json=payload, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise UserError(f"the NTS business status service did not answer ({exc.__class__.__name__})") from exc
        if response.status_code != 200:
            raise UserError(f"the NTS business status service answered HTTP {response.status_code}: "
                            f"{response.text[:200]}")
        data = response.json()
        if data.get("status_code") not in (None, "OK"):
            raise UserError(f"the NTS business status service answered {data.get('status_code')}")
        return data

    def status(self, numbers: list[str]) -> dict[str, dict]:
        """number -> {"status", "tax_type", "closed_on"} for every number, in calls of 100."""
        found: dict[str, dict] = {}
        for start in range(0, len(numbers), BATCH):
            chunk = numbers[start:start + BATCH]
            for item in self._post("status", {"b_no": chunk}).get("data", []):
                found[item["b_no"]] = _status_of(item)
        return found

    def validate(self, number: str, start_date: date, representative: str) -> tuple[bool, dict]:
        payload = {"businesses": [{"b_no": number, "start_dt": start_date.strftime("%Y%m%d"),
                                   "p_nm": representative}]}
        item = (self._post("validate", payload).get("data") or [{}])[0]
        return item.get("valid") == "01", _status_of(item.get("status") or {"b_no": number})


def _status_of(item: dict) -> dict:
    end = str(item.get("end_dt") or "")
    closed_on = date(int(end[:4]), int(end[4:6]), int(end[6:8])) if len(end) == 8 and end.isdigit() else None
    return {"status": STATUS_CODES.get(item.get("b_stt_cd") or "", "unknown"),
            "tax_type": str(item.get("tax_type") or ""), "closed_on": closed_on}
