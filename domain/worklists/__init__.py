"""The staff worklist (待办): what is waiting in the caller's scope, counted set-based."""
