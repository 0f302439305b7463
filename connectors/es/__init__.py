"""Elasticsearch: the official async client factory, content-index mappings and the bulk sink."""
