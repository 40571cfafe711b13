"""The Hebei provincial HR and social-security platform: SOAP change feed and exchange database in, status feed out."""
