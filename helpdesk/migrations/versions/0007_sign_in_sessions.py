"""sign-in sessions: a browser stays signed in through an HttpOnly cookie

`sign_in_sessions` keeps, per browser sign-in, the hash of the cookie's random token (and of the
one-time code that hands the browser its cookie), when it was last used, when it expires (idle
and absolute) and when it was revoked.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=True),
        sa.Column('code_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('persistent', sa.Boolean(), nullable=False),
        sa.Column('device', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('idle_expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('absolute_expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_sessions_token_hash')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_sign_in_sessions_code_hash')),
    )
    op.create_index('ix_sign_in_sessions_user_id', 'sign_in_sessions', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('sign_in_sessions')
