"""analytics, satisfaction and audit: per-ticket durations, satisfaction ratings, audit entries

The tickets table gains the durations analytics aggregates (first response, resolution, waiting,
in calendar and business time), the reopen and staff-reply counts, and an (assignee, resolved)
index. Columns are added in place (ALTER TABLE ADD COLUMN), not by recreating the table, so
the subject-search triggers of 0003 stay. Existing tickets get their figures from
`python -m helpdesk rebuild-metrics`, which replays each ticket's events; until it has run, the
setting `metrics_pending` says so and the analytics page warns that its figures leave them out.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DURATIONS = ('first_response_seconds', 'first_response_business_seconds', 'resolution_seconds',
             'resolution_business_seconds')
COUNTERS = ('waiting_seconds', 'waiting_business_seconds', 'reopen_count', 'staff_reply_count')


def upgrade() -> None:
    for name in DURATIONS:
        op.add_column('tickets', sa.Column(name, sa.Integer(), nullable=True))
    for name in COUNTERS:
        op.add_column('tickets', sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_tickets_assignee_resolved', 'tickets', ['assignee_id', 'resolved_at'], unique=False)
    # Tickets from before this version have no figures yet (see the docstring).
    op.execute("INSERT INTO app_settings (key, value) SELECT 'metrics_pending', 'yes' "
               "WHERE EXISTS (SELECT 1 FROM tickets)")

    op.create_table(
        'satisfaction_ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), server_default='', nullable=False),
        sa.Column('reasons', sa.String(length=255), server_default='', nullable=False),
        sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lapsed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_satisfaction_ratings_agent_id_users')),
        sa.ForeignKeyConstraint(['customer_id'], ['users.id'],
                                name=op.f('fk_satisfaction_ratings_customer_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE',
                                name=op.f('fk_satisfaction_ratings_ticket_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction_ratings')),
    )
    op.create_index('ix_satisfaction_ratings_ticket_requested', 'satisfaction_ratings',
                    ['ticket_id', 'requested_at'], unique=False)
    op.create_index('ix_satisfaction_ratings_requested', 'satisfaction_ratings', ['requested_at'], unique=False)
    op.create_index('ix_satisfaction_ratings_agent_requested', 'satisfaction_ratings',
                    ['agent_id', 'requested_at'], unique=False)

    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=255), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=True),
        sa.Column('new_value', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    )
    op.create_index('ix_audit_entries_created', 'audit_entries', ['created_at'], unique=False)
    op.create_index('ix_audit_entries_actor_created', 'audit_entries', ['actor_id', 'created_at'], unique=False)
    op.create_index('ix_audit_entries_action_created', 'audit_entries', ['action', 'created_at'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM app_settings WHERE key = 'metrics_pending'")
    op.drop_table('audit_entries')
    op.drop_table('satisfaction_ratings')
    op.drop_index('ix_tickets_assignee_resolved', table_name='tickets')
    # SQLite 3.35+ drops a column in place, so the subject-search triggers stay here too.
    for name in (*COUNTERS, *DURATIONS):
        op.drop_column('tickets', name)
