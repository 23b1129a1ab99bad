"""Identity: owns accounts with roles, their credentials (passwords, API tokens, web sessions),
profiles and addresses, and the access rules. ``domain`` holds the pure rules (roles, principals,
the one authorization helper); ``service`` registers, logs in (throttled), issues and revokes
tokens and sessions, and edits profiles; ``revocation`` tells every server process that credentials
were revoked; ``addresses`` checks a shipping address per country (required fields, postcodes,
regions, phones in E.164); ``address_book`` edits, deletes and chooses the default address;
``contacts`` reads the email operators reach an account's owner at.
Password hashing stays private to the context.
"""

__all__ = ["address_book", "addresses", "contacts", "domain", "revocation", "service"]
