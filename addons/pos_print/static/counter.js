/* The counter screen: a scanner types a barcode or SKU and Enter into the scan field; the line is added (or
   its quantity raised). Enter in a payment field pays. The find box submits on Enter by itself. The server
   computes every amount again; the figures here are only a guide for the clerk (before tax). */
(function () {
  "use strict";
  var form = document.getElementById("counter-form");
  if (!form) { return; }
  var scan = document.getElementById("counter-scan");
  var body = document.querySelector("#counter-lines tbody");
  var hint = document.getElementById("counter-hint");
  var decimals = parseInt(form.dataset.decimals || "0", 10);
  var fmt = new Intl.NumberFormat(document.documentElement.lang || "en",
                                  {style: "currency", currency: form.dataset.currency,
                                   minimumFractionDigits: decimals, maximumFractionDigits: decimals});

  function number(text) { var n = parseFloat(String(text || "").replace(",", ".")); return isNaN(n) ? 0 : n; }

  function refresh() {
    var total = 0;
    body.querySelectorAll("tr.counter-line").forEach(function (row) {
      var price = number(row.dataset.price), qty = number(row.querySelector("[name=line_qty]").value);
      if (row.dataset.price) {
        row.querySelector(".line-price").textContent = fmt.format(price);
        row.querySelector(".line-amount").textContent = fmt.format(price * qty);
      }
      total += price * qty;
    });
    document.getElementById("counter-subtotal").textContent = fmt.format(total);
  }

  function rowFor(sku) {
    var found = null;
    body.querySelectorAll("[name=line_sku]").forEach(function (input) {
      if (input.value === sku) { found = input.closest("tr"); }
    });
    return found;
  }

  function addLine(item) {
    var row = rowFor(item.sku);
    if (row) {
      var qty = row.querySelector("[name=line_qty]");
      qty.value = String(number(qty.value) + 1);
    } else {
      row = document.getElementById("counter-line-template").content.firstElementChild.cloneNode(true);
      row.querySelector("[name=line_sku]").value = item.sku;
      row.querySelector(".line-name").textContent = item.name;
      row.dataset.price = item.price;
      body.appendChild(row);
    }
    refresh();
  }

  scan.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    var text = scan.value.trim();
    if (!text) { return; }
    fetch(form.dataset.lookupUrl + "?" + new URLSearchParams({q: text}).toString(),
          {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var exact = data.results.filter(function (r) { return r.exact; });
        var pick = exact[0] || (data.results.length === 1 ? data.results[0] : null);
        if (pick) {
          addLine(pick);
          hint.textContent = "";
          scan.value = "";
        } else {
          hint.textContent = form.dataset.msgNoMatch.replace("%(text)s", text);
        }
        scan.focus();
      });
  });

  body.addEventListener("input", refresh);
  body.addEventListener("click", function (event) {
    if (event.target.classList.contains("line-remove")) {
      event.target.closest("tr").remove();
      refresh();
      scan.focus();
    }
  });
  ["counter-cash", "counter-card", "counter-bank"].forEach(function (id) {
    document.getElementById(id).addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); form.requestSubmit(); }
    });
  });
  refresh();
}());
