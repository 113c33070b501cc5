"""calls, recordings, conferences, webhook attempts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:07:13.329778
"""
from alembic import op
import sqlalchemy as sa
import cpaas.models.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calls',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=True),
    sa.Column('parent_call_sid', sa.String(length=34), nullable=True),
    sa.Column('phone_number_sid', sa.String(length=34), nullable=True),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('to', sa.String(length=256), nullable=False),
    sa.Column('from', sa.String(length=256), nullable=False),
    sa.Column('caller_name', sa.String(length=64), nullable=True),
    sa.Column('forwarded_from', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_time', cpaas.models.base.UTCDateTime(), nullable=True),
    sa.Column('answer_time', cpaas.models.base.UTCDateTime(), nullable=True),
    sa.Column('end_time', cpaas.models.base.UTCDateTime(), nullable=True),
    sa.Column('duration', sa.Integer(), nullable=True),
    sa.Column('answered_by', sa.String(length=32), nullable=True),
    sa.Column('url', sa.String(length=1024), nullable=True),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('fallback_url', sa.String(length=1024), nullable=True),
    sa.Column('fallback_method', sa.String(length=8), nullable=False),
    sa.Column('twiml', sa.Text(), nullable=True),
    sa.Column('status_callback', sa.String(length=1024), nullable=True),
    sa.Column('status_callback_method', sa.String(length=8), nullable=False),
    sa.Column('status_callback_events', sa.String(length=64), nullable=False),
    sa.Column('callback_sequence', sa.Integer(), nullable=False),
    sa.Column('timeout', sa.Integer(), nullable=False),
    sa.Column('time_limit', sa.Integer(), nullable=True),
    sa.Column('send_digits', sa.String(length=64), nullable=True),
    sa.Column('record', sa.Boolean(), nullable=False),
    sa.Column('recording_status_callback', sa.String(length=1024), nullable=True),
    sa.Column('node', sa.String(length=64), nullable=True),
    sa.Column('channel_uuid', sa.String(length=64), nullable=True),
    sa.Column('hangup_cause', sa.String(length=64), nullable=True),
    sa.Column('sip_response_code', sa.Integer(), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.String(length=512), nullable=True),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_calls_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_calls'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_channel_uuid'), ['channel_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_date_created'), ['date_created'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_end_time'), ['end_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_from'), ['from'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_parent_call_sid'), ['parent_call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_start_time'), ['start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_to'), ['to'], unique=False)

    op.create_table('conferences',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('friendly_name', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=True),
    sa.Column('reason_conference_ended', sa.String(length=64), nullable=True),
    sa.Column('call_sid_ending_conference', sa.String(length=34), nullable=True),
    sa.Column('status_callback', sa.String(length=1024), nullable=True),
    sa.Column('status_callback_method', sa.String(length=8), nullable=False),
    sa.Column('status_callback_events', sa.String(length=128), nullable=False),
    sa.Column('callback_sequence', sa.Integer(), nullable=False),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_conferences_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_conferences'))
    )
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conferences_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_conferences_date_created'), ['date_created'], unique=False)
        batch_op.create_index(batch_op.f('ix_conferences_friendly_name'), ['friendly_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_conferences_status'), ['status'], unique=False)

    op.create_table('recordings',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('call_sid', sa.String(length=34), nullable=True),
    sa.Column('conference_sid', sa.String(length=34), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_time', cpaas.models.base.UTCDateTime(), nullable=True),
    sa.Column('duration', sa.Integer(), nullable=True),
    sa.Column('channels', sa.Integer(), nullable=False),
    sa.Column('local_path', sa.String(length=1024), nullable=True),
    sa.Column('storage_key', sa.String(length=1024), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('status_callback', sa.String(length=1024), nullable=True),
    sa.Column('status_callback_method', sa.String(length=8), nullable=False),
    sa.Column('status_callback_events', sa.String(length=64), nullable=False),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_recordings_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_recordings'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_call_sid'), ['call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_conference_sid'), ['conference_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_date_created'), ['date_created'], unique=False)

    op.create_table('webhook_attempts',
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('resource_sid', sa.String(length=34), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=1024), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=512), nullable=True),
    sa.Column('elapsed_ms', sa.Integer(), nullable=True),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_webhook_attempts_account_sid_accounts')),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_webhook_attempts'))
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempts_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_attempts_date_created'), ['date_created'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_attempts_resource_sid'), ['resource_sid'], unique=False)

    op.create_table('participants',
    sa.Column('conference_sid', sa.String(length=34), nullable=False),
    sa.Column('call_sid', sa.String(length=34), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('label', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('muted', sa.Boolean(), nullable=False),
    sa.Column('hold', sa.Boolean(), nullable=False),
    sa.Column('coaching', sa.Boolean(), nullable=False),
    sa.Column('start_conference_on_enter', sa.Boolean(), nullable=False),
    sa.Column('end_conference_on_exit', sa.Boolean(), nullable=False),
    sa.Column('member_id', sa.String(length=16), nullable=True),
    sa.Column('channel_uuid', sa.String(length=64), nullable=True),
    sa.Column('date_created', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.Column('date_updated', cpaas.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_sid'], ['accounts.sid'], name=op.f('fk_participants_account_sid_accounts')),
    sa.ForeignKeyConstraint(['conference_sid'], ['conferences.sid'], name=op.f('fk_participants_conference_sid_conferences')),
    sa.PrimaryKeyConstraint('conference_sid', 'call_sid', name=op.f('pk_participants'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_account_sid'), ['account_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_date_created'), ['date_created'], unique=False)



def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_date_created'))
        batch_op.drop_index(batch_op.f('ix_participants_account_sid'))

    op.drop_table('participants')
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_resource_sid'))
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_date_created'))
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_account_sid'))

    op.drop_table('webhook_attempts')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_date_created'))
        batch_op.drop_index(batch_op.f('ix_recordings_conference_sid'))
        batch_op.drop_index(batch_op.f('ix_recordings_call_sid'))
        batch_op.drop_index(batch_op.f('ix_recordings_account_sid'))

    op.drop_table('recordings')
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conferences_status'))
        batch_op.drop_index(batch_op.f('ix_conferences_friendly_name'))
        batch_op.drop_index(batch_op.f('ix_conferences_date_created'))
        batch_op.drop_index(batch_op.f('ix_conferences_account_sid'))

    op.drop_table('conferences')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_to'))
        batch_op.drop_index(batch_op.f('ix_calls_status'))
        batch_op.drop_index(batch_op.f('ix_calls_start_time'))
        batch_op.drop_index(batch_op.f('ix_calls_parent_call_sid'))
        batch_op.drop_index(batch_op.f('ix_calls_from'))
        batch_op.drop_index(batch_op.f('ix_calls_end_time'))
        batch_op.drop_index(batch_op.f('ix_calls_date_created'))
        batch_op.drop_index(batch_op.f('ix_calls_channel_uuid'))
        batch_op.drop_index(batch_op.f('ix_calls_account_sid'))

    op.drop_table('calls')
