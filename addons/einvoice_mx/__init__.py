"""Mexico CFDI 4.0: SAT catalog fields, signing with the merchant's CSD, stamping by a PAC, cancellation."""
