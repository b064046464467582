"""E-mail notifications through a durable outbox.

Services call `outbox.notify_*` inside their own transaction, so a notification row exists
exactly when the change that caused it was committed. A sender (`python -m helpdesk notify`,
its `--loop` worker, or the optional background thread) claims due rows, sends them with
yagmail, and marks them sent, retried with backoff, or failed. Pages never talk to the mail
server.
"""
