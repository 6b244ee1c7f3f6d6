"""Module slides link: an optional link to a held module's slides, beside its recording.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:22:01.367755

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slides_url', sa.String(length=500), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_column('slides_url')
