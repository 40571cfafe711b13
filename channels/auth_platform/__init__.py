"""What the authentication platform calls on the hub: its face-result webhook."""
