"""The real dispatcher with the recording Bot session and a real store."""
