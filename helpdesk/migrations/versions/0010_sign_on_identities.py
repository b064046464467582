"""single sign-on identities: an OpenID Connect provider's person, linked to a local account

`sign_on_identities` keeps, per person at a provider, the issuer and subject the provider names
them by (unique together), the local account they sign in to (deleted with it), and when the
link was made and last used.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_on_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_on_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_on_identities')),
        sa.UniqueConstraint('issuer', 'subject', name='uq_sign_on_identities_issuer_subject'),
    )
    op.create_index('ix_sign_on_identities_user_id', 'sign_on_identities', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('sign_on_identities')
