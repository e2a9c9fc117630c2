"""Takedown notices: from a confirmed case to a removal.

`draft` writes a notice for a channel (the venue's form, an abuse address, a hotline, a DSA notice) from the
case's facts (`facts`, `compose`, in `text`'s safe words); `send` mails it or records that a person filed
it; `track` follows it until the crawl sees the listing gone, and says when it is due again."""
