/* The New order screen (templates/sales/order_entry.html).
 *
 * A barcode scanner is a keyboard that types the code and presses Enter: Enter in
 * the scan field looks the text up and adds the line, or adds one to its quantity
 * when the SKU is already on the order. Totals follow every change, rounded per
 * line like addons/sales/totals.py and shown in the currency's format (KRW and VND
 * without decimals); they are a preview: the server re-computes on save and is the
 * truth. Loaded as a static file: no inline script, no on*= attributes (CSP).
 * Every text a user reads comes translated from the form's data-msg-* attributes.
 */
(function () {
  "use strict";

  var form = document.getElementById("order-entry");
  if (!form) { return; }
  var cfg = form.dataset;
  var decimals = parseInt(cfg.decimals, 10) || 0;
  var scale = Math.pow(10, decimals);
  var formatter = makeFormatter();
  var body = document.querySelector("#entry-lines tbody");
  var scan = document.getElementById("entry-scan");
  var suggestions = document.getElementById("entry-suggestions");
  var channel = document.getElementById("channel");
  var suggestTimer = null;
  var customerTimer = null;

  /* A translated message from the template with its %(name)s placeholders filled in. */
  function message(key, values) {
    var text = cfg[key] || "";
    Object.keys(values).forEach(function (name) { text = text.split("%(" + name + ")s").join(values[name]); });
    return text;
  }

  function makeFormatter() {
    var options = {style: "currency", currency: cfg.currency,
                   minimumFractionDigits: decimals, maximumFractionDigits: decimals};
    try { return new Intl.NumberFormat(cfg.locale || undefined, options); }
    catch (e) { return new Intl.NumberFormat("en", options); }
  }

  function money(value) { return formatter.format(value); }

  function number(text) {
    var value = parseFloat(String(text || "").trim());
    return isFinite(value) ? value : 0;
  }

  /* Half away from zero at the currency's minor unit, like ROUND_HALF_UP on the server. */
  function round(value) {
    var sign = value < 0 ? -1 : 1;
    return sign * Math.round(Math.abs(value) * scale + 1e-7) / scale;
  }

  function lineAmounts(row) {
    var qty = number(row.querySelector("[name=line_qty]").value);
    var price = number(row.querySelector("[name=line_price]").value || row.dataset.catalogPrice);
    var discount = number(row.querySelector("[name=line_discount]").value);
    var rate = number(row.dataset.taxRate);
    var gross = round(qty * price);
    var afterDiscount = round(qty * price * (100 - discount) / 100);
    var net, tax;
    if (form.querySelector("#prices_include_tax") && form.querySelector("#prices_include_tax").checked) {
      net = round(afterDiscount / (1 + rate));
      tax = round(afterDiscount - net);
    } else {
      net = afterDiscount;
      tax = round(net * rate);
    }
    return {discount: round(gross - afterDiscount), net: net, tax: tax, total: round(net + tax)};
  }

  function refresh() {
    var sums = {subtotal: 0, discount: 0, tax: 0};
    var rows = body.querySelectorAll("tr.entry-line");
    rows.forEach(function (row) {
      var a = lineAmounts(row);
      row.querySelector(".line-tax").textContent = money(a.tax);
      row.querySelector(".line-total").textContent = money(a.total);
      sums.subtotal += a.net;
      sums.discount += a.discount;
      sums.tax += a.tax;
    });
    var payer = form.querySelector("#shipping_paid_by");
    var shipping = payer && payer.value === "merchant" ? 0 : round(number(form.querySelector("#shipping_fee").value));
    show("total-subtotal", sums.subtotal);
    show("total-discount", sums.discount);
    show("total-tax", sums.tax);
    show("total-shipping", shipping);
    show("total-total", round(sums.subtotal + sums.tax + shipping));
    document.getElementById("entry-empty").hidden = rows.length > 0;
  }

  function show(id, value) { document.getElementById(id).textContent = money(round(value)); }

  function rowFor(sku) {
    var found = null;
    body.querySelectorAll("tr.entry-line").forEach(function (row) {
      if (row.querySelector("[name=line_sku]").value === sku) { found = row; }
    });
    return found;
  }

  /* Add a looked-up variant as a line, or one more of it when it is there already. */
  function addLine(item) {
    var row = rowFor(item.sku);
    if (row) {
      var qty = row.querySelector("[name=line_qty]");
      qty.value = String(number(qty.value) + 1);
    } else {
      row = document.getElementById("entry-line-template").content.firstElementChild.cloneNode(true);
      row.querySelector("[name=line_sku]").value = item.sku;
      row.querySelector(".line-name").textContent = item.name;
      row.querySelector("[name=line_price]").value = item.price;
      row.dataset.catalogPrice = item.price;
      row.dataset.taxRate = item.tax_rate || "";
      body.appendChild(row);
    }
    row.classList.add("table-success");
    window.setTimeout(function () { row.classList.remove("table-success"); }, 600);
    refresh();
  }

  function lookup(params) {
    var query = new URLSearchParams(params);
    if (channel) { query.set("channel", channel.value); }
    return fetch(cfg.lookupUrl + "?" + query.toString(), {credentials: "same-origin",
                                                          headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(message("msgLookupFailed", {status: response.status})); }
        return response.json();
      })
      .then(function (data) { return data.results; });
  }

  function clearSuggestions() {
    while (suggestions.firstChild) { suggestions.removeChild(suggestions.firstChild); }
  }

  function suggest(results, note) {
    clearSuggestions();
    if (note) {
      var empty = document.createElement("div");
      empty.className = "list-group-item list-group-item-warning small";
      empty.textContent = note;
      suggestions.appendChild(empty);
    }
    results.forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "list-group-item list-group-item-action py-1 small";
      button.textContent = item.sku + " · " + item.name + " · " + money(number(item.price));
      button.addEventListener("click", function () {
        addLine(item);
        clearSuggestions();
        scan.value = "";
        scan.focus();
      });
      suggestions.appendChild(button);
    });
  }

  function scanned() {
    var text = scan.value.trim();
    if (!text) { return; }
    window.clearTimeout(suggestTimer);
    lookup({q: text}).then(function (results) {
      var exact = results.filter(function (item) { return item.exact; });
      var pick = exact.length === 1 ? exact[0] : (results.length === 1 ? results[0] : null);
      if (pick) {
        addLine(pick);
        clearSuggestions();
        scan.value = "";
      } else {
        suggest(results, results.length ? null : message("msgNoMatch", {text: text}));
      }
    }).catch(function (error) { suggest([], error.message); });
  }

  scan.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();   // Enter from the scanner adds a line; it never submits the form
      scanned();
    } else if (event.key === "Escape") {
      clearSuggestions();
    }
  });

  scan.addEventListener("input", function () {
    window.clearTimeout(suggestTimer);
    var text = scan.value.trim();
    if (text.length < 2) { clearSuggestions(); return; }
    suggestTimer = window.setTimeout(function () {
      lookup({q: text}).then(function (results) { suggest(results, null); }).catch(function () {});
    }, 300);
  });

  body.addEventListener("click", function (event) {
    if (event.target.classList.contains("line-remove")) {
      event.target.closest("tr").remove();
      refresh();
    }
  });

  form.addEventListener("input", function (event) {
    if (event.target !== scan) { refresh(); }
  });
  form.addEventListener("change", refresh);

  /* Enter in any other field would submit half an order: only the buttons save. */
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "INPUT" && event.target !== scan) {
      event.preventDefault();
    }
  });

  /* A new channel has its own price list: lines still at the old catalog price follow it. */
  if (channel) {
    channel.addEventListener("change", function () {
      var skus = Array.prototype.map.call(body.querySelectorAll("[name=line_sku]"), function (i) { return i.value; });
      if (!skus.length) { return; }
      lookup(skus.map(function (sku) { return ["sku", sku]; })).then(function (results) {
        results.forEach(function (item) {
          var row = rowFor(item.sku);
          var price = row && row.querySelector("[name=line_price]");
          if (price && (price.value === "" || number(price.value) === number(row.dataset.catalogPrice))) {
            price.value = item.price;
          }
          if (row) { row.dataset.catalogPrice = item.price; }
        });
        refresh();
      }).catch(function () {});
    });
  }

  /* The customer picker: matches by name, code or tax id fill the field's list. */
  var customer = document.getElementById("customer_code");
  if (customer) {
    var options = document.getElementById("customer-options");
    var chosen = document.getElementById("customer-chosen");
    var known = {};
    customer.addEventListener("input", function () {
      var text = customer.value.trim();
      chosen.textContent = known[text] || "";
      window.clearTimeout(customerTimer);
      if (text.length < 2 || known[text]) { return; }
      customerTimer = window.setTimeout(function () {
        fetch(cfg.customersUrl + "?" + new URLSearchParams({q: text}).toString(), {credentials: "same-origin"})
          .then(function (response) { return response.json(); })
          .then(function (data) {
            while (options.firstChild) { options.removeChild(options.firstChild); }
            data.results.forEach(function (c) {
              var label = [c.name, c.phone, c.tax_id, c.address].filter(Boolean).join(" · ");
              known[c.code] = label;
              var option = document.createElement("option");
              option.value = c.code;
              option.textContent = label;
              options.appendChild(option);
            });
          }).catch(function () {});
      }, 250);
    });
  }

  /* What the chosen term makes the due date when the order is confirmed today. */
  var term = document.getElementById("payment_term");
  var due = document.getElementById("due_date");
  function dueHint() {
    var option = term.options[term.selectedIndex];
    var hint = document.getElementById("due-hint");
    if (due.value || !option || option.dataset.days === undefined) { hint.textContent = ""; return; }
    var day = new Date();
    day.setDate(day.getDate() + parseInt(option.dataset.days, 10));
    hint.textContent = message("msgDueHint", {date: day.toLocaleDateString(cfg.locale || undefined)});
  }
  if (term && due) {
    term.addEventListener("change", dueHint);
    due.addEventListener("change", dueHint);
    dueHint();
  }

  refresh();
}());
