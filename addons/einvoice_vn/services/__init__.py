"""Services of einvoice_vn (all take a session bound to one business and never commit)."""
