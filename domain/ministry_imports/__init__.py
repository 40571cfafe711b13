"""Ministry batch imports (issue 16): the staged pipeline shared by 2.7 and 2.8."""
