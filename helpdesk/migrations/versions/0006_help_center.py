"""help center: guideline articles, the assistant's conversations, what the help center counts

`articles` (Markdown by staff, draft or published, with tags and "also asked as" phrasings and
their view and "Did this help?" counts), `chat_sessions` (the help assistant's conversations,
how they ended, and the ticket raised from one), and `help_events` (views, answers to "Did this
help?" and suggestions opened, each with its time, for the analytics page).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'articles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('view_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('helpful_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('not_helpful_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('vectors', sa.LargeBinary(), server_default='', nullable=False),
        sa.Column('vectors_recipe', sa.String(length=80), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_articles_author_id_users')),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_articles_category_id_categories')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
        sa.UniqueConstraint('slug', name=op.f('uq_articles_slug')),
    )
    op.create_index('ix_articles_status_category', 'articles', ['status', 'category_id'], unique=False)
    op.create_index('ix_articles_status_version', 'articles', ['status', 'version'], unique=False)
    op.create_table(
        'chat_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('transcript', sa.JSON(), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('solved_by_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_sessions_user_id_users')),
        sa.ForeignKeyConstraint(['solved_by_id'], ['articles.id'], name=op.f('fk_chat_sessions_solved_by_id_articles'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_chat_sessions_ticket_id_tickets'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_sessions')),
        sa.UniqueConstraint('key', name=op.f('uq_chat_sessions_key')),
        sa.UniqueConstraint('ticket_id', name=op.f('uq_chat_sessions_ticket_id')),
    )
    op.create_index('ix_chat_sessions_started', 'chat_sessions', ['started_at'], unique=False)
    op.create_table(
        'help_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_help_events_article_id_articles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_help_events_user_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_help_events_ticket_id_tickets'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_help_events')),
    )
    op.create_index('ix_help_events_article_id', 'help_events', ['article_id'], unique=False)
    op.create_index('ix_help_events_kind_created', 'help_events', ['kind', 'created_at'], unique=False)
    # Search's "is my index current" token (helpdesk.knowledge.search.articles_changed).
    op.execute("INSERT INTO app_settings (key, value) VALUES ('articles_generation', 'initial')")


def downgrade() -> None:
    op.execute("DELETE FROM app_settings WHERE key = 'articles_generation'")
    op.drop_table('help_events')
    op.drop_table('chat_sessions')
    op.drop_table('articles')
