"""Replies by e-mail: read a mailbox over IMAP and turn each mail into a reply, a note or a new
ticket, exactly once (`python -m helpdesk fetch-mail`).

imap_settings  [imap] / HELPDESK_IMAP_* settings
mailbox        the IMAP connection: unseen mails, raw bytes, marking one done
automatic      auto-replies and bulk mail, which never become messages
parsing        one raw mail as plain data: sender, addresses, thread ids, text, files
reply_text     the new text of a reply: HTML to text, quoted history stripped
reply_address  the signed reply address (support+t42.<signature>@domain)
matching       which ticket a mail belongs to, and whether its sender may write there
store          one mail into the database (no commit: the reader commits)
claims         two readers never both take one mail
reader         one pass over the mailbox: fetch, store, commit, then flag
held           the mails kept for an administrator: list, open a ticket from one, discard
background     the optional reader thread inside the app
"""
