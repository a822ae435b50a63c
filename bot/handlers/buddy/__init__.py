"""The buddy programme (/buddy): requests, volunteers, curators approval, check-ins."""
