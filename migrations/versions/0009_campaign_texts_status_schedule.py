"""Campaign texts per language (subject and Markdown body), status, schedule and reminders.

Each campaign's single title and message become its text in the series' first language; a
campaign that was already sent to someone is marked sent, the others stay drafts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 20:34:56.120655

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_text_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_text')),
    sa.UniqueConstraint('campaign_id', 'language', name=op.f('uq_campaign_text_campaign_id_language'))
    )
    op.execute(
        "INSERT INTO campaign_text (campaign_id, language, subject, body) "
        "SELECT campaign.id, "
        "CASE WHEN series.languages LIKE 'fr%' THEN 'fr' ELSE 'en' END, "
        "campaign.title, campaign.message "
        "FROM campaign JOIN series ON series.id = campaign.series_id"
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='draft',
                                      nullable=False))
        batch_op.add_column(sa.Column('scheduled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('segment', sa.JSON(), server_default='{}',
                                      nullable=False))
        batch_op.add_column(sa.Column('reminder_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_campaign_reminder_of_id_campaign'), 'campaign', ['reminder_of_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('message')
    op.execute(
        "UPDATE campaign SET status = 'sent', started_at = created_at WHERE EXISTS "
        "(SELECT 1 FROM campaign_send WHERE campaign_send.campaign_id = campaign.id)"
    )


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('fk_campaign_reminder_of_id_campaign'), type_='foreignkey')
        batch_op.drop_column('reminder_of_id')
        batch_op.drop_column('segment')
        batch_op.drop_column('started_at')
        batch_op.drop_column('scheduled_at')
        batch_op.drop_column('status')
    op.execute(
        "UPDATE campaign SET message = COALESCE((SELECT body FROM campaign_text "
        "WHERE campaign_text.campaign_id = campaign.id ORDER BY id LIMIT 1), '')"
    )
    op.drop_table('campaign_text')
