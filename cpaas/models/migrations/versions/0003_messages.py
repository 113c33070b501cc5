"""messages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:09:36.762990
"""
from alembic import op
import sqlalchemy as sa
import cpaas.models.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('messages',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('to', sa.String(length=256), nullable=False),
    sa.Column('from', sa.String(length=256), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('num_segments', sa.Integer(), nullable=False),
    sa.Column('media_urls', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.String(length=512), nullable=True),
    sa.Column('date_sent', cpaas.models.base.UTCDateTime(), nullable=True),
    sa.Column('status_callback', sa.String(length=1024), nullable=True),
    sa.Column('status_callback_method', sa.String(length=8), nullable=False),
    sa.Column('validity_period', sa.Integer(), nullable=True),
    sa.Column('phone_number_sid', sa.String(length=34), nullable=True),
    sa.Column('parent_sid', sa.String(length=34), nullable=True),
    sa.Column('gateway', sa.String(length=64), nullable=True),
    sa.Column('provider_id', sa.String(length=128), nullable=True),
    sa.Column('send_attempts', sa.Integer(), nullable=False),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_messages_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_date_created'), ['date_created'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_date_sent'), ['date_sent'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_from'), ['from'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_parent_sid'), ['parent_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_to'), ['to'], unique=False)



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_to'))
        batch_op.drop_index(batch_op.f('ix_messages_status'))
        batch_op.drop_index(batch_op.f('ix_messages_provider_id'))
        batch_op.drop_index(batch_op.f('ix_messages_parent_sid'))
        batch_op.drop_index(batch_op.f('ix_messages_from'))
        batch_op.drop_index(batch_op.f('ix_messages_date_sent'))
        batch_op.drop_index(batch_op.f('ix_messages_date_created'))
        batch_op.drop_index(batch_op.f('ix_messages_account_sid'))

    op.drop_table('messages')
