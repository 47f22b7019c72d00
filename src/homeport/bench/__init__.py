"""`homeport bench`: prove the target with portable PyTorch (probes, a reference GPT workload, the
user's own script) and compare results across devices (ratios, loss-curve parity)."""
