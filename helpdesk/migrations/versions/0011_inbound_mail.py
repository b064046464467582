"""replies by e-mail: the Message-ID each outbox mail went out with, and the mails read in

`notification_outbox.message_id` is filled when a mail is sent, so a reply's In-Reply-To /
References finds the ticket. `inbound_mails` keeps one row per mail the reader took from the
mailbox: its Message-ID (or a hash of the raw mail) is unique, so a mail is handled once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('notification_outbox', sa.Column('message_id', sa.String(length=255), nullable=True))
    op.create_index('ix_notification_outbox_message_id', 'notification_outbox', ['message_id'], unique=False)
    op.add_column('notification_outbox', sa.Column('message_token', sa.String(length=64), nullable=True))
    op.create_table(
        'inbound_mails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_key', sa.String(length=255), nullable=False),
        sa.Column('from_address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('status', sa.Enum('stored', 'opened', 'ignored', 'held', 'discarded', name='inboundmailstatus',
                                    native_enum=False, create_constraint=False, length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('ticket_message_id', sa.Integer(), nullable=True),
        sa.Column('raw', sa.LargeBinary(), nullable=True),
        sa.Column('preview', sa.Text(), nullable=False),
        sa.Column('file_names', sa.Text(), nullable=False),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_inbound_mails_ticket_id_tickets'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ticket_message_id'], ['ticket_messages.id'],
                                name=op.f('fk_inbound_mails_ticket_message_id_ticket_messages'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_inbound_mails_handled_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mails')),
        sa.UniqueConstraint('message_key', name=op.f('uq_inbound_mails_message_key')),
    )
    op.create_index('ix_inbound_mails_status', 'inbound_mails', ['status'], unique=False)
    op.create_index('ix_inbound_mails_from_received', 'inbound_mails', ['from_address', 'received_at'], unique=False)


def downgrade() -> None:
    op.drop_table('inbound_mails')
    with op.batch_alter_table('notification_outbox') as batch:
        batch.drop_index('ix_notification_outbox_message_id')
        batch.drop_column('message_token')
        batch.drop_column('message_id')
