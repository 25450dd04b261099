"""Dunning services, one module per flow.

``context`` (settings, the business's today and working days), ``receivables``
(open amounts, credits, payments and their allocation, disputes, the payment
confirmation), ``policies`` (policies, levels, customer accounts: pause,
promise, do-not-remind), ``runs`` (who is reminded of what, set-based, and the
sending job's recheck), ``aging`` (the AR aging report) and ``statements``
(bank statement import and matching, ``camt`` parsing). They import one way:
context <- receivables <- policies <- runs; receivables <- statements. Every
function takes a session bound to a business, raises a UserError naming the
field, and never commits.
"""
