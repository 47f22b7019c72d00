"""The model: findings, inventory, rules, errors. No I/O here."""
