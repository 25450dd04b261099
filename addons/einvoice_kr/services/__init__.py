"""Services of einvoice_kr: receipts (cash receipts), issuing (the Popbill calls), automation (payments,
returns, self-issue), brn (NTS status checks), mailing (receipt PDF and mail), taxinvoices."""
