"""composite indexes for newest-first lists

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:06:09.315970
"""
from alembic import op
import sqlalchemy as sa
import cpaas.models.base


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_account_newest', ['account_sid', 'date_created', 'sid'], unique=False)

    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.create_index('ix_conferences_account_newest', ['account_sid', 'date_created', 'sid'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_account_newest', ['account_sid', 'date_created', 'sid'], unique=False)

    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index('ix_recordings_account_newest', ['account_sid', 'date_created', 'sid'], unique=False)



def downgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index('ix_recordings_account_newest')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_account_newest')

    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_index('ix_conferences_account_newest')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_account_newest')

