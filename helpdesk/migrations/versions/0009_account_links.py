"""one-time account links: password resets and sign-up confirmations

`account_links` keeps, per mailed link, the hash of its random token, what it does (a password
reset for an account, or a sign-up waiting for its address to be confirmed, with the chosen
password's hash), when it expires and when it was used or made void by a newer link.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'account_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.Enum('password_reset', 'sign_up', name='accountlinkpurpose', native_enum=False,
                                     create_constraint=False, length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_links_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_links_token_hash')),
    )
    op.create_index('ix_account_links_user_id', 'account_links', ['user_id'], unique=False)
    op.create_index('ix_account_links_email', 'account_links', ['email'], unique=False)


def downgrade() -> None:
    op.drop_table('account_links')
