# The Kelisim bot (aiogram 3). Rasa runs in its own container: see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# A font with Kazakh and Cyrillic letters for the progress card.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY bot bot
COPY nlu nlu
COPY knowledge_base knowledge_base
COPY locales locales
# Editable, so the locales and the knowledge base are read from /app.
# matplotlib's font cache is built here, once, not on the first /stats of every container.
ENV MPLCONFIGDIR=/app/.matplotlib
RUN pip install --no-cache-dir -e . \
    && python -c "from bot.i18n import compile_catalogs; compile_catalogs()" \
    && python -c "import matplotlib.font_manager" \
    && useradd --system --uid 1000 kelisim && mkdir -p /data && chown kelisim /data \
    && chown -R kelisim /app/.matplotlib

USER kelisim
ENV DATABASE_URL=sqlite+aiosqlite:////data/kelisim.sqlite3
VOLUME /data
CMD ["kelisim", "run"]
