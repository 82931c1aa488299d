"""Inputs: the codebook, the policy's standards, readers and mappings, validation, identifiers on ingest, the synthetic survey and the example files."""
