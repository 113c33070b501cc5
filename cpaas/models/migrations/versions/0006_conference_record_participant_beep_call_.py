"""conference record, participant beep, call caller id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:38:36.236414
"""
from alembic import op
import sqlalchemy as sa
import cpaas.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller_id', sa.String(length=256), nullable=True))

    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('beep', sa.String(length=8), nullable=False, server_default='true'))



def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('beep')

    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_column('record')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('caller_id')

