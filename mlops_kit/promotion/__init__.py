"""Promotion: move a model version dev -> staging -> prod, gated, approved, serialized, idempotent,
audited and reversible. Entry points: `promote.promote_model_version`, `rollback.rollback_endpoint`,
`approvals.approve_model_version`, `audit.read_audit`."""
