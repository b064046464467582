"""queue indexes: priority and category filters within the open statuses, SLA order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_status_priority_due', ['status', 'priority', 'resolution_due_at'],
                              unique=False)
        batch_op.create_index('ix_tickets_status_category_due', ['status', 'category_id', 'resolution_due_at'],
                              unique=False)
        batch_op.create_index('ix_tickets_status_sla',
                              ['status', 'first_response_at', 'first_response_due_at', 'resolution_due_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_status_sla')
        batch_op.drop_index('ix_tickets_status_category_due')
        batch_op.drop_index('ix_tickets_status_priority_due')
