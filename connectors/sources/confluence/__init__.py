"""Confluence Cloud, Server and Data Center source (see docs/confluence.md)."""
