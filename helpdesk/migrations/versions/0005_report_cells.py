"""report cells: the analytics rollup

Two tables the analytics page adds up instead of scanning tickets: `report_cells`, one row per
local day (business-hours zone), category, priority and assignee, with the counts of tickets
raised and resolved that day and their exact durations; `rating_cells`, the same for
satisfaction answers. `python -m helpdesk rebuild-metrics` fills them from the tickets; until
it has run on an upgraded install, the setting `report_cells_pending` says so and the analytics
page warns. Also an index on tickets (status, created_at), so the backlog by age reads the open
tickets' creation times from the index alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

STATUSES = ('new', 'open', 'in_progress', 'waiting_on_customer', 'resolved', 'closed')
REPORT_COUNTS = ('created', 'first_response_decided', 'first_response_met', 'ever_resolved', 'reopened',
                 *(f'status_{s}' for s in STATUSES), *(f'hour_{h:02d}' for h in range(24)),
                 'resolved', 'resolution_decided', 'resolution_met', 'one_touch')
REPORT_VALUES = ('first_response_values', 'first_response_business_values', 'resolution_values',
                 'resolution_business_values')
RATING_COUNTS = ('requests', 'rated', 'score_sum', 'happy',
                 *(f'{basis}_band{band}_{what}' for basis in ('calendar', 'business') for band in range(4)
                   for what in ('rated', 'score_sum', 'happy')))


def _counts(names):
    return [sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in names]


def _key(table, who):
    """The day, category, priority and person a cell is of, and the primary key over them."""
    return [sa.Column('day', sa.Date(), nullable=False), sa.Column('category_id', sa.Integer(), nullable=False),
            sa.Column('priority', sa.String(length=16), nullable=False), sa.Column(who, sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('day', 'category_id', 'priority', who, name=op.f(f'pk_{table}'))]


def upgrade() -> None:
    op.create_table(
        'report_cells', *_key('report_cells', 'assignee_id'), *_counts(REPORT_COUNTS),
        *[sa.Column(name, sa.LargeBinary(), server_default='', nullable=False) for name in REPORT_VALUES],
    )
    op.create_table('rating_cells', *_key('rating_cells', 'agent_id'), *_counts(RATING_COUNTS))
    op.create_index('ix_tickets_status_created', 'tickets', ['status', 'created_at'], unique=False)
    # Tickets from before this version are in no cell yet (see the docstring).
    op.execute("INSERT INTO app_settings (key, value) SELECT 'report_cells_pending', 'yes' "
               "WHERE EXISTS (SELECT 1 FROM tickets)")


def downgrade() -> None:
    op.execute("DELETE FROM app_settings WHERE key = 'report_cells_pending'")
    op.drop_table('rating_cells')
    op.drop_table('report_cells')
    op.drop_index('ix_tickets_status_created', table_name='tickets')
