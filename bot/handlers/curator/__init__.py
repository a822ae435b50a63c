"""Curators' side of a consultation: queue, take, relay, notes, transfer, close."""
