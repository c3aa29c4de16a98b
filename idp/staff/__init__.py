"""Staff: people who run the service (proofing agents, supervisors, administrators)."""
