"""Names vulture reports as unused that are used where it cannot look (reviewed; `make lint`).

vulture reads Python only. `make lint` also hands it every `.name` the templates use, skips
functions registered by a decorator (routes, commands, tasks, hooks: see [tool.vulture] in
pyproject.toml) and the WTForms names `submit`, `validate_<field>` and `Meta`. What is left
is listed here, each with the reader that vulture does not see.
"""

# ruff: noqa: B018
_ = object()

# Read by the frameworks: Flask, Flask-Login, Jinja, SQLAlchemy, WTForms, pypdf, WeasyPrint.
_.login_view  # Flask-Login: where login_required sends a visitor
_.login_message_category
_._login_user  # Flask-Login's per-request user
_.get_id  # Flask-Login's UserMixin protocol
_.max_content_length  # Flask's request size limit, per request
_.trim_blocks  # Jinja environment settings
_.template_class
_.lstrip_blocks
_.impl  # SQLAlchemy TypeDecorator protocol (UTCDateTime)
_.cache_ok
_.process_bind_param
_.process_result_value
_.metadata  # DeclarativeBase's MetaData with the naming convention
_.option_widget  # WTForms SelectMultipleField's widget of each option
_.raw_data  # WTForms: what the form re-displays
_.validation_attrs  # WTForms widget: which validator flags become HTML attributes
_.page_mode  # pypdf: open the Reader with its outline shown
_.fetch  # WeasyPrint's URLFetcher protocol (core/documents.py)
_.handle_starttag  # html.parser.HTMLParser protocol (invitations/message.py)
_.handle_endtag
_.handle_data

# Fields read by name for each language of the series (getattr(form, f"subject_{code}")).
_.subject_en
_.body_en
_.subject_fr
_.body_fr

# Flask-Mail's Connection.send reads these from a Message (outbox/mailer.py OutboxMail).
_.cc
_.bcc
_.reply_to
_.alts
_.attachments
_.charset
_.msgId
_.mail_options
_.rcpt_options
_.configure_host  # Flask-Mail's Connection hook, overridden with a timeout

# Columns and relationships: written by the code, read by SQL, migrations and the database.
_.created_by_id
_.started_at
_.token_issued_at
_.agenda_item_id
_.agenda_item
_.submitted_at
_.published_by_id
_.published_by
_.author_id
_.requested_by_id

# Used by the test suite, with the rule they test or the set-up they give.
_.parse_minutes  # attendance: every platform's duration text (tests/test_attendance_parsers.py)
_.has_control_chars  # the control-character rule (tests/test_input_hygiene.py)
_.public_tables  # PUBLIC_MODELS covers every table a public page reads (tests/test_public_cache.py)
_.compile_catalogues  # tests/conftest.py compiles the catalogues once per session
_.wait_for_import_thread  # tests/test_invitee_import_jobs.py waits for the import thread
_.save_invitees  # invitee lists without a CSV upload (tests, bench/)
_.build_message_bytes  # the outbox tests and bench/invitations.py build messages ahead
