"""E-invoice addon: fiscal documents from orders or by hand, gapless numbering, e-mail, providers."""
