"""indexes for filtered lists

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:14:06.608269
"""
from alembic import op
import sqlalchemy as sa
import cpaas.models.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_account_from_newest', ['account_sid', 'from', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_calls_account_status_newest', ['account_sid', 'status', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_calls_account_to_newest', ['account_sid', 'to', 'date_created', 'sid'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_account_from_newest', ['account_sid', 'from', 'date_created', 'sid'], unique=False)
        batch_op.create_index('ix_messages_account_to_newest', ['account_sid', 'to', 'date_created', 'sid'], unique=False)



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_account_to_newest')
        batch_op.drop_index('ix_messages_account_from_newest')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_account_to_newest')
        batch_op.drop_index('ix_calls_account_status_newest')
        batch_op.drop_index('ix_calls_account_from_newest')

