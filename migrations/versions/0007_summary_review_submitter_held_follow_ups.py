"""Summary review: who submitted a summary, and follow-ups held back after publishing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 20:21:46.417630

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('followups_held_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_summary_submitted_by_id_user_account'), 'user_account', ['submitted_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('summary', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_summary_submitted_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('followups_held_at')
        batch_op.drop_column('submitted_by_id')
