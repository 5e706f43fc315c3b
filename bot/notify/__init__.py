"""How one-time codes reach customers: one module per technology, and the order they are tried in.

`sms.py` (an HTTP SMS provider in Twilio's Messages shape, httpx), `email.py` (SMTP with
STARTTLS, aiosmtplib) and `push.py` (the bank's own notification service, a signed JSON
POST over httpx) each implement `bot.ports.NoticeChannel` and turn every driver error into
`DeliveryFailed`. `fallback.py` is the `Notifier` over them: the customer's chosen channel
first, one retry of a transient failure, then the next channel. The dev outbox, for dev mode
and the shell, is `bot.store.memory.DevOutbox`.
"""
