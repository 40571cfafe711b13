"""Pushing retiree notifications to the channel apps' webhooks (issue 20, docs/channel-contract.md section 3)."""
