"""accounts, api keys, phone numbers

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 07:54:10.416763
"""
from alembic import op
import sqlalchemy as sa
import cpaas.models.base


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('friendly_name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('auth_token', sa.String(length=32), nullable=False),
    sa.Column('owner_account_sid', sa.String(length=34), nullable=True),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_account_sid'], ['accounts.sid'], name=op.f('fk_accounts_owner_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_accounts'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_date_created'), ['date_created'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_owner_account_sid'), ['owner_account_sid'], unique=False)

    op.create_table('api_keys',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('friendly_name', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_api_keys_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_api_keys'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_keys_date_created'), ['date_created'], unique=False)

    op.create_table('phone_numbers',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('phone_number', sa.String(length=32), nullable=False),
    sa.Column('friendly_name', sa.String(length=64), nullable=False),
    sa.Column('voice_url', sa.String(length=1024), nullable=True),
    sa.Column('voice_method', sa.String(length=8), nullable=False),
    sa.Column('voice_fallback_url', sa.String(length=1024), nullable=True),
    sa.Column('voice_fallback_method', sa.String(length=8), nullable=False),
    sa.Column('status_callback', sa.String(length=1024), nullable=True),
    sa.Column('status_callback_method', sa.String(length=8), nullable=False),
    sa.Column('sms_url', sa.String(length=1024), nullable=True),
    sa.Column('sms_method', sa.String(length=8), nullable=False),
    sa.Column('sms_fallback_url', sa.String(length=1024), nullable=True),
    sa.Column('sms_fallback_method', sa.String(length=8), nullable=False),
    sa.Column('voice_capable', sa.Boolean(), nullable=False),
    sa.Column('sms_capable', sa.Boolean(), nullable=False),
    sa.Column('mms_capable', sa.Boolean(), nullable=False),
    sa.Column('fax_capable', sa.Boolean(), nullable=False),
    sa.Column('sms_gateway', sa.String(length=64), nullable=True),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_phone_numbers_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_phone_numbers')),
    sa.UniqueConstraint('phone_number', name=op.f('uq_phone_numbers_phone_number'))
    )
    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_numbers_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_numbers_date_created'), ['date_created'], unique=False)



def downgrade():
    with op.batch_alter_table('phone_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_numbers_date_created'))
        batch_op.drop_index(batch_op.f('ix_phone_numbers_account_sid'))

    op.drop_table('phone_numbers')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_date_created'))
        batch_op.drop_index(batch_op.f('ix_api_keys_account_sid'))

    op.drop_table('api_keys')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_owner_account_sid'))
        batch_op.drop_index(batch_op.f('ix_accounts_date_created'))

    op.drop_table('accounts')
