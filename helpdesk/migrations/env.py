"""Alembic environment: uses the engine handed over by helpdesk.core.db.migrate."""
from alembic import context
from sqlalchemy import create_engine

from helpdesk.models import Base
from helpdesk.search.text_index import include_in_schema_comparison

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite can only alter tables by recreating them
            compare_type=True,
            include_name=include_in_schema_comparison,  # search indexes live outside the models
        )
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      render_as_batch=True, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
