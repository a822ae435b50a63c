"""Custom Rasa components for Kelisim, loaded by Rasa from ``nlu/config.yml``."""
