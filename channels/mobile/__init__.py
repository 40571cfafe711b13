"""The channel API for the retirees' mobile apps (石i民, 石家庄人社): authenticated as a channel client."""
