"""End-to-end tests: the real `partnerbot run` process against a loopback Discord."""
