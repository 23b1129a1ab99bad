"""Identity: accounts with roles, credentials (passwords, tokens, sessions), access rules."""
