"""The store: SQLAlchemy 2 models, engine and migrations."""

# Feature tables live in their own modules; importing them here puts them in Base.metadata
# wherever the models are used (Alembic, tests), without one shared file for every feature.
from bot.db import buddy_models as buddy_models
from bot.db import group_models as group_models
from bot.db import mail_models as mail_models
from bot.db import outbox_models as outbox_models
from bot.db import progress_models as progress_models
from bot.db import pulse_models as pulse_models
from bot.db import quiz_models as quiz_models
