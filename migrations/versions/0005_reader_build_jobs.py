"""Reader build jobs: an organiser's request to build the Reader, run in the background.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:13:19.327485

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reader_build_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('build_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['reader_build.id'], name=op.f('fk_reader_build_job_build_id_reader_build'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_reader_build_job_requested_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_reader_build_job_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_build_job'))
    )
    with op.batch_alter_table('reader_build_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reader_build_job_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_build_job_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('reader_build_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_build_job_status'))
        batch_op.drop_index(batch_op.f('ix_reader_build_job_series_id'))

    op.drop_table('reader_build_job')
