"""Identity proofing: methods are plug-ins chosen by an agency's policy."""
