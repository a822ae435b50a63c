"""Learning progress (/progress and «My progress» in /me), material cards, and curators'
attendance marks (/attendance)."""
