"""The e-mail channel: consultations by e-mail (IMAP in, SMTP out), off unless configured."""
