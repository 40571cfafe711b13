"""The data dictionary (1.4): every code table and business parameter the rest of the system uses."""
