"""The Hebei authentication service platform: newly approved retirees out, face-recognition results in."""
