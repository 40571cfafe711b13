"""Registration (4.1): at the counter by personal number + insuring-agency code, or applied for from a mobile app."""
